"""One batch run, below the command line and the Python API: validate, list the inputs, take the output's lock,
build and run the graph, write the run record, check the accounting.

    request = prepare(inputs, output, config=None, beam_options={}, fetched_at=None, layout=None)
    summary = run_batch(request, run_id=None)          # RunSummary, or a typed error

Everything that can be checked before a graph exists is checked in `prepare` (UsageError, exit 2 on the command
line): the config, `--fetched-at`, the runner, the output (writable; an object store's bucket answers), the
inputs (they exist and hold dump files). Nothing here prints: the command line shows progress and the summary
(`progress=` and the returned summary), an orchestrator reads the summary.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack, nullcontext
from dataclasses import dataclass
from importlib.resources import files as package_files
from pathlib import Path

from scrapeline.pipeline.errors import AccountingError, PipelineFailed, UsageError
from scrapeline.pipeline.options import redact, scrub
from scrapeline.transforms.core.storage import is_remote, join

__all__ = ["Request", "RunSummary", "SAMPLES_DIR", "check_run_id", "execute", "glob_escape", "holds", "new_run_id",
           "prepare", "resolve_inputs", "run_batch"]

log = logging.getLogger(__name__)

SAMPLES_DIR = Path(str(package_files("scrapeline.samples")))
"""The sample dumps shipped in the package: what a run reads when given no input (from any directory, in a wheel)."""
_GLOB_CHARS = set("*?[")
_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


@dataclass(frozen=True)
class Request:
    """A validated run request: everything a batch run (or each micro-batch of `watch`) needs."""

    inputs: tuple[str, ...]
    """As given (files, directories, globs); empty: the shipped samples."""
    output: str
    config: object
    """The loaded pipeline/config.py Config."""
    fetched_at: dt.datetime | None
    layout: str | None
    beam_options: dict
    """Only the options that differ from Beam's defaults."""
    summary_json: str | None = None
    """Where the caller wants a copy of the run record."""
    table_format: str = "iceberg"
    """`iceberg`: the files made visible as Iceberg tables, one commit per run and table (pipeline/tables.py);
    `hive`: plain Parquet folders."""
    catalog: str | None = None
    """An Iceberg output: pyiceberg's catalog of that name; None: the embedded SQLite one under the output."""
    format_reason: str = "given"
    """Why this format: `given` (--format), or the rule of `choose_format` that picked it."""


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
    rows_per_partition: dict
    record: dict
    teasers_written: int = 0
    """Link cards written to `teasers/` (never counted as articles)."""

    @classmethod
    def from_record(cls, r: dict) -> RunSummary:
        return cls(
            run_id=r["run_id"], status=r["status"], output=r["output"], record_path=r["record"],
            started_at=dt.datetime.fromisoformat(r["started_at"]), ended_at=dt.datetime.fromisoformat(r["ended_at"]),
            duration_s=float(r["duration_s"]), files_read=r["files_read"], pages=r["pages"],
            articles_extracted=r["articles_extracted"], articles_written=r["articles_written"],
            duplicates_in_run=r["duplicates_in_run"], duplicates_already_in_output=r["duplicates_already_in_output"],
            dead_letters_written=r["dead_letters_written"], rows_per_partition=dict(r["rows_per_partition"]),
            record=dict(r), teasers_written=(r.get("teasers") or {}).get("written", 0),
        )


# --- validation, before any graph ------------------------------------------------------------------------------

