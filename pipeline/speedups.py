"""Four caches for Apache Beam's pipeline construction, and shared S3 clients, installed once by graph.py
(`install()`).

Beam 2.77 recomputes three answers thousands of times while it builds, translates and starts a pipeline, and on a
small input that is most of a run's fixed cost (a profile of `scrapeline run` on the shipped samples: 3,432 calls
of `userstate.get_dofn_specs` and 1,996 `PipelineOptions` views for a graph of 236 ParDos):

- `userstate.get_dofn_specs(dofn)` inspects the signature of every method of the DoFn (`dir(dofn)`) to find its
  state and timer parameters. ParDo's constructor, the DirectRunner's checks, each `to_runner_api` and each bundle
  processor ask again for the same DoFn object, and each new ParDo of a DoFn class asks for another object of that
  class. The answer depends only on the methods' default values: it is kept per class where the object's methods
  are its class's (`_shared_key`), per wrapped function for beam.Map and friends, otherwise per DoFn object; all
  weakly (a class, function or DoFn that is gone takes its entry with it; what cannot be weakly referenced is not
  cached).
- `PipelineOptions.view_as(cls)` builds an argparse parser with all of `cls`'s options and parses the flags again,
  for each `apply` and each type check. A view holds no values of its own: every view of one options object reads
  and writes that object's `_all_options`, so the view made the first time is the view any later call would make.
  It is kept per options object and class, and made anew if the options' flags were replaced.
- `core.get_function_args_defaults(f)` (under both, and under every bundle processor's DoFn signatures) calls
  `inspect.signature` anew each time. A signature is its function's: it is kept per Python function (weakly), and
  per bound or not (a bound method's lacks `self`). Other callables are asked as they come.
- `core._check_fn_use_yield_and_return(process)` reads the source of the DoFn's `process` method from its file
  (`inspect.getsourcelines`, tokenized) for each ParDo, to warn when it both yields and returns a value: 148 times
  for the samples' graph, most of them for the one `process` that every beam.Map and beam.FlatMap shares. The
  answer is the source's: it is kept per code object (weakly), and a method is read, and warned about, once.

Measured with `benchmarks/fixed_cost.py` (docs/benchmarks.md): the samples run falls from about 10 s to 6.5 s of
wall time. Beam is pinned to 2.77 (pyproject.toml); on another version `install()` does nothing, so an upgrade
cannot silently change Beam's behaviour: re-measure and re-check these three functions before widening it.
"""

from __future__ import annotations

import weakref

_BEAM_SERIES = "2.77."
_installed = False


def install() -> bool:
    """Install the caches (once per process); False when the Beam version is not the one they were checked on."""
    global _installed
    if _installed:
        return True
    import apache_beam
    from apache_beam.options import pipeline_options
    from apache_beam.transforms import core, userstate

    if not apache_beam.__version__.startswith(_BEAM_SERIES):
        return False
    userstate.get_dofn_specs = _cached_specs(userstate.get_dofn_specs)
    core.get_function_args_defaults = _cached_arguments(core.get_function_args_defaults)
    pipeline_options.PipelineOptions.view_as = _cached_views(pipeline_options.PipelineOptions.view_as)
    core._check_fn_use_yield_and_return = _cached_by_code(core._check_fn_use_yield_and_return)
    _share_s3_clients()
    _installed = True
    return True


S3_CLIENTS_MAX = 16
"""Distinct S3 settings (endpoint, region, credentials...) whose client a process keeps."""


def _s3_settings(options) -> tuple:
    """What Beam's boto3 client is made from (`boto3_client.Client.__init__`), from options or a mapping."""
    from apache_beam.options import pipeline_options

    names = ("s3_access_key_id", "s3_secret_access_key", "s3_session_token", "s3_endpoint_url", "s3_disable_ssl",
             "s3_region_name", "s3_api_version", "s3_verify")
    if isinstance(options, pipeline_options.PipelineOptions):
        view = options.view_as(pipeline_options.S3Options)
        values = {n: getattr(view, n) for n in names}
    else:
        values = {n: options.get(n) for n in names}
    values["s3_disable_ssl"] = bool(values["s3_disable_ssl"])  # absent from a mapping: False, as Beam takes it
    return tuple(values[n] for n in names)


