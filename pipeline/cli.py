"""The `scrapeline` command: parse, validate (fail fast, exit 2), build the graph, run, summarise.

    scrapeline run [INPUT ...] [--output DIR] [--config FILE] [--layout NAME] [--fetched-at TS] [--env NAME]
                   [any Beam pipeline option: --runner, --direct_num_workers, ...]
    scrapeline watch INPUT_LOCATION [same options] [--poll-interval 1s] [--settle 2s]
                   [--run-seconds N | --idle-timeout N] [--streaming]
    scrapeline compact OUTPUT [--partition source=x/date=y ...]

INPUTs are files, directories (read recursively) or globs, local or remote; none = the samples shipped in
the repo. Exit codes: 0 the run completed (bad records are dead letters, not failures); 1 the pipeline failed
or its accounting does not add up; 2 the invocation is unusable (no such input, unwritable output, bad config,
or another run/watch/compact holds the output: one writer per output, see pipeline/lock.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from scrapeline.pipeline.api import AccountingError, PipelineFailed, UsageError  # exit codes 1, 1, 2

__all__ = ["main", "resolve_inputs", "UsageError"]  # the Python API is pipeline/api.py

SAMPLES_DIR = Path(str(files("scrapeline.samples")))  # the package's data: from any directory, in a wheel too
ENV_DIR = Path(str(files("scrapeline.configs"))) / "environments"
_GLOB_CHARS = set("*?[")



_LOG_LEVEL = logging.WARNING
"""Beam's log level, here and in its SDK workers: WARNING unless `-v` or `--log-level` asks for more."""


class _DropApitools(logging.Filter):
    """Beam logs "apitools not found" at import whenever the [gcp] extra is not installed: noise on every command."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "apitools not found" not in record.getMessage()


def _configure_logging(argv: list[str]) -> list[str]:
    """Take `-v`/`--verbose` and `--log-level LEVEL` out of argv and set the log levels; the rest of argv."""
    global _LOG_LEVEL
    level, rest, it = logging.WARNING, [], iter(argv)
    for arg in it:
        if arg in {"-v", "--verbose"}:
            level = min(level, logging.INFO)
        elif arg == "--log-level" or arg.startswith("--log-level="):
            name = arg.split("=", 1)[1] if "=" in arg else next(it, "")
            value = logging.getLevelName(name.upper())
            if not isinstance(value, int):
                raise UsageError(f"--log-level {name!r}: expected DEBUG, INFO, WARNING or ERROR")
            level = value
        else:
            rest.append(arg)
    _LOG_LEVEL = level
    root = logging.getLogger()
    if not any(isinstance(f, _DropApitools) for f in root.filters):
        root.addFilter(_DropApitools())
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apache_beam").setLevel(level)
    # The local job service relays every SDK worker's log lines (already shown by the worker itself) at their level.
    logging.getLogger("apache_beam.runners.portability.local_job_service").setLevel(max(level, logging.ERROR))
    return rest


def _harness_logging() -> dict:
    """Pipeline options that give the SDK workers (multi-processing, Dataflow, Flink) the same log level; without
    them each worker prints ~20 INFO lines, and a warning about our own options it does not know."""
    name = logging.getLevelName(_LOG_LEVEL)
    quiet = {"apache_beam.options.pipeline_options": "ERROR", "__main__": "ERROR"} if _LOG_LEVEL >= logging.WARNING \
        else {}
    return {"default_sdk_harness_log_level": name, "sdk_harness_log_level_overrides": quiet}


def _all_options_parser(prog: str = "scrapeline run") -> argparse.ArgumentParser:
    """One parser that knows every Beam option and ours, so `--runner DirectRunner` is never an input path."""
    # _BeamArgumentParser is private, but it is the parser Beam itself builds its options with (it knows
    # add_value_provider_argument); apache-beam is pinned to 2.77.*, and test_cli covers this path.
    from apache_beam.options.pipeline_options import PipelineOptions, _BeamArgumentParser

    import scrapeline.pipeline.options  # noqa: F401  (registers ScrapelineOptions as a PipelineOptions subclass)

    parser = _BeamArgumentParser(prog=prog, allow_abbrev=False, description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    seen = {}
    for cls in PipelineOptions.__subclasses__():
        seen.setdefault(f"{cls.__module__}.{cls.__qualname__}", cls)
    for cls in seen.values():
        cls._add_argparse_args(parser)
    parser.add_argument("inputs", nargs="*", metavar="INPUT",
                        help="Dump files, directories or globs (local, gs://, s3://). Default: the shipped samples.")
    return parser


_BEAM_POINTER = (
    "Beam pipeline options are accepted too, e.g. --runner (DirectRunner, PortableRunner, DataflowRunner, "
    "FlinkRunner), --direct_num_workers N --direct_running_mode multi_processing, --temp_location, --project, "
    "--region, --streaming; `{prog} --help-beam` lists all of them. "
    "-v/--verbose or --log-level LEVEL: Beam's own logs (default WARNING)."
)


def _print_help(argv: list[str], prog: str, extra_args=None) -> bool:
    """`--help`: our options only, with a pointer to Beam's; `--help-beam`: every option. Whether it printed."""
    if "--help-beam" in argv:
        parser = _all_options_parser(prog)
        if extra_args:
            extra_args(parser)
        parser.print_help()
        return True
    if not ({"-h", "--help"} & set(argv)):
        return False
    from scrapeline.pipeline.options import ScrapelineOptions

    parser = argparse.ArgumentParser(prog=prog, epilog=_BEAM_POINTER.format(prog=prog), add_help=True)
    parser.add_argument("inputs", nargs="*", metavar="INPUT",
                        help="Dump files, directories or globs (local, gs://, s3://). Default: the shipped samples.")
    ScrapelineOptions._add_argparse_args(parser)
    if extra_args:
        extra_args(parser)
    parser.print_help()
    return True


