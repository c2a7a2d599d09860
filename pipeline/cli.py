"""The `scrapeline` command: parse argv, call the libraries, print, and map errors to exit codes.

    scrapeline run [INPUT ...] [--output DIR] [--config FILE] [--layout NAME] [--fetched-at TS] [--env NAME]
                   [--run-id ID] [--summary-json PATH] [any Beam pipeline option: --runner, ...]
    scrapeline watch INPUT_LOCATION [same options] [--poll-interval 1s] [--settle 2s]
                   [--run-seconds N | --idle-timeout N] [--max-batch-files N] [--streaming]
    scrapeline compact OUTPUT [--partition source=x/date=y ...] [--table T]
    scrapeline report OUTPUT [--to FILE]
    scrapeline ddl --dialect bigquery|athena|snowflake|spark|markdown [--table T] [--output URI]

INPUTs are files, directories (read recursively) or globs, local or remote; none = the samples shipped in
the package. Exit codes: 0 the run completed (bad records are dead letters, not failures); 1 the pipeline failed
or its accounting does not add up; 2 the invocation is unusable (no such input, unwritable output, bad config,
or another run/watch/compact holds the output: one writer per output, see pipeline/lock.py); 130 interrupted.

Nothing below this module parses argv or prints a run's summary: `run` is pipeline/run.py (through the same
calls as the Python API, pipeline/api.py), `watch`, `compact`, `report` and `ddl` are libraries.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from scrapeline.pipeline.errors import AccountingError, PipelineFailed, UsageError

__all__ = ["COMMANDS", "command_parser", "main"]

_BEAM_POINTER = (
    "Beam pipeline options are accepted too, e.g. --runner (DirectRunner, PortableRunner, DataflowRunner, "
    "FlinkRunner, SparkRunner), --direct_num_workers N --direct_running_mode multi_processing, --temp_location, "
    "--streaming; `{prog} --help-beam` lists all of them. -v/--verbose or --log-level LEVEL: Beam's own logs "
    "(default WARNING)."
)


class _DropApitools(logging.Filter):
    """Beam logs "apitools not found" at import whenever the [gcp] extra is not installed: noise on every command."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "apitools not found" not in record.getMessage()


def _configure_logging(argv: list[str]) -> list[str]:
    """Take `-v`/`--verbose` and `--log-level LEVEL` out of argv and set the log levels; the rest of argv."""
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
    root = logging.getLogger()
    if not any(isinstance(f, _DropApitools) for f in root.filters):
        root.addFilter(_DropApitools())
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apache_beam").setLevel(level)
    # The local job service relays every SDK worker's log lines (already shown by the worker itself) at their level.
    logging.getLogger("apache_beam.runners.portability.local_job_service").setLevel(max(level, logging.ERROR))
    return rest


# --- the parsers (also what docs/cli.md is generated from) -----------------------------------------------------

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


def _run_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run-id", default=None,
                        help="The run's id (letters, digits, . _ -; unique in the output). Default: <UTC time>-<random>.")
    parser.add_argument("--summary-json", default=None,
                        help="Also write the run record (the summary, with status, start, end, duration and the Beam "
                             "options, credentials redacted) to this path. It is always at <output>/_runs/<run_id>.json.")


def _watch_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--poll-interval", type=_seconds, default=1.0, help="How often to list the location. Default: 1s.")
    parser.add_argument("--settle", type=_seconds, default=2.0,
                        help="A file is read once unchanged for this long (and at two polls). Default: 2s.")
    parser.add_argument("--run-seconds", type=_seconds, default=None,
                        help="Stop after this long (finishing the batch in flight). Default: run until stopped.")
    parser.add_argument("--idle-timeout", type=_seconds, default=None,
                        help="Stop after this long without a new file. Default: never.")
    parser.add_argument("--max-batch-files", type=int, default=1000,
                        help="At most this many files per micro-batch. Default: 1000.")


def _compact_args(parser: argparse.ArgumentParser) -> None:
    from scrapeline.pipeline.compact import TABLES

    parser.add_argument("output", help="The output directory of `run`/`watch` (local).")
    parser.add_argument("--partition", action="append", default=[],
                        help="Only this partition, e.g. source=reuters/date=2025-08-06 (repeatable). Default: all.")
    parser.add_argument("--table", choices=sorted(TABLES), default="articles")
    parser.add_argument("--config", default=None, help="Run config (for write.max_rows_per_file and compression).")
    parser.add_argument("--catalog", default=None, help="An Iceberg output in pyiceberg's catalog of this name. "
                                                        "Default: the embedded one, when OUTPUT/_catalog/ holds it.")
    parser.add_argument("--retain-days", type=float, default=None,
                        help="Iceberg outputs: expire snapshots older than this, then delete the files no snapshot "
                        "keeps; time travel reaches back this far. Default: 7.")


