"""The output as Apache Iceberg tables: `articles`, `teasers` and `dead_letters` in namespace `scrapeline`.

The Beam job writes Parquet files into the Hive folders as it always has (`<output>/articles/source=…/date=…/`) and
lists them in the run's manifests; rewrites of stored files (late copies, teaser links) go to new files beside the
old ones. Then the driver makes them visible: one Iceberg commit per table and run (a fast append, or an overwrite
when the run replaced stored files), tagged with the run id in the snapshot summary (`scrapeline.run_id`). A reader
of the table sees a run's files of that table all at once or not at all, and never two versions of a row.

The catalog: by default an SQLite `SqlCatalog` at `<output>/_catalog/catalog.db` (warehouse `<output>`; table
metadata under `<output>/_catalog/<table>/`), so a local output needs no server. `--catalog NAME` loads pyiceberg's
catalog NAME instead (REST, Glue, Hive...), configured the pyiceberg way: `~/.pyiceberg.yaml` or environment
variables such as `PYICEBERG_CATALOG__<NAME>__URI` and its credentials.

Why registration by hand-built `DataFile`s and not pyiceberg's `add_files`: our files hold no `source`/`date`
columns (they are in the path only, as Hive readers expect), and `add_files` takes identity partition values from
the file statistics, so it records null partitions. Measured with pyiceberg 0.12.0; the pin is 0.12.* since
`DataFile.from_args` and the statistics helpers are public but undocumented.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable, Mapping
from contextlib import closing
from dataclasses import dataclass

import pyarrow as pa

from scrapeline.pipeline.errors import UsageError
from scrapeline.transforms.core.records import ARTICLE_SCHEMA, DEAD_LETTER_SCHEMA, TEASER_SCHEMA
from scrapeline.transforms.core.storage import is_remote

__all__ = ["ADOPTED", "FORMATS", "adopt", "compact_table", "expire", "NAMESPACE", "RUN_ID_PROPERTY", "TABLE_ORDER", "TableSpec", "TABLES", "commit_run",
           "claim_embedded", "current_files", "existing_tables", "current_metadata", "known_table_files", "remember_files", "history", "is_iceberg", "read_rows", "open_catalog", "open_tables", "rollback", "snapshot_as_of", "snapshot_of_run"]

log = logging.getLogger(__name__)

FORMATS = ("iceberg", "hive")
NAMESPACE = "scrapeline"
RUN_ID_PROPERTY = "scrapeline.run_id"
CATALOG_NAME = "scrapeline"


@dataclass(frozen=True)
class TableSpec:
    schema: pa.Schema
    """The columns in the files."""
    partition: tuple[str, str]
    """The identity partition columns, in the path only: `name=value/name=value`."""


TABLES: dict[str, TableSpec] = {
    "articles": TableSpec(ARTICLE_SCHEMA, ("source", "date")),
    "teasers": TableSpec(TEASER_SCHEMA, ("source", "date")),
    "dead_letters": TableSpec(DEAD_LETTER_SCHEMA, ("stage", "date")),
}
MANIFEST_MERGE = {"commit.manifest-merge.enabled": "true", "commit.manifest.min-count-to-merge": "16"}
"""Appends merge the table's small manifests once there are 16 (pyiceberg's default: 100, and fast appends never):
each run adds a manifest, and a reader or a commit reads them all. benchmarks/tables.py measures the difference."""
METRICS = {"write.metadata.metrics.default": "counts", "write.metadata.metrics.column.published_at": "full",
           "write.metadata.metrics.column.fetched_at": "full"}
"""Column statistics in the manifests: value and null counts for every column, bounds for the times only (the
default, truncate(16) bounds for every column, made each file's entry large: the body, title and lists are
text; partitions prune by source and date). Measured: benchmarks/tables.py."""


def _metrics(schema: pa.Schema) -> dict[str, str]:
    """METRICS for a table: a column's own setting only where the table has that column (Iceberg's REST catalog
    refuses a setting for a column it does not have)."""
    prefix = "write.metadata.metrics.column."
    return {k: v for k, v in METRICS.items() if not k.startswith(prefix) or k[len(prefix):] in schema.names}


TABLE_ORDER = ("dead_letters", "teasers", "articles")
"""The order of a run's commits: a reader that sees a run's articles already sees its teasers and dead letters."""


def _local_path(path: str) -> str:
    """A file:// URI as a local path (what Beam's filesystems and our manifests use); other paths unchanged."""
    return path[len("file://"):] if path.startswith("file://") else path


