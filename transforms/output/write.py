"""The output dataset: WritePartitionedParquet (atomic, Hive-partitioned) and ReadExistingStories (read back).

Writing: each bundle buffers rows per partition and writes complete Parquet files under
`<output>/_temporary/<run_id>-<table>/` (cut at `max_rows_per_file`; flushed in finish_bundle, as Beam's own
parquetio does, and every partition at once when the buffer reaches `MAX_BUFFER_BYTES`). When every bundle is
done, one commit step renames them to
`<output>/<table>/<partition>/part-<run_id>-<n>.parquet` and writes the run's manifest. A reader globbing
`<table>/**/*.parquet` therefore only ever sees complete files; a run that dies before its commit leaves only
`_temporary/` (which Hive-style readers skip, as they skip every `_`-prefixed path). A run that dies during the
commit has published some complete files: running it again adds the rest, since dedup skips what the output
already holds. Files written by failed bundle attempts are never renamed (their outputs are discarded) and
are removed with that directory.

Reading back: `ReadExistingStories` reads `story_key`, `article_id`, `body` and lineage of every committed
article, so dedup spans runs without a side database that could drift from the data. When a later run sees
new copies of a stored story, `RecordLateDuplicates` rewrites the file that holds its row with the copies'
titles, urls, sources and locations added, and renames it over the old one (atomic: readers see the old file
or the new one).
"""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import os
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor

import apache_beam as beam
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import xxhash
from apache_beam.io import fileio
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import MAX_TIMESTAMP
from apache_beam.utils.windowed_value import WindowedValue

from scrapeline.transforms.core.metrics import count
from scrapeline.transforms.core.storage import is_remote, join, remove_dir
from scrapeline.transforms.core.records import BandEntry
from scrapeline.transforms.core.records import (
    DeadLetter,
    ExistingStory,
    LateDuplicate,
    dead_letter_id,
    record_to_row,
)

__all__ = ["articles_glob", "CommittedFiles", "COMPRESSIONS", "key_set", "list_swaps", "merge_late_duplicates",
           "read_rows", "same_path",
           "ReadExistingStories", "RecordLateDuplicates", "replace_rows", "ROW_GROUP_ROWS", "SkipStoredDeadLetters",
           "SkipStoredIds", "write_parquet_file", "WritePartitionedParquet"]


def articles_glob(output: str) -> str:
    return join(output, "articles", "**", "*.parquet")


ROW_GROUP_ROWS = 65_536
"""Rows per Parquet row group. A reader looking for a few keys (story keys, band keys, dead-letter ids) reads one
key column, then the other columns of the row groups holding a hit only: smaller groups bound what it reads
(at 1M rows a group, one hit in the band index cost a 100 MB read; measured by benchmarks/neardup_cost.py)."""


DICTIONARY_MIN_ROWS = 100
"""A file of fewer rows is written without dictionary pages: they pay off when values repeat, and in a one-row file
they were a third of the write (1.8 -> 1.2 ms for an articles row, the file 5 % smaller). A run writes a file per
source and day, most of them a few rows; larger files (a big partition, `compact`) keep them."""


COMPRESS_MIN_BYTES = 1024
"""In a file of fewer than DICTIONARY_MIN_ROWS rows, only the columns holding this many bytes are compressed: a
codec's frame around a short value costs more than it saves. Measured on the 707 one-row articles files of a run
of 709 dev pages, written again by this function with and without it, alternating 6 times: 1.75 against 2.18 ms a
file (medians), and 13.6 against 13.9 KB (the body compressed, the other 29 columns not)."""


def _leaf_paths(field: pa.Field, prefix: str = "") -> Iterator[str]:
    """The Parquet column paths of an Arrow field ("captions.list.element", "duplicate_matches.list.element.match"),
    as Parquet's writer names them for a per-column codec (a path it does not know is ignored without a word, so
    each nested type is spelled out, those our schemas do not use yet too)."""
    name, kind = prefix + field.name, field.type
    if pa.types.is_struct(kind):
        for child in kind:
            yield from _leaf_paths(child, name + ".")
    elif pa.types.is_map(kind):
        yield from _leaf_paths(pa.field("key", kind.key_type), name + ".key_value.")
        yield from _leaf_paths(pa.field("value", kind.item_type), name + ".key_value.")
    elif pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
        yield from _leaf_paths(pa.field("element", kind.value_type), name + ".list.")
    else:
        yield name