def _env_options(name: str | None) -> list[str]:
    if not name:
        return []
    import yaml

    path = ENV_DIR / f"{name}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in ENV_DIR.glob("*.yaml"))
        raise UsageError(f"no environment {name!r} (known: {', '.join(known)})")
    data = yaml.safe_load(path.read_text()) or {}
    return [str(o) for o in data.get("beam_options") or ()]


def _is_remote(path: str) -> bool:
    return "://" in path


def glob_escape(path: str) -> str:
    """A path as a pattern that matches exactly that path (Beam's match treats * ? [ as wildcards)."""
    return "".join(f"[{c}]" if c in _GLOB_CHARS else c for c in path)


def resolve_inputs(inputs: list[str]) -> tuple[list[str], list[dict]]:
    """Input arguments -> file patterns (directories become `dir/**`), and the dump files they match
    (`{path, size, mtime}`, which the run summary records so that `watch` never ingests them again).

    Raises UsageError naming the first input that matches no dump file.
    """
    from apache_beam.io.filesystems import FileSystems

    from scrapeline.transforms.read.dumps import is_dump_path

    patterns: list[str] = []
    files: dict[str, dict] = {}
    for arg in inputs:
        if not _is_remote(arg) and os.path.isdir(arg):
            pattern = os.path.join(glob_escape(os.path.abspath(arg)), "**")
        elif _is_remote(arg) and arg.endswith("/"):
            pattern = arg + "**"
        elif not _is_remote(arg):
            pattern = os.path.abspath(arg)
        else:
            pattern = arg
        if not _is_remote(arg) and not (_GLOB_CHARS & set(arg)) and not os.path.exists(arg):
            raise UsageError(f"input {arg!r} does not exist")
        try:
            matched = FileSystems.match([pattern])[0].metadata_list
        except Exception as e:  # noqa: BLE001  (remote filesystems raise their own types)
            raise UsageError(f"cannot list input {arg!r}: {e}") from None
        dumps = [m for m in matched if is_dump_path(m.path)]
        if not dumps:
            raise UsageError(f"input {arg!r} matches no dump file")
        patterns.append(pattern)
        for m in dumps:
            files[m.path] = {"path": m.path, "size": m.size_in_bytes, "mtime": m.last_updated_in_seconds}
    return patterns, list(files.values())


