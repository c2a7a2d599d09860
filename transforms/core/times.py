"""Instants: parsing timestamps, and the window of time a fetched page can plausibly claim."""

from __future__ import annotations

import datetime as dt

__all__ = ["EARLIEST_DATE", "parse_timestamp", "plausible_time"]

EARLIEST_DATE = dt.datetime(1990, 1, 1, tzinfo=dt.timezone.utc)
"""No news page in a web scrape was published (or fetched) before this: earlier dates are placeholders."""


def parse_timestamp(value: str, keep_offset: bool = False) -> dt.datetime:
    """An ISO-8601 timestamp as an aware UTC datetime (naive means UTC). Raises ValueError otherwise.
    `keep_offset`: the same instant in the offset the string gives (its calendar day is the writer's)."""
    s = value.strip()
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    t = dt.datetime.fromisoformat(s)
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    return t if keep_offset else t.astimezone(dt.timezone.utc)


def plausible_time(t: dt.datetime, latest: dt.datetime) -> str | None:
    """Why `t` cannot be a real publication (or fetch) time: `before_1990`, `after_fetch` (more than a day
    after `latest`, the fetch time or now), or None when it can."""
    if t < EARLIEST_DATE:
        return "before_1990"
    if t > latest + dt.timedelta(days=1):
        return "after_fetch"
    return None
