"""Body cleaning: drop boilerplate lines, set captions apart, cut inline markers, normalise whitespace.

Pure functions over one article's lines; the rules are data (configs/cleaning.yaml plus the layout's own). The
same in batch and streaming.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

# Configured patterns run on `regex`, not `re`: see REGEX_TIMEOUT. The fixed patterns below stay on `re`.
import regex

from scrapeline.transforms.extract.settings import CleaningRules
from scrapeline.transforms.core.keys import normalise_words
from scrapeline.transforms.core.metrics import count

__all__ = ["REGEX_TIMEOUT", "CleanedBody", "clean_body", "clean_line_text"]

_SPACES = re.compile(r"[^\S\n]+")
# Zero-width and control characters that scrapes leave in text (not \n or \t, which _SPACES handles).
_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff\x00-\x08\x0b-\x1f\x7f]")

REGEX_TIMEOUT = 0.2
"""Seconds one match or substitution of a configured pattern may take. Python's `re` cannot be interrupted, and
one catastrophic rule ((a|aa)+$) once hung a 3-line run past 120 s; `regex` takes a `timeout=` per call.
google-re2 (linear time) was not an option: it has no lookbehind or backreferences, which the shipped
video_widget rule needs. Load-time probing (pipeline/config.py) refuses the patterns it can catch; this bound
covers the rest. A call that times out leaves the line as it is (the rule counts as not matching) and is
counted as `cleaning.regex_timeout`; it never raises."""


@dataclass(frozen=True)
class CleanedBody:
    body: str
    """Paragraphs separated by a single newline."""
    captions: tuple[str, ...]
    removed: Counter
    """How many of each thing were removed: boilerplate_line, caption, inline:<rule name>."""


@dataclass(frozen=True)
class _Compiled:
    boilerplate: tuple[regex.Pattern, ...]
    captions: tuple[regex.Pattern, ...]
    inline: tuple[tuple[str, regex.Pattern], ...]
    tail: tuple[regex.Pattern, ...] = ()


_PLAIN_FLAGS = regex.compile("").flags
_LEADING_FLAGS = re.compile(r"^\(\?([imsx]+)\)")
# Numbered backreferences and conditionals: their numbers would point at another pattern's groups once joined.
_NUMBERED_REF = re.compile(r"\\(?:[1-9]|g<?\d)|\(\?\(\d")


def _scoped(pattern: str) -> str:
    """'(?i)abc' -> '(?i:abc)': leading global flags are only legal at the start of the whole alternation."""
    m = _LEADING_FLAGS.match(pattern)
    if not m:
        return f"(?:{pattern})"
    # In verbose mode a trailing `# comment` would swallow the closing parenthesis.
    return f"(?{m.group(1)}:{pattern[m.end():]}{chr(10) if 'x' in m.group(1) else ''})"


def _joinable(pattern: str) -> bool:
    """Whether `pattern` means the same inside one alternation with others (no global flags past its start, no
    numbered group references); the others are run on their own."""
    if _NUMBERED_REF.search(pattern):
        return False
    m = _LEADING_FLAGS.match(pattern)
    try:
        regex.compile(_scoped(pattern))
        return regex.compile(pattern[m.end():] if m else pattern).flags == _PLAIN_FLAGS
    except regex.error:
        return False


def _line_patterns(patterns: tuple[str, ...]) -> tuple[regex.Pattern, ...]:
    """Whole-line patterns as few compiled patterns as is safe: one alternation (one bounded call per line for
    all of them), plus any that cannot join it."""
    joined = [p for p in patterns if _joinable(p)]
    alone = [regex.compile(p) for p in patterns if not _joinable(p)]
    return ((regex.compile("|".join(_scoped(p) for p in joined)),) if joined else ()) + tuple(alone)


def _bounded(call, *args):
    """call(*args) within REGEX_TIMEOUT; None (no match) if it times out."""
    try:
        return call(*args, timeout=REGEX_TIMEOUT)
    except TimeoutError:
        count("cleaning.regex_timeout")
        return None


def _fullmatch_any(patterns: tuple[regex.Pattern, ...], line: str) -> bool:
    return any(_bounded(p.fullmatch, line) for p in patterns)


@lru_cache(maxsize=64)
def _compiled(rules: CleaningRules) -> _Compiled:
    return _Compiled(
        _line_patterns(rules.boilerplate_lines),
        _line_patterns(rules.caption_lines),
        tuple((r.name, regex.compile(r.pattern)) for r in rules.inline),
        _line_patterns(rules.tail_markers),
    )


def clean_line_text(line: str) -> str:
    """One line with invisible characters gone and runs of spaces (NBSP included) folded into one."""
    return _SPACES.sub(" ", _INVISIBLE.sub("", line)).strip()


def _heading_like(line: str) -> bool:
    """Short, and not a sentence: "Comments (12)", "Leave a reply", not "Two responses to it were filed."."""
    return len(line.split()) <= 10 and not line.rstrip("”\"'’»)").endswith((".", "!", "?", "…"))


def _cut_tail(lines: list[str], tail: tuple[regex.Pattern, ...], removed: Counter) -> list[str]:
    """The lines (cleaned by clean_line_text) before a comment section ("Comments (12)", "Leave a reply", "#1
    Kommentar von ..."): the first line past the body's first half that is heading-like (short, not a sentence) and
    fully matches a tail marker, and all after it, are dropped. Only past the first half: an early "Comments" heading
    is more likely a section of the article than its end."""
    if not tail:
        return lines
    total = sum(len(t.split()) for t in lines)
    seen = 0
    for i, t in enumerate(lines):
        if seen >= total / 2 and t and _heading_like(t) and _fullmatch_any(tail, t):
            removed["tail_cut_lines"] += len(lines) - i
            return lines[:i]
        seen += len(t.split())
    return lines


# a list item's marker, as the extractor writes it ("- Order Reprints"): the rules match the item's text
_BULLET = re.compile(r"^[-*\u2022\u00b7]\s+")

# an expand/collapse caption's two states, both in the page's text: the cut one ends "... more", the whole one " less"
_CUT_MORE = re.compile(r"\s*(?:\.\.\.|\u2026)\s*more$", re.I)
_WHOLE_LESS = re.compile(r"\s+less$", re.I)
TOGGLE_MIN_WORDS = 5
"""Words the cut state must keep for a pair to count: "Costs ... more" beside "Costs less" is no caption."""


def _caption_toggles(texts: list[str]) -> dict[int, str]:
    """A photo caption an expand/collapse widget shows twice (Hearst's news sites: "... with the Southeast Asian
    nation. less" and its cut "... the military relations ... more"): {line index: the caption, for the whole
    state; "" for the cut one}. Only pairs: a line that ends in "less" is a caption only when another line, ending
    "... more", is its beginning."""
    cuts: dict[str, list[int]] = {}
    for i, t in enumerate(texts):
        m = _CUT_MORE.search(t) if t[-4:].lower() == "more" else None
        if m and len(t[:m.start()].split()) >= TOGGLE_MIN_WORDS:
            cuts.setdefault(t[:m.start()], []).append(i)
    found: dict[int, str] = {}
    if not cuts:
        return found
    for i, t in enumerate(texts):
        m = _WHOLE_LESS.search(t) if t[-4:].lower() == "less" else None
        whole = t[:m.start()] if m else ""
        pairs = [j for cut, js in cuts.items() if whole.startswith(cut) for j in js] if whole else []
        if pairs:
            found[i] = whole
            found.update((j, "") for j in pairs if j not in found)
    return found


# The row's metadata at the edges of a body: the headline again, and a line that is only a date ("October 12,
# 2017", "segunda-feira, 22 de janeiro de 2018 às 0:13", "UPDATED: Tue., Nov. 19, 2019"). The title and
# published_at columns hold them; gold bodies leave them out (AEB, WCXB and legacy pages; see docs/benchmarks.md).
EDGE_LINES = 3
"""Lines at the head of a body (and, for a date, at its end: 2) where the headline or a date alone is metadata."""
_MONTH_WORDS = (
    "jan feb mar apr may jun jul aug sep sept oct nov dec january february march april june july august september "
    "october november december janeiro fevereiro março marco abril maio junho julho agosto setembro outubro "
    "novembro dezembro enero febrero marzo mayo junio julio septiembre setiembre octubre noviembre diciembre "
    "januar februar märz juni juli oktober dezember janvier février avril mai juin juillet août septembre octobre "
    "novembre décembre gennaio febbraio aprile maggio giugno luglio settembre ottobre dicembre januari februari "
    "maart mei augustus").split()
_DATE_WORDS = frozenset(_MONTH_WORDS + (
    "mon tue tues wed thu thur thurs fri sat sun monday tuesday wednesday thursday friday saturday sunday "
    "segunda-feira terça-feira quarta-feira quinta-feira sexta-feira sábado domingo lunes martes miércoles jueves "
    "viernes montag dienstag mittwoch donnerstag freitag samstag sonntag lundi mardi mercredi jeudi vendredi "
    "samedi dimanche de del à às as at on um am pm a.m p.m et est edt ct cst cdt pt pst pdt gmt bst utc cet cest "
    "updated published posted last modified the le el la publicado atualizado actualizado aktualisiert "
    "veröffentlicht mis jour publié ago hour hours hr hrs minute minutes min mins day days").split())
_MONTH_SET = frozenset(_MONTH_WORDS)
_DATE_TOKEN = re.compile(r"[^\W\d_]+(?:[-.][^\W\d_]+)*|\d+(?:st|nd|rd|th|h)?|[^\w\s]", re.U)
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_NUMERIC_DATE = re.compile(r"(?<!\d)(?:\d{1,2}[./-]\d{1,2}[./-](?:19|20)?\d\d|(?:19|20)\d\d-\d\d-\d\d)(?!\d)")
_DATE_PUNCTUATION = frozenset(",.:;-–—/()·•")
_LABELLED_TIME = re.compile(r"(?:last\s+)?(?:updated|published|posted)\b.*(?:\d{1,2}:\d\d|\bago)\b", re.I)


def _dateline(line: str) -> bool:
    """A line that is only a date, with its weekday, time, zone and a "Published"/"Updated" label: a year, a day
    with its month's name or a numeric date, and nothing else (no "|", which joins an event's two dates). Or a
    labelled time without its day: "Updated at 1:23 p.m.", "Posted 14 hours ago"."""
    if len(line) > 80:
        return False
    tokens = _DATE_TOKEN.findall(line.casefold())
    if len(tokens) > 24:
        return False
    dated = bool(_YEAR.search(line)) and bool(_NUMERIC_DATE.search(line) or (
        any(t.rstrip(".") in _MONTH_SET for t in tokens) and any(
            (t.isdigit() and len(t) <= 2) or (t[-2:] in ("st", "nd", "rd", "th") and t[:-2].isdigit())
            for t in tokens)))  # a day is named: "March 2020" alone heads a timeline's section
    if not dated and not _LABELLED_TIME.match(line):
        return False
    return all(t.isdigit() or t[:-2].isdigit() or t[:-1].isdigit() or t.rstrip(".") in _DATE_WORDS
               or t in _DATE_PUNCTUATION for t in tokens)


def _edge_metadata(texts: list[str], title: str | None) -> dict[int, str]:
    """{line index: why} for the headline among the body's first EDGE_LINES lines, and for lines that are only a
    date among its first EDGE_LINES and last 2."""
    filled = [i for i, t in enumerate(texts) if t]
    head, tail = filled[:EDGE_LINES], filled[-2:]
    found: dict[int, str] = {}
    key = normalise_words(title or "")  # the words compared as dedup compares them: NFKC, case and punctuation aside
    for i in head:
        if key and normalise_words(texts[i]) == key:
            found[i] = "headline_line"
    for i in head + tail:
        if i not in found and _dateline(texts[i]):
            found[i] = "dateline"
    return found


def clean_body(lines: tuple[str, ...] | list[str], rules: CleaningRules, title: str | None = None) -> CleanedBody:
    """Clean an article's body lines; each non-empty line that survives is one paragraph. `title`: the article's
    headline, left out where the body repeats it at its head."""
    c = _compiled(rules)
    removed: Counter = Counter()
    paragraphs: list[str] = []
    captions: list[str] = []
    texts = _cut_tail([clean_line_text(raw) for raw in lines], c.tail, removed)
    toggles = _caption_toggles(texts)
    edges = _edge_metadata(texts, title)
    for i, line in enumerate(texts):
        if not line:
            continue
        if i in edges:
            removed[edges[i]] += 1
            continue
        if i in toggles:  # a caption's expanded state goes to the captions once, its cut state nowhere
            removed["caption_toggle"] += 1
            if toggles[i] and toggles[i] not in captions:
                captions.append(toggles[i])
            continue
        item = _BULLET.sub("", line)
        if _fullmatch_any(c.boilerplate, item):
            removed["boilerplate_line"] += 1
            continue
        if _fullmatch_any(c.captions, item):
            removed["caption"] += 1
            captions.append(line)
            continue
        for name, pattern in c.inline:
            line, n = _bounded(pattern.subn, " ", line) or (line, 0)
            if n:
                removed[f"inline:{name}"] += n
        line = clean_line_text(line)
        if line:
            paragraphs.append(line)
    return CleanedBody("\n".join(paragraphs), tuple(captions), removed)
