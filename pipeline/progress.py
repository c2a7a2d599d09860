"""Live progress of a run on the terminal: files, pages, articles, rate and ETA.

The counts come from the run's own processes (transforms/core/metrics.py writes them to `$SCRAPELINE_PROGRESS_DIR`,
which the multi-processing workers inherit). On a terminal a tqdm bar is refreshed every second; otherwise (a
log, a scheduler) a plain line is printed every `SCRAPELINE_PROGRESS_SECONDS` (default 30). tqdm: small, no
dependencies of its own, the usual choice for this.

The ETA counts read units (a whole file, or a range of 64 records of a large WARC) once every file is planned;
extraction happens as units are read, so units track the run's bulk. Dedup and the commit come after it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from scrapeline.transforms.core.metrics import PROGRESS_ENV

__all__ = ["Progress", "progress_line", "read_counts"]


def read_counts(directory: str | Path) -> Counter:
    """The counts of every process of the run, summed."""
    total: Counter = Counter()
    for f in Path(directory).glob("*.json"):
        try:
            total.update(json.loads(f.read_text()))
        except (OSError, ValueError):
            continue  # being replaced: the next poll reads it
    return total


def _duration(seconds: float) -> str:
    return str(dt.timedelta(seconds=int(seconds)))


def progress_line(c: Counter, total_files: int, elapsed: float) -> str:
    """One line: files read of total, pages, articles, pages/s, and the ETA once every file is planned."""
    parts = [f"files {c['files_read']}/{total_files}", f"pages {c['pages']:,}", f"articles {c['articles_extracted']:,}"]
    if elapsed > 0:
        parts.append(f"{c['pages'] / elapsed:.1f} pages/s")
    planned, done = c["read_units_planned"], c["read_units"]
    if c["files_planned"] >= total_files and planned and done:
        parts.append(f"read {done / planned:.0%}")
        parts.append(f"ETA {_duration(elapsed * (planned - done) / done)}" if done < planned else "reading done")
    parts.append(f"elapsed {_duration(elapsed)}")
    return ", ".join(parts)


class Progress:
    """Context manager around a run: sets the progress directory for the run's processes and reports from it."""

    def __init__(self, total_files: int, stream=None, interval: float | None = None):
        self._total = total_files
        self._stream = stream or sys.stderr
        self._tty = hasattr(self._stream, "isatty") and self._stream.isatty()
        self._interval = interval or (1.0 if self._tty else float(os.environ.get("SCRAPELINE_PROGRESS_SECONDS", 30)))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._dir = ""
        self._previous_env: str | None = None
        self.lines = 0

    def __enter__(self) -> Progress:
        self._dir = tempfile.mkdtemp(prefix="scrapeline-progress-")
        self._previous_env = os.environ.get(PROGRESS_ENV)
        os.environ[PROGRESS_ENV] = self._dir
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._report, name="scrapeline-progress", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._previous_env is None:
            os.environ.pop(PROGRESS_ENV, None)
        else:
            os.environ[PROGRESS_ENV] = self._previous_env
        shutil.rmtree(self._dir, ignore_errors=True)

    def _report(self) -> None:
        bar = None
        if self._tty:
            from tqdm import tqdm

            bar = tqdm(total=None, unit=" units", file=self._stream, leave=False, dynamic_ncols=True,
                       bar_format="{desc}")
        try:
            while True:
                stopped = self._stop.wait(self._interval)
                if stopped and (bar is not None or not self.lines):
                    break  # a terminal's bar just goes; a log that had progress lines gets the last one
                line = progress_line(read_counts(self._dir), self._total, time.monotonic() - self._started)
                if bar is not None:
                    bar.set_description_str(line)
                else:
                    print(f"{dt.datetime.now().astimezone().isoformat(timespec='seconds')} progress: {line}",
                          file=self._stream, flush=True)
                self.lines += 1
                if stopped:
                    break
        finally:
            if bar is not None:
                bar.close()