def _report_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("output", help="The output directory of `run`/`watch` (local).")
    parser.add_argument("--to", default=None, help="Where to write the page. Default: OUTPUT/_report.html.")


def _ddl_args(parser: argparse.ArgumentParser) -> None:
    from scrapeline.pipeline.ddl import DIALECTS
    from scrapeline.transforms.core.records import TABLES

    parser.add_argument("--dialect", required=True, choices=DIALECTS)
    parser.add_argument("--table", default="articles", choices=sorted(TABLES))
    parser.add_argument("--output", default=None, help="The output's root (gs://b/out, s3://b/out, @stage/out, a "
                                                       "path). Default: a placeholder to fill in.")
    parser.add_argument("--name", default=None, help="Table name (BigQuery: dataset.table). Default: the table's.")
    parser.add_argument("--format", dest="table_format", choices=["hive", "iceberg"], default=None,
                        help="iceberg: statements that read the output's Iceberg table (its current metadata file, "
                        "from the catalog, when OUTPUT has one); hive: external tables over the Parquet folders. "
                        "Default: iceberg when --output is Iceberg tables or --catalog is given, else hive.")
    parser.add_argument("--catalog", default=None, help="With --format iceberg: the pyiceberg catalog the tables are "
                                                        "in. Default: the embedded one, when OUTPUT holds it.")


def _history_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("output", help="An output written with --format iceberg.")
    parser.add_argument("--catalog", default=None, help="The pyiceberg catalog the output's tables are in. Default: "
                                                        "the embedded one at OUTPUT/_catalog/catalog.db.")
    parser.add_argument("--json", action="store_true", help="Print the snapshots as JSON.")


def _rollback_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("output", help="An output written with --format iceberg.")
    parser.add_argument("run_id", help="The run to undo (`scrapeline history` lists them); the latest of each table.")
    parser.add_argument("--catalog", default=None, help="As for history.")


def _adopt_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("output", help="An output written as plain Hive folders (--format hive, or before 0.4).")
    parser.add_argument("--catalog", default=None, help="As for history.")


COMMANDS = {
    "run": ("Ingest dump files into an output, once.", _run_args),
    "watch": ("Ingest new dump files as they land in a location (micro-batches, or --streaming).", _watch_args),
    "compact": ("Merge the small Parquet files of an output's partitions (local outputs).", _compact_args),
    "report": ("One self-contained HTML page about an output.", _report_args),
    "ddl": ("A warehouse's DDL for the output's tables, generated from the schema module.", _ddl_args),
    "history": ("The snapshots of an Iceberg output's tables: when, which run, what changed.", _history_args),
    "rollback": ("Undo a run of an Iceberg output: its tables go back to the snapshots before it.", _rollback_args),
    "adopt": ("Make an output of plain Hive folders into Iceberg tables, its files and rows as they are.", _adopt_args),
}
"""Each command: what it does, and the arguments of its own (run and watch also take scrapeline's and Beam's
pipeline options)."""


def command_parser(command: str) -> argparse.ArgumentParser:
    """The parser of a command as `--help` shows it: its own arguments, and for run/watch scrapeline's pipeline
    options (Beam's are listed by --help-beam)."""
    from scrapeline.pipeline.options import ScrapelineOptions

    about, add = COMMANDS[command]
    prog = f"scrapeline {command}"
    if command in {"run", "watch"}:
        parser = argparse.ArgumentParser(prog=prog, description=about, epilog=_BEAM_POINTER.format(prog=prog))
        parser.add_argument("inputs", nargs="*" if command == "run" else 1, metavar="INPUT" if command == "run"
                            else "INPUT_LOCATION", help="Dump files, directories or globs (local, gs://, s3://). "
                            "Default: the shipped samples." if command == "run" else "A directory, local or remote.")
        ScrapelineOptions._add_argparse_args(parser)
        if command == "watch":
            parser.add_argument("--streaming", action="store_true",
                                help="Submit the streaming graph (Flink, Dataflow) instead of micro-batches.")
    else:
        parser = argparse.ArgumentParser(prog=prog, description=about)
    add(parser)
    return parser


