"""The Python API: what `scrapeline run` and `scrapeline compact` do, for an orchestrator that calls it in-process
(Dagster, Airflow's PythonOperator, a notebook) instead of starting a subprocess.

    from scrapeline.pipeline.api import run, compact, PipelineFailed
    summary = run(["landing/2025-08-06/"], "s3://news/out", options={"runner": "DirectRunner"},
                  run_id="daily-2025-08-06")
    summary.articles_written, summary.duplicates_in_run, summary.dead_letters_written, summary.record_path

The command line (pipeline/cli.py) is a thin layer over the same run module (pipeline/run.py). Errors are typed:
`UsageError` (the invocation cannot run: exit 2 on the command line), `PipelineFailed` (the pipeline raised; a
`failed` run record is written), `AccountingError` (the run finished but its articles do not add up; `.summary`
has the counts). All three are `ScrapelineError`s. Nothing here prints.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from scrapeline.pipeline.errors import AccountingError, PipelineFailed, ScrapelineError, UsageError
from scrapeline.pipeline.options import beam_options, env_flags, flags_of
from scrapeline.pipeline.run import RunSummary, prepare, run_batch

__all__ = ["AccountingError", "CompactSummary", "PipelineFailed", "RunSummary", "ScrapelineError", "UsageError",
           "compact", "history", "rollback", "run"]


@dataclass(frozen=True)
class CompactSummary:
    merged: tuple[tuple[str, int, int], ...]
    """(partition, files before, files after) of each partition merged."""
    already_compact: int
    changed: tuple[str, ...]
    """Partitions that gained a file while being merged (a writer's), left as they were."""


def run(inputs: Sequence[str] | None = None, output: str = "out", *, config: str | None = None,
        options: Mapping | Sequence[str] | None = None, run_id: str | None = None, fetched_at: str | None = None,
        layout: str | None = None, env: str | None = None, summary_json: str | None = None,
        table_format: str | None = None, catalog: str | None = None) -> RunSummary:
    """Ingest `inputs` (files, directories, globs; none: the shipped samples) into `output`; the run's summary.
    `options`: Beam options, as a mapping ({"runner": "DirectRunner", "direct_num_workers": 2}) or as flags;
    `env`: a configs/environments/ file whose options come first; `table_format`: iceberg or hive (None: pipeline/run.py `choose_format`)."""
    req = prepare(list(inputs or ()), output, config=config,
                  beam_options=beam_options(env_flags(env) + flags_of(options)), fetched_at=fetched_at,
                  layout=layout, summary_json=summary_json, table_format=table_format, catalog=catalog)
    return run_batch(req, run_id)


def compact(output: str, partitions: Sequence[str] = (), table: str = "articles",
            config: str | None = None, catalog: str | None = None, retain_days: float | None = None) -> CompactSummary:
    """Merge the small Parquet files of `output`'s partitions (pipeline/compact.py); what it did."""
    from scrapeline.pipeline.compact import compact_output
    from scrapeline.pipeline.config import ConfigError, load_config

    try:
        cfg = load_config(config)
    except ConfigError as e:
        raise UsageError(str(e)) from None
    merged, already, changed = compact_output(output, list(partitions), table, cfg, catalog, retain_days)
    return CompactSummary(tuple(merged), already, tuple(changed))


def _require_tables(output: str, catalog: str | None) -> None:
    """Refuse an output with no tables to read (before opening a catalog, which would create an empty one)."""
    from scrapeline.pipeline.tables import is_iceberg

    if not catalog and not is_iceberg(output):
        raise UsageError(f"{output} has no Iceberg tables in an embedded catalog (plain folders, or tables in a catalog "
                         f"you name with --catalog)")


def history(output: str, catalog: str | None = None) -> list[dict]:
    """The snapshots of an Iceberg output's tables, oldest first (pipeline/tables.py `history`)."""
    from scrapeline.pipeline.tables import existing_tables, history as table_history, open_catalog

    _require_tables(output, catalog)
    return table_history(existing_tables(open_catalog(output, catalog)))


def rollback(output: str, run_id: str, catalog: str | None = None) -> dict:
    """Undo run `run_id` of an Iceberg output, holding its lock; table -> the snapshot now current."""
    from scrapeline.pipeline.lock import OutputLock
    from scrapeline.pipeline.tables import open_catalog, open_tables, rollback as rollback_tables

    _require_tables(output, catalog)
    lock = OutputLock(output, "rollback", run_id).acquire()
    try:
        return rollback_tables(open_tables(open_catalog(output, catalog), output), run_id)
    finally:
        lock.release()



def adopt(output: str, catalog: str | None = None) -> dict[str, int]:
    """Make an output written as plain Hive folders into Iceberg tables, holding its lock: each table takes the
    Parquet files under its folder as they are, in one snapshot (run id `adopted`); table -> files adopted (empty:
    the tables already had snapshots)."""
    from scrapeline.pipeline.lock import OutputLock
    from scrapeline.pipeline.tables import adopt as adopt_files, open_catalog, open_tables

    lock = OutputLock(output, "adopt").acquire()
    try:
        return adopt_files(open_tables(open_catalog(output, catalog), output), output)
    finally:
        lock.release()


def read(output: str, table: str = "articles", *, as_of: str | None = None, catalog: str | None = None):
    """Table `table` of an Iceberg output as a pyarrow Table: its current snapshot, or with `as_of=RUN_ID` as that
    run left it (the table's last snapshot up to and including the run's commit; `scrapeline history` lists the
    run ids). For DuckDB: `duckdb.sql("select ... from t")` over `t = api.read(...)`."""
    from scrapeline.pipeline.tables import open_catalog, snapshot_as_of

    _require_tables(output, catalog)
    cat = open_catalog(output, catalog)
    try:
        t = cat.load_table(f"scrapeline.{table}")
    except Exception as e:  # noqa: BLE001 - pyiceberg's NoSuchTableError, or a catalog that has no namespace
        raise UsageError(f"{output} has no Iceberg table {table!r} (a first run creates its tables when it commits): "
                         f"{e}") from None
    if as_of is None:
        return t.scan().to_arrow()
    snapshot = snapshot_as_of(t, as_of)
    if snapshot is None:  # the table was empty then (scan(snapshot_id=None) would read the current snapshot)
        return t.schema().as_arrow().empty_table()
    return t.scan(snapshot_id=snapshot).to_arrow()
