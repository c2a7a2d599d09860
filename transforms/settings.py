"""Typed, frozen, validated settings: what the transforms are configured with (issue 10: dependencies point one
way, pipeline/ -> transforms/, so a transform can be read, tested and reused without the CLI's package).

Each dataclass checks its values when it is built (ConfigError naming the key, what was expected and what was
given); pipeline/config.py reads them from YAML. Every pattern compiles on the `regex` engine the transforms run
it on, and is probed here with adversarial inputs under a bound: one that backtracks catastrophically is refused.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

# The `regex` engine, not `re`: a configured pattern runs with a time bound per call (`timeout=`), which `re`
# cannot do, and it is probed here with the same engine it runs on. google-re2 (linear time, so no bound needed)
# was not used: it has no lookbehind and no backreferences, which the shipped video_widget rule needs, and its \w
# is ASCII-only.
import regex

from scrapeline.transforms.neardup import NearDupSettings
from scrapeline.transforms.teasers import CardRules

__all__ = [
    "COMPRESSIONS",
    "CleaningRules",
    "Config",
    "ConfigError",
    "HEAD_FIELDS",
    "HeadLine",
    "InlineRule",
    "JsonlFields",
    "LayoutProfile",
    "NearDupSettings",
    "PROBE_TIMEOUT",
]

PROBE_TIMEOUT = 0.05
"""Seconds a pattern may take to decide one probe input at load (a sane pattern takes microseconds)."""
_PROBE_BUDGET = 1.0
"""Seconds all the probes of one pattern may take together (the shipped patterns take a few milliseconds)."""
_PROBE_LENGTHS = (40, 400)
"""Probe input lengths: 40 characters expose exponential backtracking ((a|aa)+$), 400 (a long paragraph) the
polynomial kind ((\\w+\\s?)+$ takes over a second on a 1000-character line)."""

COMPRESSIONS = ("zstd", "snappy", "gzip", "none")
HEAD_FIELDS = frozenset({"source", "published", "title", "author", "url"})
# The shape transforms/metadata.py accepts for a partition value (a configured slug of another shape would be
# silently replaced there): lowercase letters, digits and inner hyphens, at most 80 characters.
_SLUG = regex.compile(r"[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?")


class ConfigError(ValueError):
    """A config file that cannot be used; the message names the file and the key."""


# --- values, strictly ------------------------------------------------------------------------------------------


def _given(value: Any) -> str:
    """What a YAML value was, for messages: its text and its YAML type."""
    kind = {
        bool: "a boolean", int: "an integer", float: "a number with a fraction", str: "a string", list: "a list",
        dict: "a mapping", type(None): "null",
    }.get(type(value), type(value).__name__)
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return "null" if value is None else f"{text} ({kind})"


def _int(value: Any, where: str, minimum: int) -> int:
    """An integer setting: a YAML integer (no float, no bool, no string), at least `minimum`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{where}: expected an integer >= {minimum}, got {_given(value)}")
    return value


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: expected true or false, got {_given(value)}")
    return value


def _fraction(value: Any, where: str, low: float = 0.0, high: float = 1.0) -> float:
    """A number in [low, high] (a YAML int or float; no bool, no string)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ConfigError(f"{where}: expected a number from {low} to {high}, got {_given(value)}")
    return float(value)


def _text(value: Any, where: str, what: str = "a non-empty string") -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: expected {what}, got {_given(value)}")
    return value


def _names(value: Any, where: str, allow_empty: bool = False) -> tuple[str, ...]:
    """A YAML list of non-empty strings (a lone string is refused: it used to become one-letter names)."""
    if not isinstance(value, list) or (not value and not allow_empty):
        raise ConfigError(f"{where}: expected a list of non-empty names, e.g. [a, b], got {_given(value)}")
    for i, v in enumerate(value):
        _text(v, f"{where}[{i}]", "a non-empty name")
    return tuple(value)


def _mapping(value: Any, where: str, allowed: set[str] | frozenset[str]) -> dict[str, Any]:
    """A mapping with only `allowed` keys; null (a section whose keys are all commented out) is empty."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a mapping with keys {sorted(allowed)}, got {_given(value)}")
    unknown = [str(k) for k in value if k not in allowed]
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
    return value