def prepare(inputs: list[str] | tuple[str, ...] = (), output: str = "out", *, config: str | None = None,
            beam_options: dict | None = None, fetched_at: str | None = None, layout: str | None = None,
            summary_json: str | None = None, table_format: str | None = None, catalog: str | None = None) -> Request:
    """Validate a run's arguments against the world; UsageError names the first that cannot be used."""
    from scrapeline.pipeline.config import ConfigError, load_config

    beam_options = dict(beam_options or {})
    placeholders = [f"--{k}={v}" for k, v in beam_options.items() if isinstance(v, str) and "YOUR_" in v]
    if placeholders:
        raise UsageError(f"placeholder value(s) {', '.join(placeholders)}: fill them in configs/environments/ or pass "
                         f"the option on the command line")
    when = _parse_fetched_at(fetched_at)
    try:
        cfg = load_config(config)
        if layout:
            cfg.layout(layout)
    except ConfigError as e:
        raise UsageError(str(e)) from None
    _check_runner(beam_options.get("runner"))
    _give_filesystems(beam_options)
    from scrapeline.pipeline.tables import FORMATS

    if table_format is not None and table_format not in FORMATS:
        raise UsageError(f"--format {table_format!r}: use one of {', '.join(FORMATS)}")
    if table_format == "iceberg" and is_remote(output) and not catalog:
        raise UsageError(f"an Iceberg output on an object store ({output}) needs a catalog that is not a local "
                         f"file: name one with --catalog (see docs/tables.md), or write plain folders with --format hive")
    for what, location in [*(("input", i) for i in inputs), ("output", output)]:
        _probe_s3(f"{what} {location!r}", location, beam_options)
    # after the probes: looking for tables lists the output, which on a store that does not answer retries for
    # minutes (the probe says so in one line first)
    table_format, reason = choose_format(table_format, output, catalog)
    output = _check_output(output)
    if table_format == "iceberg" and not is_remote(output):
        output = os.path.abspath(output)  # the table lists files by absolute path
    return Request(tuple(inputs), output, cfg, when, layout, beam_options, summary_json, table_format, catalog,
                   reason)


def choose_format(given: str | None, output: str, catalog: str | None) -> tuple[str, str]:
    """The output format when --format is not given, and why: Iceberg tables for a new local output (the embedded
    catalog lives under it) or when a catalog is named; an existing output keeps the format it has (plain folders
    become tables only when asked: `--format iceberg` or `scrapeline adopt`); plain folders on an object store
    without a catalog (an SQLite file cannot live there)."""
    from scrapeline.pipeline.tables import has_table_metadata, is_iceberg

    tables = is_iceberg(output) or has_table_metadata(output)
    if given == "hive" and tables:
        raise UsageError(f"{output} is Iceberg tables: plain files written into it would be in no table (and "
                         f"`compact` would delete them); write plain folders to another output")
    if given is not None:
        return given, "given"
    if catalog:
        return "iceberg", "a catalog is named"
    if is_iceberg(output):
        return "iceberg", "the output's tables"
    if tables:
        raise UsageError(f"{output} is Iceberg tables in a catalog that is not the embedded one: name it with "
                         f"--catalog (plain files written into it would be in no table)")
    if is_remote(output):
        return "hive", "an object-store output without --catalog (the embedded catalog is a local file)"
    root = os.path.abspath(output)
    if any(os.path.isdir(os.path.join(root, d)) for d in ("articles", "teasers", "dead_letters", "_runs")):
        return "hive", "the output holds plain folders; `scrapeline adopt OUTPUT` makes them tables"
    return "iceberg", "the default"


