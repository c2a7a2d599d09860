"""The Python API (issue 11): what `scrapeline run` and `scrapeline compact` do, for an orchestrator that calls
it in-process (Dagster, Airflow's PythonOperator, a notebook) instead of starting a subprocess.

    from scrapeline.pipeline.api import run, compact, PipelineFailed
    summary = run(["landing/2025-08-06/"], "s3://news/out", options={"runner": "DirectRunner"},
                  run_id="daily-2025-08-06")
    summary.articles_written, summary.duplicates_in_run, summary.dead_letters_written, summary.record_path

The command line is a thin layer over these functions. Errors are typed: `UsageError` (the invocation cannot
run: exit 2 on the command line), `PipelineFailed` (the pipeline raised; a `failed` run record is written),
`AccountingError` (the run finished but its articles do not add up; `.summary` has the counts). All three are
`ScrapelineError`s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["AccountingError", "CompactSummary", "PipelineFailed", "RunSummary", "ScrapelineError", "UsageError",
           "compact", "run"]


class ScrapelineError(Exception):
    """Any failure of a scrapeline call."""


class UsageError(ScrapelineError):
    """The invocation cannot run (bad input, output, option or config); nothing was built or written."""


class PipelineFailed(ScrapelineError):
    """The pipeline raised (or another writer took an object store's lease meanwhile). `record`: the run record."""

    def __init__(self, message: str, record: dict | None = None):
        super().__init__(message)
        self.record = record or {}


class AccountingError(ScrapelineError):
    """The run completed, but extracted articles != written + duplicates + filtered + dead-lettered."""

    def __init__(self, message: str, summary: RunSummary):
        super().__init__(message)
        self.summary = summary


@dataclass(frozen=True)
class RunSummary:
    """A run's record (`<output>/_runs/<run_id>.json`), typed; `record` is the whole of it."""

    run_id: str
    status: str
    output: str
    record_path: str
    started_at: dt.datetime
    ended_at: dt.datetime
    duration_s: float
    files_read: int
    pages: int
    articles_extracted: int
    articles_written: int
    duplicates_in_run: int
    duplicates_already_in_output: int
    dead_letters_written: int
    rows_per_partition: Mapping[str, int]
    record: Mapping
    teasers_written: int = 0
    """Link cards written to `teasers/` (never counted as articles)."""

    @classmethod
    def from_record(cls, r: Mapping) -> RunSummary:
        return cls(
            run_id=r["run_id"], status=r["status"], output=r["output"], record_path=r["record"],
            started_at=dt.datetime.fromisoformat(r["started_at"]), ended_at=dt.datetime.fromisoformat(r["ended_at"]),
            duration_s=float(r["duration_s"]), files_read=r["files_read"], pages=r["pages"],
            articles_extracted=r["articles_extracted"], articles_written=r["articles_written"],
            duplicates_in_run=r["duplicates_in_run"], duplicates_already_in_output=r["duplicates_already_in_output"],
            dead_letters_written=r["dead_letters_written"], rows_per_partition=dict(r["rows_per_partition"]),
            record=dict(r), teasers_written=(r.get("teasers") or {}).get("written", 0),
        )


@dataclass(frozen=True)
class CompactSummary:
    merged: tuple[tuple[str, int, int], ...]
    """(partition, files before, files after) of each partition merged."""
    already_compact: int
    changed: tuple[str, ...]
    """Partitions that gained a file while being merged (a writer's), left as they were."""


def _flags(options: Mapping | Sequence[str] | None) -> list[str]:
    """Beam options as a mapping ({"runner": "DirectRunner", "direct_num_workers": 2}) or as flags."""
    if options is None:
        return []
    if isinstance(options, Mapping):
        return [f"--{k}={v}" if v is not True else f"--{k}" for k, v in options.items() if v is not False]
    return [str(o) for o in options]


def run(inputs: Sequence[str] | None = None, output: str = "out", *, config: str | None = None,
        options: Mapping | Sequence[str] | None = None, run_id: str | None = None, fetched_at: str | None = None,
        layout: str | None = None, env: str | None = None, summary_json: str | None = None,
        quiet: bool = True) -> RunSummary:
    """Ingest `inputs` (files, directories, globs; none: the shipped samples) into `output`; the run's summary.
    `quiet`: print nothing (the command line prints the banner, progress and summary)."""
    argv = [*(inputs or ()), "--output", output]
    for flag, value in (("--config", config), ("--run-id", run_id), ("--fetched-at", fetched_at),
                        ("--layout", layout), ("--env", env), ("--summary-json", summary_json)):
        if value is not None:
            argv += [flag, str(value)]
    return run_argv(argv + _flags(options), quiet=quiet)


def run_argv(argv: list[str], quiet: bool = False) -> RunSummary:
    """`scrapeline run` with its arguments; raises the typed errors above."""
    from scrapeline.pipeline import cli

    inv = cli.parse_invocation(argv, cli._run_args)
    run_id = cli._check_run_id(inv.extra["run_id"], inv.output) if inv.extra.get("run_id") else cli.new_run_id()
    patterns, files = cli.resolve_inputs(inv.inputs or [str(cli.SAMPLES_DIR)])
    lock = cli._locked(inv.output, "run", run_id)
    try:
        code, record = cli.execute(inv, patterns, files, quiet=quiet, run_id=run_id)
        if cli._lease_lost(lock, code) != code:
            raise PipelineFailed(f"another writer took the lease on {inv.output} while this run wrote", record)
    finally:
        lock.release()
    if record is None or record.get("status") == "failed":
        raise PipelineFailed(f"the pipeline failed: {(record or {}).get('error', '')}", record)
    summary = RunSummary.from_record(record)
    if summary.status != "succeeded":
        raise AccountingError("articles are missing from the accounting (see the summary's identity)", summary)
    return summary


def compact(output: str, partitions: Sequence[str] = (), table: str = "articles",
            config: str | None = None) -> CompactSummary:
    """Merge the small Parquet files of `output`'s partitions (pipeline/compact.py); what it did."""
    from scrapeline.pipeline.compact import CompactRefused, compact_output
    from scrapeline.pipeline.config import ConfigError, load_config

    try:
        cfg = load_config(config)
        merged, already, changed = compact_output(output, list(partitions), table, cfg)
    except (ConfigError, CompactRefused) as e:
        raise UsageError(str(e)) from None
    return CompactSummary(tuple(merged), already, tuple(changed))

