"""The `scrapeline` command: parse, validate (fail fast, exit 2), build the graph, run, summarise.

    scrapeline run [INPUT ...] [--output DIR] [--config FILE] [--layout NAME] [--fetched-at TS] [--env NAME]
                   [any Beam pipeline option: --runner, --direct_num_workers, ...]

INPUTs are files, directories (read recursively) or globs, local or remote; none = the samples shipped in
the repo. Exit codes: 0 the run completed (bad records are dead letters, not failures); 1 the pipeline failed
or its accounting does not add up; 2 the invocation is unusable (no such input, unwritable output, bad config).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sys
import uuid
from pathlib import Path

__all__ = ["main", "resolve_inputs", "UsageError"]

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "samples"
ENV_DIR = Path(__file__).resolve().parent.parent / "configs" / "environments"
_GLOB_CHARS = set("*?[")


class UsageError(Exception):
    """An invocation that cannot run; exit code 2."""


def _all_options_parser() -> argparse.ArgumentParser:
    """One parser that knows every Beam option and ours, so `--runner DirectRunner` is never an input path."""
    from apache_beam.options.pipeline_options import PipelineOptions, _BeamArgumentParser

    import pipeline.options  # noqa: F401  (registers ScrapelineOptions as a PipelineOptions subclass)

    parser = _BeamArgumentParser(prog="scrapeline run", allow_abbrev=False, description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    seen = {}
    for cls in PipelineOptions.__subclasses__():
        seen.setdefault(f"{cls.__module__}.{cls.__qualname__}", cls)
    for cls in seen.values():
        cls._add_argparse_args(parser)
    parser.add_argument("inputs", nargs="*", metavar="INPUT",
                        help="Dump files, directories or globs (local, gs://, s3://). Default: the shipped samples.")
    return parser


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


def resolve_inputs(inputs: list[str]) -> tuple[list[str], int]:
    """Input arguments -> file patterns (directories become `dir/**`), and how many dump files they match.

    Raises UsageError naming the first input that matches no dump file.
    """
    from apache_beam.io.filesystems import FileSystems

    from transforms.read import is_dump_path

    patterns: list[str] = []
    files: set[str] = set()
    for arg in inputs:
        if not _is_remote(arg) and os.path.isdir(arg):
            pattern = os.path.join(os.path.abspath(arg), "**")
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
        dumps = [m.path for m in matched if is_dump_path(m.path)]
        if not dumps:
            raise UsageError(f"input {arg!r} matches no dump file")
        patterns.append(pattern)
        files.update(dumps)
    return patterns, len(files)


def _check_output(output: str) -> str:
    if _is_remote(output):
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
    from transforms.metadata import parse_timestamp

    try:
        return parse_timestamp(value)
    except ValueError:
        raise UsageError(f"--fetched-at {value!r} is not an ISO-8601 time (e.g. 2025-08-06T12:00:00Z)") from None


def run(argv: list[str]) -> int:
    from apache_beam.options.pipeline_options import PipelineOptions

    from pipeline import __version__
    from pipeline.config import ConfigError, load_config

    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--env", default=None)
    env_args = _env_options(pre.parse_known_args(argv)[0].env)
    parser = _all_options_parser()
    known, unknown = parser.parse_known_args(env_args + argv)
    if unknown:
        raise UsageError(f"unrecognised arguments: {' '.join(unknown)}")

    fetched_at = _parse_fetched_at(known.fetched_at)
    try:
        config = load_config(known.config)
        if known.layout:
            config.layout(known.layout)
    except ConfigError as e:
        raise UsageError(str(e)) from None
    inputs = known.inputs or [str(SAMPLES_DIR)]
    patterns, n_files = resolve_inputs(inputs)
    output = _check_output(known.output)

    explicit = {k: v for k, v in vars(known).items() if k != "inputs" and v != parser.get_default(k)}
    options = PipelineOptions(flags=[], **explicit)
    ingested_at = dt.datetime.now(dt.timezone.utc)
    run_id = f"{ingested_at:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    print(f"scrapeline {__version__}: run {run_id}: {n_files} input file(s) -> {output}", file=sys.stderr)

    import apache_beam as beam

    from pipeline.graph import RunSpec, build_pipeline
    from pipeline.summary import build_summary, counters_of, render_summary
    from transforms.write import join

    spec = RunSpec(tuple(patterns), output, run_id, ingested_at, __version__, fetched_at, known.layout)
    p = beam.Pipeline(options=options)
    build_pipeline(p, spec, config)
    try:
        result = p.run()
        result.wait_until_finish()
    except Exception as e:  # noqa: BLE001
        logging.exception("pipeline failed")
        print(f"scrapeline: error: the pipeline failed: {e}", file=sys.stderr)
        return 1
    summary = build_summary(counters_of(result), output, run_id, inputs)
    from apache_beam.io.filesystems import FileSystems

    with FileSystems.create(join(output, "_runs", f"{run_id}.json"), mime_type="application/json") as f:
        f.write(json.dumps(summary, indent=1, default=str).encode("utf-8"))
    print(render_summary(summary))
    if not summary["identity"]["holds"]:
        print("scrapeline: error: articles are missing from the accounting (see the check line)", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    usage = "usage: scrapeline run [INPUT ...] [--output DIR] [options]   (scrapeline run --help for all options)"
    if not argv or argv[0] in {"-h", "--help"}:
        print(usage + "\n\n" + (__doc__ or ""))
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        if command == "run":
            return run(rest)
        raise UsageError(f"unknown command {command!r}; {usage}")
    except UsageError as e:
        print(f"scrapeline: error: {e}", file=sys.stderr)
        return 2