def _parse_fetched_at(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    from scrapeline.transforms.core.times import EARLIEST_DATE, parse_timestamp, plausible_time

    try:
        t = parse_timestamp(value)
    except ValueError:
        raise UsageError(f"--fetched-at {value!r} is not an ISO-8601 time (e.g. 2025-08-06T12:00:00Z)") from None
    if plausible_time(t, dt.datetime.now(dt.timezone.utc)):
        raise UsageError(f"--fetched-at {value!r} lies before {EARLIEST_DATE:%Y} or after tomorrow: no page in a "
                         f"scrape was fetched then")
    return t


def _check_output(output: str) -> str:
    if is_remote(output):
        from apache_beam.io.filesystems import FileSystems

        try:
            FileSystems.get_filesystem(output)
            if output.startswith("s3://"):
                import boto3  # noqa: F401  (Beam registers s3:// without it, then fails on first use)
        except (ValueError, ImportError) as e:  # no filesystem for the scheme: its extra is not installed
            raise UsageError(f"cannot use output {output!r}: {e} (gs:// needs the [gcp] extra, s3:// the [aws] "
                             f"extra)") from None
        return output.rstrip("/")
    path = os.path.abspath(output)
    try:
        os.makedirs(path, exist_ok=True)
        probe = os.path.join(path, f".scrapeline-probe-{uuid.uuid4().hex}")
        with open(probe, "w") as f:
            f.write("ok")
        os.remove(probe)
    except OSError as e:
        raise UsageError(f"cannot write to output {output!r}: {e.strerror or e}") from None
    return path


def _give_filesystems(beam_options: dict) -> None:
    """Hand the Beam options to Beam's filesystems now, as `beam.Pipeline(...)` would later: the input listing, the
    output probe, the lock and the stored index all touch the store before any graph exists, and an `s3://`
    filesystem without its options fails ("Must provide one of client or options"; endpoint and keys are
    --s3_* options). Process-wide, as in Beam itself."""
    from apache_beam.io.filesystems import FileSystems
    from apache_beam.options.pipeline_options import PipelineOptions

    FileSystems.set_options(PipelineOptions(flags=[], **beam_options))


def _probe_s3(label: str, location: str, beam_options: dict) -> None:
    """One quick request to the bucket of an `s3://` location, with the run's --s3_* options: an unreachable
    endpoint, a missing bucket or refused keys are one line in seconds. Without it, Beam's S3 filesystem retries
    with backoff (a dead endpoint took 7 min 51 s to fail) and lists a missing bucket as empty."""
    if not location.startswith("s3://"):
        return
    try:
        import boto3
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:
        raise UsageError(f"cannot use {label}: s3:// needs the [aws] extra (boto3)") from None
    bucket = location[len("s3://"):].split("/", 1)[0]
    o = beam_options
    client = boto3.client(
        "s3", endpoint_url=o.get("s3_endpoint_url"), aws_access_key_id=o.get("s3_access_key_id"),
        aws_secret_access_key=o.get("s3_secret_access_key"), aws_session_token=o.get("s3_session_token"),
        region_name=o.get("s3_region_name"), use_ssl=not o.get("s3_disable_ssl", False), verify=o.get("s3_verify"),
        config=Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 2}))
    try:
        client.head_bucket(Bucket=bucket)
    except ClientError as e:
        code = e.response.get("Error", {}).get("Code", "?")
        what = {"404": "no such bucket", "NoSuchBucket": "no such bucket",
                "403": "access denied (a run lists its inputs and its output: it needs s3:ListBucket)"}.get(code, code)
        raise UsageError(f"cannot use {label}: {what} ({bucket!r})") from None
    except BotoCoreError as e:
        raise UsageError(scrub(f"cannot use {label}: {e}", o)) from None


def _check_runner(name: str | None) -> None:
    """Fail fast on a runner Beam does not know or cannot load (its extra missing), before any graph is built."""
    if not name:
        return
    from apache_beam.runners.runner import create_runner

    try:
        create_runner(name)
    except ValueError as e:
        raise UsageError(f"--runner {name!r}: {str(e).split('. Valid values')[0]}; known: DirectRunner, "
                         f"PortableRunner, DataflowRunner, FlinkRunner, SparkRunner, PrismRunner") from None
    except ImportError as e:
        raise UsageError(f"--runner {name!r} cannot be loaded: {e} (DataflowRunner needs the [gcp] extra)") from None


# --- inputs ----------------------------------------------------------------------------------------------------

def glob_escape(path: str) -> str:
    """A path as a pattern that matches exactly that path (Beam's match treats * ? [ as wildcards)."""
    return "".join(f"[{c}]" if c in _GLOB_CHARS else c for c in path)


def input_pattern(arg: str) -> str:
    """An input argument as a file pattern: a directory is everything under it (`dir/**`)."""
    if is_remote(arg):
        return arg + "**" if arg.endswith("/") else arg
    if os.path.isdir(arg):
        return os.path.join(glob_escape(os.path.abspath(arg)), "**")
    return os.path.abspath(arg)


