"""Graph assembly: build_pipeline(p, spec, config) wires the transforms and returns their outputs.

Batch: ReadDumps -> ExtractArticles -> SpillBodies (the bodies go to spill files: the shuffles carry slim
articles, and Hydrate reads bodies back where a step needs them; transforms/dedup/spill.py) -> DedupByContentHash
(exact copies and truncations; joined with
ReadExistingStories) -> DedupNearDuplicates (near-duplicates and contained copies; joined with the stored stories
that share a band key: ReadStoredBands, ReadStoriesById) -> WritePartitionedParquet(_index: the band keys of the
new stories, committed first) -> WritePartitionedParquet(articles); new copies of stored stories ->
RecordLateDuplicates (their rows updated);
teasers (link cards) -> SkipStoredTeasers -> LinkTeasers (with the unique articles and the stored ones: each article's
`teased_on`, each teaser's `article_id`) -> WritePartitionedParquet(teasers);
every dead-letter output -> SkipStoredDeadLetters -> WritePartitionedParquet(dead_letters).
Only portable primitives (ParDo, CoGroupByKey, side inputs), so the same graph runs on DirectRunner,
PortableRunner, Flink or Dataflow.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import apache_beam as beam

from scrapeline.pipeline import speedups
from scrapeline.pipeline.config import Config
from scrapeline.transforms.dedup.exact import LATE, DedupByContentHash, DedupNearDuplicates
from scrapeline.transforms.extract.articles import ExtractArticles
from scrapeline.transforms.read.dumps import ReadDumps
from scrapeline.transforms.dedup.spill import DropSpill, Hydrate, SpillBodies, spill_dir
from scrapeline.transforms.core.records import (
    ARTICLE_SCHEMA,
    BAND_INDEX_SCHEMA,
    DEAD_LETTER_SCHEMA,
    TEASER_SCHEMA,
    Article,
    DeadLetter,
    Teaser,
)
from scrapeline.transforms.link import LinkTeasers, SkipStoredTeasers
from scrapeline.transforms.output.write import (
    INDEX_TABLE,
    ReadExistingStories,
    ReadStoredBands,
    ReadStoriesById,
    RecordLateDuplicates,
    SkipStoredDeadLetters,
    WritePartitionedParquet,
    articles_glob,
    known_files,
)
from scrapeline.transforms.dedup.spill import band_index_rows
from scrapeline.transforms.core.metrics import count

__all__ = ["RunSpec", "article_partition", "build_pipeline", "build_streaming_pipeline", "dead_letter_partition",
           "teaser_partition"]

speedups.install()  # Beam's construction recomputes three answers thousands of times a run (pipeline/speedups.py)


@dataclass(frozen=True)
class RunSpec:
    """What one run reads and writes, and the identity it stamps on its rows."""

    inputs: tuple[str, ...]
    """File patterns (directories already expanded to `dir/**`)."""
    output: str
    run_id: str
    ingested_at: dt.datetime
    version: str
    fetched_at: dt.datetime | None = None
    layout: str | None = None
    stored: Mapping[str, frozenset] | None = None
    """An Iceberg output: table -> the current data files of that table (pipeline/tables.py), the only stored files
    the run reads; rewrites go beside the old files, for the run's commit. None: plain Hive folders."""

    def only(self, table: str) -> frozenset | None:
        return None if self.stored is None else self.stored[table]


def article_partition(a: Article) -> str:
    return f"source={a.source}/date={a.partition_date.isoformat()}"


def _index_rows(a: Article, s) -> list[dict]:
    """The band-index rows of a written article (its band keys as SpillBodies computed them; recomputed from the
    body only where nothing spilled, as in the streaming graph)."""
    return list(band_index_rows(a, s, article_partition(a)))


def teaser_partition(t: Teaser) -> str:
    return f"source={t.source}/date={t.partition_date.isoformat()}"


def dead_letter_partition(d: DeadLetter) -> str:
    return f"stage={d.stage}/date={d.occurred_at.date().isoformat()}"


@dataclass(frozen=True)
class Extracted:
    articles: beam.PCollection
    teasers: beam.PCollection
    dead_letters: beam.PCollection