def _codecs(table: pa.Table, codec: str | None) -> str | dict | None:
    """The codec for every column, or for a small file the codec of its large columns only (COMPRESS_MIN_BYTES)."""
    if codec is None or table.num_rows >= DICTIONARY_MIN_ROWS:
        return codec
    return {path: codec for field, column in zip(table.schema, table.columns) if column.nbytes >= COMPRESS_MIN_BYTES
            for path in _leaf_paths(field)} or None


def write_parquet_file(path: str, rows: list[dict], schema: pa.Schema, compression: str) -> None:
    """Write rows as one complete Parquet file at `path` (local or remote).

    Without pyarrow's copy of the Arrow schema in the footer (`store_schema=False`): our schemas hold only types
    that Parquet's own logical types give back exactly (tests/unit/output/test_parquet_files.py reads every table's
    schema back), and writing it cost a third of a small file's write (4.0 -> 2.4 ms for a one-row articles file;
    a run writes a file per source and day). Dictionary pages only from DICTIONARY_MIN_ROWS rows, and below that
    the codec on the large columns only (COMPRESS_MIN_BYTES)."""
    table = pa.Table.from_pylist(rows, schema=schema)
    codec = None if compression == "none" else compression
    with FileSystems.create(path, mime_type="application/octet-stream",
                            compression_type=CompressionTypes.UNCOMPRESSED) as f:
        pq.write_table(table, f, compression=_codecs(table, codec), row_group_size=ROW_GROUP_ROWS, store_schema=False,
                       use_dictionary=len(rows) >= DICTIONARY_MIN_ROWS)


MAX_BUFFER_BYTES = 64 * 1024 * 1024
"""What a writer holds before it writes every partition it holds rows of (one more file each). On the local
runner a bundle is a whole stage's input, so without this bound the writer held every row of the run.
A run under the bound writes one file per partition, as before; a larger one writes more, which `compact` merges."""


def _row_bytes(row: dict) -> int:
    return 512 + sum(len(v) for v in row.values() if isinstance(v, str))


FLUSH_THREADS = 4
"""Threads that write a bundle's files at its end, a partition each, on an object store, where each file is a round
trip that the threads overlap. A local write is not threaded: 700 one-row files took 1.7 s in one thread, 1.5 s in
2, 2.1 s in 4 (the Parquet encoding's Python parts hold the GIL). Each thread has its own file; nothing else is
shared but the filesystem client, and nothing here counts a metric (Beam's counters are per thread)."""


class _WriteBundlesFn(beam.DoFn):
    def __init__(self, temp_dir: str, schema: pa.Schema, partition_fn: Callable, max_rows: int, compression: str,
                 max_buffer_bytes: int = MAX_BUFFER_BYTES):
        self._temp_dir = temp_dir
        self._schema = schema
        self._partition_fn = partition_fn
        self._max_rows = max_rows
        self._compression = compression
        self._max_buffer_bytes = max_buffer_bytes
        self._buffers: dict[str, list[dict]] = {}
        self._bytes = 0

    def start_bundle(self):
        self._buffers = defaultdict(list)
        self._bytes = 0

    def _flush(self, partition: str) -> dict:
        rows = self._buffers.pop(partition)
        path = join(self._temp_dir, partition, f"{uuid.uuid4().hex}.parquet")
        write_parquet_file(path, rows, self._schema, self._compression)
        return {"partition": partition, "temp_path": path, "rows": len(rows)}

    def process(self, record) -> Iterable[dict]:
        partition = self._partition_fn(record)
        row = record_to_row(record)
        self._buffers[partition].append(row)
        self._bytes += _row_bytes(row)
        if len(self._buffers[partition]) >= self._max_rows:
            self._bytes -= sum(_row_bytes(r) for r in self._buffers[partition])  # what this flush frees
            yield self._flush(partition)
        if self._bytes >= self._max_buffer_bytes:
            for p in list(self._buffers):
                yield self._flush(p)
            self._bytes = 0

    def finish_bundle(self):
        partitions = list(self._buffers)
        if len(partitions) < 2 or not is_remote(self._temp_dir):
            flushed = [self._flush(p) for p in partitions]
        else:  # see FLUSH_THREADS
            with ThreadPoolExecutor(FLUSH_THREADS, thread_name_prefix="scrapeline-write") as pool:
                flushed = list(pool.map(self._flush, partitions))
        for written in flushed:
            yield WindowedValue(written, MAX_TIMESTAMP, [GlobalWindow()])


