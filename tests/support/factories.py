"""Small builders for records in tests."""

from __future__ import annotations

import contextlib
import datetime as dt
import types

import apache_beam as beam

from scrapeline.transforms.core.keys import article_id, normalise_words, story_key
from scrapeline.transforms.core.records import Article, ExistingStory

UTC = dt.timezone.utc
T0 = dt.datetime(2025, 8, 6, 12, 0, tzinfo=UTC)


def words(n: int, prefix: str = "w") -> str:
    return " ".join(f"{prefix}{i}" for i in range(n))


def article(body: str, title: str = "T", lead_words: int = 40, **kw) -> Article:
    ws = normalise_words(body)
    fields = dict(
        article_id=article_id(ws),
        story_key=story_key(ws, lead_words),
        title=title,
        title_source="layout",
        body=body,
        source="src",
        source_name="Src",
        url=None,
        page_id="p",
        role="related",
        position=1,
        published_at=None,
        fetched_at=T0,
        date_source="fetched",
        author=None,
        word_count=len(body.split()),
        captions=(),
        input_uri="/in/a.txt",
        record_index=0,
        duplicate_count=0,
        duplicate_titles=(),
        duplicate_urls=(),
        duplicate_sources=(),
        duplicate_locations=(),
        ingested_at=T0,
        pipeline_version="test",
    )
    fields.update(kw)
    return Article(**fields)


def existing(a: Article) -> ExistingStory:
    return ExistingStory(a.article_id, a.story_key, a.body)


# A pattern that passes the config's load-time probes (they never start with "Q:") yet backtracks exponentially on
# "Q:" and a long run of digits that does not end the line: only the run-time bound stops it.
SLOW_PATTERN = r"Q:(\d|\d\d)+$"
SLOW_LINE = "Q:" + "1" * 60 + "x"


def counter_calls(monkeypatch, module) -> list[str]:
    """Replace `module.count` with a recorder; returns the list of counter names it is called with."""
    names: list[str] = []
    monkeypatch.setattr(module, "count", lambda name, n=1: names.append(name))
    return names


def failing_graph(real):
    """`build_pipeline` with a step that raises on every article: a pipeline failure, for the error paths."""
    def build(p, spec, config):
        outs = real(p, spec, config)
        _ = outs["articles"] | "Boom" >> beam.Map(lambda a: 1 / 0)
        return outs
    return build


class _RecordingPattern:
    """A compiled `regex` pattern that records the `timeout=` of every call, and refuses a call without one
    (an unbounded call on a catastrophic pattern would hang the test instead of failing it)."""

    def __init__(self, real, timeouts: list):
        self._real, self._timeouts = real, timeouts

    def __getattr__(self, name):
        attr = getattr(self._real, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            self._timeouts.append(kwargs.get("timeout"))
            if kwargs.get("timeout") is None:
                raise AssertionError(f"{self._real.pattern!r}.{name} called without a timeout")
            return attr(*args, **kwargs)
        return call


@contextlib.contextmanager
def regex_timeouts(module, *caches):
    """Within: `module`'s `regex.compile` returns recording patterns (its `caches`, lru_cache'd functions, are
    cleared on entry and exit); yields the list of `timeout=` values its pattern calls are made with."""
    import regex

    timeouts: list = []
    fake = types.SimpleNamespace(**{k: getattr(regex, k) for k in dir(regex) if not k.startswith("__")})
    fake.compile = lambda *a, **kw: _RecordingPattern(regex.compile(*a, **kw), timeouts)
    real = module.regex
    for cache in caches:
        cache.cache_clear()
    module.regex = fake
    try:
        yield timeouts
    finally:
        module.regex = real
        for cache in caches:
            cache.cache_clear()