def extract(read, config: Config, spec: RunSpec, spill: str | None = None) -> Extracted:
    """ExtractArticles on both page outputs of ReadDumps (whole files' pages, spread by a reshuffle; WARC ranges'
    pages, extracted where they are read): the articles are flattened, never the pages. With `spill` (a
    directory), their bodies are spilled where they are extracted (transforms/dedup/spill.py) and the articles go on
    slim."""
    settings = config.extract
    whole = read.pages | "ExtractArticles" >> ExtractArticles(settings, spec.ingested_at, spec.version, spec.layout)
    ranged = read.ranged_pages | "ExtractRangedArticles" >> ExtractArticles(
        settings, spec.ingested_at, spec.version, spec.layout)
    whole_articles, ranged_articles = whole.articles, ranged.articles
    if spill is not None:  # on each branch, in the stage that extracts: a Flatten first would hold them all
        whole_articles = whole_articles | "SpillBodies" >> SpillBodies(spill, config.near)
        ranged_articles = ranged_articles | "SpillRangedBodies" >> SpillBodies(spill, config.near)
    return Extracted(
        (whole_articles, ranged_articles) | "AllArticles" >> beam.Flatten(),
        (whole.teasers, ranged.teasers) | "AllTeasers" >> beam.Flatten(),
        (whole.dead_letters, ranged.dead_letters) | "AllExtractDeadLetters" >> beam.Flatten(),
    )


def build_pipeline(p: beam.Pipeline, spec: RunSpec, config: Config) -> dict[str, beam.PCollection]:
    """Add the batch ingestion graph to `p`; returns its PCollections by name (tests assert on them)."""
    read = p | "ReadDumps" >> ReadDumps(list(spec.inputs), config.read_settings(spec.fetched_at))
    spill = spill_dir(spec.output, spec.run_id)
    extracted = extract(read, config, spec, spill)
    keys = extracted.articles | "StoryKeys" >> beam.Map(lambda a: a.story_key)
    existing = p | "ReadExistingStories" >> ReadExistingStories(spec.output, keys, spec.only("articles"))
    dedup = extracted.articles | "DedupByContentHash" >> DedupByContentHash(config.lead_words, existing)
    unique, late = dedup.unique, dedup.late_duplicates
    index_written = None
    if config.near.enabled:
        # An Iceberg output without article files has no stored story to compare (whatever the band index holds)
        nothing_stored = known_files(articles_glob(spec.output), spec.only("articles")) == []
        near = unique | "DedupNearDuplicates" >> DedupNearDuplicates(
            config.near,
            stored_entries=None if nothing_stored else (
                lambda keys: p | "ReadStoredBands" >> ReadStoredBands(spec.output, keys)),
            stored_stories=None if nothing_stored else (lambda wanted: wanted | "ReadStoriesById" >> ReadStoriesById(
                spec.output, spec.only("articles"))),
        )
        unique = near["unique"]
        late = (late, near[LATE]) | "AllLateDuplicates" >> beam.Flatten()
        index_written = (
            unique
            | "BandIndexRows" >> beam.FlatMap(_index_rows, s=config.near)
            | "WriteBandIndex" >> WritePartitionedParquet(
                spec.output, INDEX_TABLE, BAND_INDEX_SCHEMA, lambda _: "bands", spec.run_id,
                config.max_rows_per_file, config.compression,
            )
        )
    new_teasers = extracted.teasers | "SkipStoredTeasers" >> SkipStoredTeasers(spec.output, spec.only("teasers"))
    link = LinkTeasers(spec.output, new_teasers, spec.run_id, config.compression,
                       None if spec.stored is None else dict(spec.stored))
    unique, teasers = unique | "LinkTeasers" >> link
    teasers_written = teasers | "WriteTeasers" >> WritePartitionedParquet(
        spec.output, "teasers", TEASER_SCHEMA, teaser_partition, spec.run_id, config.max_rows_per_file,
        config.compression,
    )
    late = (late, link.late_teased) | "LateCopiesAndTeasers" >> beam.Flatten()
    updated = late | "RecordLateDuplicates" >> RecordLateDuplicates(
        spec.output, spec.run_id, ARTICLE_SCHEMA, config.compression, after=link.stored_articles_read,
        side_by_side=spec.stored is not None,
    )
    written = (
        unique
        | "ForWriting" >> beam.Map(lambda a: (None, a))
        | "HydrateUnique" >> Hydrate()
        | "Rows" >> beam.Values()
        | "WriteArticles" >> WritePartitionedParquet(
            spec.output, "articles", ARTICLE_SCHEMA, article_partition, spec.run_id,
            config.max_rows_per_file, config.compression, after=index_written,
        )
    )
    _ = p | "DropSpill" >> DropSpill(spill, after=written)
    dead = (read.dead_letters, extracted.dead_letters) | "AllDeadLetters" >> beam.Flatten()
    new_dead = dead | "SkipStoredDeadLetters" >> SkipStoredDeadLetters(spec.output, spec.only("dead_letters"))
    dead_written = new_dead | "WriteDeadLetters" >> WritePartitionedParquet(
        spec.output, "dead_letters", DEAD_LETTER_SCHEMA, dead_letter_partition, spec.run_id,
        config.max_rows_per_file, config.compression,
    )
    return {
        "pages": read.pages,
        "articles": extracted.articles,
        "unique": unique,
        "dead_letters": dead,
        "written": written,
        "teasers": teasers,
        "teasers_written": teasers_written,
        "dead_written": dead_written,
        "updated_files": updated,
        "index_written": index_written,
    }


