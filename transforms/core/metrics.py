"""One metrics namespace, counters named by what happened, and the one way to make a dead letter.

Counter names: `files_read`, `pages`, `articles_extracted`, `articles_written`, `duplicates.in_run`,
`duplicates.in_output`, `filtered.<reason>`, `dead_letters.<stage>.<reason>`, `cleaned.<what>`, ... The run
summary (pipeline/summary.py) reads them back and checks that no article went missing between stages.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import time
from collections import Counter

from apache_beam.metrics import Metrics


__all__ = ["count", "flush_progress", "NAMESPACE", "PROGRESS_ENV", "utcnow"]

NAMESPACE = "scrapeline"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def count(name: str, n: int = 1) -> None:
    """Increment counter `name` (Beam caches the cell; cheap enough per element)."""
    if n:
        Metrics.counter(NAMESPACE, name).inc(n)
        if name in PROGRESS_COUNTERS:
            _progress(name, n)


# --- Live progress for the command line (pipeline/progress.py) ----------------------------------------------------
# Beam's metrics reach the caller only when the run ends (on the local runners), so the counters a progress line
# needs are also kept per process and written, at most once a second, to `$SCRAPELINE_PROGRESS_DIR/<pid>.json`,
# which the CLI sums. The variable is inherited by the multi-processing SDK workers (subprocesses of the CLI); a
# remote worker has no such variable (or cannot write there) and reports nothing: its runner has its own UI.

PROGRESS_ENV = "SCRAPELINE_PROGRESS_DIR"
PROGRESS_COUNTERS = frozenset({"files_planned", "read_units_planned", "read_units", "files_read", "pages",
                               "articles_extracted"})
_progress_counts: dict[str, Counter] = {}
_progress_written: dict[str, float] = {}
_progress_lock = threading.Lock()


def _progress(name: str | None, n: int = 0) -> None:
    directory = os.environ.get(PROGRESS_ENV)
    if not directory:
        return
    with _progress_lock:
        counts = _progress_counts.setdefault(directory, Counter())
        if name is not None:
            counts[name] += n
        now = time.monotonic()
        # throttled to a write a second, but for the planning, each unit read (their counts make the ETA) and the
        # end of a bundle (flush_progress)
        if now - _progress_written.get(directory, 0.0) < 1.0 and name not in {"files_planned", "read_units", None}:
            return
        _progress_written[directory] = now
        snapshot = json.dumps(counts)
    try:
        tmp = os.path.join(directory, f".{os.getpid()}.json.tmp")
        with open(tmp, "w") as f:
            f.write(snapshot)
        os.replace(tmp, os.path.join(directory, f"{os.getpid()}.json"))
    except OSError:
        pass  # progress is best effort: never a reason to fail a bundle


def flush_progress() -> None:
    """Write this process's progress counts now (a DoFn's finish_bundle: the last counts of a bundle)."""
    _progress(None)