def _languages(value: Any, where: str) -> tuple[str, ...]:
    """Language codes dateparser knows (its own list, which it checks `languages=` against)."""
    from dateparser.data.languages_info import language_order

    langs = _names(value, where)
    known = set(language_order)
    unknown = [lang for lang in langs if lang not in known]
    if unknown:
        lower = {k.lower(): k for k in known}
        hints = [f"{u!r} -> {lower[u.lower()]!r}" for u in unknown if u.lower() in lower]
        hint = f" (did you mean {', '.join(hints)}?)" if hints else ""
        raise ConfigError(
            f"{where}: expected language codes dateparser knows (e.g. en, fr, de, zh-Hant), got unknown "
            f"code(s) {unknown}{hint}"
        )
    return langs


# --- patterns --------------------------------------------------------------------------------------------------


def _probes(pattern: str, length: int) -> list[str]:
    """Inputs of `length` characters that make a backtracking pattern explode: a long run of one character (one
    of the pattern's own literal characters, a letter, a digit, a space, a dot) or of a short cycle of words and
    spaces, then a character that does not fit; and a run followed by one of the pattern's literals and a misfit
    (so a required literal such as `b` in `(a+)+b` is present and the engine cannot give up early). A sane
    pattern decides each in microseconds."""
    own = sorted({c for c in pattern if c.isprintable() and c not in "()[]{}?*+|^$\\"})[:24]
    n = length - 1
    runs = [c * n for c in sorted(set(own) | set("a1 x."))]
    runs += [(unit * n)[:n] for unit in ("ab ", "word ", "a1", "a.", "a ", "A a")]
    probes = [run + tail for run in runs for tail in ("\u2603", "!", "7")]
    probes += [c * (n - 1) + lit + "\u2603" for c in "a1 x" for lit in own]
    return probes


_MAX_PATTERN_CHARS = 5000
_MAX_REPEAT = 100_000
"""Largest product of nested {m,n} counts: `regex` expands counted repeats when compiling, and a pattern like
(?:(?:a{100}){100}){100} takes 420 MB and a second to compile."""
_COUNT = regex.compile(r"\{(\d+)(?:,(\d*))?\}")


def _nested_repeat(pattern: str) -> int:
    """The largest product of nested counted repeats ({m} or {m,n}) in `pattern`, read from its text."""
    stack = [1]  # per open group: the largest product inside it so far
    last = 1  # the product of the item just read (a group's content, or 1 for a single character)
    i = 0
    while i < len(pattern):
        c = pattern[i]
        m = _COUNT.match(pattern, i)
        if m:
            last *= int(m.group(2)) if m.group(2) else int(m.group(1))
            stack[-1] = max(stack[-1], last)
            i = m.end()
            continue
        last = 1
        if c == "\\":
            i += 2
        elif c == "[":  # a character class: skip to its closing bracket (a leading ] or ^] is literal)
            j = i + 1 + (pattern[i + 1 : i + 2] == "^")
            j += pattern[j : j + 1] == "]"
            while j < len(pattern) and pattern[j] != "]":
                j += 2 if pattern[j] == "\\" else 1
            i = j + 1
        elif c == "(":
            stack.append(1)
            i += 1
        elif c == ")":
            last = stack.pop() if len(stack) > 1 else 1
            stack[-1] = max(stack[-1], last)
            i += 1
        else:
            i += 1
    return max(stack)


@lru_cache(maxsize=4096)
def _pattern_problem(pattern: str, ignore_case: bool) -> str | None:
    """Why `pattern` cannot be used (None if it can). Cached: the same rules are checked by the loader, with
    the file and key to name, and again by the dataclasses they build."""
    if len(pattern) > _MAX_PATTERN_CHARS:
        return f"pattern of {len(pattern)} characters; expected at most {_MAX_PATTERN_CHARS}"
    if _nested_repeat(pattern) > _MAX_REPEAT:
        return (f"pattern {pattern[:80]!r} repeats {_nested_repeat(pattern):,} times when compiled (nested "
                f"{{m,n}} counts); expected at most {_MAX_REPEAT:,}")
    try:
        compiled = regex.compile(pattern, regex.IGNORECASE if ignore_case else 0)
    except (regex.error, ValueError, OverflowError) as e:
        return f"bad regular expression {pattern!r}: {e}"
    start = time.perf_counter()
    for probe in (p for length in _PROBE_LENGTHS for p in _probes(pattern, length)):
        if time.perf_counter() - start > _PROBE_BUDGET:
            return (f"pattern {pattern!r} is too slow (its load-time probes took over {_PROBE_BUDGET:g} s together, "
                    f"on inputs of up to {len(probe)} characters); rewrite it")
        for method in (compiled.search, compiled.fullmatch):
            # One retry: a probe that a busy machine merely delayed decides the second time; a catastrophic one
            # times out again.
            for attempt in (1, 2):
                try:
                    method(probe, timeout=PROBE_TIMEOUT)
                    break
                except TimeoutError:
                    if attempt == 2:
                        return (
                            f"pattern {pattern!r} backtracks catastrophically (no match decided within "
                            f"{round(PROBE_TIMEOUT * 1000)} ms on a {len(probe)}-character input); rewrite it"
                        )
    return None


