"""The typed errors of every scrapeline call; the command line maps them to exit codes (2, 1, 1)."""

from __future__ import annotations

__all__ = ["AccountingError", "PipelineFailed", "ScrapelineError", "UsageError"]


class ScrapelineError(Exception):
    """Any failure of a scrapeline call."""


class UsageError(ScrapelineError):
    """The invocation cannot run (bad input, output, option or config, or the output's lock is held); nothing was
    built or written. Exit 2."""


class PipelineFailed(ScrapelineError):
    """The pipeline raised (or another writer took an object store's lease meanwhile). `record`: the run record.
    Exit 1."""

    def __init__(self, message: str, record: dict | None = None):
        super().__init__(message)
        self.record = record or {}


class AccountingError(ScrapelineError):
    """The run completed, but extracted articles != written + duplicates + filtered + dead-lettered (or the runner
    returned no metrics to check that with). `summary`: the typed run summary. Exit 1."""

    def __init__(self, message: str, summary):
        super().__init__(message)
        self.summary = summary
