"""The read stage's settings: limits, the run's fetch time, JSONL field names."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from scrapeline.transforms.core.checks import ConfigError, describe

__all__ = ["JsonlFields", "ReadSettings"]
@dataclass(frozen=True)
class JsonlFields:
    """Which JSONL fields hold what; the first present, non-empty field of each list wins."""

    url: tuple[str, ...] = ("url", "link", "uri", "page_url")
    html: tuple[str, ...] = ("html", "raw_html", "content_html", "body_html", "page_html")
    """A record with one of these is HTML."""
    text: tuple[str, ...] = ("text", "content", "body", "article")
    """Else a record with one of these is a text dump."""
    fetched_at: tuple[str, ...] = ("fetched_at", "timestamp", "crawled_at", "scraped_at", "date_fetched")
    source: tuple[str, ...] = ("source", "site", "site_name", "publisher")

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, tuple) or not value or not all(isinstance(v, str) and v for v in value):
                raise ConfigError(f"jsonl.{f.name}: expected a non-empty tuple of field names, got {describe(value)}")


@dataclass(frozen=True)
class ReadSettings:
    """How `read_dump` reads: limits, the run's fetch time, JSONL field names."""

    fetched_at: dt.datetime | None = None
    max_file_bytes: int = 256 * 1024 * 1024
    """At most this many decompressed bytes from a file (from each record of a WARC)."""
    excerpt_chars: int = 500
    jsonl: JsonlFields = JsonlFields()
