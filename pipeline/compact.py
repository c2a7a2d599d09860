"""`scrapeline compact OUTPUT`: merge the small Parquet files a partition collects (every batch of `watch`
commits its own) into few large ones, without changing the set of rows. `--table _index` does the same for the
band index of the near-duplicate stage (`_index/bands/`, one file per run), sorted by band key.

Per partition directory with at least two files: read them all, write the merged rows (cut at
`write.max_rows_per_file`) into a fresh directory under `_temporary/`, then swap the two directories in one
atomic step (Linux `renameat2(RENAME_EXCHANGE)`): a reader listing the partition sees either all the old files
or the merged ones, never both and never neither. The old files are deleted after the swap. A partition that
gained a file while it was being merged is left as it is (and reported), so a concurrent writer never loses a
file. Local outputs only: object stores have no atomic directory swap (run it where the output is mounted).

One writer: compaction holds the output's lock (pipeline/lock.py) from before it lists the partitions to its
end, so a `run` or `watch` on the output is refused meanwhile (exit 2), and it is refused while one of them
runs. The "a partition that gained a file is left as it is" check stays, for writers that ignore the lock.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from scrapeline.pipeline.errors import UsageError
from scrapeline.pipeline.lock import OutputLock
from scrapeline.transforms.core.records import ARTICLE_SCHEMA, BAND_INDEX_SCHEMA, DEAD_LETTER_SCHEMA, TEASER_SCHEMA
from scrapeline.transforms.core.storage import is_remote
from scrapeline.transforms.output.write import ROW_GROUP_ROWS

__all__ = ["TABLES", "compact_output", "compact_partition", "exchange_dirs"]

TABLES = {"articles": ARTICLE_SCHEMA, "teasers": TEASER_SCHEMA, "dead_letters": DEAD_LETTER_SCHEMA,
            "_index": BAND_INDEX_SCHEMA}
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def exchange_dirs(a: str | Path, b: str | Path) -> None:
    """Atomically swap two directories (both must exist, on one filesystem)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if not hasattr(libc, "renameat2"):
        raise OSError(errno.ENOSYS, "renameat2 is not available (Linux with glibc >= 2.28 is needed)")
    if libc.renameat2(_AT_FDCWD, os.fsencode(str(a)), _AT_FDCWD, os.fsencode(str(b)), _RENAME_EXCHANGE) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"cannot swap {a} and {b}: {os.strerror(err)}")


def _parquet_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.is_file() and p.suffix == ".parquet")


def _up_to_date(files: list[Path], schema: pa.Schema) -> bool:
    """Nothing to do: no file, or one file with the current columns. A lone file written before 0.3 carries the
    partition keys too (`source`, `stage`), which BigQuery and Athena refuse: it is rewritten, read with the current
    schema (the extra column dropped, a missing one null)."""
    return not files or (len(files) == 1 and pq.read_schema(files[0]).names == schema.names)


