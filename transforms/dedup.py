"""DedupByContentHash: one row per story, within a run and against what the output already holds.

Articles are grouped by `story_key` (hash of the leading words; see hashing.py) together with the stories
already in the output that share it (CoGroupByKey: a hash join, no all-pairs comparison, portable to every
runner). Inside a group, `resolve_group` clusters the copies: a copy joins the longest copy it equals or is a
truncation of. In a cluster that holds a story already in the output nothing is written (`duplicates.in_output`);
otherwise the most complete copy is kept and records the titles, urls, sources and locations of all of them
(`duplicates.in_run` counts the others).

Which copy is kept is deterministic: longest normalised body (words, then characters), then earliest published (unknown last), then
earliest fetched, then url (none last), then lineage (input uri, record index, position).

In streaming (issue 4) the same `resolve_group` runs against the stories already written plus those seen so
far; this module is the batch form.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import apache_beam as beam

from transforms.hashing import completeness, is_truncation_of, normalise_words
from transforms.metrics import count
from transforms.records import Article, ExistingStory

__all__ = ["DedupByContentHash", "Resolution", "keep_order", "resolve_group"]

_FAR_FUTURE = dt.datetime.max.replace(tzinfo=dt.timezone.utc)


def keep_order(a: Article) -> tuple:
    """Sort key among copies of equal length: earliest published, earliest fetched, url, lineage."""
    return (
        a.published_at or _FAR_FUTURE,
        a.fetched_at,
        (a.url is None, a.url or ""),
        a.input_uri,
        a.record_index,
        a.position,
    )


@dataclass(frozen=True)
class Resolution:
    kept: tuple[Article, ...]
    """One row per new story, its duplicate fields filled."""
    duplicates_in_run: int
    duplicates_in_output: int


def _merged(rep: Article, members: list[Article]) -> Article:
    others = [m for m in members if m is not rep]
    return dataclasses.replace(
        rep,
        duplicate_count=len(others),
        duplicate_titles=tuple(sorted({m.title for m in members})),
        duplicate_urls=tuple(sorted({m.url for m in members if m.url})),
        duplicate_sources=tuple(sorted({m.source_name for m in members})),
        duplicate_locations=tuple(sorted(m.location for m in others)),
    )


def resolve_group(new: list[Article], existing: list[ExistingStory], lead_words: int) -> Resolution:
    """Cluster the copies of one story_key group and pick what to write. Pure and order-independent."""
    if not new:
        return Resolution((), 0, 0)
    # Most complete first; at equal length a story already in the output comes first, then the keep order.
    items: list[tuple[list[str], ExistingStory | Article]] = [(normalise_words(e.body), e) for e in existing]
    items += [(normalise_words(a.body), a) for a in new]
    def order(it: tuple[list[str], ExistingStory | Article]) -> tuple:
        words, item = it
        words_n, chars_n = completeness(words)
        if isinstance(item, ExistingStory):
            return (-words_n, -chars_n, 0, (), item.article_id)
        return (-words_n, -chars_n, 1, keep_order(item), item.article_id)

    items.sort(key=order)
    clusters: list[tuple[list[str], list[ExistingStory | Article]]] = []
    for words, item in items:
        for rep_words, members in clusters:
            if is_truncation_of(words, rep_words, lead_words):
                members.append(item)
                break
        else:
            clusters.append((words, [item]))
    kept: list[Article] = []
    in_run = in_output = 0
    for _, members in clusters:
        arts = [m for m in members if isinstance(m, Article)]
        if len(arts) < len(members):  # the output already holds this story
            in_output += len(arts)
            continue
        if arts:
            kept.append(_merged(arts[0], arts))
            in_run += len(arts) - 1
    return Resolution(tuple(kept), in_run, in_output)


class _ResolveFn(beam.DoFn):
    def __init__(self, lead_words: int):
        self._lead_words = lead_words

    def process(self, element: tuple[str, dict[str, Iterable]]) -> Iterable[Article]:
        _, groups = element
        new = list(groups["new"])
        if not new:
            return
        res = resolve_group(new, list(groups["existing"]), self._lead_words)
        count("duplicates.in_run", res.duplicates_in_run)
        count("duplicates.in_output", res.duplicates_in_output)
        yield from res.kept


class DedupByContentHash(beam.PTransform):
    """Articles (+ optionally the stories already in the output, keyed by story_key) -> one Article per new story."""

    def __init__(self, lead_words: int, existing: beam.PCollection | None = None):
        super().__init__()
        if lead_words < 1:
            raise ValueError("lead_words must be positive")
        self._lead_words = lead_words
        self._existing = existing

    def expand(self, articles):
        keyed = articles | "KeyByStory" >> beam.Map(lambda a: (a.story_key, a))
        existing = self._existing
        if existing is None:
            existing = articles.pipeline | "NoExisting" >> beam.Create([])
        return (
            {"new": keyed, "existing": existing}
            | "JoinOnStoryKey" >> beam.CoGroupByKey()
            | "KeepOnePerStory" >> beam.ParDo(_ResolveFn(self._lead_words))
        )