def _commit(_, written: list[dict], output: str, table: str, run_id: str, temp_dir: str, after=None) -> Iterable[dict]:
    """Write the manifest, then rename every written temp file into place, then drop the temp dir.

    The manifest (`_runs/<run_id>/<table>.json`) names every final path before the first rename, so no file is
    ever visible that no manifest lists, even when the process dies mid-commit. The final names are a function of
    the written list, so a commit that runs again (a retried bundle on a cluster, or a rerun of a step) renames
    what is left and skips what is in place: committing twice is committing once."""
    plan = [(w, join(output, table, w["partition"], f"part-{run_id}-{n:05d}.parquet"))
            for n, w in enumerate(sorted(written, key=lambda w: (w["partition"], w["temp_path"])))]
    manifest = [{"partition": w["partition"], "path": final, "rows": w["rows"]} for w, final in plan]
    with FileSystems.create(join(output, "_runs", run_id, f"{table}.json"), mime_type="application/json") as f:
        f.write(json.dumps({"run_id": run_id, "table": table, "files": manifest}, indent=1).encode("utf-8"))
    for w, final in plan:
        if FileSystems.exists(w["temp_path"]):
            try:
                FileSystems.mkdirs(final.rsplit("/", 1)[0])
            except IOError:
                pass  # exists already
            FileSystems.rename([w["temp_path"]], [final])
        elif not FileSystems.exists(final):
            raise IOError(f"commit of {table}: {w['temp_path']} is gone and {final} was never written")
        count(f"{table}_written", w["rows"])
    remove_dir(temp_dir)
    yield from manifest


class WritePartitionedParquet(beam.PTransform):
    """Records -> complete Parquet files under `<output>/<table>/<partition>/`, committed once at the end.

    `partition_fn(record)` returns the Hive partition path ("source=x/date=y"); it must be a relative path of
    safe segments. Returns the manifest entries ({partition, path, rows}) of the committed files.
    """

    def __init__(
        self,
        output: str,
        table: str,
        schema: pa.Schema,
        partition_fn: Callable[[object], str],
        run_id: str,
        max_rows_per_file: int = 100_000,
        compression: str = "zstd",
        after: beam.PCollection | None = None,
        max_buffer_bytes: int = MAX_BUFFER_BYTES,
    ):
        """`after`: commit only once that PCollection is complete (the band index commits before the articles
        it indexes, so a run killed in between leaves index entries without rows, which readers skip, never
        rows without index entries, which later runs could not find)."""
        super().__init__()
        self._after = after
        if not output:
            raise ValueError("output is required")
        if not table or "/" in table or table.startswith(".") or (table.startswith("_") and table != INDEX_TABLE):
            raise ValueError(f"bad table name {table!r}")
        if max_rows_per_file < 1:
            raise ValueError("max_rows_per_file must be positive")
        self._output = output
        self._table = table
        self._run_id = run_id
        self._temp_dir = join(output, "_temporary", f"{run_id}-{table}")
        self._fn = _WriteBundlesFn(self._temp_dir, schema, partition_fn, max_rows_per_file, compression,
                                   max_buffer_bytes)

    def expand(self, records):
        written = records | "WriteBundles" >> beam.ParDo(self._fn)
        return (
            records.pipeline
            | "Once" >> beam.Create([None])
            | "Commit"
            >> beam.FlatMap(
                _commit,
                written=beam.pvalue.AsList(written),
                output=self._output,
                table=self._table,
                run_id=self._run_id,
                temp_dir=self._temp_dir,
                after=beam.pvalue.AsList(self._after) if self._after is not None else None,
            )
        )


_STORY_COLUMNS = ["story_key", "article_id", "body", "input_uri", "record_index", "position", "duplicate_locations"]
INDEX_TABLE = "_index"
"""Where the band index lives: `<output>/_index/bands/*.parquet` (rows of records.BAND_INDEX_SCHEMA). Like every
`_`-prefixed path, warehouses and Hive-style readers skip it."""


def same_path(path: str) -> str:
    """A path as the current-file lists of an Iceberg output name it: absolute when local."""
    return path if is_remote(path) else os.path.abspath(path)


def _is_current(path: str, only: frozenset | None) -> bool:
    return only is None or same_path(path) in only