def compact_partition(output: Path, table: str, partition: Path, max_rows: int, compression: str = "zstd") -> tuple[int, int] | None:
    """Merge one partition directory's files; (files before, files after), or None when left as it is."""
    schema = TABLES[table]
    files = _parquet_files(partition)
    if _up_to_date(files, schema):
        return None
    merged = pa.concat_tables([pq.read_table(f, schema=schema) for f in files])
    if table == "_index":
        # the band index: one entry per band key, many per story; sorted, its row groups' min/max let a reader
        # with few keys skip most of them
        merged = merged.sort_by("band")
        max_rows *= 32
    work = output / "_temporary" / f"compact-{uuid.uuid4().hex}"
    new_dir = work / "new"
    new_dir.mkdir(parents=True)
    try:
        run_tag = uuid.uuid4().hex[:8]
        n_out = 0
        for start in range(0, max(merged.num_rows, 1), max_rows):
            chunk = merged.slice(start, max_rows)
            pq.write_table(chunk, new_dir / f"part-compacted-{run_tag}-{n_out:05d}.parquet",
                           compression=None if compression == "none" else compression, row_group_size=ROW_GROUP_ROWS)
            n_out += 1
        if _parquet_files(partition) != files:  # a writer committed meanwhile: leave this partition for later
            return None
        exchange_dirs(new_dir, partition)  # now `partition` holds the merged files, `new_dir` the old ones
        return len(files), n_out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def compact_output(output: str, partitions: list[str], table: str, config, catalog: str | None = None,
                   retain_days: float | None = None) -> tuple[list, int, list]:
    """Validate, take the output's lock, merge: ([(partition, files before, after)], already compact, [changed]).
    Raises UsageError naming what is wrong with the arguments, or the writer that holds the output. An Iceberg
    output (its catalog under `_catalog/`, or `catalog` named) is compacted through its tables instead."""
    from scrapeline.pipeline.tables import is_iceberg

    if table != "_index" and (catalog or is_iceberg(output)):  # the band index stays plain Parquet
        return _compact_tables(output, partitions, table, config, catalog, retain_days)
    if retain_days is not None:
        raise UsageError("--retain-days applies to Iceberg outputs (snapshot expiry); this output is plain folders")
    if is_remote(output):
        raise UsageError("compact works on local outputs only (no atomic directory swap on object stores)")
    out = Path(output).resolve()
    root = out / table
    if not root.is_dir():
        raise UsageError(f"{root} does not exist")
    named = []
    for part in partitions:
        d = (root / part).resolve()
        if root not in d.parents or not d.is_dir():
            raise UsageError(f"no partition {part!r} under {root}")
        named.append(d)
    # before listing partitions: what a writer still running would add is not ours to merge (a held lock is a
    # UsageError naming its holder)
    lock = OutputLock(str(out), "compact").acquire()
    try:
        found = named or sorted({p.parent for p in root.rglob("*.parquet")})
        return _compact_all(out, root, table, found, config)
    finally:
        lock.release()


def _compact_all(output: Path, root: Path, table: str, partitions: list[Path], config) -> tuple[list, int, list]:
    merged, compact, changed = [], 0, []
    for d in partitions:
        if _up_to_date(_parquet_files(d), TABLES[table]):
            compact += 1
            continue
        result = compact_partition(output, table, d, config.max_rows_per_file, config.compression)
        rel = str(d.relative_to(root))
        if result is None:  # it gained a file while being merged: a writer's, left for the next compact
            changed.append(rel)
            continue
        merged.append((rel, *result))
    return merged, compact, changed


def _compact_tables(output: str, partitions: list[str], table: str, config, catalog: str | None,
                    retain_days: float | None) -> tuple[list, int, list]:
    """Iceberg: merge each partition's current files in one overwrite snapshot of the table (pipeline/tables.py),
    then expire what is older than `retain_days` (default 7) and delete the files no snapshot keeps."""
    import datetime as dt

    from scrapeline.pipeline.tables import TABLES as ICEBERG_TABLES, compact_table, expire, open_catalog, open_tables

    if table not in ICEBERG_TABLES:
        raise UsageError(f"--table {table}: an Iceberg output's tables are {', '.join(sorted(ICEBERG_TABLES))}, "
                         f"and _index (plain Parquet)")
    days = 7.0 if retain_days is None else retain_days
    if days < 0:
        raise UsageError("--retain-days must not be negative")
    out = output if is_remote(output) else os.path.abspath(output)  # as the run registered its files (no realpath)
    lock = OutputLock(out, "compact").acquire()
    try:
        tables = open_tables(open_catalog(out, catalog), out)
        started = dt.datetime.now(dt.timezone.utc)
        merged, already = compact_table(tables[table], table, partitions, config.max_rows_per_file,
                                        config.compression, f"compact-{started:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}")
        if not is_remote(out):
            expire(tables, out, started - dt.timedelta(days=days))
        return merged, already, []
    finally:
        lock.release()

