"""pipeline/speedups.py: the two caches give Beam the answers it would compute itself."""

from __future__ import annotations

import apache_beam as beam
from apache_beam.coders import VarIntCoder
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions, TypeOptions
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms import userstate
from apache_beam.transforms.timeutil import TimeDomain

from scrapeline.pipeline import graph, speedups  # noqa: F401  (graph installs the caches)


class _Counting(beam.DoFn):
    COUNT = userstate.ReadModifyWriteStateSpec("count", VarIntCoder())
    FLUSH = userstate.TimerSpec("flush", TimeDomain.WATERMARK)

    def process(self, kv, count=beam.DoFn.StateParam(COUNT), flush=beam.DoFn.TimerParam(FLUSH)):
        count.write((count.read() or 0) + 1)
        yield kv[0], count.read()

    @userstate.on_timer(FLUSH)
    def flushed(self):
        return []


class _Plain(beam.DoFn):
    def process(self, x):
        yield x


def test_the_caches_are_installed_on_the_pinned_beam():
    assert speedups.install()
    assert hasattr(userstate.get_dofn_specs, "__wrapped__")
    assert hasattr(PipelineOptions.view_as, "__wrapped__")


def test_cached_specs_equal_beams_own_and_are_copies():
    original = userstate.get_dofn_specs.__wrapped__
    for fn in (_Counting(), _Plain(), beam.core.CallableWrapperDoFn(lambda x: x)):
        first = userstate.get_dofn_specs(fn)
        assert first == original(fn)
        first[0].add("mutated")  # a caller changing its set does not change the next answer
        assert userstate.get_dofn_specs(fn) == original(fn)
    state, timers = userstate.get_dofn_specs(_Counting())
    assert {s.name for s in state} == {"count"} and {t.name for t in timers} == {"ts-flush"}
    assert userstate.is_stateful_dofn(_Counting()) and not userstate.is_stateful_dofn(_Plain())


def test_a_stateful_dofn_still_keeps_its_state():
    with TestPipeline() as p:
        out = p | beam.Create([("a", 1), ("a", 2), ("b", 3)]) | beam.ParDo(_Counting())
        assert_that(out, equal_to([("a", 1), ("a", 2), ("b", 1)]))


def test_a_cached_view_reads_and_writes_the_same_options_as_a_new_one():
    options = PipelineOptions(["--runner", "DirectRunner"], pipeline_type_check=False)
    view = options.view_as(TypeOptions)
    assert options.view_as(TypeOptions) is view
    assert view.pipeline_type_check is False
    view.pipeline_type_check = True  # a change through one view is seen through every other
    assert options.view_as(TypeOptions).pipeline_type_check is True
    assert PipelineOptions.view_as.__wrapped__(options, TypeOptions).pipeline_type_check is True
    assert options.view_as(StandardOptions).runner == "DirectRunner"
    other = PipelineOptions(["--runner", "PortableRunner"])
    assert other.view_as(StandardOptions).runner == "PortableRunner"  # one cache per options object
    options._flags = ["--runner", "FnApiRunner"]  # new flags: a new view, as Beam would make
    assert options.view_as(StandardOptions) is not view


class _Deferring(beam.DoFn):
    """Holds a callable of its own: its specs are not assumed to be its class's."""

    def __init__(self, fn):
        self.fn = fn

    def process(self, x):
        yield self.fn(x)


def test_specs_are_shared_by_class_only_where_the_methods_are_the_class_s():
    from apache_beam.transforms.core import CallableWrapperDoFn

    assert speedups._shared_key(_Counting(), CallableWrapperDoFn) is _Counting
    assert speedups._shared_key(_Deferring(len), CallableWrapperDoFn) is None

    def stateful(kv, count=beam.DoFn.StateParam(_Counting.COUNT)):
        yield kv

    def plain(kv):
        yield kv

    # beam.Map-style wrappers of one class are keyed by their function, and answer as Beam itself does
    original = userstate.get_dofn_specs.__wrapped__
    a, b = CallableWrapperDoFn(stateful), CallableWrapperDoFn(plain)
    assert speedups._shared_key(a, CallableWrapperDoFn) != speedups._shared_key(b, CallableWrapperDoFn)
    for fn in (a, b, _Deferring(len)):
        assert userstate.get_dofn_specs(fn) == original(fn)