def resolve_inputs(inputs: list[str] | tuple[str, ...]) -> tuple[list[str], list[dict]]:
    """Input arguments (none: the shipped samples) -> file patterns, and the dump files they match
    (`{path, size, mtime}`, which the run record keeps so that `watch` never ingests them again).

    Raises UsageError naming the first input that matches no dump file."""
    from scrapeline.transforms.read import list_dumps

    patterns: list[str] = []
    found: dict[str, dict] = {}
    for arg in inputs or [str(SAMPLES_DIR)]:
        if not is_remote(arg) and not (_GLOB_CHARS & set(arg)) and not os.path.exists(arg):
            raise UsageError(f"input {arg!r} does not exist")
        pattern = input_pattern(arg)
        try:
            dumps = list_dumps(pattern)
        except Exception as e:  # noqa: BLE001  (remote filesystems raise their own types)
            raise UsageError(f"cannot list input {arg!r}: {e}") from None
        if not dumps:
            raise UsageError(f"input {arg!r} matches no dump file")
        patterns.append(pattern)
        for d in dumps:
            found[d.path] = d.as_dict()
    return patterns, list(found.values())


# --- run ids and the lock --------------------------------------------------------------------------------------

def new_run_id(now: dt.datetime | None = None, suffix: str = "") -> str:
    """`<UTC time>-<8 hex>[-suffix]`: sortable by start, unique without coordination."""
    now = now or dt.datetime.now(dt.timezone.utc)
    return f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}" + (f"-{suffix}" if suffix else "")


def check_run_id(run_id: str, output: str) -> str:
    from apache_beam.io.filesystems import FileSystems

    if not _RUN_ID.fullmatch(run_id):
        raise UsageError(f"--run-id {run_id!r}: letters, digits, '.', '_' and '-' only, starting with a letter or "
                         f"digit, at most 128")
    if FileSystems.exists(join(output, "_runs", f"{run_id}.json")):
        raise UsageError(f"--run-id {run_id!r} is already recorded in {output}/_runs/: run ids are unique")
    return run_id


def holds(lock) -> bool:
    """Whether the output's lock is still ours: always locally (flock); for an object-store lease, one read of it
    (pipeline/lock.py: best effort there). A store hiccup leaves the heartbeat's last word."""
    try:
        return lock.still_held()
    except Exception as e:  # noqa: BLE001  (the store's own error types)
        log.warning("could not check the lease on %s: %s", lock.output, e)
        return lock.lost is None


# --- the run ---------------------------------------------------------------------------------------------------

def run_batch(req: Request, run_id: str | None = None,
              progress: Callable[[int], AbstractContextManager] | None = None,
              started: Callable[[str, int], None] | None = None) -> RunSummary:
    """One batch run of `req`, holding the output's lock; its summary, or PipelineFailed / AccountingError.
    `started(run_id, n_files)` is told once the inputs are listed and the lock is held; `progress(n_files)` is
    entered around the pipeline."""
    from scrapeline.pipeline.lock import OutputLock

    run_id = check_run_id(run_id, req.output) if run_id else new_run_id()
    patterns, files = resolve_inputs(req.inputs)
    lock = OutputLock(req.output, "run", run_id).acquire()  # OutputLocked/LockError are UsageErrors
    try:
        if started:
            started(run_id, len(files))
        record = execute(req, patterns, files, run_id, progress(len(files)) if progress else None)
        if not holds(lock):
            raise PipelineFailed(f"another writer took the lease on {req.output} while this run wrote; check the "
                                 f"output for duplicated rows", record)
    finally:
        lock.release()
    if record.get("status") == "failed":
        raise PipelineFailed(f"the pipeline failed: {record.get('error', '')}", record)
    summary = RunSummary.from_record(record)
    if summary.status != "succeeded":
        raise AccountingError(record.get("identity", {}).get("why") or "articles are missing from the accounting "
                              "(see the summary's identity)", summary)
    return summary