def _pattern(value: Any, where: str, ignore_case: bool = False) -> str:
    """A usable pattern, or a ConfigError naming `where`."""
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected a pattern (a string), got {_given(value)}")
    problem = _pattern_problem(value, ignore_case)
    if problem:
        raise ConfigError(f"{where}: {problem}")
    return value


def _patterns(value: Any, where: str) -> tuple[str, ...]:
    """A YAML list of patterns (null or absent: none)."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ConfigError(f"{where}: expected a list of patterns, got {_given(value)}")
    return tuple(_pattern(p, f"{where}[{i}]") for i, p in enumerate(value))


def _groups(pattern: str, ignore_case: bool = False) -> set[str]:
    return set(regex.compile(pattern, regex.IGNORECASE if ignore_case else 0).groupindex)


# --- the config tree -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InlineRule:
    """A pattern removed from inside a body line; the text on both sides is kept, joined by one space."""

    name: str
    pattern: str

    def __post_init__(self) -> None:
        _text(self.name, "inline rule: name")
        _pattern(self.pattern, f"inline rule {self.name!r}: pattern")


@dataclass(frozen=True)
class CleaningRules:
    """What cleaning removes from every body line."""

    boilerplate_lines: tuple[str, ...] = ()
    """A line that fully matches one of these is dropped."""
    caption_lines: tuple[str, ...] = ()
    """A line that fully matches one of these is a caption or credit: kept apart, not in the body."""
    inline: tuple[InlineRule, ...] = ()
    """Markers removed from inside lines (ad markers, video widgets)."""
    tail_markers: tuple[str, ...] = ()
    """A line in the second half of a body that fully matches one of these starts a comment section: it and every
    line after it are dropped."""

    def __post_init__(self) -> None:
        for key in ("boilerplate_lines", "caption_lines", "tail_markers"):
            value = getattr(self, key)
            if not isinstance(value, tuple):
                raise ConfigError(f"cleaning rules: {key}: expected a tuple of patterns, got {_given(value)}")
            for i, p in enumerate(value):
                _pattern(p, f"cleaning rules: {key}[{i}]")
        if not isinstance(self.inline, tuple) or not all(isinstance(r, InlineRule) for r in self.inline):
            raise ConfigError(f"cleaning rules: inline: expected a tuple of InlineRule, got {_given(self.inline)}")

    def merged(self, other: CleaningRules) -> CleaningRules:
        return CleaningRules(
            self.boilerplate_lines + other.boilerplate_lines,
            self.caption_lines + other.caption_lines,
            self.inline + other.inline,
            self.tail_markers + other.tail_markers,
        )


@dataclass(frozen=True)
class HeadLine:
    """One line of the head that opens a related-article block; named groups become fields."""

    pattern: str
    optional: bool = False
    """The line may be absent."""
    ignore_case: bool = False

    def __post_init__(self) -> None:
        where = "related head line"
        _bool(self.optional, f"{where}: optional")
        _bool(self.ignore_case, f"{where}: ignore_case")
        _pattern(self.pattern, f"{where}: pattern", self.ignore_case)
        unknown = _groups(self.pattern, self.ignore_case) - HEAD_FIELDS
        if unknown:
            raise ConfigError(
                f"{where} {self.pattern!r}: unknown field group(s) {sorted(unknown)}; known: {sorted(HEAD_FIELDS)}"
            )


@dataclass(frozen=True)
class LayoutProfile:
    """How one family of text dumps is laid out: where articles start and end, and what is site chrome."""

    name: str
    description: str = ""
    detect: tuple[str, ...] = ()
    """The profile applies when every pattern matches some line; empty = applies to anything (the fallback)."""
    site_line: str | None = None
    """A line naming the site the page was fetched from, with a `site` group."""
    main_end_at: tuple[str, ...] = ()
    """The main article ends at the first line matching one of these."""
    related_start_after: str | None = None
    """The related-articles section starts after the first line matching this."""
    related_head: tuple[HeadLine, ...] = ()
    """The lines that open each related article, in order; the body follows."""
    related_body: str = "paragraphs"
    """`paragraphs`: the body runs to the next head; `line`: it is the one line after the head, and any other
    line before the next head is rejected (so stray text is never glued onto an article)."""
    cleaning: CleaningRules = field(default_factory=CleaningRules)
    """Layout-specific cleaning, applied on top of the shared rules."""

    def __post_init__(self) -> None:
        _text(self.name, "layout: name")
        where = f"layout {self.name!r}"
        for key, patterns in (("detect", self.detect), ("main.end_at", self.main_end_at)):
            for i, p in enumerate(patterns):
                _pattern(p, f"{where}: {key}[{i}]")
        for key, p in (("site_line", self.site_line), ("related.start_after", self.related_start_after)):
            if p is not None:
                _pattern(p, f"{where}: {key}")
        if self.site_line is not None and "site" not in _groups(self.site_line):
            raise ConfigError(f"{where}: site_line needs a (?P<site>...) group, got {self.site_line!r}")
        if self.related_body not in {"paragraphs", "line"}:
            raise ConfigError(
                f"{where}: related.body: expected 'paragraphs' or 'line', got {_given(self.related_body)}"
            )
        if self.related_start_after and not self.related_head:
            raise ConfigError(f"{where}: related.start_after is set but related.head is empty")
        if self.related_head and not any("title" in _groups(h.pattern, h.ignore_case) for h in self.related_head):
            raise ConfigError(f"{where}: related.head needs a line with a (?P<title>...) group")


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
                raise ConfigError(f"jsonl.{f.name}: expected a non-empty tuple of field names, got {_given(value)}")


@dataclass(frozen=True)
class Config:
    """Everything a run needs besides its inputs and Beam options."""

    layouts: tuple[LayoutProfile, ...]
    """Tried in order; the first whose `detect` patterns all match is used."""
    cleaning: CleaningRules
    """Shared cleaning rules, applied to every body."""
    sources: tuple[tuple[str, str], ...]
    """(casefolded name, domain or abbreviation) -> slug pairs."""
    lead_words: int = 40
    """Leading words hashed into story_key; also the minimum length of a copy that counts as a truncation."""
    min_body_words: int = 10
    """Articles with fewer body words are filtered (kept as dead letters, reason too_short)."""
    max_file_bytes: int = 256 * 1024 * 1024
    """Larger (decompressed) inputs are dead-lettered instead of read into memory."""
    excerpt_chars: int = 500
    """How much raw text a dead letter keeps."""
    max_rows_per_file: int = 100_000
    """Parquet files are cut at this many rows."""
    compression: str = "zstd"
    date_languages: tuple[str, ...] = ("en",)
    """Languages dateparser tries for published times (fewer = faster and fewer false readings)."""
    jsonl: JsonlFields = field(default_factory=JsonlFields)
    """Field names of JSONL records."""
    near: NearDupSettings = field(default_factory=NearDupSettings)
    """The near-duplicate stage (dedup.near): shingles, band keys, match thresholds."""
    cards: CardRules = field(default_factory=CardRules)
    """`teasers:`: when a related block of an HTML page is an article rather than a link card."""

    def __post_init__(self) -> None:
        if not self.layouts:
            raise ConfigError("layouts: no layout profiles configured")
        _int(self.lead_words, "dedup.lead_words", 8)
        _int(self.min_body_words, "filter.min_body_words", 0)
        _int(self.max_file_bytes, "read.max_file_bytes", 1)
        _int(self.excerpt_chars, "read.excerpt_chars", 0)
        _int(self.max_rows_per_file, "write.max_rows_per_file", 1)
        if self.compression not in COMPRESSIONS:
            raise ConfigError(f"write.compression: expected one of {', '.join(COMPRESSIONS)}, "
                              f"got {_given(self.compression)}")

    def layout(self, name: str) -> LayoutProfile:
        for lp in self.layouts:
            if lp.name == name:
                return lp
        raise ConfigError(f"no layout named {name!r}; known: {[lp.name for lp in self.layouts]}")

    @property
    def source_slugs(self) -> dict[str, str]:
        return dict(self.sources)


# --- reading YAML ----------------------------------------------------------------------------------------------