def test_cached_arguments_equal_beams_own_bound_or_not():
    from apache_beam.transforms import core

    original = core.get_function_args_defaults.__wrapped__
    fn = _Counting()
    for f in (fn.process, _Counting.process, fn.flushed, len, lambda a, b=2: a):
        first = core.get_function_args_defaults(f)
        assert first == original(f)
        first[0].append("mutated")  # a caller changing its lists does not change the next answer
        assert core.get_function_args_defaults(f) == original(f)
    assert core.get_function_args_defaults(fn.process)[0] == ["kv", "count", "flush"]  # bound: no self
    assert core.get_function_args_defaults(_Counting.process)[0] == ["self", "kv", "count", "flush"]


def test_the_caches_keep_no_function_or_dofn_alive():
    """`watch` builds a graph per batch: the lambdas and DoFns of each must be freed with it."""
    import gc
    import weakref

    def make():
        return lambda x, big=bytearray(1 << 20): x

    fn = make()
    wrapper = beam.core.CallableWrapperDoFn(fn)
    deferring = _Deferring(fn)
    userstate.get_dofn_specs(wrapper)
    userstate.get_dofn_specs(deferring)
    beam.transforms.core.get_function_args_defaults(fn)
    refs = [weakref.ref(fn), weakref.ref(wrapper), weakref.ref(deferring)]
    del fn, wrapper, deferring
    gc.collect()
    assert [r() for r in refs] == [None, None, None]


def test_s3_clients_of_the_same_settings_share_one_botocore_client():
    import pytest

    pytest.importorskip("boto3")
    from apache_beam.io.aws.clients.s3 import boto3_client

    assert boto3_client.Client.__init__.__wrapped__  # installed
    settings = {"s3_endpoint_url": "http://127.0.0.1:9", "s3_access_key_id": "k", "s3_secret_access_key": "s",
                "s3_region_name": "us-east-1"}
    a = boto3_client.Client(PipelineOptions(flags=[], **settings))
    b = boto3_client.Client(PipelineOptions(flags=[], **settings))
    c = boto3_client.Client(dict(settings))  # Beam also takes a mapping
    other = boto3_client.Client(PipelineOptions(flags=[], **{**settings, "s3_secret_access_key": "t"}))
    assert a is not b and a.client is b.client is c.client
    assert other.client is not a.client  # other credentials, another client
    assert other.client.meta.endpoint_url == "http://127.0.0.1:9"
    a._download_pos = 5  # each Beam client keeps its own download state
    assert (b._download_request, b._download_stream, b._download_pos) == (None, None, 0)


class _YieldsAndReturns(beam.DoFn):
    def process(self, x):
        if x:
            return [x]
        yield x


def test_the_yield_and_return_check_answers_as_beam_and_reads_each_method_once(monkeypatch):
    from apache_beam.transforms import core

    check = core._check_fn_use_yield_and_return
    assert hasattr(check, "__wrapped__")
    for fn in (_YieldsAndReturns().process, _Plain().process, beam.core.CallableWrapperDoFn(len).process):
        assert check(fn) == check.__wrapped__(fn)
    assert check(_YieldsAndReturns().process) is True and check(_Plain().process) is False
    reads = []
    monkeypatch.setattr(core, "_get_function_body_without_inners",
                        lambda fn: reads.append(fn) or "yield x\nreturn [x]")

    class Fresh(beam.DoFn):
        def process(self, x):
            yield x

    assert check.__wrapped__(Fresh().process) is True  # Beam's own check reads the (patched) source again
    reads.clear()
    assert [check(Fresh().process) for _ in range(3)] == [True] * 3  # read once for the three ParDos' objects
    assert len(reads) == 1
