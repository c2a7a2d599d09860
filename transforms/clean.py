"""Body cleaning: drop boilerplate lines, set captions apart, cut inline markers, normalise whitespace.

Pure functions over one article's lines; the rules are data (configs/cleaning.yaml plus the layout's own). The
same in batch and streaming.
"""

from __future__ import annotations

import re
from collections import Counter

import regex
from dataclasses import dataclass
from functools import lru_cache

from pipeline.config import CleaningRules
from transforms.metrics import count

__all__ = ["CleanedBody", "clean_body", "clean_line_text"]

_SPACES = re.compile(r"[^\S\n]+")
# Zero-width and control characters that scrapes leave in text (not \n or \t, which _SPACES handles).
_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class CleanedBody:
    body: str
    """Paragraphs separated by a single newline."""
    captions: tuple[str, ...]
    removed: Counter
    """How many of each thing were removed: boilerplate_line, caption, inline:<rule name>."""


@dataclass(frozen=True)
class _Compiled:
    boilerplate: re.Pattern | None
    captions: re.Pattern | None
    inline: tuple[tuple[str, re.Pattern], ...]


_GLOBAL_FLAGS = re.compile(r"^\(\?([imsx]+)\)")


def _scoped(pattern: str) -> str:
    """'(?i)abc' -> '(?i:abc)': leading global flags are only legal at the start of the whole alternation."""
    m = _GLOBAL_FLAGS.match(pattern)
    return f"(?{m.group(1)}:{pattern[m.end():]})" if m else f"(?:{pattern})"


# Configured patterns run on the `regex` engine with a time bound per call: Python's `re` cannot be interrupted,
# and one catastrophic pattern ((a|aa)+$) once hung a 3-line run past 120 s. google-re2 (linear time) has no
# lookbehind or backreference, which the shipped video_widget rule needs. A call that times out leaves the line
# as it is (counted as cleaning.regex_timeout).
REGEX_TIMEOUT = 0.2


def _alternation(patterns: tuple[str, ...]):
    if not patterns:
        return None
    return regex.compile("|".join(_scoped(p) for p in patterns))


def _bounded(call, *args):
    try:
        return call(*args, timeout=REGEX_TIMEOUT)
    except TimeoutError:
        count("cleaning.regex_timeout")
        return None


@lru_cache(maxsize=64)
def _compiled(rules: CleaningRules) -> _Compiled:
    return _Compiled(
        _alternation(rules.boilerplate_lines),
        _alternation(rules.caption_lines),
        tuple((r.name, regex.compile(r.pattern)) for r in rules.inline),
    )


def clean_line_text(line: str) -> str:
    """One line with invisible characters gone and runs of spaces (NBSP included) folded into one."""
    return _SPACES.sub(" ", _INVISIBLE.sub("", line)).strip()


def clean_body(lines: tuple[str, ...] | list[str], rules: CleaningRules) -> CleanedBody:
    """Clean an article's body lines; each non-empty line that survives is one paragraph."""
    c = _compiled(rules)
    removed: Counter = Counter()
    paragraphs: list[str] = []
    captions: list[str] = []
    for raw in lines:
        line = clean_line_text(raw)
        if not line:
            continue
        if c.boilerplate is not None and _bounded(c.boilerplate.fullmatch, line):
            removed["boilerplate_line"] += 1
            continue
        if c.captions is not None and _bounded(c.captions.fullmatch, line):
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
