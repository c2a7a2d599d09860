"""The read stage's settings: limits, the run's fetch time, JSONL field names."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from scrapeline.transforms.core.checks import ConfigError, check_int, check_text, describe

__all__ = ["JsonlFields", "ReadSettings"]
@dataclass(frozen=True)
class JsonlFields:
    """Which JSONL fields hold what; the first present, non-empty field of each list wins."""

    url: tuple[str, ...]
    html: tuple[str, ...]
    """A record with one of these is HTML."""
    text: tuple[str, ...]
    """Else a record with one of these is a text dump."""
    fetched_at: tuple[str, ...]
    source: tuple[str, ...]

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, tuple) or not value:
                raise ConfigError(f"jsonl.{f.name}: expected a list of non-empty names, e.g. [a, b], got "
                                  f"{describe(list(value) if isinstance(value, tuple) else value)}")
            for i, v in enumerate(value):
                check_text(v, f"jsonl.{f.name}[{i}]", "a non-empty name")


@dataclass(frozen=True)
class ReadSettings:
    """How `read_dump` reads: limits, the run's fetch time, JSONL field names."""

    max_file_bytes: int
    """At most this many decompressed bytes from a file (from each record of a WARC)."""
    excerpt_chars: int
    """How much raw text a dead letter keeps."""
    jsonl: JsonlFields
    warc_range_min_bytes: int
    """A WARC of at least this many bytes is read in byte ranges (each range where it lands)."""
    warc_records_per_range: int
    """About this many records per range."""
    fetched_at: dt.datetime | None = None
    """The run's `--fetched-at`: for dumps whose own metadata and sidecar give no fetch time."""

    def __post_init__(self) -> None:
        check_int(self.max_file_bytes, "read.max_file_bytes", 1)
        check_int(self.excerpt_chars, "read.excerpt_chars", 0)
        check_int(self.warc_range_min_bytes, "read.warc_range_min_bytes", 1)
        check_int(self.warc_records_per_range, "read.warc_records_per_range", 1)
