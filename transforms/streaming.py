"""The streaming forms of discovery, dedup and writing, for runners with real streaming (Dataflow, Flink).

- `DiscoverDumps`: PeriodicImpulse -> match the location -> a stateful DoFn per path that emits a file once,
  when its size and modification time were the same at two polls (settled) and differ from what it emitted
  before (state, not a side database: it lives in the runner's checkpointed state).
- `DedupStream`: per story_key, a stateful DoFn whose state holds the stories already emitted for that key
  (seeded once from the stories already in the output, a side input); every new article is resolved with the
  same `resolve_group` as in batch, so truncations, tie-breaks and late copies behave identically. Then the
  near-duplicate stage: a stateful DoFn holding every copy seen (stored ones included) with its band keys and
  shingles; a new article sharing a band key with a seen copy is verified with the same `compare` as batch, and
  is a late duplicate of that copy's story when it matches. The first copy of a story is the row (batch keeps
  the most complete; a stream cannot wait for it), and a copy bridging two emitted stories joins the one it
  matches best (batch would fold both into one row).
- `WriteWindowedParquet`: fixed windows, fired early every window length of processing time, at the
  watermark, and once per late record (10 minutes of allowed lateness by default), each pane written per
  partition as complete files renamed into place (no global commit step in an unbounded stream: every file
  is committed on its own). A pane leaves out the rows its partition already holds (by key), so a pane that a
  runner replays after a restore from a checkpoint writes nothing twice.

`pipeline/graph.py:build_streaming_pipeline` wires them around the shared ReadDumps reader and ExtractArticles.
Locally, `scrapeline watch` runs micro-batches instead (see pipeline/watch.py for why); these transforms are
tested with TestStream (tests/beam/).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import apache_beam as beam
from apache_beam import typehints
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.coders import PickleCoder
from apache_beam.io import fileio
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.transforms import trigger, window
from apache_beam.transforms.periodicsequence import PeriodicImpulse
from apache_beam.transforms.userstate import BagStateSpec, ReadModifyWriteStateSpec

from scrapeline.transforms.dedup.exact import (
    LATE,
    DedupByContentHash,
    DedupOutputs,
    keyed_with_stored,
    late_duplicate,
    resolve_group,
)
from scrapeline.transforms.core.metrics import count
from scrapeline.transforms.read.dumps import is_dump_path
from scrapeline.transforms.dedup.settings import NearDupSettings
from scrapeline.transforms.core.keys import body_shingles
from scrapeline.transforms.dedup.near import compare, shingle_band_keys
from scrapeline.transforms.core.records import CopyMatch, ExistingStory, record_to_row
from scrapeline.transforms.core.storage import join, remove_dir
from scrapeline.transforms.output.write import write_parquet_file

__all__ = ["DedupStream", "DiscoverDumps", "WriteWindowedParquet"]


class _SettledOnceFn(beam.DoFn):
    """(path, (size, mtime)) per poll -> (path, mtime) once the file settled; again only if it changes."""

    LAST = ReadModifyWriteStateSpec("last_seen", PickleCoder())
    EMITTED = ReadModifyWriteStateSpec("emitted", PickleCoder())

    def process(self, element, last=beam.DoFn.StateParam(LAST), emitted=beam.DoFn.StateParam(EMITTED)):
        path, state = element
        previous = last.read()
        last.write(state)
        if previous == state and emitted.read() != state:
            emitted.write(state)
            count("streaming.files_discovered")
            yield path, state[1]


class DiscoverDumps(beam.PTransform):
    """Poll `pattern` every `poll_interval` seconds; emit each settled dump file once, as (path, mtime)."""

    def __init__(self, pattern: str, poll_interval: float = 1.0, stop_timestamp: float | None = None):
        super().__init__()
        if poll_interval <= 0:
            raise ValueError("poll_interval must be positive")
        self._pattern = pattern
        self._poll = poll_interval
        self._stop = stop_timestamp

    def expand(self, pbegin):
        kwargs = {"fire_interval": self._poll}
        if self._stop is not None:
            kwargs["stop_timestamp"] = self._stop
        return (
            pbegin
            | "Tick" >> PeriodicImpulse(**kwargs)
            | "Pattern" >> beam.Map(lambda _, p=self._pattern: p)
            | "Match" >> fileio.MatchAll(fileio.EmptyMatchTreatment.ALLOW)
            | "DumpsOnly" >> beam.Filter(lambda m: is_dump_path(m.path))
            # typed, so the state's key coder is a deterministic string coder on a distributed runner
            | "KeyByPath" >> beam.Map(lambda m: (m.path, (m.size_in_bytes, m.last_updated_in_seconds)))
            .with_output_types(typehints.KV[str, typehints.Any])
            | "SettledOnce" >> beam.ParDo(_SettledOnceFn())
        )


class _DedupStreamFn(beam.DoFn):
    """(story_key, Article) -> the Article if it is a new story, else a late duplicate of the stored one."""

    SEEN = BagStateSpec("stories", PickleCoder())
    SEEDED = ReadModifyWriteStateSpec("seeded", PickleCoder())

    def __init__(self, lead_words: int):
        self._lead_words = lead_words

    def process(self, element, existing, seen=beam.DoFn.StateParam(SEEN),
                seeded=beam.DoFn.StateParam(SEEDED)) -> Iterable:
        key, art = element
        if not seeded.read():
            try:  # a dict on the bundle-based runner, a MultiMap (no .get) on the portable ones
                seed = existing[key]
            except KeyError:
                seed = ()
            for story in seed:
                seen.add(story)
            seeded.write(True)
        stored = list(seen.read())
        res = resolve_group([art], stored, self._lead_words)
        count("duplicates.in_output", res.duplicates_in_output)
        for kept in res.kept:
            seen.add(ExistingStory(kept.article_id, kept.story_key, kept.body, "", kept.location, ()))
            yield kept
        for late in res.late:
            yield beam.pvalue.TaggedOutput(LATE, late)


@dataclass(frozen=True)
class _Seen:
    """A copy the near-duplicate state has seen, and the story (row) it belongs to."""

    article_id: str
    keys: frozenset
    shingles: bytes
    words: int
    location: str
    story_id: str
    story_path: str


class _NearStreamFn(beam.DoFn):
    """(0, Article) -> the Article if no copy seen before (stored ones included) matches it, else a late duplicate
    of the story of the copy it matches best. The same band keys and `compare` as batch (transforms/dedup/near.py).

    One key holds the whole near-duplicate state, so one worker does this step: band keys narrow the comparisons
    to the copies sharing one, but the state itself is not sharded (a sharded form keys by band and needs a
    second stateful step to decide; not built).
    """

    SEEN = BagStateSpec("near_seen", PickleCoder())
    SEEDED = ReadModifyWriteStateSpec("near_seeded", PickleCoder())

    def __init__(self, settings: NearDupSettings):
        self._s = settings

    def _entry(self, item, story_id: str, story_path: str) -> _Seen:
        sh, words = body_shingles(item.body, self._s.shingle_words)
        keys = frozenset(shingle_band_keys(sh, words, self._s))
        return _Seen(item.article_id, keys, sh.tobytes(), words, item.location, story_id, story_path)

    def process(self, element, existing, seen=beam.DoFn.StateParam(SEEN), seeded=beam.DoFn.StateParam(SEEDED)):
        _, art = element
        if not seeded.read():
            stories = {e.article_id: e for e in existing}
            for e in sorted(stories.values(), key=lambda e: e.article_id):
                seen.add(self._entry(e, e.article_id, e.path))
            seeded.write(True)
        mine = self._entry(art, art.article_id, "")
        sh = np.frombuffer(mine.shingles, dtype=np.uint64)
        best = None
        for other in seen.read():
            if not (mine.keys & other.keys):
                continue
            m = compare(sh, mine.words, np.frombuffer(other.shingles, dtype=np.uint64), other.words, self._s)
            if m and (best is None or (m.similarity, other.article_id) > (best[0].similarity, best[1].article_id)):
                best = (m, other)
        if best is None:
            seen.add(mine)
            yield art
            return
        m, other = best
        count("duplicates.near_in_output")
        seen.add(_Seen(mine.article_id, mine.keys, mine.shingles, mine.words, mine.location, other.story_id,
                       other.story_path))
        yield beam.pvalue.TaggedOutput(LATE, late_duplicate(
            other.story_path, other.story_id, [(art, CopyMatch(art.location, m.kind, m.similarity, other.location))]))


class DedupStream(DedupByContentHash):
    """Articles -> `unique` (first copy of each story ever seen, stored stories included) and `late_duplicates`.

    A copy that arrives after its story was emitted is a late duplicate even when it is more complete: rows
    already written are not replaced. The streaming graph counts late duplicates but does not yet record them
    on the written rows (batch and `watch` do, through RecordLateDuplicates). Same arguments as the batch form;
    state per story_key instead of one CoGroupByKey over a bounded input.
    """

    def __init__(self, lead_words: int, existing: beam.PCollection | None = None,
                 near: NearDupSettings | None = None):
        super().__init__(lead_words, existing)
        self._near = near

    def expand(self, articles):
        keyed, existing = keyed_with_stored(articles, self._existing)
        exact = keyed | "FirstCopyPerStory" >> beam.ParDo(
            _DedupStreamFn(self._lead_words), beam.pvalue.AsMultiMap(existing)
        ).with_outputs(LATE, main="unique")
        if self._near is None or not self._near.enabled:
            return exact
        near = (
            exact.unique
            | "OneNearKey" >> beam.Map(lambda a: (0, a)).with_output_types(typehints.KV[int, typehints.Any])
            | "FirstCopyPerNearStory" >> beam.ParDo(
                _NearStreamFn(self._near), beam.pvalue.AsList(existing | "StoredStories" >> beam.Values()))
            .with_outputs(LATE, main="unique")
        )
        late = (exact[LATE], near[LATE]) | "AllLate" >> beam.Flatten()
        return DedupOutputs(near.unique, late)


def _stored_keys(directory: str, columns: tuple[str, ...], files: Iterable[str] | None = None) -> set[tuple]:
    """The key tuples of the rows committed under `directory` (one partition of a table): in `files` when given
    (an Iceberg table's committed files there), else in every Parquet file of the directory."""
    if files is None:
        try:
            files = [m.path for r in FileSystems.match([join(directory, "*.parquet")]) for m in r.metadata_list]
        except IOError:  # no such partition yet
            return set()
    keys: set[tuple] = set()
    for path in files:
        with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
            table = pq.read_table(f, columns=list(columns))
        keys.update(zip(*(table.column(c).to_pylist() for c in columns)))
    return keys


def new_rows(rows: list[dict], stored: set[tuple], columns: tuple[str, ...]) -> list[dict]:
    """`rows` without those whose key is already stored or repeated in `rows`: a pane replayed after a restore
    from a checkpoint (its rows were committed before the failure, the checkpoint did not see it) adds nothing."""
    seen = set(stored)
    kept = []
    for row in rows:
        key = tuple(row[c] for c in columns)
        if key not in seen:
            seen.add(key)
            kept.append(row)
    return kept


class _WritePaneFn(beam.DoFn):
    def __init__(self, output: str, table: str, schema: pa.Schema, compression: str, key_columns: tuple[str, ...],
                 committed: Callable[[str], Iterable[str]] | None = None):
        self._committed = committed
        self._output = output
        self._table = table
        self._schema = schema
        self._compression = compression
        self._keys = key_columns

    def process(self, element, win=beam.DoFn.WindowParam, pane=beam.DoFn.PaneInfoParam) -> Iterable[dict]:
        partition, records = element
        final_dir = join(self._output, self._table, partition)
        rows = [record_to_row(r) for r in records]
        files = None if self._committed is None else self._committed(final_dir)
        fresh = new_rows(rows, _stored_keys(final_dir, self._keys, files), self._keys)
        count(f"streaming.{self._table}_already_written", len(rows) - len(fresh))
        if not fresh:
            return
        name = f"part-w{int(win.start)}-p{pane.index}-{uuid.uuid4().hex[:12]}.parquet"
        temp = join(self._output, "_temporary", f"stream-{uuid.uuid4().hex}", name)
        write_parquet_file(temp, fresh, self._schema, self._compression)
        try:
            FileSystems.mkdirs(final_dir)
        except IOError:
            pass
        FileSystems.rename([temp], [join(final_dir, name)])
        remove_dir(temp.rsplit("/", 1)[0])
        count(f"{self._table}_written", len(fresh))
        yield {"partition": partition, "path": join(final_dir, name), "rows": len(fresh),
               "window_start": float(win.start)}


class WriteWindowedParquet(beam.PTransform):
    """Records -> Parquet per fixed window and partition, each pane committed as complete files on its own.

    `key_columns` identify a row: a pane skips the rows its partition already holds, so the panes a runner
    replays after restoring a checkpoint (Flink, after a lost TaskManager) write no row twice. `committed`: what
    the partition holds is the files this callable lists for its directory (an Iceberg table's committed files:
    a pane written but never committed is written again), instead of every file in it. Emits each file written,
    {partition, path, rows, window_start}."""

    def __init__(self, output: str, table: str, schema: pa.Schema, partition_fn: Callable[[object], str],
                 key_columns: tuple[str, ...], window_seconds: float = 10.0, compression: str = "zstd",
                 allowed_lateness: float = 600, early_firings: bool = True,
                 committed: Callable[[str], Iterable[str]] | None = None):
        super().__init__()
        if window_seconds <= 0 or allowed_lateness < 0:
            raise ValueError("window_seconds must be positive and allowed_lateness not negative")
        self._window = window_seconds
        self._lateness = allowed_lateness
        # Early panes need processing-time triggers, which Beam 2.77's FnApiRunner cannot run (it has no
        # clock for them); the local smoke run turns them off, Dataflow and Flink keep them.
        self._early = early_firings
        self._partition_fn = partition_fn
        self._fn = _WritePaneFn(output, table, schema, compression, tuple(key_columns), committed)

    def expand(self, records):
        return (
            records
            | "Window" >> beam.WindowInto(
                window.FixedWindows(self._window),
                trigger=trigger.AfterWatermark(
                    early=trigger.AfterProcessingTime(max(1, int(self._window))) if self._early else None,
                    late=trigger.AfterCount(1),
                ),
                accumulation_mode=trigger.AccumulationMode.DISCARDING,
                # A record up to `allowed_lateness` behind the watermark still gets written, in a late pane of its own.
                allowed_lateness=int(self._lateness),
            )
            | "ByPartition" >> beam.Map(lambda r, f=self._partition_fn: (f(r), r))
            | "GroupPane" >> beam.GroupByKey()
            | "WritePane" >> beam.ParDo(self._fn)
        )