def known_files(glob: str, only: frozenset | None) -> list[str] | None:
    """The committed files matching `glob` (`<dir>/**/<name pattern>`) when the graph is built: for an Iceberg
    output, those of `only` (the table's current data files, pipeline/tables.py) under `<dir>`, sorted, named under
    `<dir>` as the glob gives it (relative if it is). A file on disk that the table does not list (the old version
    of a rewritten file, or the files of a run whose commit never came) is not the output's. None for plain
    folders: their files are listed when the run reads them."""
    if only is None:
        return None
    folder, sep, name = glob.partition("/**/")
    if not sep or "*" in folder:
        raise ValueError(f"not a <dir>/**/<pattern> glob: {glob}")
    prefix = same_path(folder).rstrip("/") + "/"
    # named under `folder` as given, as a listing of the glob names them (the other readers list): one file, one name
    return sorted(folder.rstrip("/") + "/" + p[len(prefix):] for p in only
                  if p.startswith(prefix) and fnmatch.fnmatchcase(p.rsplit("/", 1)[-1], name))


class CommittedFiles(beam.PTransform):
    """The paths of the committed files matching `glob` (none is fine), spread over workers. `only`: for an Iceberg
    output, the current data files of the table: the graph holds the paths (known_files), with no listing of the
    store and no step at all when there are none; plain folders are listed when the run reads them."""

    def __init__(self, glob: str, only: frozenset | None = None):
        super().__init__()
        self._glob = glob
        self._only = only

    def expand(self, pbegin):
        known = known_files(self._glob, self._only)
        if known is not None:  # Create spreads more than one path over workers (a Reshuffle), as Spread does
            return pbegin | "Known" >> beam.Create(known)
        return (
            pbegin
            | "Glob" >> beam.Create([self._glob])
            | "Match" >> fileio.MatchAll(fileio.EmptyMatchTreatment.ALLOW)
            | "Paths" >> beam.Map(lambda m: m.path)
            | "Spread" >> beam.Reshuffle()
        )


def key_set(keys: beam.PCollection, label: str = ""):
    """A side input holding the distinct `keys` (a dict whose keys are they): what a reader of stored files
    looks up its hits in. `label` prefixes the transforms' labels, for a composite that needs two."""
    return beam.pvalue.AsDict(keys | f"{label}DistinctKeys" >> beam.Distinct()
                              | f"{label}AsKeys" >> beam.Map(lambda k: (k, None)))


def _read_stories(path: str, wanted=None, key: str = "story_key") -> Iterable[tuple[str, ExistingStory]]:
    """The stories of one committed file; with `wanted` (a dict-like of `key` values), only those, and the
    bodies are read only from row groups that hold one: a run pays for the stories it may collide with, not
    for the whole output."""
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
        pf = pq.ParquetFile(f)
        for rg in range(pf.num_row_groups):
            if wanted is not None:
                keys = pf.read_row_group(rg, columns=[key]).column(0).to_pylist()
                hits = [i for i, k in enumerate(keys) if k in wanted]
                if not hits:
                    continue
                rows = pf.read_row_group(rg, columns=_STORY_COLUMNS).take(hits).to_pylist()
            else:
                rows = pf.read_row_group(rg, columns=_STORY_COLUMNS).to_pylist()
            for row in rows:
                count("existing_stories")
                yield row[key], ExistingStory(
                    row["article_id"], row["story_key"], row["body"], path,
                    f"{row['input_uri']}#{row['record_index']}/{row['position']}",
                    tuple(row["duplicate_locations"] or ()),
                )


