"""DedupByContentHash: one row per story, within a run and against what the output already holds.

Articles are grouped by `story_key` (hash of the leading words; see hashing.py) together with the stories
already in the output that share it (CoGroupByKey: a hash join, no all-pairs comparison, portable to every
runner). Inside a group, `resolve_group` clusters the copies: a copy joins the longest copy it equals or is a
truncation of. In a cluster that holds a story already in the output nothing is written (`duplicates.in_output`);
otherwise the most complete copy is kept and records the titles, urls, sources and locations of all of them
(`duplicates.in_run` counts the others). New copies of a stored story go out as `late_duplicates`, which the
writer merges into the stored row (transforms/write.py, RecordLateDuplicates).

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

from transforms.hashing import normalise_words
from transforms.metrics import count
from transforms.records import Article, ExistingStory, LateDuplicate

__all__ = ["DedupByContentHash", "Resolution", "keep_order", "resolve_group"]

_FAR_FUTURE = dt.datetime.max.replace(tzinfo=dt.timezone.utc)
LATE = "late_duplicates"


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
    late: tuple[LateDuplicate, ...] = ()
    """New copies of stories the output holds, to be recorded on their rows (copies already recorded there,
    or the stored copy itself read again, are left out: re-running an input changes nothing)."""


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
    """Cluster the copies of one story_key group and pick what to write. Pure and order-independent.

    Copies are compared as normalised strings (words joined by one space), where "A is a truncation of B"
    (hashing.is_truncation_of) is exactly "A is a string prefix of B, with at least `lead_words` words". Sorted,
    every string is followed directly by the strings it is a prefix of, so clustering costs a sort plus a scan of
    those runs, not a comparison of all pairs: a hot story (thousands of copies) stays cheap.
    """
    if not new:
        return Resolution((), 0, 0)
    if len(new) == 1 and not existing:  # the common case: a story seen once, nothing to compare
        return Resolution((_merged(new[0], new),), 0, 0)
    by_text: dict[str, list[ExistingStory | Article]] = {}
    n_words: dict[str, int] = {}
    for item in [*existing, *new]:
        words = normalise_words(item.body)
        text = " ".join(words)
        by_text.setdefault(text, []).append(item)
        n_words[text] = len(words)

    def best_item(text: str) -> tuple:
        # A story already in the output outranks new copies of the same text; then the keep order.
        return min(
            (0, (), it.article_id) if isinstance(it, ExistingStory) else (1, keep_order(it), it.article_id)
            for it in by_text[text]
        )

    def rank(text: str) -> tuple:
        return (-n_words[text], -len(text), best_item(text))

    texts = sorted(by_text)
    owner: dict[str, str] = {}  # text -> the text of the most complete copy it belongs to
    for i, text in enumerate(texts):
        extensions = []
        j = i + 1
        while j < len(texts) and texts[j].startswith(text):
            if j + 1 == len(texts) or not texts[j + 1].startswith(texts[j]):  # maximal: a prefix of nothing
                extensions.append(texts[j])
            j += 1
        if extensions and n_words[text] >= lead_words:
            owner[text] = min(extensions, key=rank)
        else:
            owner[text] = text
    clusters: dict[str, list[ExistingStory | Article]] = {}
    for text in texts:
        clusters.setdefault(owner[text], []).extend(by_text[text])

    kept: list[Article] = []
    late: list[LateDuplicate] = []
    in_run = in_output = 0
    for rep_text in sorted(clusters, key=rank):
        members = clusters[rep_text]
        arts = [m for m in members if isinstance(m, Article)]
        if len(arts) < len(members):  # the output already holds this story
            in_output += len(arts)
            stored = min((m for m in members if isinstance(m, ExistingStory)), key=lambda e: (-len(e.body), e.article_id))
            known = {stored.location, *stored.known_locations}
            fresh = [a for a in arts if a.location not in known]
            if fresh:
                late.append(
                    LateDuplicate(
                        stored.path, stored.article_id,
                        tuple(sorted({a.title for a in fresh})), tuple(sorted({a.url for a in fresh if a.url})),
                        tuple(sorted({a.source_name for a in fresh})), tuple(sorted({a.location for a in fresh})),
                    )
                )
            continue
        # The owner text is the most complete in its cluster; among its copies, the keep order decides.
        rep = min((m for m in by_text[rep_text]), key=lambda a: (keep_order(a), a.article_id))
        kept.append(_merged(rep, arts))
        in_run += len(arts) - 1
    return Resolution(tuple(kept), in_run, in_output, tuple(late))


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
        for late in res.late:
            yield beam.pvalue.TaggedOutput(LATE, late)


def keyed_with_stored(articles, existing):
    """(articles keyed by story_key, the stored stories or an empty PCollection): what both dedup forms join."""
    keyed = articles | "KeyByStory" >> beam.Map(lambda a: (a.story_key, a))
    if existing is None:
        existing = articles.pipeline | "NoStoredStories" >> beam.Create([])
    return keyed, existing


class DedupByContentHash(beam.PTransform):
    """Articles (+ optionally the stories already in the output, keyed by story_key) -> `unique` (one Article
    per new story) and `late_duplicates` (new copies of stories already in the output, for their rows)."""

    def __init__(self, lead_words: int, existing: beam.PCollection | None = None):
        super().__init__()
        if lead_words < 1:
            raise ValueError("lead_words must be positive")
        self._lead_words = lead_words
        self._existing = existing

    def expand(self, articles):
        keyed, existing = keyed_with_stored(articles, self._existing)
        return (
            {"new": keyed, "existing": existing}
            | "JoinOnStoryKey" >> beam.CoGroupByKey()
            | "KeepOnePerStory" >> beam.ParDo(_ResolveFn(self._lead_words)).with_outputs(LATE, main="unique")
        )