class _CommitPaneFn(beam.DoFn):
    """Commits each file a streaming writer emits to its Iceberg table (pipeline/tables.py CommitPaneFn)."""

    def __init__(self, output: str, catalog: str | None, table: str, run_id: str):
        self._args = (output, catalog, table, run_id)
        self._committer = None

    def process(self, element):
        from scrapeline.pipeline.tables import CommitPaneFn

        if self._committer is None:
            self._committer = CommitPaneFn(*self._args)
        snapshot = self._committer.commit(element)
        count(f"streaming.{self._args[2]}_panes_committed")
        yield {**element, "snapshot_id": snapshot}


def build_streaming_pipeline(
    p: beam.Pipeline, spec: RunSpec, config: Config, pattern: str, poll_interval: float = 1.0,
    window_seconds: float = 10.0, stop_timestamp: float | None = None, early_firings: bool = True,
    catalog: str | None = None,
) -> dict[str, beam.PCollection]:
    """The streaming form of the graph, for runners with real streaming (Dataflow, Flink; `--streaming`).

    Same reader DoFn and ExtractArticles as batch; discovery, dedup state and windowed commits are the
    streaming transforms of transforms/streaming.py. An Iceberg output (`spec.stored` set): each pane's file of
    articles, teasers and dead letters is then one commit to its table, and a pane compares its rows with the
    table's committed files only; the band index stays plain Parquet. Not what `scrapeline watch` runs locally (micro-batches,
    see pipeline/watch.py): Beam 2.77's local runners do not emit windowed groups until the source ends.
    """
    from scrapeline.transforms.streaming import DedupStream, DiscoverDumps, WriteWindowedParquet

    files = p | "DiscoverDumps" >> DiscoverDumps(pattern, poll_interval, stop_timestamp)
    read = files | "ReadDumps" >> ReadDumps(None, config.read_settings(spec.fetched_at))
    extracted = extract(read, config, spec)
    existing = p | "ReadExistingStories" >> ReadExistingStories(spec.output, None, spec.only("articles"))
    dedup = extracted.articles | "DedupStream" >> DedupStream(config.lead_words, existing, config.near)
    tables = spec.stored is not None

    def committed(table: str):
        from scrapeline.pipeline.tables import CommittedIn

        return CommittedIn(spec.output, catalog, table) if tables else None

    def commit(files: beam.PCollection, table: str) -> beam.PCollection:
        if not tables:
            return files
        return files | f"Commit{table.title().replace('_', '')}" >> beam.ParDo(
            _CommitPaneFn(spec.output, catalog, table, spec.run_id))

    written = commit(dedup.unique | "WriteArticles" >> WriteWindowedParquet(
        spec.output, "articles", ARTICLE_SCHEMA, article_partition, ("article_id",), window_seconds,
        config.compression, early_firings=early_firings, committed=committed("articles"),
    ), "articles")
    if config.near.enabled:  # the band index of the new stories, for later runs (each pane committed on its own)
        _ = (
            dedup.unique
            | "BandIndexRows" >> beam.FlatMap(_index_rows, s=config.near)
            | "WriteBandIndex" >> WriteWindowedParquet(
                spec.output, INDEX_TABLE, BAND_INDEX_SCHEMA, lambda _: "bands", ("band", "article_id"),
                window_seconds, config.compression, early_firings=early_firings,
            )
        )
    # teasers are written as they come; linking them to articles is the batch graph's (not done in streaming)
    _ = commit(extracted.teasers | "WriteTeasers" >> WriteWindowedParquet(
        spec.output, "teasers", TEASER_SCHEMA, teaser_partition, ("teaser_id",), window_seconds,
        config.compression, early_firings=early_firings, committed=committed("teasers"),
    ), "teasers")
    dead = (read.dead_letters, extracted.dead_letters) | "AllDeadLetters" >> beam.Flatten()
    dead_written = commit(dead | "WriteDeadLetters" >> WriteWindowedParquet(
        spec.output, "dead_letters", DEAD_LETTER_SCHEMA, dead_letter_partition, ("dead_letter_id",),
        window_seconds, config.compression, early_firings=early_firings, committed=committed("dead_letters"),
    ), "dead_letters")
    return {"pages": read.pages, "articles": extracted.articles, "unique": dedup.unique,
            "late_duplicates": dedup.late_duplicates, "dead_letters": dead, "written": written,
            "dead_written": dead_written}