def open_catalog(output: str, catalog: str | None = None):
    """pyiceberg's catalog `catalog`, or the embedded SQLite catalog of a local `output`."""
    if catalog:
        import os

        from pyiceberg.catalog import load_catalog

        # pyiceberg reads PYICEBERG_CATALOG__* once, when first imported: read them now, so a variable set later in
        # the same process (an orchestrator's task, a test) counts. PYICEBERG_CATALOG__NAME__S3__ACCESS_KEY_ID ->
        # s3.access-key-id, as pyiceberg names it.
        prefix = f"PYICEBERG_CATALOG__{catalog.upper()}__"
        props = {".".join(p.lower().replace("_", "-") for p in k[len(prefix):].split("__")): v
                 for k, v in os.environ.items() if k.startswith(prefix)}
        try:
            return load_catalog(catalog, **props)
        except Exception as e:  # noqa: BLE001 - pyiceberg raises several kinds for a missing or bad catalog
            raise UsageError(f"cannot load the Iceberg catalog {catalog!r}: {e} (configure it in ~/.pyiceberg.yaml or "
                             f"PYICEBERG_CATALOG__{catalog.upper()}__URI and friends)") from None
    if is_remote(output):
        raise UsageError(f"the embedded Iceberg catalog needs a local output, and {output} is on an object store: "
                         "name a catalog with --catalog, or write plain folders with --format hive")
    from pathlib import Path

    from pyiceberg.catalog.sql import SqlCatalog

    root = Path(_local_path(output)).resolve()
    (root / "_catalog").mkdir(parents=True, exist_ok=True)
    return SqlCatalog(CATALOG_NAME, uri=f"sqlite:///{root}/_catalog/catalog.db", warehouse=_file_uri(str(root)))


def _catalog_dir(output: str) -> str:
    """`<output>/_catalog`, absolute: the embedded catalog's SQLite file, the tables' metadata and their notes."""
    import os

    return os.path.join(os.path.abspath(_local_path(output)), "_catalog")


def is_iceberg(output: str) -> bool:
    """A local output whose tables are in the embedded catalog (`<output>/_catalog/catalog.db`)."""
    import os

    return not is_remote(output) and os.path.isfile(os.path.join(_local_path(output), "_catalog", "catalog.db"))


LIST_TIMEOUT_S = 20.0
"""How long `has_table_metadata` waits for an object store to list an output before it takes it as plain folders."""


def has_table_metadata(output: str) -> bool:
    """The output's tables have metadata files (`<output>/_catalog/<table>/metadata/`, whatever their catalog):
    it is an Iceberg output, even when its catalog is not the embedded one."""
    import threading

    from apache_beam.io.filesystems import FileSystems

    pattern = f"{output.rstrip('/')}/_catalog/*/metadata/*.metadata.json"
    found: list[bool] = []

    def look() -> None:
        try:
            found.append(bool(FileSystems.match([pattern], limits=[1])[0].metadata_list))
        except Exception:  # noqa: BLE001 - no such folder, or a store that cannot be listed: no tables known
            found.append(False)

    if not is_remote(output):
        look()
        return found[0]
    # a store that does not answer makes Beam's filesystems retry for minutes: give up on looking after a while
    thread = threading.Thread(target=look, daemon=True)
    thread.start()
    thread.join(LIST_TIMEOUT_S)
    if not found:
        log.warning("could not list %s within %g s to look for Iceberg tables; taking it as plain folders", output,
                    LIST_TIMEOUT_S)
        return False
    return found[0]


def read_rows(output: str, name: str, columns: Iterable[str], catalog: str | None = None) -> list[dict]:
    """The rows of table `name` in its current snapshot, with those of `columns` the table has (a reader of
    the table: no retired file, no file of an uncommitted run)."""
    cat = open_catalog(output, catalog)
    ident = f"{NAMESPACE}.{name}"
    if not cat.table_exists(ident):
        return []
    table = cat.load_table(ident)
    if table.current_snapshot() is None:
        return []
    names = [c for c in columns if c in {f.name for f in table.schema().fields}]
    return table.scan(selected_fields=tuple(names)).to_arrow().to_pylist()


