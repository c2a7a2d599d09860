"""`scrapeline watch`: continuous ingestion as micro-batches of the batch graph, driven by a file watcher.

Why micro-batches here (measured on Beam 2.77, docs/streaming.md): on the local runners a
streaming graph cannot both deduplicate across everything and commit files in small batches — GroupByKey and
WriteToFiles emit only when the source stops, event-time timers fire after every bundle. So locally the watcher
polls the location, and every batch of newly settled files is one bounded run of exactly the graph `run` uses
(pipeline/graph.py), on whatever runner the Beam options name. Each batch therefore commits atomically
(complete Parquet files renamed into place) and dedups against everything already in the output, earlier
batch runs included.

Exactly once: a file is ingested when a run whose summary lists it (`<output>/_runs/<run_id>.json`, written
after the commit) exists. On start the watcher reads those summaries, so a restart never ingests a committed
file again, and a file whose run died before its summary is ingested again in full (rows it had already
committed are then dropped by dedup as "already in output", so none is written twice). A file is identified by
path, size and modification time: rewriting a file makes it a new input.

Settling: a file is read only once its size and modification time were the same at two polls and it has not
been modified for `--settle` seconds, so a file still being written is never read half-way.

Stopping: SIGINT/SIGTERM let the batch in flight finish its commit, then the watcher exits 0; a second signal
exits at once (an uncommitted batch leaves only `_temporary/`, and its files are ingested on the next start).

One writer: `watch()` takes the output's lock (pipeline/lock.py) before the Watcher reads `_runs/` and keeps it until it exits, so a `run`, `compact` or second `watch` on the output is
refused (exit 2) for the watcher's whole lifetime, and what `ingested_files` read on start cannot change
behind its back.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Callable

from apache_beam.io.filesystems import FileSystems

from scrapeline.pipeline.errors import UsageError
from scrapeline.pipeline.lock import OutputLock
from scrapeline.pipeline.run import Request, execute, glob_escape, holds, input_pattern, new_run_id
from scrapeline.transforms.core.storage import is_remote, join
from scrapeline.transforms.read import DumpFile, list_dumps

__all__ = ["Watcher", "ingested_files", "say", "scan", "watch"]


def say(message: str) -> None:
    """A line of `watch` on stderr, with the local time (a long-running process's lines need one)."""
    print(f"{dt.datetime.now().astimezone().isoformat(timespec='seconds')} {message}", file=sys.stderr, flush=True)

log = logging.getLogger(__name__)


def _noted(signum, frame) -> None:
    """The Python-level handler while a Watcher runs: the signal is acted on by the Watcher's own thread."""


def _say_at_once(message: str) -> None:
    """`say` from a signal: one os.write, never blocking and never through `sys.stderr` (its buffer's lock may
    be held by the code the signal interrupted): dropped when stderr is a full pipe."""
    line = f"{dt.datetime.now().astimezone().isoformat(timespec='seconds')} {message}\n".encode()
    try:
        if select.select([], [2], [], 0)[1]:
            os.write(2, line)
    except (OSError, ValueError):
        pass


def scan(pattern: str) -> dict[str, DumpFile]:
    """Every dump file under `pattern` (a `dir/**` glob), with its size and modification time."""
    try:
        return {d.path: d for d in list_dumps(pattern)}
    except Exception as e:  # a location that vanished or a remote hiccup: try again at the next poll
        log.warning("cannot list %s: %s", pattern, e)
        return {}


def ingested_files(output: str) -> set[tuple[str, int, float]]:
    """The input files of every run that committed into `output` (from the run summaries)."""
    done: set[tuple[str, int, float]] = set()
    try:
        summaries = FileSystems.match([join(output, "_runs", "*.json")])[0].metadata_list
    except Exception:
        return done
    for m in summaries:
        try:
            with FileSystems.open(m.path) as f:
                summary = json.loads(f.read().decode("utf-8"))
        except Exception as e:  # a summary cut by a crash: its files are ingested again, dedup keeps rows unique
            log.warning("unreadable run summary %s: %s", m.path, e)
            continue
        for fi in summary.get("files") or ():
            if fi.get("mtime") is not None:
                done.add(DumpFile(fi["path"], fi["size"], fi["mtime"]).key)
    return done


class Watcher:
    """Polls `pattern`, hands batches of settled, not yet ingested files to `run_batch`, until told to stop."""

    def __init__(
        self,
        pattern: str,
        output: str,
        run_batch: Callable[[list[DumpFile]], int],
        poll_interval: float = 1.0,
        settle: float = 2.0,
        run_seconds: float | None = None,
        idle_timeout: float | None = None,
        max_batch_files: int = 1000,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if poll_interval <= 0 or settle < 0 or max_batch_files < 1:
            raise ValueError("poll_interval must be > 0, settle >= 0, max_batch_files >= 1")
        self.pattern = pattern
        self.output = output
        self._run_batch = run_batch
        self._poll = poll_interval
        self._settle = settle
        self._run_seconds = run_seconds
        self._idle_timeout = idle_timeout
        self._max = max_batch_files
        self._clock = clock
        self._sleep = sleep
        self._seen: dict[str, DumpFile] = {}
        self.ingested = ingested_files(output)
        self.stop_requested = False
        self.batches = 0
        self.pending = 0
        """Files seen but not ingested yet (still being written or settling): the watcher is not idle meanwhile."""

    def ready(self) -> list[DumpFile]:
        """Files that settled since the last poll and were never ingested, oldest first."""
        now = self._clock()
        current = scan(self.pattern)
        ready = [
            st for path, st in current.items()
            if st.key not in self.ingested
            and self._seen.get(path) == st  # unchanged since the previous poll
            and now - st.mtime >= self._settle
        ]
        self._seen = current
        self.pending = sum(1 for st in current.values() if st.key not in self.ingested)
        return sorted(ready, key=lambda st: (st.mtime, st.path))[: self._max]

    def request_stop(self, signum=None, frame=None) -> None:
        if self.stop_requested:  # second signal: leave now; the batch in flight is ingested on the next start
            _say_at_once("scrapeline watch: stopping now, the batch in flight was not committed")
            # At once and quietly: unwinding through Beam's threads printed ~110 lines of tracebacks. The kernel
            # frees the output's lock (an object-store lease expires); the next writer removes `_temporary/`.
            try:
                sys.stdout.flush()
            except Exception:  # noqa: BLE001  (nothing may keep this exit from happening)
                pass
            os._exit(130)
        self.stop_requested = True
        _say_at_once("scrapeline watch: stopping after the batch in flight")

    def _take_signals(self) -> Callable[[], None]:
        """Route SIGINT/SIGTERM to `request_stop` for the duration of `run`; returns what gives them back.

        A `signal.signal` handler alone is not enough: Python runs it in the main thread only, between
        bytecodes, and a runner may hold the main thread or replace the handler while a batch runs (Beam's
        job-server wrapper installs its own SIGINT handler on `p.run()`, and that handler deadlocks on its own
        lock while the server starts). So the signals are taken through `signal.set_wakeup_fd`, written by the C
        handler in whatever thread the kernel picks and whichever Python handler is installed, and read by a
        thread of ours; the Python-level handlers installed here do nothing (the thread acts)."""
        if threading.current_thread() is not threading.main_thread():
            return lambda: None  # not the main thread (tests): no signal handling
        sigs = (signal.SIGINT, signal.SIGTERM)
        r, w = os.pipe()
        os.set_blocking(w, False)
        handlers = {sig: signal.signal(sig, _noted) for sig in sigs}
        old_fd = signal.set_wakeup_fd(w, warn_on_full_buffer=False)

        def take() -> None:
            while data := os.read(r, 64):
                for signum in data:
                    if signum in sigs:
                        self.request_stop(signum)

        taker = threading.Thread(target=take, name="scrapeline-watch-signals", daemon=True)
        taker.start()

        def give_back() -> None:
            signal.set_wakeup_fd(old_fd)
            for sig, handler in handlers.items():
                signal.signal(sig, handler)
            os.close(w)  # the taker reads what is left, then the end of the pipe
            taker.join()
            os.close(r)
        return give_back

    def run(self) -> int:
        started = last_activity = self._clock()
        give_back = self._take_signals()
        try:
            while not self.stop_requested:
                batch = self.ready()
                if batch:
                    code = self._run_batch(batch)
                    if code != 0:
                        return code
                    self.ingested.update(st.key for st in batch)
                    self.batches += 1
                    last_activity = self._clock()
                    continue  # more may be waiting: poll again at once
                now = self._clock()
                if self._run_seconds is not None and now - started >= self._run_seconds:
                    break
                if self.pending:  # a file is still being written or settling: not idle
                    last_activity = now
                if self._idle_timeout is not None and now - last_activity >= self._idle_timeout:
                    break
                self._sleep(self._poll)
        finally:
            give_back()
        return 0


def watch(req: Request, poll_interval: float = 1.0, settle: float = 2.0, run_seconds: float | None = None,
          idle_timeout: float | None = None, max_batch_files: int = 1000, streaming: bool = False) -> int:
    """Watch `req.inputs[0]` (a directory, local or remote) and ingest what lands there into `req.output`, holding
    the output's lock for the whole lifetime; the exit code (0, or 1 when a batch failed or the lease was lost).
    `streaming`: submit the streaming graph instead (Dataflow, Flink)."""
    if len(req.inputs) != 1:
        raise UsageError("watch takes exactly one INPUT_LOCATION (a directory, local or remote)")
    location = req.inputs[0]
    if is_remote(location):
        pattern = location.rstrip("/") + "/**"
    elif os.path.isdir(location):
        pattern = input_pattern(location)
    else:
        raise UsageError(f"watch location {location!r} is not a directory")
    lock = OutputLock(req.output, "watch").acquire()  # for the watcher's whole lifetime, --streaming included
    try:
        code = _streaming(req, pattern, run_seconds, poll_interval) if streaming else \
            _loop(req, pattern, location, lock, poll_interval, settle, run_seconds, idle_timeout, max_batch_files)
        if not holds(lock):
            say(f"scrapeline: error: another writer took the lease on {req.output} while this one wrote; check the "
                f"output for duplicated rows")
            return max(code, 1)
        return code
    finally:
        lock.release()


def _loop(req: Request, pattern: str, location: str, lock, poll_interval: float, settle: float,
          run_seconds: float | None, idle_timeout: float | None, max_batch_files: int) -> int:
    def run_batch(batch: list[DumpFile]) -> int:
        if not holds(lock):  # object stores: the lease was taken; stop before writing more
            return 1
        record = execute(req, [glob_escape(d.path) for d in batch], [d.as_dict() for d in batch], new_run_id())
        return 0 if record["status"] == "succeeded" else 1

    watcher = Watcher(pattern, req.output, run_batch, poll_interval, settle, run_seconds, idle_timeout,
                      max_batch_files)
    say(f"scrapeline watch: {location} -> {req.output} (poll {poll_interval}s, settle {settle}s); "
        f"{len(watcher.ingested)} file(s) already ingested")
    code = watcher.run()
    say(f"scrapeline watch: stopped after {watcher.batches} batch(es)")
    return code


def _streaming(req: Request, pattern: str, run_seconds: float | None, poll_interval: float) -> int:
    """The streaming graph (for Dataflow/Flink; see pipeline/graph.py), submitted and waited for."""
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions

    from scrapeline.pipeline import __version__
    from scrapeline.pipeline.graph import RunSpec, build_streaming_pipeline
    from scrapeline.pipeline.options import harness_logging, scrub

    started = dt.datetime.now(dt.timezone.utc)
    stop = started.timestamp() + run_seconds if run_seconds else None
    stored = None
    if req.table_format == "iceberg":  # each pane one commit (pipeline/graph.py); dedup seeds from the tables
        from scrapeline.pipeline.tables import adopt, current_files, open_catalog, open_tables

        tables = open_tables(open_catalog(req.output, req.catalog), req.output)
        adopt(tables, req.output)
        stored = {name: current_files(t) for name, t in tables.items()}
    spec = RunSpec((pattern,), req.output, new_run_id(started, "stream"), started, __version__, req.fetched_at,
                   req.layout, stored)
    level = logging.getLogger("apache_beam").getEffectiveLevel()
    p = beam.Pipeline(options=PipelineOptions(flags=[], **{**harness_logging(level), **req.beam_options}))
    runner = str(req.beam_options.get("runner") or "DirectRunner")
    local = runner.split(".")[-1] in {"DirectRunner", "FnApiRunner", "SwitchingDirectRunner", "BundleBasedDirectRunner"}
    build_streaming_pipeline(p, spec, req.config, pattern, poll_interval, stop_timestamp=stop,
                             early_firings=not local, catalog=req.catalog)
    say(f"scrapeline watch --streaming: {pattern} -> {req.output} on {runner}"
        + (" (local: windows are written when the run ends; use `watch` without --streaming here)" if local else ""))
    try:
        result = p.run()
        if stop is None or local:
            result.wait_until_finish()
        else:
            _finish_by(result, run_seconds + STREAM_GRACE_SECONDS)
    except Exception as e:  # noqa: BLE001
        say(f"scrapeline: error: the streaming pipeline failed: {scrub(str(e), req.beam_options)}")
        return 1
    return 0


STREAM_GRACE_SECONDS = 40.0
"""After --run-seconds, how long a streaming job on a cluster gets to write its last windows (10 s each, fired
early every 10 s) before it is cancelled."""


def _finish_by(result, seconds: float) -> None:
    """Wait for a streaming job on a cluster up to `seconds`, then cancel it. With checkpoints on, Flink keeps a
    finished source alive (so the job never ends by itself); a cancelled job is a normal end here."""
    from apache_beam.runners.runner import PipelineState

    state = result.wait_until_finish(duration=int(seconds * 1000))
    if PipelineState.is_terminal(state):
        return
    say(f"scrapeline watch --streaming: --run-seconds passed; cancelling the job ({state})")
    result.cancel()
    deadline = time.monotonic() + 120
    while not PipelineState.is_terminal(result.state) and time.monotonic() < deadline:
        time.sleep(1)
    if result.state not in (PipelineState.CANCELLED, PipelineState.DONE):
        raise RuntimeError(f"the job did not stop when cancelled (state {result.state})")