def _local_runner(options: dict, stack: ExitStack):
    """The FnApiRunner for the default DirectRunner, else None (Beam picks the runner from the options).
    Beam's DirectRunner first tries Prism, a Go binary it downloads from GitHub: that attempt costs a second
    `to_runner_api` of the graph (about 0.3 s) where it fails, and where it succeeds the same flags run on another
    engine. The batch graph has nothing the FnApiRunner lacks (no TestStream, Pub/Sub or processing-time
    timers), so the default runs in-process on every machine; `direct_num_workers` applies as before. With
    `direct_running_mode=multi_processing`, the workers are forks of one warm process that `stack` holds
    (pipeline/workers.py), not fresh Pythons."""
    name = str(options.get("runner") or "DirectRunner").rsplit(".", 1)[-1].lower()
    if name not in {"directrunner", "direct"}:  # Beam's names for it, in any case
        return None
    import apache_beam
    from apache_beam.runners.portability.fn_api_runner import FnApiRunner

    from scrapeline.pipeline import workers

    if options.get("direct_running_mode") == "multi_processing":
        _close_data_before_control()
    # the subclass below overrides an attribute of Beam 2.77's FnApiRunner: another version gets Beam's workers
    if (options.get("direct_running_mode") != "multi_processing" or not workers.enabled()
            or not apache_beam.__version__.startswith("2.77.")):
        return FnApiRunner()
    from apache_beam.transforms.environments import SubprocessSDKEnvironment

    warm = stack.enter_context(workers.WarmWorkers())

    class WarmFnApiRunner(FnApiRunner):
        """Beam sets its own worker command for multi_processing in run_pipeline: this runner keeps ours."""

        workers = warm
        _warm = SubprocessSDKEnvironment.from_command_string(warm.command)

        @property
        def _default_environment(self):
            return self._warm

        @_default_environment.setter
        def _default_environment(self, _value):
            pass

    return WarmFnApiRunner()


def _close_data_before_control() -> None:
    """At the end of a multi-processing run, Beam 2.77 ends each worker's control stream, then marks its data
    channel closed. A worker that exits in between (the control stream's end is its signal to) breaks the data
    stream of a channel not yet marked closed, and the runner logs "Failed to read inputs in the data plane" with two
    tracebacks (apache/beam#22643; one run in a loaded test suite here). Closed in the other order, the runner's data
    stream ends first and cleanly, and the worker's exit breaks a channel already closed: nothing is logged. No
    bundle is in flight when the handlers close. Beam 2.77 only (the method it replaces was read there)."""
    import apache_beam
    from apache_beam.runners.portability.fn_api_runner import worker_handlers

    handler = worker_handlers.GrpcWorkerHandler
    if not apache_beam.__version__.startswith("2.77.") or getattr(handler.close, "data_first", False):
        return

    def close(self) -> None:
        try:
            self.data_conn.close()
        finally:  # a data channel that failed still lets the worker know it is done
            self.control_conn.close()
        worker_handlers.WorkerHandler.close(self)

    close.data_first = True
    handler.close = close