def current_metadata(output: str, name: str, catalog: str | None = None) -> tuple[str | None, str | None]:
    """(the current metadata file of table `name`, the embedded catalog's SQLite file) of `output`; None for
    what it does not have (no catalog reachable, or the table has no snapshot yet)."""
    import os

    if not catalog and not is_iceberg(output):
        return None, None
    cat = open_catalog(output, catalog)
    sqlite = None if catalog else os.path.join(_catalog_dir(output), "catalog.db")
    if not cat.table_exists(f"{NAMESPACE}.{name}"):  # a first run creates its tables when it commits
        return None, sqlite
    table = cat.load_table(f"{NAMESPACE}.{name}")
    return (table.metadata_location if table.current_snapshot() is not None else None), sqlite


def _table_schema(spec: TableSpec) -> pa.Schema:
    """The Iceberg schema: the file columns, then the partition columns (optional: the files do not hold them,
    readers take them from the partition metadata)."""
    extra = [pa.field(spec.partition[0], pa.string()), pa.field("date", pa.date32())]
    return pa.schema(list(spec.schema) + extra)


def open_tables(catalog, output: str) -> dict:
    """The three tables, created if missing; a table whose schema lacks a column of this version gets it (an
    Iceberg schema change: files without it read as null)."""
    from pyiceberg.table import TableProperties

    catalog.create_namespace_if_not_exists(NAMESPACE)
    tables = {}
    root = output if is_remote(output) or output.startswith("file://") else _file_uri(output)
    for name, spec in TABLES.items():
        ident = f"{NAMESPACE}.{name}"
        schema = _table_schema(spec)
        if not catalog.table_exists(ident):
            table = catalog.create_table(ident, schema=schema, location=f"{root.rstrip('/')}/{name}", properties={
                "write.metadata.path": f"{root.rstrip('/')}/_catalog/{name}/metadata",
                "write.metadata.delete-after-commit.enabled": "true",
                "write.metadata.previous-versions-max": "10",
                **MANIFEST_MERGE, **_metrics(schema),
            })
            with table.update_spec() as update:
                for column in spec.partition:
                    update.add_identity(column)
        else:
            table = catalog.load_table(ident)
            where = f"{root.rstrip('/')}/{name}"
            if table.location().rstrip("/") != where:
                raise UsageError(
                    f"the table {ident} of this catalog is at {table.location()}, not {where}: Iceberg tables name "
                    f"their files by absolute path, so a copied or moved output does not read as tables (run from the "
                    f"original place, or give each output its own catalog)")
            if {f.name for f in table.schema().fields} != set(schema.names):
                with table.update_schema() as update:
                    update.union_by_name(schema)
        table = catalog.load_table(ident)
        mapping = table.schema().name_mapping.model_dump_json()
        if table.properties.get(TableProperties.DEFAULT_NAME_MAPPING) != mapping:
            # the files carry no Iceberg field ids: readers resolve columns by name
            with table.transaction() as tx:
                tx.set_properties({TableProperties.DEFAULT_NAME_MAPPING: mapping})
            table = catalog.load_table(ident)
        tables[name] = table
    return tables


def existing_tables(catalog) -> dict:
    """The output's tables that exist, as they are (a reader's open: nothing is created or changed)."""
    return {name: catalog.load_table(f"{NAMESPACE}.{name}") for name in TABLES
            if catalog.table_exists(f"{NAMESPACE}.{name}")}


def _file_uri(path: str) -> str:
    """file:// and the absolute path as it is: pyiceberg's file IO does not decode %-escapes (Path.as_uri() would
    write `source%3Dx` for `source=x`)."""
    import os

    return "file://" + os.path.abspath(path)


def _uri(path: str) -> str:
    return path if is_remote(path) or path.startswith("file://") else _file_uri(path)


def current_files(table) -> frozenset[str]:
    """The data files of the table's current snapshot, as local paths or object-store URIs."""
    if table.current_snapshot() is None:
        return frozenset()
    return frozenset(_local_path(t.file.file_path) for t in table.scan().plan_files())


