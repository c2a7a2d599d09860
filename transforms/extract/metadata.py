"""Article metadata: published time, publisher slug, page identity.

Published times come as relative phrases ("35 minutes ago", "yesterday") or absolute dates in many formats;
dateparser (the field's library for exactly this, ~1 ms a parse) resolves both, relative ones against the
page's fetch time. ISO-8601 strings take a fast path through `datetime.fromisoformat`. A time that cannot be
parsed (or overflows when moved to UTC) leaves `published_at` empty (the row is dated by its fetch time,
`date_source = "fetched"`): it is counted, not dropped. So does a time outside reality, ISO or not: before 1990
(JSON-LD placeholders like 0001-01-01) or more than a day after the page was fetched (9999-12-31, or a
fallback's guess of a future month); the caller then tries the next source of its date chain. Pure functions: the same in batch and streaming.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from urllib.parse import urlsplit

import xxhash
from slugify import slugify

from scrapeline.transforms.core.times import parse_timestamp, plausible_time

__all__ = ["parse_published", "published_time", "source_slug", "UNKNOWN_SOURCE"]

UNKNOWN_SOURCE = "unknown"
_SLUG_OK = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?")


_DATE_MAX_CHARS = 100
"""Longer than this (its spaces folded), a text is no date and dateparser is not asked: its time grows faster than
the text's length (a fuzzed page's 500 KB line in a date's meta tag took 21 s). The longest date text dateparser
was given on the 709 dev pages had 38 characters ("by David at December 16, 2025 11:15 AM")."""


def published_time(
    raw: str | None, fetched_at: dt.datetime, languages: tuple[str, ...] = ("en",)
) -> tuple[dt.datetime | None, str | None]:
    """(the published time a page states, or None; why it was refused: `unparsed`, `too_long`, `before_1990`,
    `after_fetch`, or None). Relative phrases resolve against `fetched_at`. Never raises.

    An ISO time keeps the offset the page wrote it in: the instant is the same (stored in UTC), and its calendar
    day is the page's own, which is the day the `date` partition takes. "2025-03-01T23:30:00-05:00" was
    published on March 1st where it was written; in UTC it is March 2nd (14 of the dev-set misses were that)."""
    if not raw or not raw.strip():
        return None, None
    try:
        t = parse_timestamp(raw, keep_offset=True)
        t.astimezone(dt.timezone.utc)  # an offset that overflows in UTC (year 9999 +14:00) is no date
    except (ValueError, OverflowError):
        t = None
    if t is None:
        text = " ".join(raw.split())  # JSON-LD and <time datetime> values keep a template's runs of spaces
        if len(text) > _DATE_MAX_CHARS:
            return None, "too_long"
        try:
            t = _dateparse(text, fetched_at, languages)
        except Exception:  # dateparser overflows or chokes on some noise: not a date
            t = None
    if t is None:
        return None, "unparsed"
    why = plausible_time(t, fetched_at)
    return (None, why) if why else (t, None)


_MONTHS = {m: i for i, ms in enumerate(
    (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")), 1) for m in ms}
_EN_DAY = re.compile(r"(?:(?P<m1>[a-z]+)\.?\s+(?P<d1>\d{1,2})(?:st|nd|rd|th)?,?|(?P<d2>\d{1,2})(?:st|nd|rd|th)?\s+"
                     r"(?P<m2>[a-z]+)\.?,?)\s+(?P<y>\d{4})", re.I)


def _english_day(raw: str) -> dt.datetime | None:
    """"March 1, 2024", "1 Mar. 2024", "Dec 30th, 2013": the day at midnight UTC, as dateparser gives it (~4 ms a
    call there, ~2 µs here). Anything else is left to dateparser."""
    m = _EN_DAY.fullmatch(raw)
    month = _MONTHS.get((m.group("m1") or m.group("m2")).lower()) if m else None
    if month is None:
        return None
    try:
        return dt.datetime(int(m.group("y")), month, int(m.group("d1") or m.group("d2")), tzinfo=dt.timezone.utc)
    except ValueError:
        return None


def _dateparse(raw: str, fetched_at: dt.datetime, languages: tuple[str, ...]) -> dt.datetime | None:
    if "en" in languages:
        t = _english_day(raw)
        if t is not None:
            return t
    import dateparser  # heavy import (~0.3 s): only paid by workers that see non-ISO dates

    base = fetched_at.astimezone(dt.timezone.utc).replace(tzinfo=None)
    t = dateparser.parse(
        raw,
        languages=list(languages),
        settings={
            "RELATIVE_BASE": base,
            "TIMEZONE": "UTC",
            "TO_TIMEZONE": "UTC",
            "RETURN_AS_TIMEZONE_AWARE": True,
            "PREFER_DATES_FROM": "past",
        },
    )
    return t.astimezone(dt.timezone.utc) if t is not None else None


def parse_published(raw: str | None, fetched_at: dt.datetime, languages: tuple[str, ...] = ("en",)) -> dt.datetime | None:
    """The published time a page states, in UTC, or None (see `published_time` for why)."""
    return published_time(raw, fetched_at, languages)[0]


# Characters whose loss in a slug never merges two publishers: letters of any script (transliterated), digits,
# whitespace and the cosmetic punctuation of names ("Reuters.com", "Yahoo! News", "Fox News'"). A name with any
# other character (/, &, +, #, (, ...) gets a short hash of the name after its slug, so "a/b" and "a-b" stay apart.
_PLAIN_NAME = re.compile(r"[\w\s.'’!,:-]+")


def source_slug(name: str | None, slugs: dict[str, str], url: str | None = None) -> str:
    """The partition slug of a publisher: the configured slug of its name or domain, else its name slugified.

    Always a single safe path segment ([a-z0-9-], at most 80 characters, never '.' or '..'), so no source name
    can write outside the output directory. Two names that differ by more than case, spacing, transliteration
    or cosmetic punctuation never share a slug (see `_PLAIN_NAME`).
    """
    candidates = []
    if name and name.strip():
        candidates.append(name.strip().casefold())
    try:
        host = (urlsplit(url).hostname or "") if url else ""
    except ValueError:  # "http://[domain]/x": no host to name the source by
        host = ""
    if host:
        candidates += [host, host.removeprefix("www.")]
    for c in candidates:
        if c in slugs and _SLUG_OK.fullmatch(slugs[c]):
            return slugs[c]
    base = name if name and name.strip() else host
    if not base:
        return UNKNOWN_SOURCE
    lossy = bool(name and name.strip()) and not _PLAIN_NAME.fullmatch(name.strip())
    slug = slugify(base, max_length=73 if lossy else 80, word_boundary=True, save_order=True)
    if lossy:
        key = unicodedata.normalize("NFKC", " ".join(name.split())).casefold()
        slug = f"{slug}-{xxhash.xxh3_64_hexdigest(key.encode('utf-8'))[:6]}".lstrip("-")
    return slug if _SLUG_OK.fullmatch(slug) else UNKNOWN_SOURCE


