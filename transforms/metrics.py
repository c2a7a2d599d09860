"""One metrics namespace, counters named by what happened, and the one way to make a dead letter.

Counter names: `files_read`, `pages`, `articles_extracted`, `articles_written`, `duplicates.in_run`,
`duplicates.in_output`, `filtered.<reason>`, `dead_letters.<stage>.<reason>`, `cleaned.<what>`, ... The run
summary (pipeline/summary.py) reads them back and checks that no article went missing between stages.
"""

from __future__ import annotations

import datetime as dt
import traceback
from collections.abc import Callable

from apache_beam.metrics import Metrics

from transforms.records import DeadLetter

__all__ = ["NAMESPACE", "count", "make_dead_letter", "utcnow"]

NAMESPACE = "scrapeline"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def count(name: str, n: int = 1) -> None:
    """Increment counter `name` (Beam caches the cell; cheap enough per element)."""
    if n:
        Metrics.counter(NAMESPACE, name).inc(n)


def make_dead_letter(
    stage: str,
    reason: str,
    input_uri: str,
    record_index: int | None,
    error: str | BaseException,
    excerpt: str | bytes,
    position: int | None = None,
    excerpt_chars: int = 500,
    clock: Callable[[], dt.datetime] = utcnow,
) -> DeadLetter:
    """A DeadLetter, counted under `dead_letters.<stage>.<reason>` (or `filtered.<reason>` for stage filter)."""
    if isinstance(error, BaseException):
        tb = "".join(traceback.format_exception_only(type(error), error)).strip()
        error = tb
    if isinstance(excerpt, bytes):
        excerpt = excerpt[:excerpt_chars].decode("utf-8", errors="replace")
    count(f"filtered.{reason}" if stage == "filter" else f"dead_letters.{stage}.{reason}")
    return DeadLetter(
        stage=stage,
        reason=reason,
        input_uri=input_uri,
        record_index=record_index,
        position=position,
        error=str(error)[:2000],
        excerpt=excerpt[:excerpt_chars],
        occurred_at=clock(),
    )