def execute(req: Request, patterns: list[str], files: list[dict], run_id: str,
            progress: AbstractContextManager | None = None) -> dict:
    """Run the batch graph over `patterns` and write the run record; the record (status `succeeded`,
    `failed_accounting` or `failed`). The caller holds the output's lock: `run` for the run, `watch` for its
    lifetime."""
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions

    from scrapeline.pipeline import __version__
    from scrapeline.pipeline.graph import RunSpec, build_pipeline
    from scrapeline.pipeline.options import harness_logging
    from scrapeline.pipeline.summary import build_summary, counters_of

    ingested_at = dt.datetime.now(dt.timezone.utc)
    options = {**harness_logging(logging.getLogger("apache_beam").getEffectiveLevel()), **req.beam_options}
    with ExitStack() as workers:  # a multi-processing run's warm worker process lives as long as its pipeline
        runner = _local_runner(options, workers)
        tables, stored, stored_of = _stored_files(req)
        spec = RunSpec(tuple(patterns), req.output, run_id, ingested_at, __version__, req.fetched_at, req.layout, stored)
        record_path = join(req.output, "_runs", f"{run_id}.json")
        inputs = list(req.inputs) or patterns

        def timing(status: str) -> dict:
            ended = dt.datetime.now(dt.timezone.utc)
            return {"status": status, "started_at": ingested_at.isoformat(), "ended_at": ended.isoformat(),
                    "duration_s": round((ended - ingested_at).total_seconds(), 3), "pipeline_version": __version__,
                    "beam_options": redact(options), "record": record_path}

        p = beam.Pipeline(runner=runner, options=PipelineOptions(flags=[], **options))
        build_pipeline(p, spec, req.config)
        preload = _preload_catalog() if req.table_format == "iceberg" and tables is None else None
        try:
            with progress or nullcontext():
                result = p.run()
                result.wait_until_finish()
        except Exception as e:  # noqa: BLE001
            log.error("pipeline failed: %s", scrub(str(e), options)[:2000])
            # A record without `files`: `watch` takes none of its inputs as ingested.
            failed = {"run_id": run_id, "inputs": inputs, "output": req.output, **timing("failed"),
                      "error": scrub(str(e), options)[:2000]}
            _write_record(failed, record_path, req.summary_json)
            return failed
        finally:
            if preload is not None:
                preload.cancel()  # a run shorter than its delay: the commit imports pyiceberg itself
    _sweep_temporary(req.output, run_id)
    summary = build_summary(counters_of(result), req.output, run_id, inputs, len(files))
    summary = {**summary, **timing("failed_accounting" if summary["identity"]["holds"] is False else "succeeded")}
    summary["files"] = files
    summary["format"] = {"table_format": req.table_format, "why": req.format_reason}
    if req.table_format == "iceberg":
        summary["iceberg"] = _commit_tables(tables, stored, stored_of, req, run_id, summary["status"] == "succeeded")
    # Written last: a run whose record exists has committed its rows, and `watch` reads these records to know
    # which inputs were ingested (a run that died before this line is simply ingested again; dedup keeps the
    # rows it had already committed from being written twice).
    _write_record(summary, record_path, req.summary_json)
    if not is_remote(req.output):  # tidy: `_temporary/` only stays while something is in flight
        try:
            os.rmdir(os.path.join(req.output, "_temporary"))
        except OSError:
            pass
    return summary


def _stored_files(req: Request) -> tuple[dict | None, dict | None, dict | None]:
    """(the opened tables or None, table -> its current data files, table -> the metadata location those are of) of
    an Iceberg output; (None, None, None) for plain folders. The embedded catalog's files are read from its notes
    when they are up to date (`known_table_files`): then the tables are opened only when the run commits, and
    pyiceberg and SQLAlchemy (0.6 s of imports) are not loaded before the first page. A first run marks the
    output as tables at once (`claim_embedded`)."""
    if req.table_format != "iceberg":
        return None, None, None
    from scrapeline.pipeline.tables import claim_embedded, known_table_files

    if not req.catalog:
        claim_embedded(req.output)
        known = known_table_files(req.output)
        if known is not None:
            return None, *known
    from scrapeline.pipeline.tables import adopt, current_files, open_catalog, open_tables

    tables = open_tables(open_catalog(req.output, req.catalog), req.output)
    adopted = adopt(tables, req.output)  # the first Iceberg run on Hive folders takes their files as they are
    if adopted:
        log.info("adopted the files of the Hive folders into the tables: %s", adopted)
    return (tables, {name: current_files(t) for name, t in tables.items()},
            {name: t.metadata_location for name, t in tables.items()})


PRELOAD_AFTER_S = 3.0
"""When a run whose tables are opened only at its commit imports pyiceberg's catalog, after the pipeline starts."""