def merge_late_duplicates(rows: list[dict], late: list[LateDuplicate]) -> tuple[int, int]:
    """Record late copies, and late teasers' pages, on their stored rows (in place); returns (rows given new
    copies, rows given new teaser pages). Idempotent: a copy whose location, or a page, already recorded changes
    nothing, so re-running an input never inflates the counts."""
    by_id: dict[str, list[LateDuplicate]] = defaultdict(list)
    for ld in late:
        by_id[ld.article_id].append(ld)
    changed = teased = 0
    for row in rows:
        lds = by_id.get(row["article_id"])
        if not lds:
            continue
        pages = set(row.get("teased_on") or ()) | {p for ld in lds for p in ld.teased_on}
        if pages != set(row.get("teased_on") or ()):
            row["teased_on"] = sorted(pages)
            teased += 1
        own = f"{row['input_uri']}#{row['record_index']}/{row['position']}"
        locations = set(row["duplicate_locations"]) | {loc for ld in lds for loc in ld.locations}
        locations.discard(own)
        if locations == set(row["duplicate_locations"]):
            continue
        row["duplicate_locations"] = sorted(locations)
        row["duplicate_count"] = len(locations)
        row["duplicate_titles"] = sorted(set(row["duplicate_titles"]) | {t for ld in lds for t in ld.titles})
        row["duplicate_urls"] = sorted(set(row["duplicate_urls"]) | {u for ld in lds for u in ld.urls})
        row["duplicate_sources"] = sorted(set(row["duplicate_sources"]) | {x for ld in lds for x in ld.sources})
        matches = {m["location"]: m for m in row.get("duplicate_matches") or ()}
        for ld in lds:
            for m in ld.matches:
                if m.location in locations:
                    matches.setdefault(m.location, dataclasses.asdict(m))
        row["duplicate_matches"] = [matches[k] for k in sorted(matches)]
        changed += 1
    return changed, teased


def read_rows(path: str, schema: pa.Schema) -> list[dict]:
    """The rows of one committed file, read with `schema` (a column it lacks, from an older layout, is null)."""
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
        return pq.read_table(f, schema=schema).to_pylist()


def replace_rows(path: str, rows: list[dict], schema: pa.Schema, compression: str, temp_prefix: str,
                 beside: str | None = None) -> dict | None:
    """Write `rows` aside (under `temp_prefix-<uuid>/`), then rename them over `path`: same name, new content, so
    a reader opens either the old file or the new one, never a mix or neither.

    `beside` (an Iceberg output: the run's id): the new version goes to a new file next to `path` instead,
    `part-<run_id>-r<hash of path>.parquet` (the same name when a retried bundle writes it again), and the swap is
    the run's Iceberg commit; returns the pair {old, path, partition, rows} for it."""
    temp_dir = f"{temp_prefix}-{uuid.uuid4().hex}"
    temp = join(temp_dir, "rewrite.parquet")
    write_parquet_file(temp, rows, schema, compression)
    target = path if beside is None else join(
        path.rsplit("/", 1)[0], f"part-{beside}-r{xxhash.xxh3_64_hexdigest(path.encode('utf-8'))}.parquet")
    FileSystems.rename([temp], [target])
    remove_dir(temp_dir)
    if beside is None:
        return None
    return {"old": same_path(path), "path": same_path(target), "partition": _partition_of(path), "rows": len(rows)}


def _partition_of(path: str) -> str:
    """`source=x/date=y` of a committed file: the two folders above it."""
    return "/".join(path.rsplit("/", 3)[1:3])


def _write_swaps(_, swaps: list[dict], output: str, run_id: str, table: str) -> Iterable[dict]:
    """The run's replaced files of `table`, listed in `_runs/<run_id>/<table>.replaced.json` for its commit."""
    with FileSystems.create(join(output, "_runs", run_id, f"{table}.replaced.json"), mime_type="application/json") as f:
        f.write(json.dumps({"run_id": run_id, "table": table, "replaced": sorted(swaps, key=lambda s: s["old"])},
                           indent=1).encode("utf-8"))
    yield from swaps


def list_swaps(swaps: beam.PCollection, output: str, run_id: str, table: str) -> beam.PCollection:
    """Once every replacement of `table` is written: its list, for the driver's Iceberg commit."""
    return (
        swaps.pipeline
        | f"{table}SwapsOnce" >> beam.Create([None])
        | f"List{table.title()}Swaps" >> beam.FlatMap(_write_swaps, swaps=beam.pvalue.AsList(swaps), output=output,
                                                       run_id=run_id, table=table)
    )


class _RewriteFileFn(beam.DoFn):
    """(path, late duplicates) -> the file rewritten with them recorded, swapped in by one atomic rename (Hive), or
    written beside it for the run's Iceberg commit (`beside`: the run id); yields the path, or the swap."""

    def __init__(self, temp_dir: str, schema: pa.Schema, compression: str, beside: str | None = None):
        self._temp_dir = temp_dir
        self._schema = schema
        self._compression = compression
        self._beside = beside

    def process(self, element: tuple[str, Iterable[LateDuplicate]]) -> Iterable:
        path, late = element
        rows = read_rows(path, self._schema)
        changed, teased = merge_late_duplicates(rows, list(late))
        if not changed and not teased:
            return
        swap = replace_rows(path, rows, self._schema, self._compression, self._temp_dir, self._beside)
        count("duplicates.recorded_on_stored_rows", changed)
        count("teasers.recorded_on_stored_articles", teased)
        yield swap if swap is not None else path