def _check_output(output: str) -> str:
    if _is_remote(output):
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


def _parse_fetched_at(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    from scrapeline.transforms.core.times import parse_timestamp

    try:
        return parse_timestamp(value)
    except ValueError:
        raise UsageError(f"--fetched-at {value!r} is not an ISO-8601 time (e.g. 2025-08-06T12:00:00Z)") from None


@dataclass(frozen=True)
class Invocation:
    """A validated invocation: everything a batch run (or each micro-batch of `watch`) needs."""

    inputs: list[str]
    output: str
    config: object
    fetched_at: dt.datetime | None
    layout: str | None
    beam_options: dict
    extra: dict


def parse_invocation(argv: list[str], extra_args: Callable[[argparse.ArgumentParser], None] | None = None,
                     prog: str = "scrapeline run") -> Invocation:
    """Parse and validate (raising UsageError) before any graph is built."""
    from scrapeline.pipeline.config import ConfigError, load_config

    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--env", default=None)
    env_args = _env_options(pre.parse_known_args(argv)[0].env)
    parser = _all_options_parser(prog)
    if extra_args:
        extra_args(parser)
    known, unknown = parser.parse_known_args(env_args + argv)
    if unknown:
        raise UsageError(f"unrecognised arguments: {' '.join(unknown)}")
    placeholders = [f"--{k}={v}" for k, v in vars(known).items() if isinstance(v, str) and "YOUR_" in v]
    if placeholders:
        raise UsageError(f"placeholder value(s) {', '.join(placeholders)}: fill them in configs/environments/ or pass "
                         f"the option on the command line")
    fetched_at = _parse_fetched_at(known.fetched_at)
    try:
        config = load_config(known.config)
        if known.layout:
            config.layout(known.layout)
    except ConfigError as e:
        raise UsageError(str(e)) from None
    extra_names = {a.dest for a in parser._actions if getattr(a, "_scrapeline_extra", False)}
    beam_options = {
        k: v for k, v in vars(known).items()
        if k not in extra_names and k != "inputs" and v != parser.get_default(k)
    }
    _check_runner(beam_options.get("runner"))
    _give_filesystems(beam_options)
    for what, location in [*(("input", i) for i in known.inputs), ("output", known.output)]:
        _probe_s3(f"{what} {location!r}", location, beam_options)
    return Invocation(
        inputs=list(known.inputs),
        output=_check_output(known.output),
        config=config,
        fetched_at=fetched_at,
        layout=known.layout,
        beam_options=beam_options,
        extra={k: getattr(known, k) for k in extra_names},
    )


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
    with backoff (a dead endpoint took 7 min 51 s to fail here) and lists a missing bucket as empty."""
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
        what = {"404": "no such bucket", "NoSuchBucket": "no such bucket", "403": "access denied (a run lists its inputs and its output: it needs s3:ListBucket)"}.get(code, code)
        raise UsageError(f"cannot use {label}: {what} ({bucket!r})") from None
    except BotoCoreError as e:
        raise UsageError(f"cannot use {label}: {e}") from None


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


def new_run_id(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.timezone.utc)
    return f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def execute(inv: Invocation, patterns: list[str], files: list[dict], quiet: bool = False,
            run_id: str | None = None) -> tuple[int, dict | None]:
    """Run the batch graph over `patterns`; write and print the summary. (exit code, summary).

    The caller holds the output's lock (pipeline/lock.py): `run` for the run, `watch` for its lifetime."""
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions

    from scrapeline.pipeline import __version__
    from scrapeline.pipeline.graph import RunSpec, build_pipeline
    from scrapeline.pipeline.summary import build_summary, counters_of, render_summary
    from scrapeline.transforms.core.storage import join

    ingested_at = dt.datetime.now(dt.timezone.utc)
    run_id = run_id or new_run_id(ingested_at)
    if not quiet:
        print(f"scrapeline {__version__}: run {run_id}: {len(files)} input file(s) -> {inv.output}", file=sys.stderr)
    spec = RunSpec(tuple(patterns), inv.output, run_id, ingested_at, __version__, inv.fetched_at, inv.layout)
    options = {**_harness_logging(), **inv.beam_options}
    record = join(inv.output, "_runs", f"{run_id}.json")

    def timing(status: str) -> dict:
        ended = dt.datetime.now(dt.timezone.utc)
        return {"status": status, "started_at": ingested_at.isoformat(), "ended_at": ended.isoformat(),
                "duration_s": round((ended - ingested_at).total_seconds(), 3), "pipeline_version": __version__,
                "beam_options": options, "record": record}

    p = beam.Pipeline(options=PipelineOptions(flags=[], **options))
    build_pipeline(p, spec, inv.config)
    from contextlib import nullcontext

    from scrapeline.pipeline.progress import Progress

    try:
        with nullcontext() if quiet else Progress(len(files)):
            result = p.run()
            result.wait_until_finish()
    except Exception as e:  # noqa: BLE001
        logging.exception("pipeline failed")
        print(f"scrapeline: error: the pipeline failed: {e}", file=sys.stderr)
        # A record without `files`: `watch` takes none of its inputs as ingested.
        failed = {"run_id": run_id, "inputs": inv.inputs or patterns, "output": inv.output, **timing("failed"),
                  "error": str(e)[:2000]}
        _write_record(failed, record, inv.extra.get("summary_json"))
        return 1, failed
    summary = build_summary(counters_of(result), inv.output, run_id, inv.inputs or patterns)
    summary = {**summary, **timing("succeeded" if summary["identity"]["holds"] else "failed_accounting")}
    summary["files"] = files
    # Written last: a run whose summary exists has committed its rows, and `watch` reads these files to know
    # which inputs were ingested (a run that died before this line is simply ingested again; dedup keeps the
    # rows it had already committed from being written twice).
    _write_record(summary, record, inv.extra.get("summary_json"))
    if not _is_remote(inv.output):  # tidy: `_temporary/` only stays while something is in flight
        try:
            os.rmdir(os.path.join(inv.output, "_temporary"))
        except OSError:
            pass
    print(render_summary(summary), flush=True)
    if not summary["identity"]["holds"]:
        print("scrapeline: error: articles are missing from the accounting (see the check line)", file=sys.stderr)
        return 1, summary
    return 0, summary


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
            logging.warning("could not write the run record %s: %s", target, e)


def _locked(output: str, command: str, run_id: str | None = None):
    """Take the output's one-writer lock (pipeline/lock.py), or UsageError (exit 2) naming its holder.

    Called after the invocation is validated and before any graph is built; the caller releases it in a
    `finally` (normal exit, UsageError, exceptions). A kill -9 leaves it to the kernel (locally) or to the
    lease's expiry (object stores); the next writer takes it over and says so."""
    from scrapeline.pipeline.lock import LockError, OutputLock, OutputLocked

    try:
        return OutputLock(output, command, run_id).acquire()
    except (OutputLocked, LockError) as e:
        raise UsageError(str(e)) from None


def _holds(lock) -> bool:
    """Whether the lock is still ours: always locally (flock); for an object-store lease, one read of it
    (lock.py: best effort there). A store hiccup leaves the heartbeat's last word."""
    try:
        return lock.still_held()
    except Exception as e:  # noqa: BLE001  (the store's own error types)
        logging.warning("could not check the lease on %s: %s", lock.output, e)
        return lock.lost is None


def _lease_lost(lock, code: int) -> int:
    """Exit 1 when the object-store lease was taken from us meanwhile."""
    if _holds(lock):
        return code
    print(f"scrapeline: error: another writer took the lease on {lock.output} while this one wrote; check "
          f"the output for duplicated rows", file=sys.stderr)
    return max(code, 1)


_RUN_ID = __import__("re").compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def _run_args(parser: argparse.ArgumentParser) -> None:
    for flag, help_ in [
        ("--run-id", "The run's id (letters, digits, . _ -; unique in the output). Default: <UTC time>-<random>."),
        ("--summary-json", "Also write the run record (the summary, with status, start, end, duration and the Beam "
                           "options) to this path, for the caller. It is always at <output>/_runs/<run_id>.json."),
    ]:
        action = parser.add_argument(flag, default=None, help=help_)
        action._scrapeline_extra = True


def _check_run_id(run_id: str, output: str) -> str:
    from apache_beam.io.filesystems import FileSystems

    from scrapeline.transforms.core.storage import join

    if not _RUN_ID.fullmatch(run_id):
        raise UsageError(f"--run-id {run_id!r}: letters, digits, '.', '_' and '-' only, starting with a letter or "
                         f"digit, at most 128")
    if FileSystems.exists(join(output, "_runs", f"{run_id}.json")):
        raise UsageError(f"--run-id {run_id!r} is already recorded in {output}/_runs/: run ids are unique")
    return run_id


def run(argv: list[str]) -> int:
    if _print_help(argv, "scrapeline run", _run_args):
        return 0
    from scrapeline.pipeline.api import run_argv

    try:
        run_argv(argv)  # the Python API; it printed the banner, progress, summary and any error
    except (PipelineFailed, AccountingError):
        return 1
    return 0


def _watch_streaming(inv: Invocation, pattern: str) -> int:
    """`watch --streaming`: submit the streaming graph (for Dataflow/Flink; see pipeline/graph.py)."""
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions

    from scrapeline.pipeline import __version__
    from scrapeline.pipeline.graph import RunSpec, build_streaming_pipeline

    x = inv.extra
    started = dt.datetime.now(dt.timezone.utc)
    stop = started.timestamp() + x["run_seconds"] if x["run_seconds"] else None
    run_id = f"{started:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}-stream"
    spec = RunSpec((pattern,), inv.output, run_id, started, __version__, inv.fetched_at, inv.layout)
    p = beam.Pipeline(options=PipelineOptions(flags=[], **{**_harness_logging(), **inv.beam_options}))
    runner = str(inv.beam_options.get("runner") or "DirectRunner")
    local = runner.split(".")[-1] in {"DirectRunner", "FnApiRunner", "SwitchingDirectRunner", "BundleBasedDirectRunner"}
    build_streaming_pipeline(p, spec, inv.config, pattern, x["poll_interval"], stop_timestamp=stop,
                             early_firings=not local)
    from scrapeline.pipeline.watch import say

    say(f"scrapeline watch --streaming: {pattern} -> {inv.output} on {runner}"
         + (" (local: windows are written when the run ends; use `watch` without --streaming here)" if local else ""))
    try:
        p.run().wait_until_finish()
    except Exception as e:  # noqa: BLE001
        logging.exception("streaming pipeline failed")
        print(f"scrapeline: error: the streaming pipeline failed: {e}", file=sys.stderr)
        return 1
    return 0


def _seconds(value: str) -> float:
    """'5', '5s', '2m', '1h' -> seconds."""
    v = value.strip().lower()
    scale = {"s": 1, "m": 60, "h": 3600}.get(v[-1:], None)
    try:
        n = float(v[:-1]) * scale if scale else float(v)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a duration: {value!r} (e.g. 5, 5s, 2m)") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"a duration cannot be negative: {value!r}")
    return n


def _watch_args(parser: argparse.ArgumentParser) -> None:
    for flag, default, help_ in [
        ("--poll-interval", "1s", "How often to list the location. Default: 1s."),
        ("--settle", "2s", "A file is read once unchanged for this long (and at two polls). Default: 2s."),
        ("--run-seconds", None, "Stop after this long (finishing the batch in flight). Default: run until stopped."),
        ("--idle-timeout", None, "Stop after this long without a new file. Default: never."),
    ]:
        action = parser.add_argument(flag, type=_seconds, default=default if default is None else _seconds(default),
                                     help=help_)
        action._scrapeline_extra = True
    action = parser.add_argument("--max-batch-files", type=int, default=1000,
                                 help="At most this many files per micro-batch. Default: 1000.")
    action._scrapeline_extra = True


def watch(argv: list[str]) -> int:
    from scrapeline.pipeline.watch import FileState

    if _print_help(argv, "scrapeline watch", _watch_args):
        return 0
    inv = parse_invocation(argv, _watch_args, prog="scrapeline watch")
    if len(inv.inputs) != 1:
        raise UsageError("watch takes exactly one INPUT_LOCATION (a directory, local or remote)")
    location = inv.inputs[0]
    if _is_remote(location):
        pattern = location.rstrip("/") + "/**"
    else:
        if not os.path.isdir(location):
            raise UsageError(f"watch location {location!r} is not a directory")
        pattern = os.path.join(glob_escape(os.path.abspath(location)), "**")

    x = inv.extra
    lock = _locked(inv.output, "watch")  # held for the watcher's whole lifetime, --streaming included

    def run_batch(batch: list[FileState]) -> int:
        if not _holds(lock):  # object stores: the lease was taken; stop before writing more
            return 1
        patterns = [glob_escape(st.path) for st in batch]
        return execute(inv, patterns, [st.as_dict() for st in batch], quiet=True)[0]

    try:
        if inv.beam_options.get("streaming"):
            return _lease_lost(lock, _watch_streaming(inv, pattern))
        return _lease_lost(lock, _watch_loop(inv, pattern, location, run_batch, x))
    finally:
        lock.release()


def _watch_loop(inv: Invocation, pattern: str, location: str, run_batch, x: dict) -> int:
    from scrapeline.pipeline.watch import Watcher

    watcher = Watcher(pattern, inv.output, run_batch, x["poll_interval"], x["settle"], x["run_seconds"],
                      x["idle_timeout"], x["max_batch_files"])
    from scrapeline.pipeline.watch import say

    say(f"scrapeline watch: {location} -> {inv.output} (poll {x['poll_interval']}s, settle {x['settle']}s); "
         f"{len(watcher._done)} file(s) already ingested")
    code = watcher.run()
    say(f"scrapeline watch: stopped after {watcher.batches} batch(es)")
    return code


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    usage = (
        "usage: scrapeline run [INPUT ...] [--output DIR] [options]\n"
        "       scrapeline watch INPUT_LOCATION [--output DIR] [--poll-interval 1s] [--settle 2s]\n"
        "                        [--run-seconds N | --idle-timeout N] [options]\n"
        "       scrapeline compact OUTPUT [--partition source=x/date=y ...]\n"
        "       scrapeline report OUTPUT [--to FILE]\n"
        "       scrapeline ddl --dialect bigquery|athena|snowflake|spark|markdown [--table T] [--output URI]\n"
        "       scrapeline --version\n"
        "(scrapeline run --help for its options; --help-beam for Beam's too)"
    )
    if not argv or argv[0] in {"-h", "--help"}:
        print(usage + "\n\n" + (__doc__ or ""))
        return 0 if argv else 2
    if argv[0] in {"-V", "--version"}:
        from scrapeline.pipeline import __version__

        print(f"scrapeline {__version__}")
        return 0
    try:
        command, rest = argv[0], _configure_logging(argv[1:])
        if command == "run":
            return run(rest)
        if command == "watch":
            return watch(rest)
        if command == "compact":
            from scrapeline.pipeline.compact import compact_command

            return compact_command(rest)
        if command == "ddl":
            from scrapeline.pipeline.ddl import ddl_command

            return ddl_command(rest)
        if command == "report":
            from scrapeline.pipeline.report import report_command

            return report_command(rest)
        raise UsageError(f"unknown command {command!r}; {usage}")
    except UsageError as e:
        print(f"scrapeline: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("scrapeline: interrupted", file=sys.stderr)
        return 130
