"""DedupByContentHash: one row per story, within a run and against what the output already holds.

Articles are grouped by `story_key` (hash of the leading words; see hashing.py) together with the stories
already in the output that share it (CoGroupByKey: a hash join, no all-pairs comparison, portable to every
runner). Inside a group, `resolve_group` clusters the copies: a copy joins the longest copy it equals or is a
truncation of. In a cluster that holds a story already in the output nothing is written (`duplicates.in_output`);
otherwise the most complete copy is kept and records the titles, urls, sources and locations of all of them
(`duplicates.in_run` counts the others). New copies of a stored story go out as `late_duplicates`, which the
writer merges into the stored row (transforms/output/write.py, RecordLateDuplicates).

Which copy is kept is deterministic: longest normalised body (words, then characters), then earliest published (unknown last), then
earliest fetched, then url (none last), then lineage (input uri, record index, position).

In streaming the same `resolve_group` runs against the stories already written plus those seen so
far; this module is the batch form.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import apache_beam as beam
from apache_beam import typehints

from scrapeline.transforms.core.keys import normalise_words
from scrapeline.transforms.dedup.settings import NearDupSettings
from scrapeline.transforms.core.keys import body_shingles
from scrapeline.transforms.dedup.near import clusters, compare, size_compatible
from scrapeline.transforms.core.metrics import count
from scrapeline.transforms.core.records import BandEntry, Article, CopyMatch, ExistingStory, LateDuplicate
from scrapeline.transforms.dedup.spill import Hydrate, article_bands, slim

__all__ = ["DedupByContentHash", "DedupNearDuplicates", "keep_order", "late_duplicate", "Resolution",
           "resolve_group", "resolve_near"]

_FAR_FUTURE = dt.datetime.max.replace(tzinfo=dt.timezone.utc)
LATE = "late_duplicates"
HYDRATE = "hydrate"
COPIES = "copies"


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
class DedupOutputs:
    """The two outputs of a dedup transform, by attribute or by tag (like Beam's DoOutputsTuple)."""

    unique: beam.PCollection
    late_duplicates: beam.PCollection

    def __getitem__(self, tag: str) -> beam.PCollection:
        return getattr(self, "late_duplicates" if tag == LATE else tag)


@dataclass(frozen=True)
class Resolution:
    kept: tuple[Article, ...]
    """One row per new story, its duplicate fields filled."""
    duplicates_in_run: int
    duplicates_in_output: int
    late: tuple[LateDuplicate, ...] = ()
    """New copies of stories the output holds, to be recorded on their rows (copies already recorded there,
    or the stored copy itself read again, are left out: re-running an input changes nothing)."""


def exact_match(copy: Article | ExistingStory, kept_id: str, kept_words: int, kept_location: str,
                copy_words: int) -> CopyMatch:
    """How a copy merged by the exact stage matched the copy it was kept under."""
    if copy.article_id == kept_id:
        return CopyMatch(copy.location, "exact", 1.0, kept_location)
    short, long = sorted((copy_words, kept_words))
    return CopyMatch(copy.location, "truncation", round(short / max(long, 1), 4), kept_location)


def _link_keys(members) -> tuple[str, ...]:
    """What a teaser of any copy may carry (transforms/link.py): a card linking to a dropped copy's url leads to
    the story that was kept."""
    return tuple(sorted({k for m in members for k in m.link_keys}))


def _merged(rep: Article, members: list[Article]) -> Article:
    others = [m for m in members if m is not rep]
    return dataclasses.replace(
        rep,
        duplicate_count=len(others),
        duplicate_titles=tuple(sorted({m.title for m in members})),
        duplicate_urls=tuple(sorted({m.url for m in members if m.url})),
        duplicate_sources=tuple(sorted({m.source_name for m in members})),
        duplicate_locations=tuple(sorted(m.location for m in others)),
        link_keys=_link_keys(members),
        duplicate_matches=tuple(sorted(
            (exact_match(m, rep.article_id, rep.word_count, rep.location, m.word_count) for m in others),
            key=lambda c: c.location,
        )),
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
    if not existing and len({a.article_id for a in new}) == 1:
        # The common cases: a story seen once, or copies of one text (equal ids: equal normalised bodies), nothing
        # stored to compare with. What the general path below gives, without reading a body (they may be spilled).
        rep = min(new, key=lambda a: (keep_order(a), a.article_id))
        return Resolution((_merged(rep, new),), len(new) - 1, 0)
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
                stored_words = len(normalise_words(stored.body))
                late.append(
                    LateDuplicate(
                        stored.path, stored.article_id,
                        tuple(sorted({a.title for a in fresh})), tuple(sorted({a.url for a in fresh if a.url})),
                        tuple(sorted({a.source_name for a in fresh})), tuple(sorted({a.location for a in fresh})),
                        tuple(sorted((exact_match(a, stored.article_id, stored_words, stored.location, a.word_count)
                                      for a in fresh), key=lambda c: c.location)),
                    )
                )
            continue
        # The owner text is the most complete in its cluster; among its copies, the keep order decides.
        rep = min((m for m in by_text[rep_text]), key=lambda a: (keep_order(a), a.article_id))
        kept.append(_merged(rep, arts))
        in_run += len(arts) - 1
    return Resolution(tuple(kept), in_run, in_output, tuple(late))


class _ResolveFn(beam.DoFn):
    def __init__(self, lead_words: int, hydrated: bool = False):
        self._lead_words = lead_words
        self._hydrated = hydrated

    def process(self, element: tuple[str, dict[str, Iterable]]) -> Iterable[Article]:
        key, groups = element
        new = [*groups["new"], *groups.get("copies", ())]
        if not new:
            return
        existing = list(groups["existing"])
        texts = {a.article_id: a.body for a in new if a.body is not None}
        if (existing or len({a.article_id for a in new}) > 1) and len(texts) < len({a.article_id for a in new}):
            # Different texts to compare, and some bodies are spilled (transforms/dedup/spill.py): one copy of each text
            # goes through Hydrate, the other copies come along slim and borrow its body (equal ids: equal text).
            if self._hydrated:
                raise RuntimeError(f"story key {key}: texts still without their bodies after Hydrate")
            first: dict[str, Article] = {}
            for a in sorted(new, key=lambda a: (a.article_id, a.location)):
                first.setdefault(a.article_id, a)
            for a in new:
                yield beam.pvalue.TaggedOutput(HYDRATE if first[a.article_id] is a else COPIES, (key, a))
            return
        if len(texts) < len(new) and (existing or len(texts) > 1):
            new = [a if a.body is not None else dataclasses.replace(a, body=texts[a.article_id]) for a in new]
        res = resolve_group(new, existing, self._lead_words)
        count("duplicates.in_run", res.duplicates_in_run)
        count("duplicates.in_output", res.duplicates_in_output)
        yield from (slim(a) for a in res.kept)
        for late in res.late:
            yield beam.pvalue.TaggedOutput(LATE, late)


def keyed_with_stored(articles, existing):
    """(articles keyed by story_key, the stored stories or an empty PCollection): what both dedup forms join."""
    # typed: a string key gets a deterministic coder (grouping and per-key state on a distributed runner need one)
    keyed = articles | "KeyByStory" >> beam.Map(lambda a: (a.story_key, a)).with_output_types(
        typehints.KV[str, typehints.Any])
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
        first = (
            {"new": keyed, "existing": existing}
            | "JoinOnStoryKey" >> beam.CoGroupByKey()
            | "KeepOnePerStory" >> beam.ParDo(_ResolveFn(self._lead_words)).with_outputs(
                LATE, HYDRATE, COPIES, main="unique")
        )
        # Story keys with different texts to compare, whose bodies are spilled: one body per text, the same join.
        second = (
            {"new": first[HYDRATE] | "HydrateTexts" >> Hydrate(), "copies": first[COPIES], "existing": existing}
            | "JoinHydrated" >> beam.CoGroupByKey()
            | "KeepOnePerCopiedStory" >> beam.ParDo(_ResolveFn(self._lead_words, hydrated=True)).with_outputs(
                LATE, main="unique")
        )
        return DedupOutputs(
            (first.unique, second.unique) | "AllUnique" >> beam.Flatten(),
            (first[LATE], second[LATE]) | "AllLate" >> beam.Flatten(),
        )


# --- Stage 2: near-duplicates and contained copies (transforms/dedup/near.py) ---------------------------------------

_MAX_PAIRWISE = 200
"""A cluster larger than this is audited against its kept copy only (its members' matches say `chained` when they
joined through another copy): the all-pairs audit of a hot story must not cost O(n^2) without bound."""


def _audit(rep_i: int, shingled: list[tuple], locations: list[str], s: NearDupSettings) -> list[CopyMatch | None]:
    """For each member, how it joined the story: the best match on a tree grown from the kept copy (Prim's
    algorithm over verified matches, highest similarity first), so every merge names the copy that explains it."""
    n = len(shingled)
    best: list[tuple | None] = [None] * n  # (similarity, Match, matched_to index)
    placed = {rep_i}

    def offer(src: int) -> None:
        for j in range(n):
            if j in placed:
                continue
            m = compare(*shingled[src], *shingled[j], s)
            if m and (best[j] is None or (m.similarity, -src) > (best[j][0], -best[j][2])):
                best[j] = (m.similarity, m, src)

    offer(rep_i)
    pairwise = n <= _MAX_PAIRWISE
    while True:
        todo = [j for j in range(n) if j not in placed and best[j] is not None]
        if not todo:
            break
        j = max(todo, key=lambda k: (best[k][0], locations[k]))
        placed.add(j)
        if pairwise:
            offer(j)
    out: list[CopyMatch | None] = []
    for j in range(n):
        if j == rep_i:
            out.append(None)
        elif best[j] is not None:
            _, m, src = best[j]
            out.append(CopyMatch(locations[j], m.kind, m.similarity, locations[src]))
        else:  # joined through copies the audit did not expand (an oversized cluster)
            out.append(CopyMatch(locations[j], "chained", 0.0, locations[rep_i]))
    return out


def resolve_near(new: list[Article], stored: list[ExistingStory], s: NearDupSettings) -> Resolution:
    """One near-duplicate cluster (connected by verified matches) -> what to write. Pure and order-independent.

    Without a stored story: the most complete copy (words, characters, then the keep order) is kept, and lists
    every copy, with those the exact stage had merged into each member. With stored stories: nothing new is
    written; every new copy is recorded on the most complete stored row (a longer copy arriving later is
    recorded there too, not swapped in: a row already read by someone keeps its id and body; docs/guarantees.md).
    """
    new = sorted(new, key=lambda a: a.article_id)
    stored = sorted(stored, key=lambda e: e.article_id)
    if not new:
        return Resolution((), 0, 0)
    items: list[Article | ExistingStory] = [*stored, *new]
    shingled = [body_shingles(it.body, s.shingle_words) for it in items]
    locations = [it.location for it in items]
    if stored:
        rep_i = max(range(len(stored)), key=lambda i: (len(shingled[i][0]), stored[i].article_id))
    else:
        rep_i = min(range(len(items)), key=lambda i: (
            -items[i].word_count, -len(items[i].body), keep_order(items[i]), items[i].article_id))
    matches = _audit(rep_i, shingled, locations, s)
    copies = [(it, m) for it, m in zip(items, matches) if isinstance(it, Article) and m is not None]
    rep = items[rep_i]
    if isinstance(rep, ExistingStory):
        known = {rep.location, *rep.known_locations}
        fresh = [(a, m) for a, m in copies if a.location not in known]
        late = (late_duplicate(rep.path, rep.article_id, fresh),) if fresh else ()
        return Resolution((), 0, len(new), late)
    titles, urls, sources, locs, all_matches = _provenance(copies, rep)
    kept = dataclasses.replace(
        rep,
        duplicate_count=rep.duplicate_count + sum(1 + a.duplicate_count for a, _ in copies),
        duplicate_titles=titles, duplicate_urls=urls, duplicate_sources=sources,
        duplicate_locations=locs, duplicate_matches=all_matches,
        link_keys=_link_keys([rep, *(a for a, _ in copies)]),
    )
    return Resolution((kept,), len(copies), 0)


def _provenance(copies: list[tuple[Article, CopyMatch]], kept: Article | None = None) -> tuple[tuple, ...]:
    """(titles, urls, sources, locations, matches) of merged copies, each copy bringing those the exact stage
    had already merged into it; with `kept`, the kept copy's own (its location is not a duplicate's)."""
    arts = [a for a, _ in copies]
    with_kept = [kept, *arts] if kept is not None else arts
    return (
        tuple(sorted({t for a in with_kept for t in (a.title, *a.duplicate_titles)})),
        tuple(sorted({u for a in with_kept for u in ((a.url,) if a.url else ()) + a.duplicate_urls})),
        tuple(sorted({x for a in with_kept for x in (a.source_name, *a.duplicate_sources)})),
        tuple(sorted({loc for a in arts for loc in (a.location, *a.duplicate_locations)}
                     | set(kept.duplicate_locations if kept is not None else ()))),
        tuple(sorted([m for _, m in copies] + [dm for a in with_kept for dm in a.duplicate_matches],
                     key=lambda c: c.location)),
    )


def late_duplicate(path: str, article_id: str, copies: list[tuple[Article, CopyMatch]]) -> LateDuplicate:
    """New copies (each with how it matched) of the stored story `article_id` in `path`, for its row."""
    return LateDuplicate(path, article_id, *_provenance(copies))


def _band_entries(a: Article, s: NearDupSettings) -> Iterable[tuple[int, BandEntry]]:
    keys, n_shingles = article_bands(a, s)
    count("neardup.signatures")
    for k in keys:
        yield k, BandEntry(a.article_id, n_shingles)


def candidate_pairs(entries: Iterable[BandEntry], s: NearDupSettings,
                    max_bucket: int) -> list[tuple[str, str]] | None:
    """The pairs of one bucket worth verifying: at least one new article, sizes compatible, each pair once
    (sorted ids). None for a bucket over `max_bucket` distinct articles (skipped: the caller counts it)."""
    by_id = {e.article_id: e for e in sorted(entries, key=lambda e: (e.article_id, not e.stored))}
    members = sorted(by_id.values(), key=lambda e: e.article_id)
    if len(members) > max_bucket:
        return None
    if len(members) < 2 or all(e.stored for e in members):
        return []
    return [
        (a.article_id, b.article_id)
        for i, a in enumerate(members)
        for b in members[i + 1:]
        if not (a.stored and b.stored) and size_compatible(a.shingles, b.shingles, s)
    ]


class _PairsFn(beam.DoFn):
    def __init__(self, s: NearDupSettings, max_bucket: int):
        self._s = s
        self._max = max_bucket

    def process(self, element):
        _, entries = element
        pairs = candidate_pairs(entries, self._s, self._max)
        if pairs is None:
            count("neardup.oversized_buckets")
            return
        yield from pairs


def _shingle_record(item: Article | ExistingStory, s: NearDupSettings):
    sh, n_words = body_shingles(item.body, s.shingle_words)
    return item.article_id, (sh, n_words)


def _wanted(element):
    """(id, {a: [Article], want: [...]}) -> (id, article) when the article is in a candidate pair."""
    aid, groups = element
    if groups["want"]:
        for a in groups["a"]:
            yield aid, a
            return


def _wanted_stored(element):
    """(id, {e: [partition], want: [...]}) -> (id, partition) for a stored story in a candidate pair."""
    aid, groups = element
    if groups["want"]:
        for partition in sorted(set(groups["e"]))[:1]:
            yield aid, partition


def _ask_partner(element):
    """(a, {pairs: [b...], sh: [(shingles, words)]}) -> (b, (a, shingles, words)) for each partner b."""
    a, groups = element
    sh = list(groups["sh"])
    if not sh:
        return
    for b in groups["pairs"]:
        yield b, (a, *sh[0])


def _verify(element, s: NearDupSettings):
    """(b, {asks: [(a, sh_a, words_a)], sh: [(sh_b, words_b)]}) -> verified edges (a, b)."""
    b, groups = element
    sh = list(groups["sh"])
    if not sh:
        return
    sh_b, words_b = sh[0]
    for a, sh_a, words_a in groups["asks"]:
        count("neardup.pairs_verified")
        if compare(sh_a, words_a, sh_b, words_b, s):
            count("neardup.pairs_matched")
            yield a, b


def _components(edges: list[tuple[str, str]]) -> Iterable[tuple[str, str]]:
    ids = {x for e in edges for x in e}
    yield from sorted(clusters(ids, edges).items())


def _route(element):
    """(id, {new: [Article], stored: [ExistingStory], comp: [root]}) -> the article alone (main output) when it
    is in no cluster, else (root, item) tagged `clustered` for new and `stored` for stored stories."""
    _, groups = element
    roots = list(groups["comp"])
    if not roots:
        yield from groups["new"]
        return
    for a in groups["new"]:
        yield beam.pvalue.TaggedOutput("clustered", (roots[0], a))
    for e in list(groups["stored"])[:1]:
        yield beam.pvalue.TaggedOutput("stored", (roots[0], e))


class _ResolveNearFn(beam.DoFn):
    def __init__(self, s: NearDupSettings):
        self._s = s

    def process(self, element):
        _, groups = element
        res = resolve_near(list(groups["new"]), list(groups["stored"]), self._s)
        count("duplicates.near_in_run", res.duplicates_in_run)
        count("duplicates.near_in_output", res.duplicates_in_output)
        yield from (slim(a) for a in res.kept)
        for late in res.late:
            yield beam.pvalue.TaggedOutput(LATE, late)


class DedupNearDuplicates(beam.PTransform):
    """Articles left by the exact stage -> `unique` (one per story) and `late_duplicates` (copies of stored stories).

    LSH band keys are Beam keys: articles (and the stored stories that share a key with them, from
    `stored_entries`) group by band key; the pairs of a bucket are verified on their shingle sets (their
    shingles meet through two joins on article id: only candidates are shuffled); the verified edges are
    gathered once and split into connected components (union-find; edges are few: only real matches); each
    component is resolved by `resolve_near`. Articles in no component pass through unchanged.

    `stored_entries`: a callable (PCollection of this run's band keys) -> PCollection of (band key, BandEntry) of
    the stored stories sharing one; `stored_stories`: a callable (PCollection of wanted (article_id, partition))
    -> PCollection of ExistingStory (transforms/output/write.py: ReadStoredBands, ReadStoriesById). Without them, only
    the run's own articles are compared.
    """

    def __init__(self, settings: NearDupSettings, stored_entries=None, stored_stories=None, max_bucket: int = 1000):
        super().__init__()
        self._s = settings
        self._stored_entries = stored_entries
        self._stored_stories = stored_stories
        self._max_bucket = max_bucket

    def expand(self, articles):
        # Joins (CoGroupByKey), not side inputs, bring ids and their data together: a side input computed from
        # `articles` and read by another consumer of `articles` deadlocks Beam's local runner (fused stages).
        s = self._s
        entries = articles | "BandKeys" >> beam.FlatMap(_band_entries, s=s)
        stored_entries = None
        if self._stored_entries is not None:
            stored_entries = self._stored_entries(entries | "RunBandKeys" >> beam.Keys())
            entries = (entries, stored_entries) | "WithStored" >> beam.Flatten()
        pairs = (
            entries
            | "GroupByBand" >> beam.GroupByKey()
            | "CandidatePairs" >> beam.ParDo(_PairsFn(s, self._max_bucket))
            | "DistinctPairs" >> beam.Distinct()
        )
        want = pairs | "PairIds" >> beam.FlatMap(lambda p: [(p[0], None), (p[1], None)])
        keyed = articles | "ById" >> beam.Map(lambda a: (a.article_id, a))
        sh = (
            {"a": keyed, "want": want}
            | "JoinWanted" >> beam.CoGroupByKey()
            | "Candidates" >> beam.FlatMap(_wanted)
            | "HydrateCandidates" >> Hydrate()
            | "CandidateShingles" >> beam.Map(lambda kv: _shingle_record(kv[1], s))
        )
        stored = None
        if stored_entries is not None and self._stored_stories is not None:
            stored_wanted = (
                {"e": stored_entries | "StoredIds" >> beam.Map(lambda kv: (kv[1].article_id, kv[1].partition)),
                 "want": want}
                | "JoinWantedStored" >> beam.CoGroupByKey()
                | "StoredCandidates" >> beam.FlatMap(_wanted_stored)
            )
            stored = self._stored_stories(stored_wanted)
            stored_sh = stored | "StoredShingles" >> beam.Map(_shingle_record, s=s)
            sh = (sh, stored_sh) | "AllShingles" >> beam.Flatten()
        asks = (
            {"pairs": pairs, "sh": sh}
            | "JoinFirst" >> beam.CoGroupByKey()
            | "AskPartner" >> beam.FlatMap(_ask_partner)
        )
        edges = (
            {"asks": asks, "sh": sh}
            | "JoinSecond" >> beam.CoGroupByKey()
            | "Verify" >> beam.FlatMap(_verify, s=s)
        )
        comp = (
            edges
            | "AllEdges" >> beam.combiners.ToList()
            | "Components" >> beam.FlatMap(_components)
        )
        route = {"new": keyed, "comp": comp}
        if stored is not None:
            route["stored"] = stored | "StoredById" >> beam.Map(lambda e: (e.article_id, e))
        else:
            route["stored"] = articles.pipeline | "NoStored" >> beam.Create([])
        split = (
            route
            | "JoinClusters" >> beam.CoGroupByKey()
            | "Route" >> beam.FlatMap(_route).with_outputs("clustered", "stored", main="single")
        )
        resolved = (
            {"new": split.clustered | "HydrateClusters" >> Hydrate(), "stored": split.stored}
            | "JoinCluster" >> beam.CoGroupByKey()
            | "KeepOnePerCluster" >> beam.ParDo(_ResolveNearFn(s)).with_outputs(LATE, main="unique")
        )
        unique = (split.single, resolved.unique) | "AllUnique" >> beam.Flatten()
        return DedupOutputs(unique, resolved[LATE])