class RecordLateDuplicates(beam.PTransform):
    """LateDuplicates -> their stored rows updated in place (copy-on-write, one atomic rename per file).

    Run by one writer at a time (a batch run or the watcher), like every commit to the output.
    """

    def __init__(self, output: str, run_id: str, schema: pa.Schema, compression: str = "zstd",
                 after: beam.PCollection | None = None, side_by_side: bool = False):
        """`after`: rewrite only once that PCollection is complete (another reader of the stored article files).
        `side_by_side` (an Iceberg output): each new version goes beside the old file, and the pairs are listed in
        `_runs/<run_id>/articles.replaced.json` for the run's commit; the output is then those pairs."""
        super().__init__()
        self._fn = _RewriteFileFn(join(output, "_temporary", f"{run_id}-rewrite"), schema, compression,
                                  run_id if side_by_side else None)
        self._after = after
        self._listed = (output, run_id) if side_by_side else None

    def expand(self, late):
        grouped = (
            late
            | "ByFile" >> beam.Map(lambda ld: (ld.path, ld))
            | "GroupByFile" >> beam.GroupByKey()
        )
        if self._after is not None:
            grouped = grouped | "AfterReaders" >> beam.Map(lambda kv, _: kv, beam.pvalue.AsList(self._after))
        rewritten = grouped | "Rewrite" >> beam.ParDo(self._fn)
        if self._listed is None:
            return rewritten
        return list_swaps(rewritten, *self._listed, "articles")


def _stored_band_entries(path: str, wanted) -> Iterable[tuple[int, BandEntry]]:
    """The entries of one index file whose band key is in `wanted`: the band column is scanned (8 bytes an
    entry), the other columns are read only for the hits."""
    keys = pa.array(list(wanted), type=pa.int64())
    if len(keys) == 0:
        return
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
        pf = pq.ParquetFile(f)
        for rg in range(pf.num_row_groups):
            bands = pf.read_row_group(rg, columns=["band"]).column(0)
            hits = pc.indices_nonzero(pc.is_in(bands, value_set=keys))
            if len(hits) == 0:
                continue
            rows = pf.read_row_group(rg, columns=["article_id", "partition", "shingles"]).take(hits).to_pylist()
            for band, row in zip(bands.take(hits).to_pylist(), rows):
                count("neardup.stored_entries_read")
                yield band, BandEntry(row["article_id"], row["shingles"], True, row["partition"])


class ReadStoredBands(beam.PTransform):
    """(band key, BandEntry) of the stored stories that share a band key with `run_keys` (a PCollection of this
    run's band keys): what the near-duplicate stage compares a run against, without reading stored rows."""

    def __init__(self, output: str, run_keys: beam.PCollection):
        super().__init__()
        self._glob = join(output, INDEX_TABLE, "**", "*.parquet")
        self._keys = run_keys

    def expand(self, pbegin):
        wanted = key_set(self._keys)
        return (
            pbegin
            | "CommittedFiles" >> CommittedFiles(self._glob)
            | "ReadEntries" >> beam.FlatMap(_stored_band_entries, wanted=wanted)
        )


def _stories_in_partition(element, output: str, only: frozenset | None = None) -> Iterable[ExistingStory]:
    partition, ids = element
    wanted = dict.fromkeys(ids)
    try:
        matched = FileSystems.match([join(output, "articles", partition, "*.parquet")])[0].metadata_list
    except Exception:  # noqa: BLE001 - a partition compacted away or never committed: nothing to compare
        matched = []
    for m in sorted(matched, key=lambda m: m.path):
        if not _is_current(m.path, only):
            continue
        for _, story in _read_stories(m.path, wanted, key="article_id"):
            yield story


class ReadStoriesById(beam.PTransform):
    """(article_id, partition) pairs -> the stored stories (ExistingStory) with those ids, read from their
    partitions only (the index says where each lives)."""

    def __init__(self, output: str, only: frozenset | None = None):
        super().__init__()
        self._output = output
        self._only = only

    def expand(self, wanted):
        return (
            wanted
            | "PartitionFirst" >> beam.Map(lambda kv: (kv[1], kv[0]))
            | "GroupByPartition" >> beam.GroupByKey()
            | "ReadPartition" >> beam.FlatMap(_stories_in_partition, output=self._output, only=self._only)
        )