FILES_NOTE = "files.json"
"""`<output>/_catalog/<table>/files.json` of an embedded catalog: {metadata_location, files}, the table's current
data files as of that metadata, written after each commit. A run reads it instead of the table's manifests."""


def _embedded_rows(db: str) -> dict[str, str] | None:
    """table -> metadata location, from the embedded catalog's SQLite file as Iceberg's JDBC catalog lays it out
    (`iceberg_tables`), read with the stdlib: no pyiceberg, no SQLAlchemy (0.6 s of imports). {} for an empty file
    (see `claim_embedded`); None when the file cannot be read so (locked, another layout): open the tables."""
    import os
    import sqlite3
    from pathlib import Path

    if os.path.getsize(db) == 0:
        return {}
    try:
        with closing(sqlite3.connect(Path(db).as_uri() + "?mode=ro", uri=True)) as con:
            return dict(con.execute(
                "SELECT table_name, metadata_location FROM iceberg_tables WHERE catalog_name = ? AND "
                "table_namespace = ? AND (iceberg_type IS NULL OR iceberg_type = 'TABLE')", (CATALOG_NAME, NAMESPACE)))
    except sqlite3.Error:
        return None


def _holds_parquet(folder: str) -> bool:
    """Any Parquet file under `folder` (outside `_`/`.` folders): files a table without a snapshot would adopt."""
    import os

    for _, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(("_", "."))]
        if any(n.endswith(".parquet") for n in names):
            return True
    return False


def known_table_files(output: str) -> tuple[dict[str, frozenset[str]], dict[str, str | None]] | None:
    """(table -> its current data files, table -> the metadata they are of: None for a table not created yet) of the
    embedded catalog of a local `output`, when they are known without opening the tables; None when they must be
    opened (`open_tables`, `adopt`, `current_files`).

    Known: a table the catalog lacks, or whose files are none, with no Parquet file under its folder (nothing to
    adopt): no files; otherwise a table whose `files.json` was written for the metadata the catalog names now. Any
    commit (ours, `compact`, `rollback`, another engine's) writes new metadata, so a note of older metadata is not
    used, nor one of a moved or copied output (its metadata is not under this output)."""
    import os

    folder = _catalog_dir(output)
    root = os.path.dirname(folder)
    db = os.path.join(folder, "catalog.db")
    rows = _embedded_rows(db) if os.path.isfile(db) else {}
    if rows is None:
        return None
    known, locations = {}, {}
    for name in TABLES:
        files: frozenset[str] = frozenset()
        location = rows.get(name)
        if location is not None:
            if not location.startswith(f"{_file_uri(folder)}/{name}/metadata/"):
                return None
            try:
                with open(os.path.join(folder, name, FILES_NOTE), encoding="utf-8") as f:
                    note = json.load(f)
                if note["metadata_location"] != location:
                    return None
                files = frozenset(note["files"])
            except (OSError, ValueError, KeyError, TypeError):
                return None
        if not files and _holds_parquet(os.path.join(root, name)):
            return None
        known[name], locations[name] = files, location
    return known, locations