def _preload_catalog():
    """Import pyiceberg's SQL catalog (with SQLAlchemy, 0.6 s) in a daemon thread once the pages are under way, so
    the commit does not wait for it after the last page; the timer, which the run cancels when its pipeline ends
    first. With multi-processing workers the runner's process is idle then; in one process the import shares the
    extraction's time. Best effort: a failure here is the commit's to report."""
    import threading

    def load() -> None:
        try:
            import pyiceberg.catalog.sql  # noqa: F401
            import pyiceberg.table  # noqa: F401
        except Exception:  # noqa: BLE001 - the commit imports it again and says what is wrong
            pass

    timer = threading.Timer(PRELOAD_AFTER_S, load)
    timer.daemon = True
    timer.start()
    return timer


def _sweep_temporary(output: str, run_id: str) -> int:
    """Remove what this run left under `<output>/_temporary/<run_id>-*` once its pipeline has finished; how many
    entries. A runner may run a stage again after the stage that commits its files (Spark recomputes a stage for
    each of its consumers): the second attempt writes temporary files that no commit will take. They were garbage
    only (readers skip `_` paths, the next writer cleans `_temporary/`), but they stayed on the store until then.
    Never raises: a sweep that fails leaves them to the next writer."""
    from scrapeline.pipeline.lock import remove_temporary

    try:
        removed = remove_temporary(output, is_remote(output), f"{run_id}-*")
    except Exception as e:  # noqa: BLE001 - the next writer removes them
        log.warning("could not remove this run's temporary files under %s: %s", join(output, "_temporary"), e)
        return 0
    if removed:
        log.info("removed what a repeated stage of the run left under _temporary/: %s", sorted(removed))
    return len(removed)


def _commit_tables(tables: dict | None, stored: dict, stored_of: dict, req: Request, run_id: str,
                   succeeded: bool) -> dict:
    """An Iceberg output: make the run's files and replacements visible, one commit per table (pipeline/tables.py).
    `tables` None: they are opened now (created if missing); `stored`: their files when the run began, of the
    metadata `stored_of`. A run whose accounting failed commits nothing: its files stay on disk, in no table, until
    `compact` removes them, and a rerun of its inputs writes them again. Then, committed or not, an embedded
    catalog's notes of current files are written for the next run (`remember_files`)."""
    import time

    from apache_beam.io.filesystems import FileSystems

    from scrapeline.pipeline import __version__
    from scrapeline.pipeline.summary import manifest_files
    from scrapeline.pipeline.tables import TABLES, commit_run, open_catalog, open_tables, remember_files

    catalog = req.catalog or "embedded (" + join(req.output, "_catalog", "catalog.db") + ")"
    if tables is None:
        tables = open_tables(open_catalog(req.output, req.catalog), req.output)
    snapshots, replaced, t0 = {}, {}, time.monotonic()
    if succeeded:
        added = {t: manifest_files(req.output, run_id, t) for t in TABLES}
        for t in TABLES:
            path = join(req.output, "_runs", run_id, f"{t}.replaced.json")
            if FileSystems.exists(path):
                with FileSystems.open(path) as f:
                    replaced[t] = json.loads(f.read().decode("utf-8"))["replaced"]
        snapshots = commit_run(tables, run_id, added, replaced, {"scrapeline.version": __version__})
    commit_s = round(time.monotonic() - t0, 3)
    if not req.catalog:
        remember_files(tables, req.output, stored, stored_of)
    if not succeeded:
        return {"catalog": catalog, "committed": False}
    return {"catalog": catalog, "committed": True, "snapshots": snapshots, "commit_s": commit_s,
            "replaced_files": {t: len(v) for t, v in replaced.items() if v}}


def _write_record(record: dict, path: str, copy_to: str | None) -> None:
    """The run record at `<output>/_runs/<run_id>.json`, and a copy at `--summary-json PATH` for the caller."""
    from apache_beam.io.filesystems import FileSystems

    data = json.dumps(record, indent=1, default=str).encode("utf-8")
    for target in (path, copy_to):
        if not target:
            continue
        try:
            with FileSystems.create(target, mime_type="application/json") as f:
                f.write(data)
        except Exception as e:  # noqa: BLE001  (a failed run's record must not hide the failure)
            if record.get("status") == "succeeded":
                raise
            log.warning("could not write the run record %s: %s", target, e)