class ReadExistingStories(beam.PTransform):
    """The articles already committed under `<output>/articles/`, as (story_key, ExistingStory).

    With `story_keys` (a PCollection of the keys a run produced), only the stored stories sharing one of them
    are read back (their bodies, from the row groups holding them); without, all of them (the streaming form
    seeds its state once).
    """

    def __init__(self, output: str, story_keys: beam.PCollection | None = None, only: frozenset | None = None):
        super().__init__()
        self._glob = articles_glob(output)
        self._keys = story_keys
        self._only = only

    def expand(self, pbegin):
        if known_files(self._glob, self._only) == []:  # an empty table: nothing to read, no keys to gather
            return pbegin | "NoStoredStories" >> beam.Create([])
        paths = (
            pbegin
            | "CommittedFiles" >> CommittedFiles(self._glob, self._only)
        )
        if self._keys is None:
            return paths | "ReadStories" >> beam.FlatMap(_read_stories)
        wanted = key_set(self._keys)
        return paths | "ReadCollidingStories" >> beam.FlatMap(_read_stories, wanted=wanted)


_DEAD_LETTER_KEY_COLUMNS = ["stage", "reason", "input_uri", "record_index", "position", "excerpt"]


def _stored_dead_letter_ids(path: str, wanted) -> Iterable[str]:
    """The ids of one committed dead-letter file that are in `wanted` (computed from the identifying columns in
    files written before the id column existed)."""
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
        pf = pq.ParquetFile(f)
        has_id = "dead_letter_id" in pf.schema_arrow.names
        for rg in range(pf.num_row_groups):
            if has_id:
                ids = pf.read_row_group(rg, columns=["dead_letter_id"]).column(0).to_pylist()
            else:
                rows = pf.read_row_group(rg, columns=_DEAD_LETTER_KEY_COLUMNS).to_pylist()
                ids = [dead_letter_id(**r) for r in rows]
            yield from (i for i in ids if i in wanted)


def _not_stored(record, stored, id_of: Callable, counter: str) -> Iterable:
    if id_of(record) in stored:
        count(counter)
        return
    yield record


class SkipStoredIds(beam.PTransform):
    """Records -> those whose id the output's `table` does not hold yet: re-running an input (after a kill, a
    `watch` restart, or on purpose) adds nothing already stored. Only the stored ids equal to one of this run's
    are kept (`read_ids(path, wanted)` reads one column per file), like the story keys of ReadExistingStories;
    each record skipped is counted under `counter`."""

    def __init__(self, output: str, table: str, id_of: Callable, read_ids: Callable, counter: str,
                 only: frozenset | None = None):
        super().__init__()
        self._glob = join(output, table, "**", "*.parquet")
        self._id_of, self._read_ids, self._counter = id_of, read_ids, counter
        self._only = only

    def expand(self, records):
        if known_files(self._glob, self._only) == []:  # an empty table holds no id: every record is new
            return records
        wanted = key_set(records | "Ids" >> beam.Map(self._id_of))
        stored = (
            records.pipeline
            | "CommittedFiles" >> CommittedFiles(self._glob, self._only)
            | "ReadStoredIds" >> beam.FlatMap(self._read_ids, wanted=wanted)
            | "DistinctStored" >> beam.Distinct()
            | "StoredKeys" >> beam.Map(lambda k: (k, None))
        )
        return records | "NotStored" >> beam.FlatMap(_not_stored, stored=beam.pvalue.AsDict(stored),
                                                     id_of=self._id_of, counter=self._counter)


def _dead_letter_id_of(d: DeadLetter) -> str:
    return d.dead_letter_id


class SkipStoredDeadLetters(SkipStoredIds):
    """Dead letters -> those the output does not hold yet, by `dead_letter_id` (stage, reason, lineage, excerpt)."""

    def __init__(self, output: str, only: frozenset | None = None):
        super().__init__(output, "dead_letters", _dead_letter_id_of, _stored_dead_letter_ids,
                         "dead_letters.already_in_output", only)


COMPRESSIONS = ("zstd", "snappy", "gzip", "none")