def _parse_pipeline_args(command: str, argv: list[str]) -> tuple[argparse.Namespace, dict]:
    """run/watch argv -> (our arguments, Beam's options that differ from their defaults). An environment's
    options (`--env`) come first, so the command line overrides them."""
    from scrapeline.pipeline.options import OUR_OPTIONS, all_options_parser, env_flags, redact_flags

    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--env", default=None)
    flags = env_flags(pre.parse_known_args(argv)[0].env) + argv
    parser = all_options_parser(f"scrapeline {command}", __doc__, COMMANDS[command][1])
    known, unknown = parser.parse_known_args(flags)
    if unknown:
        raise UsageError(f"unrecognised arguments: {' '.join(redact_flags(unknown))}")
    ours = OUR_OPTIONS | {a.dest for a in command_parser(command)._actions} | {"inputs"}
    beam = {k: v for k, v in vars(known).items() if k not in ours and v != parser.get_default(k)}
    if command == "watch" and known.streaming:
        beam["streaming"] = True
    return known, beam


def _print_help(command: str, argv: list[str]) -> bool:
    """`--help`: the command's own options, with a pointer to Beam's; `--help-beam`: every option."""
    if command in {"run", "watch"} and "--help-beam" in argv:
        from scrapeline.pipeline.options import all_options_parser

        all_options_parser(f"scrapeline {command}", __doc__, COMMANDS[command][1]).print_help()
        return True
    if {"-h", "--help"} & set(argv):
        command_parser(command).print_help()
        return True
    return False


# --- the commands ----------------------------------------------------------------------------------------------

def _prepare(known: argparse.Namespace, beam: dict, inputs: list[str]):
    from scrapeline.pipeline.run import prepare

    return prepare(inputs, known.output, config=known.config, beam_options=beam, fetched_at=known.fetched_at,
                   layout=known.layout, summary_json=getattr(known, "summary_json", None),
                   table_format=known.table_format, catalog=known.catalog)


def run(argv: list[str]) -> int:
    from scrapeline.pipeline import __version__
    from scrapeline.pipeline.options import runner_ui
    from scrapeline.pipeline.progress import Progress
    from scrapeline.pipeline.run import run_batch
    from scrapeline.pipeline.summary import render_summary

    known, beam = _parse_pipeline_args("run", argv)
    req = _prepare(known, beam, known.inputs)

    ui = runner_ui(req.beam_options)

    def started(run_id: str, n_files: int) -> None:
        fmt = "Iceberg tables" if req.table_format == "iceberg" else "plain Hive folders"
        why = "" if req.format_reason == "given" else f" ({req.format_reason})"
        print(f"scrapeline {__version__}: run {run_id}: {n_files} input file(s) -> {req.output}, as {fmt}{why}",
              file=sys.stderr)
        if ui:  # the workers are not this process's children: their progress is on the runner's UI
            print(f"scrapeline: progress: see {ui}", file=sys.stderr)

    try:
        summary = run_batch(req, known.run_id, progress=None if ui else Progress, started=started)
    except PipelineFailed as e:
        print(f"scrapeline: error: {e}", file=sys.stderr)
        return 1
    except AccountingError as e:
        print(render_summary(e.summary.record), flush=True)
        print(f"scrapeline: error: {e}", file=sys.stderr)
        return 1
    print(render_summary(summary.record), flush=True)
    return 0


def watch(argv: list[str]) -> int:
    from scrapeline.pipeline.watch import watch as watch_location

    known, beam = _parse_pipeline_args("watch", argv)
    req = _prepare(known, beam, known.inputs)
    return watch_location(req, known.poll_interval, known.settle, known.run_seconds, known.idle_timeout,
                          known.max_batch_files, streaming=bool(beam.get("streaming")))


def compact(argv: list[str]) -> int:
    from scrapeline.pipeline.api import compact as compact_output

    args = command_parser("compact").parse_args(argv)
    result = compact_output(args.output, args.partition, args.table, args.config, args.catalog, args.retain_days)
    for part, before, after in result.merged:
        print(f"  {part}: {before} files -> {after}")
    for part in result.changed:
        print(f"  {part}: changed while being merged, left as it was")
    print(f"scrapeline compact: {len(result.merged)} partition(s) merged, {result.already_compact} already compact"
          + (f", {len(result.changed)} changed meanwhile (left as they were)" if result.changed else ""))
    return 0