def _share_s3_clients() -> None:
    """Beam's S3 filesystem makes a new `boto3_client.Client` for every call (exists, match, open, create, rename,
    delete), and each makes a boto3 session and client: about 150 ms here, against 5 ms for the request itself
    (measured against moto's server). A process now makes one botocore client per S3 settings and shares it
    (botocore clients are thread-safe; boto3 sessions are not, and none is shared); each Beam client keeps its own
    download state, as before."""
    import threading

    try:
        from apache_beam.io.aws.clients.s3 import boto3_client
    except ImportError:  # no `aws` extra
        return
    if getattr(boto3_client, "boto3", None) is None:
        return
    original = boto3_client.Client.__init__
    clients: dict[tuple, object] = {}
    lock = threading.Lock()

    def __init__(self, options):
        try:
            key = _s3_settings(options)
            hash(key)
        except Exception:  # noqa: BLE001 - settings we cannot key on: Beam's own way
            return original(self, options)
        with lock:
            shared = clients.get(key)
        if shared is None:
            original(self, options)
            with lock:
                if len(clients) >= S3_CLIENTS_MAX:
                    clients.pop(next(iter(clients)))
                clients.setdefault(key, self.client)
            return None
        self.client = shared
        # the rest of Beam's __init__: this object's own download state
        self._download_request = None
        self._download_stream = None
        self._download_pos = 0
        return None

    __init__.__wrapped__ = original
    boto3_client.Client.__init__ = __init__


def _cached_specs(original):
    from apache_beam.transforms.core import CallableWrapperDoFn

    # all weak: a long-lived process (`watch` builds a graph per batch) must not keep every lambda it ever mapped
    by_class: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
    by_function: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # beam.Map's (a function may be a class)
    by_object: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def get_dofn_specs(dofn):
        try:
            key = _shared_key(dofn, CallableWrapperDoFn)
            if key is None:
                cache, key = by_object, dofn
            else:
                cache = by_function if type(dofn) is CallableWrapperDoFn else by_class
            state, timers = cache[key]
        except KeyError:
            state, timers = cache[key] = original(dofn)
        except TypeError:  # no __dict__ (slots), unhashable, or not weakly referenceable
            return original(dofn)
        return set(state), set(timers)  # callers get their own sets, as from the original

    get_dofn_specs.__wrapped__ = original
    get_dofn_specs.__doc__ = original.__doc__
    return get_dofn_specs


def _shared_key(dofn, callable_wrapper) -> object:
    """A key for DoFns whose specs are their class's: the specs are read from the defaults of the DoFn's methods,
    which are its class's unless the object holds callables of its own (a bound method, a function a method defers
    to). beam.Map and friends (CallableWrapperDoFn) read their `process` parameters from the wrapped function, so
    they are keyed by it. None: cache this object alone."""
    cls = type(dofn)
    if cls is callable_wrapper:
        return dofn._fn
    if any(callable(v) for v in vars(dofn).values()) or any(n.startswith("_inspect_") for n in vars(cls)):
        return None
    return cls


def _cached_arguments(original):
    import types

    cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def get_function_args_defaults(f):
        bound = isinstance(f, types.MethodType)
        func = f.__func__ if bound else f
        if type(func) is not types.FunctionType:  # partials, builtins, classes: asked as they come
            return original(f)
        try:
            args, defaults = cache.setdefault(func, {})[bound]
        except KeyError:
            args, defaults = cache[func][bound] = original(f)
        return list(args), list(defaults)

    get_function_args_defaults.__wrapped__ = original
    get_function_args_defaults.__doc__ = original.__doc__
    return get_function_args_defaults


def _cached_by_code(original):
    """`original(fn)` kept per code object of fn (a function, or a bound method's function)."""
    cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def check(fn):
        code = getattr(getattr(fn, "__func__", fn), "__code__", None)
        if code is None:  # a builtin, a partial, a callable object: asked as it comes
            return original(fn)
        try:
            return cache[code]
        except KeyError:
            answer = cache[code] = original(fn)
            return answer

    check.__wrapped__ = original
    check.__doc__ = original.__doc__
    return check


def _cached_views(original):
    views: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def view_as(self, cls):
        try:
            per_class = views.setdefault(self, {})
        except TypeError:
            return original(self, cls)
        view = per_class.get(cls)
        if view is None or view._flags is not self._flags:
            view = per_class[cls] = original(self, cls)
        return view

    view_as.__wrapped__ = original
    view_as.__doc__ = original.__doc__
    return view_as
