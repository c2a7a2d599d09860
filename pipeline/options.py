"""Options: scrapeline's own (a Beam PipelineOptions subclass, so they travel with Beam's), the environment files
under configs/environments/, the parser that knows every Beam option, and the redaction of credentials.

Nothing here does I/O beyond reading an environment file: validation against the world (inputs, output, the
runner) is pipeline/run.py's.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib.resources import files
from pathlib import Path

from apache_beam.options.pipeline_options import PipelineOptions

from scrapeline.pipeline.errors import UsageError

__all__ = ["ENV_DIR", "FlinkJavaOptions", "ScrapelineOptions", "all_options_parser", "beam_options", "cluster_dir", "cluster_endpoints",
           "cluster_flags", "env_flags", "flags_of", "harness_logging",
           "is_secret", "redact", "redact_flags", "runner_ui", "scrub"]

ENV_DIR = Path(str(files("scrapeline.configs"))) / "environments"
"""`--env NAME` reads `NAME.yaml` here: the Beam options of one place to run (local, multiprocess, flink, ...)."""


class ScrapelineOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser):
        parser.add_argument(
            "--output",
            default="out",
            help="Output directory, local or remote (gs://, s3://). Default: ./out",
        )
        parser.add_argument(
            "--config",
            default=None,
            help="Run config YAML. Default: configs/default.yaml of this checkout.",
        )
        parser.add_argument(
            "--layout",
            default=None,
            help="Force one text-dump layout by name instead of detecting it per dump. Default: detect.",
        )
        parser.add_argument(
            "--fetched-at",
            "--fetched_at",
            dest="fetched_at",
            default=None,
            help="Fetch time (ISO-8601) for dumps whose own metadata and sidecar give none; relative published "
            "times resolve against it. Default: the file's modification time.",
        )
        parser.add_argument(
            "--format",
            dest="table_format",
            choices=["hive", "iceberg"],
            default=None,
            help="iceberg: Apache Iceberg tables, each run one commit per table (docs/tables.md); hive: plain Parquet "
            "folders. Default: iceberg for a new local output or with --catalog; an existing output keeps its format; "
            "hive on an object store without --catalog (the embedded catalog is a local file).",
        )
        parser.add_argument(
            "--catalog",
            default=None,
            help="Iceberg tables in pyiceberg's catalog of this name (~/.pyiceberg.yaml or PYICEBERG_CATALOG__* "
            "variables). Default: an SQLite catalog at <output>/_catalog/catalog.db.",
        )
        parser.add_argument(
            "--env",
            default=None,
            help="Name of a configs/environments/*.yaml whose beam_options are applied first "
            "(local, multiprocess, flink, spark, dataflow). Default: none (DirectRunner).",
        )


OUR_OPTIONS = frozenset({"output", "config", "layout", "fetched_at", "env", "table_format", "catalog"})


class FlinkJavaOptions(PipelineOptions):
    """Options of Beam's Java Flink runner that Beam's Python SDK does not declare. Declared here so the command
    line and environment files accept them and the portable runner passes them to the job server, which applies
    them (checked on the local cluster: the job's checkpoint interval, storage and restarts). None by default:
    unset, the cluster's own configuration rules."""

    @classmethod
    def _add_argparse_args(cls, parser):
        group = parser.add_argument_group("Flink (Java runner options, passed to the job server)")
        group.add_argument("--checkpointing_interval", type=int, default=None,
                           help="Streaming: take a checkpoint every N ms (Flink: off unless set).")
        group.add_argument("--checkpointing_mode", choices=["EXACTLY_ONCE", "AT_LEAST_ONCE"], default=None,
                           help="Streaming: checkpoint mode (Flink's default EXACTLY_ONCE).")
        group.add_argument("--min_pause_between_checkpoints", type=int, default=None,
                           help="Streaming: at least N ms between two checkpoints.")
        group.add_argument("--state_backend", choices=["filesystem", "rocksdb"], default=None,
                           help="Streaming: where Beam's state lives (filesystem: on the heap, checkpointed to "
                           "--state_backend_storage_path).")
        group.add_argument("--state_backend_storage_path", default=None,
                           help="Streaming: where checkpoints are written (file://, s3://, hdfs://).")
        group.add_argument("--shutdown_sources_after_idle_ms", type=int, default=None,
                           help="Streaming: end finished sources after N ms (Flink keeps them, so the job, running "
                           "while checkpoints are on).")
        group.add_argument("--number_of_execution_retries", type=int, default=None,
                           help="Restart a failed job up to N times (default: the cluster's restart strategy).")
        group.add_argument("--execution_retry_delay", type=int, default=None,
                           help="Wait N ms before each restart.")
        group.add_argument("--savepoint_path", default=None,
                           help="Start the job from this savepoint or retained checkpoint.")


def all_options_parser(prog: str, description: str | None = None,
                       extra_args: Callable[[argparse.ArgumentParser], None] | None = None) -> argparse.ArgumentParser:
    """One parser that knows every Beam option and ours, so `--runner DirectRunner` is never an input path."""
    # _BeamArgumentParser is private, but it is the parser Beam itself builds its options with (it knows
    # add_value_provider_argument); apache-beam is pinned to 2.77.*, and the CLI tests cover this path.
    from apache_beam.options.pipeline_options import _BeamArgumentParser

    parser = _BeamArgumentParser(prog=prog, allow_abbrev=False, description=description,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    seen = {}
    for cls in PipelineOptions.__subclasses__():
        seen.setdefault(f"{cls.__module__}.{cls.__qualname__}", cls)
    for cls in seen.values():
        cls._add_argparse_args(parser)
    parser.add_argument("inputs", nargs="*", metavar="INPUT",
                        help="Dump files, directories or globs (local, gs://, s3://). Default: the shipped samples.")
    if extra_args:
        extra_args(parser)
    return parser


def env_flags(name: str | None) -> list[str]:
    """The Beam options of `configs/environments/<name>.yaml`, as flags. An environment with `cluster: NAME` also
    takes the options of the running cluster that examples/clusters/NAME.sh started (its endpoints file)."""
    if not name:
        return []
    import yaml

    path = ENV_DIR / f"{name}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in ENV_DIR.glob("*.yaml"))
        raise UsageError(f"no environment {name!r} (known: {', '.join(known)})")
    data = yaml.safe_load(path.read_text()) or {}
    flags = [str(o) for o in data.get("beam_options") or ()]
    if data.get("cluster"):  # first, so the file's own options win (the last of a repeated flag does)
        flags = cluster_flags(str(data["cluster"])) + flags
    return flags


def cluster_dir() -> Path:
    """Where examples/clusters/*.sh keep each cluster's state and endpoints file."""
    return Path(os.environ.get("SCRAPELINE_CLUSTER_DIR") or Path.home() / ".cache" / "scrapeline" / "clusters")


def cluster_endpoints(name: str) -> dict:
    """The endpoints file of a cluster examples/clusters/NAME.sh started; UsageError when there is none."""
    path = cluster_dir() / name / "endpoints.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise UsageError(f"no {name} cluster is running (no {path}): start one with examples/clusters/{name}.sh "
                         f"start") from None
    except (OSError, ValueError) as e:
        raise UsageError(f"unreadable cluster endpoints {path}: {e}") from None


def cluster_flags(name: str) -> list[str]:
    """PortableRunner options for a running local cluster: its job server, harnesses started by each worker
    (PROCESS), one task per worker slot. The harnesses run this machine's interpreter, so the submission does not
    list its packages for the job (`disable_logging_submission_environment`: Beam's stager otherwise runs
    `pip freeze` at every submission, about 1 s and 1 core-s here)."""
    e = cluster_endpoints(name)
    flags = [f"--job_endpoint={e['job_endpoint']}", "--environment_type=PROCESS",
             f"--environment_config={e['process_environment_config']}", f"--parallelism={e['parallelism']}",
             "--experiments=disable_logging_submission_environment"]
    if e.get("files_to_stage"):  # Spark: stage one small jar instead of the job server's whole classpath
        flags.append(f"--files_to_stage={e['files_to_stage']}")
    if e.get("checkpoint_dir"):  # Flink: where a streaming job's checkpoints go
        flags.append(f"--state_backend_storage_path={e['checkpoint_dir']}")
    return flags


def runner_ui(beam_options: Mapping) -> str | None:
    """Where to watch a run that does not run here: the Flink or Spark UI of the cluster whose job server the
    options name, or the runner's own console. None for the local runners."""
    runner = str(beam_options.get("runner") or "DirectRunner").rsplit(".", 1)[-1]
    if runner in {"DirectRunner", "FnApiRunner", "SwitchingDirectRunner", "BundleBasedDirectRunner"}:
        return None
    if runner == "DataflowRunner":
        return "the Dataflow console (Dataflow > Jobs in the Google Cloud console)"
    if runner == "FlinkRunner" and beam_options.get("flink_master"):
        return f"the Flink UI at http://{beam_options['flink_master']}"
    endpoint = beam_options.get("job_endpoint")
    for path in sorted(cluster_dir().glob("*/endpoints.json")) if endpoint else ():
        try:
            e = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if e.get("job_endpoint") == endpoint:
            url = e.get("flink_rest_url") or e.get("spark_ui_url")
            return f"the {path.parent.name.capitalize()} UI at {url}" if url else None
    return f"the {runner} runner's own UI (job endpoint {endpoint})" if endpoint else None


def flags_of(options: Mapping | Sequence[str] | None) -> list[str]:
    """Beam options as a mapping ({"runner": "DirectRunner", "direct_num_workers": 2}) or as flags -> flags."""
    if options is None:
        return []
    if isinstance(options, Mapping):
        return [f"--{k}={v}" if v is not True else f"--{k}" for k, v in options.items() if v is not False]
    return [str(o) for o in options]


def beam_options(flags: list[str], prog: str = "scrapeline run") -> dict:
    """Beam options given as flags (an environment's, then the caller's) -> the options that differ from Beam's
    defaults. Unknown options are a UsageError, as are values of the wrong type (Beam's parser checks them)."""
    parser = all_options_parser(prog)
    try:
        known, unknown = parser.parse_known_args(flags)
    except SystemExit:
        raise UsageError(f"unusable Beam option in {' '.join(redact_flags(flags))}") from None
    if unknown or known.inputs:
        raise UsageError(f"unrecognised arguments: {' '.join(redact_flags([*known.inputs, *unknown]))}")
    return {k: v for k, v in vars(known).items()
            if k not in OUR_OPTIONS and k != "inputs" and v != parser.get_default(k)}


def harness_logging(level: int) -> dict:
    """Pipeline options that give the SDK workers (multi-processing, Dataflow, Flink, Spark) our log level; without
    them each worker prints ~20 INFO lines, and a warning about our own options it does not know."""
    # "WARN", not "WARNING": the Java job servers (Flink, Spark) parse the option into an enum that knows only
    # DEBUG, TRACE, INFO, WARN, ERROR, OFF; the Python harness takes any name of the logging module.
    name = {"WARNING": "WARN", "CRITICAL": "ERROR"}.get(logging.getLevelName(level), logging.getLevelName(level))
    quiet = {"apache_beam.options.pipeline_options": "ERROR", "__main__": "ERROR"} if level >= logging.WARNING \
        else {}
    return {"default_sdk_harness_log_level": name, "sdk_harness_log_level_overrides": quiet}


# --- credentials -----------------------------------------------------------------------------------------------

_SECRET_OPTIONS = frozenset({
    # Beam's own credential-bearing options (S3, GCP, Azure)
    "s3_access_key_id", "s3_secret_access_key", "s3_session_token",
    "service_account_key_file", "impersonate_service_account",
    "azure_connection_string", "azure_managed_identity_client_id",
})
_SECRET_WORDS = re.compile(r"secret|token|password|passwd|key_id|credential|connection_string|api_key", re.I)
REDACTED = "***"


def is_secret(name: str) -> bool:
    """An option whose value is (or names) a credential: Beam's known ones and any name that says so."""
    name = name.lstrip("-").replace("-", "_")
    return name in _SECRET_OPTIONS or bool(_SECRET_WORDS.search(name))


def redact(options: Mapping) -> dict:
    """The options with every credential's value replaced: what a run record, a summary or a log line may show."""
    return {k: (REDACTED if is_secret(k) and v not in (None, "", False) else v) for k, v in options.items()}


def redact_flags(flags: Iterable[str]) -> list[str]:
    out, hide_next = [], False
    for f in flags:
        if hide_next:
            out.append(REDACTED)
            hide_next = False
        elif f.startswith("--") and "=" in f and is_secret(f.split("=", 1)[0]):
            out.append(f"{f.split('=', 1)[0]}={REDACTED}")
        else:
            out.append(f)
            hide_next = f.startswith("--") and "=" not in f and is_secret(f)
    return out


def scrub(text: str, options: Mapping) -> str:
    """`text` with the value of every credential in `options` replaced (error lines quote what they were given)."""
    for k, v in options.items():
        if is_secret(k) and isinstance(v, str) and len(v) >= 4:
            text = text.replace(v, REDACTED)
    return text