def report(argv: list[str]) -> int:
    from scrapeline.pipeline.report import write_report

    args = command_parser("report").parse_args(argv)
    print(f"scrapeline report: {write_report(args.output, args.to)}")
    return 0


def ddl(argv: list[str]) -> int:
    from scrapeline.pipeline.ddl import ddl as ddl_text

    args = command_parser("ddl").parse_args(argv)
    if args.table_format is None:
        from scrapeline.pipeline.tables import is_iceberg

        iceberg = bool(args.catalog) or (args.output is not None and is_iceberg(args.output))
        args.table_format = "iceberg" if iceberg and args.dialect != "markdown" else "hive"
    if args.table_format == "hive":
        print(ddl_text(args.dialect, args.table, args.output, args.name), end="")
        return 0
    from scrapeline.pipeline.ddl import iceberg_ddl
    from scrapeline.pipeline.tables import current_metadata

    if args.dialect == "markdown":
        raise UsageError("--dialect markdown is the schema page; it has no --format iceberg")
    metadata, catalog_uri = current_metadata(args.output, args.table, args.catalog) if args.output else (None, None)
    print(iceberg_ddl(args.dialect, args.table, args.output, args.name, metadata, catalog_uri), end="")
    return 0


def history(argv: list[str]) -> int:
    from scrapeline.pipeline.api import history as table_history

    args = command_parser("history").parse_args(argv)
    rows = table_history(args.output, args.catalog)
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print(f"{'committed at (UTC)':<26} {'table':<13} {'run id':<34} {'operation':<10} {'+files':>6} {'+rows':>7} "
          f"{'-files':>6} {'rows':>8}")
    for r in rows:
        print(f"{r['committed_at'][:26]:<26} {r['table']:<13} {str(r['run_id']):<34} {str(r['operation']):<10} "
              f"{r['added_files']:>6} {r['added_rows']:>7} {r['removed_files']:>6} {r['total_rows']:>8}"
              + ("  (current)" if r["current"] else ""))
    return 0


def rollback(argv: list[str]) -> int:
    from scrapeline.pipeline.api import rollback as rollback_run

    args = command_parser("rollback").parse_args(argv)
    now = rollback_run(args.output, args.run_id, args.catalog)
    for table, snapshot in now.items():
        print(f"  {table}: now at snapshot {snapshot if snapshot is not None else '(empty)'}")
    print(f"scrapeline rollback: run {args.run_id} undone in {len(now)} table(s)")
    return 0


def adopt(argv: list[str]) -> int:
    from scrapeline.pipeline.api import adopt as adopt_output

    args = command_parser("adopt").parse_args(argv)
    adopted = adopt_output(args.output, args.catalog)
    for table, n in adopted.items():
        print(f"  {table}: {n} file(s) adopted")
    print(f"scrapeline adopt: {args.output} is Iceberg tables" + ("" if adopted else " (nothing to adopt: the tables "
                                                                   "already had snapshots, or the folders no file)"))
    return 0


_HANDLERS = {"run": run, "watch": watch, "compact": compact, "report": report, "ddl": ddl, "history": history,
             "rollback": rollback, "adopt": adopt}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    usage = (
        "usage: scrapeline run [INPUT ...] [--output DIR] [options]\n"
        "       scrapeline watch INPUT_LOCATION [--output DIR] [--poll-interval 1s] [--settle 2s]\n"
        "                        [--run-seconds N | --idle-timeout N] [options]\n"
        "       scrapeline compact OUTPUT [--partition source=x/date=y ...]\n"
        "       scrapeline report OUTPUT [--to FILE]\n"
        "       scrapeline ddl --dialect bigquery|athena|snowflake|spark|markdown [--table T] [--output URI]\n"
        "       scrapeline history OUTPUT        scrapeline rollback OUTPUT RUN_ID\n"
        "       scrapeline adopt OUTPUT\n"
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
        if command not in _HANDLERS:
            raise UsageError(f"unknown command {command!r}; {usage}")
        if _print_help(command, rest):
            return 0
        return _HANDLERS[command](rest)
    except UsageError as e:
        print(f"scrapeline: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("scrapeline: interrupted", file=sys.stderr)
        return 130
