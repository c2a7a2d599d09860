"""Options: scrapeline's own (a Beam PipelineOptions subclass, so they travel with Beam's), the environment files
under configs/environments/, the parser that knows every Beam option, and the redaction of credentials.

Nothing here does I/O beyond reading an environment file: validation against the world (inputs, output, the
runner) is pipeline/run.py's.
"""

from __future__ import annotations

import argparse
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib.resources import files
from pathlib import Path

from apache_beam.options.pipeline_options import PipelineOptions

from scrapeline.pipeline.errors import UsageError

__all__ = ["ENV_DIR", "ScrapelineOptions", "all_options_parser", "beam_options", "env_flags", "flags_of", "harness_logging",
           "is_secret", "redact", "redact_flags", "scrub"]

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
            "--env",
            default=None,
            help="Name of a configs/environments/*.yaml whose beam_options are applied first "
            "(local, multiprocess, flink, spark, dataflow). Default: none (DirectRunner).",
        )


OUR_OPTIONS = frozenset({"output", "config", "layout", "fetched_at", "env"})


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
    """The Beam options of `configs/environments/<name>.yaml`, as flags."""
    if not name:
        return []
    import yaml

    path = ENV_DIR / f"{name}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in ENV_DIR.glob("*.yaml"))
        raise UsageError(f"no environment {name!r} (known: {', '.join(known)})")
    data = yaml.safe_load(path.read_text()) or {}
    return [str(o) for o in data.get("beam_options") or ()]


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
    name = logging.getLevelName(level)
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