def claim_embedded(output: str) -> None:
    """Make a local `output` an Iceberg output before its tables exist: an empty `_catalog/catalog.db` (an empty
    SQLite database), so `choose_format` and readers take it as an Iceberg output (whose tables a first run creates
    when it commits) while the run is under way. An existing file is left as it is."""
    import os

    folder = _catalog_dir(output)
    os.makedirs(folder, exist_ok=True)
    try:
        os.close(os.open(os.path.join(folder, "catalog.db"), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
    except FileExistsError:
        pass


def remember_files(tables: Mapping, output: str, files: Mapping[str, frozenset[str]] | None = None,
                   of: Mapping[str, str | None] | None = None) -> None:
    """Write each table's `files.json` (see `known_table_files`) for its current metadata. `files` (with `of`, the
    metadata each list is of): a table's current files where the caller has them; used only when the table's
    metadata is still that one (another commit since, even by another engine, makes it read the table instead).
    Embedded catalog only; atomic (a reader sees the old note or the new one)."""
    import os

    for name, table in tables.items():
        current = (files or {}).get(name)
        if current is None or (of or {}).get(name) is None or of[name] != table.metadata_location:
            current = current_files(table)
        path = os.path.join(_catalog_dir(output), name, FILES_NOTE)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump({"metadata_location": table.metadata_location, "files": sorted(current)}, f)
        os.replace(path + ".tmp", path)


def _partition_record(table, partition: str):
    from pyiceberg.typedef import Record
    from pyiceberg.utils.datetime import date_to_days

    values = dict(kv.split("=", 1) for kv in partition.split("/"))
    return Record(*(date_to_days(dt.date.fromisoformat(values[f.name])) if f.name == "date" else values[f.name]
                    for f in table.spec().fields))


def _stats_plan(table) -> tuple:
    """What `_data_file` needs from the table's schema, computed once per commit (per file, it was a third of a
    600-file commit's time)."""
    from pyiceberg.io.pyarrow import compute_statistics_plan, parquet_path_to_id_mapping

    return (compute_statistics_plan(table.schema(), table.metadata.properties),
            parquet_path_to_id_mapping(table.schema()))


def _data_file(table, path: str, partition: str, plan: tuple | None = None):
    """A DataFile for a committed Parquet file, its partition given (not inferred: the file has no such column)."""
    import pyarrow.parquet as pq
    from pyiceberg.io.pyarrow import data_file_statistics_from_parquet_metadata
    from pyiceberg.manifest import DataFile, DataFileContent, FileFormat

    uri = _uri(path)
    source = table.io.new_input(uri)
    with source.open() as f:
        metadata = pq.read_metadata(f)
    stats_columns, mapping = plan or _stats_plan(table)
    stats = data_file_statistics_from_parquet_metadata(
        parquet_metadata=metadata, stats_columns=stats_columns, parquet_column_mapping=mapping)
    return DataFile.from_args(
        content=DataFileContent.DATA, file_path=uri, file_format=FileFormat.PARQUET,
        partition=_partition_record(table, partition), file_size_in_bytes=len(source), sort_order_id=None,
        spec_id=table.metadata.default_spec_id, equality_ids=None, key_metadata=None, **stats.to_serialized_dict())


def commit_run(tables: Mapping, run_id: str, added: Mapping[str, Iterable[dict]],
               replaced: Mapping[str, Iterable[dict]], properties: Mapping[str, str] | None = None,
               order: Iterable[str] = TABLE_ORDER) -> dict[str, int]:
    """Make a run's files visible: per table (in TABLE_ORDER), one snapshot holding its new files (`added`: manifest
    entries {partition, path, rows}) and its replacements (`replaced`: {old, path, partition, rows}: `old` leaves
    the table as `path` enters it). A table with nothing new gets no snapshot. Returns table -> snapshot id.

    A commit that already happened (the run id is in the table's history: a retried driver step) is skipped."""
    done = {}
    props = {RUN_ID_PROPERTY: run_id, **(properties or {})}
    for name in order:
        new, swaps = list(added.get(name, ())), list(replaced.get(name, ()))
        if not new and not swaps:
            continue
        table = tables[name]
        table.refresh()
        previous = snapshot_of_run(table, run_id)
        if previous is not None:
            done[name] = previous
            continue
        plan = _stats_plan(table)
        if swaps:
            stored = {_local_path(t.file.file_path): t.file for t in table.scan().plan_files()}
            missing = [s["old"] for s in swaps if s["old"] not in stored]
            if missing:
                raise RuntimeError(f"{name}: files to replace are not in the table: {missing[:3]}")
            with table.transaction() as tx:
                with tx.update_snapshot(snapshot_properties=props).overwrite() as op:
                    for s in swaps:
                        op.delete_data_file(stored[s["old"]])
                        op.append_data_file(_data_file(table, s["path"], s["partition"], plan))
                    for f in new:
                        op.append_data_file(_data_file(table, f["path"], f["partition"], plan))
        else:
            merge = table.properties.get("commit.manifest-merge.enabled", "false") == "true"
            with table.transaction() as tx:
                update = tx.update_snapshot(snapshot_properties=props)
                with (update.merge_append() if merge else update.fast_append()) as op:
                    for f in new:
                        op.append_data_file(_data_file(table, f["path"], f["partition"], plan))
        # the transaction left `table` at the new metadata (pyiceberg Table._do_commit): no reload
        done[name] = table.current_snapshot().snapshot_id
    return done


ADOPTED = "adopted"
"""The run id of the snapshot that adopts the files of Hive folders written before the output had tables."""


def adopt(tables: Mapping, output: str) -> dict[str, int]:
    """Tables that have no snapshot yet take the Parquet files already under their folders (an output written
    as plain Hive folders, by `--format hive` or before 0.5), one append each, run id `adopted`: the rows as they
    are, files unchanged. Returns table -> files adopted."""
    from apache_beam.io.filesystems import FileSystems

    adopted = {}
    for name in TABLE_ORDER:
        table = tables[name]
        if table.current_snapshot() is not None or snapshot_of_run(table, ADOPTED) is not None:
            continue
        root = f"{output.rstrip('/')}/{name}"
        try:
            found = FileSystems.match([f"{root}/**/*.parquet"])[0].metadata_list
        except Exception:  # noqa: BLE001 - no folder yet
            found = []
        files = [{"path": m.path, "partition": m.path[len(root) + 1:].rsplit("/", 1)[0]} for m in found]
        files = [f for f in files if f["partition"].count("=") == 2]
        if not files:
            continue
        commit_run({name: table}, ADOPTED, {name: files}, {}, {"scrapeline.adopted": "true"}, order=(name,))
        adopted[name] = len(files)
    return adopted


def snapshot_of_run(table, run_id: str) -> int | None:
    for s in table.snapshots():
        if s.summary is not None and s.summary.additional_properties.get(RUN_ID_PROPERTY) == run_id:
            return s.snapshot_id
    return None


def snapshot_as_of(table, run_id: str) -> int | None:
    """The snapshot a reader of `table` saw right after run `run_id` committed: the run's own snapshot, or when
    the run did not change this table, the last one committed before the run's first commit in any table. None:
    the table was empty then. UsageError: no table of the output knows the run."""
    own = snapshot_of_run(table, run_id)
    if own is not None:
        return own
    at = _run_commit_ms(table, run_id)
    if at is None:
        raise UsageError(f"no commit of run {run_id} is known (see `scrapeline history`)")
    # the snapshot log: which snapshot was current when (a rolled-back snapshot is in the history, not current)
    before = [e for e in table.metadata.snapshot_log if e.timestamp_ms <= at]
    return before[-1].snapshot_id if before else None


def _run_commit_ms(table, run_id: str) -> int | None:
    """When run `run_id` committed, from the snapshots of the output's other tables in the same catalog."""
    from pyiceberg.catalog import Catalog

    cat: Catalog = table.catalog
    times = []
    for name in TABLE_ORDER:
        other = cat.load_table(f"{NAMESPACE}.{name}")
        snap = snapshot_of_run(other, run_id)
        if snap is not None:
            times.append(other.snapshot_by_id(snap).timestamp_ms)
    return min(times) if times else None


def history(tables: Mapping) -> list[dict]:
    """Every snapshot of every table, oldest first: when, which run, what it did, and whether it is current."""
    rows = []
    for name in TABLE_ORDER:
        table = tables.get(name)
        if table is None:  # not created yet
            continue
        current = table.current_snapshot().snapshot_id if table.current_snapshot() else None
        for s in table.snapshots():
            extra = s.summary.additional_properties if s.summary else {}
            rows.append({
                "table": name, "snapshot_id": s.snapshot_id, "parent_id": s.parent_snapshot_id,
                "committed_at": dt.datetime.fromtimestamp(s.timestamp_ms / 1000, dt.timezone.utc).isoformat(),
                "run_id": extra.get(RUN_ID_PROPERTY), "operation": s.summary.operation.value if s.summary else None,
                "added_files": int(extra.get("added-data-files", 0)), "added_rows": int(extra.get("added-records", 0)),
                "removed_files": int(extra.get("deleted-data-files", 0)),
                "total_rows": int(extra.get("total-records", 0)), "current": s.snapshot_id == current,
            })
    return sorted(rows, key=lambda r: (r["committed_at"], TABLE_ORDER.index(r["table"])))


def rollback(tables: Mapping, run_id: str) -> dict[str, int | None]:
    """Undo a run: each table whose history holds the run goes back to the snapshot before it (its parent), in
    the reverse of the commit order. Only the latest run of a table can be rolled back: a later run built on it.
    Returns table -> the snapshot now current (None: the table is empty again)."""
    plan = {}
    for name in TABLE_ORDER:
        table = tables[name]
        table.refresh()
        snap = snapshot_of_run(table, run_id)
        if snap is None:
            continue
        current = table.current_snapshot()
        if current is None or current.snapshot_id != snap:
            later = current.summary.additional_properties.get(RUN_ID_PROPERTY) if current and current.summary else None
            raise UsageError(f"{name}: run {run_id} is not the latest commit of the table (the latest is "
                             f"{later or 'another change'}): roll back the later runs first")
        plan[name] = table.snapshot_by_id(snap).parent_snapshot_id
    if not plan:
        raise UsageError(f"no table holds a commit of run {run_id} (see `scrapeline history`)")
    for name in reversed(TABLE_ORDER):
        if name not in plan:
            continue
        table = tables[name]
        parent = plan[name]
        if parent is None:  # the run created the table's first snapshot: empty the table
            with table.transaction() as tx:
                tx.delete("True", snapshot_properties={"scrapeline.rollback_of": run_id})
        else:
            table.manage_snapshots().rollback_to_snapshot(parent).commit()
        table.refresh()
    return {name: (tables[name].current_snapshot().snapshot_id if tables[name].current_snapshot() else None)
            for name in plan}


def _partition_text(table, record) -> str:
    from pyiceberg.utils.datetime import days_to_date

    values = []
    for field, value in zip(table.spec().fields, record):
        values.append(f"{field.name}={days_to_date(value).isoformat() if field.name == 'date' else value}")
    return "/".join(values)


def compact_table(table, name: str, partitions: Iterable[str], max_rows: int, compression: str,
                  compaction_id: str) -> tuple[list[tuple[str, int, int]], int]:
    """Merge each partition's current files (those with at least two, or only `partitions` when named) into files
    of up to `max_rows` rows, written beside them; one overwrite snapshot for the whole table swaps them in
    (readers see the old files or the merged ones). The old files stay on disk for time travel until `expire`.
    Returns ([(partition, files before, files after)], partitions already one file)."""
    import pyarrow.parquet as pq

    from scrapeline.transforms.output.write import write_parquet_file

    table.refresh()
    if table.current_snapshot() is None:
        return [], 0
    by_partition: dict[str, list] = {}
    for task in table.scan().plan_files():
        by_partition.setdefault(_partition_text(table, task.file.partition), []).append(task.file)
    wanted = set(partitions)
    plan = {p: files for p, files in sorted(by_partition.items())
            if len(files) > 1 and (not wanted or p in wanted)}
    already = sum(1 for p, files in by_partition.items() if len(files) == 1 and (not wanted or p in wanted))
    if not plan:
        return [], already
    schema = TABLES[name].schema
    merged, swaps = [], []
    for partition, files in plan.items():
        rows = []
        for f in sorted(files, key=lambda f: f.file_path):
            rows.extend(pq.read_table(_local_path(f.file_path), schema=schema).to_pylist())
        folder = _local_path(files[0].file_path).rsplit("/", 1)[0]
        chunks = [rows[i:i + max_rows] for i in range(0, len(rows), max_rows)] or [[]]
        new = []
        for n, chunk in enumerate(chunks):
            path = f"{folder}/part-{compaction_id}-{n:05d}.parquet"
            write_parquet_file(path, chunk, schema, compression)
            new.append({"path": path, "partition": partition, "rows": len(chunk)})
        swaps.append((files, new))
        merged.append((partition, len(files), len(new)))
    stats = _stats_plan(table)
    with table.transaction() as tx:
        with tx.update_snapshot(snapshot_properties={RUN_ID_PROPERTY: compaction_id,
                                                     "scrapeline.compaction": "true"}).overwrite() as op:
            for old, new in swaps:
                for f in old:
                    op.delete_data_file(f)
                for f in new:
                    op.append_data_file(_data_file(table, f["path"], f["partition"], stats))
    table.refresh()
    return merged, already


def expire(tables: Mapping, output: str, older_than: dt.datetime) -> dict[str, int]:
    """Snapshot expiry and orphan removal: every snapshot committed before `older_than` goes (the current one
    stays), then every Parquet file under the table's folder that no remaining snapshot lists and that is older
    than `older_than` is deleted (the old versions of rewritten or compacted files, the files of runs whose commit
    never came). Time travel reaches back to `older_than` afterwards. Returns table -> files deleted."""
    import os
    from pathlib import Path

    if is_remote(output):
        raise UsageError("removing unreferenced files works on local outputs only")
    cutoff = older_than.timestamp()
    removed = {}
    for name in TABLE_ORDER:
        table = tables[name]
        table.refresh()
        current = table.current_snapshot()
        old = [s.snapshot_id for s in table.snapshots()
               if s.timestamp_ms / 1000 < cutoff and (current is None or s.snapshot_id != current.snapshot_id)]
        if old:
            table.maintenance.expire_snapshots().by_ids(old).commit()
            table.refresh()
        # every data file a remaining snapshot lists: each distinct manifest read once (snapshots share most of
        # theirs; a scan per snapshot made a compact of 1,000 snapshots take minutes)
        lists, manifests = set(), {}
        for s in table.snapshots():
            lists.add(_local_path(s.manifest_list))
            manifests.update((m.manifest_path, m) for m in s.manifests(table.io))
        referenced = {_local_path(e.data_file.file_path) for m in manifests.values()
                      for e in m.fetch_manifest_entry(table.io, discard_deleted=True)}
        gone = 0
        for path in Path(_local_path(output), name).rglob("*.parquet"):
            if str(path) not in referenced and os.path.getmtime(path) < cutoff:
                path.unlink()
                gone += 1
        removed[name] = gone
        # the manifest lists and manifests of expired snapshots: pyiceberg's expiry leaves them on disk
        # (old metadata files go by themselves: write.metadata.delete-after-commit.enabled)
        kept = lists | {_local_path(p) for p in manifests}
        metadata_dir = Path(_local_path(table.metadata_location)).parent
        for path in metadata_dir.glob("*.avro"):
            if str(path) not in kept and os.path.getmtime(path) < cutoff:
                path.unlink()
    return removed


class CommittedIn:
    """The committed files of table `name` under a directory (one partition), read from the current snapshot at
    each call: what a streaming pane compares its rows with (transforms/streaming.py `WriteWindowedParquet`)."""

    def __init__(self, output: str, catalog: str | None, name: str):
        self.output, self.catalog, self.name = output, catalog, name

    def __call__(self, directory: str) -> list[str]:
        table = open_catalog(self.output, self.catalog).load_table(f"{NAMESPACE}.{self.name}")
        prefix = _local_path(directory).rstrip("/") + "/"
        return sorted(f for f in current_files(table) if f.startswith(prefix))


class CommitPaneFn:
    """Streaming on Iceberg tables: each pane's file ({partition, path, rows}) becomes one append snapshot of table
    `name`, tagged `<run_id>/<file name>`, so the commit of a pane the runner replays is found and skipped. Workers
    that commit at the same time conflict in the catalog (optimistic commits): the loser reloads and tries again.
    The Beam DoFn around it is pipeline/graph.py's `CommitPanes`."""

    ATTEMPTS = 30

    def __init__(self, output: str, catalog: str | None, name: str, run_id: str):
        self.output, self.catalog, self.name, self.run_id = output, catalog, name, run_id
        self._table = None

    def commit(self, element: dict) -> int:
        import random
        import time

        from pyiceberg.exceptions import CommitFailedException
        from sqlalchemy.exc import OperationalError

        pane = f"{self.run_id}/{element['path'].rsplit('/', 1)[1]}"
        for attempt in range(self.ATTEMPTS):
            try:
                if self._table is None:
                    self._table = open_catalog(self.output, self.catalog).load_table(f"{NAMESPACE}.{self.name}")
                done = commit_run({self.name: self._table}, pane, {self.name: [element]}, {},
                                  {"scrapeline.stream": "true"}, order=(self.name,))
                return done[self.name]
            except (CommitFailedException, OperationalError):  # another writer first, or SQLite locked meanwhile
                self._table = None
                time.sleep(random.uniform(0.02, 0.2) * (1 + attempt))
        raise RuntimeError(f"{self.name}: pane {pane} could not be committed in {self.ATTEMPTS} attempts "
                           f"(other writers kept committing first)")


def as_json(rows: list[dict]) -> str:
    return json.dumps(rows, indent=1)
