"""Value checks, one of each: what every stage's settings and the config loader (pipeline/config.py) check YAML
values with. Each raises ConfigError naming the key, what was expected and what was given.

Patterns compile on the `regex` engine the transforms run them on, and are probed here with adversarial inputs
under a bound: one that backtracks catastrophically is refused.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

# The `regex` engine, not `re`: a configured pattern runs with a time bound per call (`timeout=`), which `re`
# cannot do, and it is probed here with the same engine it runs on. google-re2 (linear time, so no bound needed)
# was not used: it has no lookbehind and no backreferences, which the shipped video_widget rule needs, and its \w
# is ASCII-only.
import regex


__all__ = ["check_bool", "check_fraction", "check_int", "check_languages", "check_mapping", "check_names",
           "check_pattern", "check_patterns", "check_text", "ConfigError", "describe", "pattern_groups",
           "PROBE_TIMEOUT", "SLUG", "vet"]

PROBE_TIMEOUT = 0.05
"""Seconds a pattern may take to decide one probe input at load (a sane pattern takes microseconds)."""
_PROBE_BUDGET = 1.0
"""Seconds all the probes of one pattern may take together (the shipped patterns take a few milliseconds)."""
_PROBE_LENGTHS = (40, 400)
"""Probe input lengths: 40 characters expose exponential backtracking ((a|aa)+$), 400 (a long paragraph) the
polynomial kind ((\\w+\\s?)+$ takes over a second on a 1000-character line)."""

# The shape transforms/extract/metadata.py accepts for a partition value (a configured slug of another shape would be
# silently replaced there): lowercase letters, digits and inner hyphens, at most 80 characters.
SLUG = regex.compile(r"[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?")


class ConfigError(ValueError):
    """A config file that cannot be used; the message names the file and the key."""


# --- values, strictly ------------------------------------------------------------------------------------------


def describe(value: Any) -> str:
    """What a YAML value was, for messages: its text and its YAML type."""
    kind = {
        bool: "a boolean", int: "an integer", float: "a number with a fraction", str: "a string", list: "a list",
        dict: "a mapping", type(None): "null",
    }.get(type(value), type(value).__name__)
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return "null" if value is None else f"{text} ({kind})"


def check_int(value: Any, where: str, minimum: int) -> int:
    """An integer setting: a YAML integer (no float, no bool, no string), at least `minimum`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{where}: expected an integer >= {minimum}, got {describe(value)}")
    return value


def check_bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: expected true or false, got {describe(value)}")
    return value


def check_fraction(value: Any, where: str, low: float = 0.0, high: float = 1.0) -> float:
    """A number in [low, high] (a YAML int or float; no bool, no string)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ConfigError(f"{where}: expected a number from {low} to {high}, got {describe(value)}")
    return float(value)


def check_text(value: Any, where: str, what: str = "a non-empty string") -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: expected {what}, got {describe(value)}")
    return value


def check_names(value: Any, where: str, allow_empty: bool = False) -> tuple[str, ...]:
    """A YAML list of non-empty strings (a lone string is refused: it used to become one-letter names)."""
    if not isinstance(value, list) or (not value and not allow_empty):
        raise ConfigError(f"{where}: expected a list of non-empty names, e.g. [a, b], got {describe(value)}")
    for i, v in enumerate(value):
        check_text(v, f"{where}[{i}]", "a non-empty name")
    return tuple(value)


def check_mapping(value: Any, where: str, allowed: set[str] | frozenset[str]) -> dict[str, Any]:
    """A mapping with only `allowed` keys; null (a section whose keys are all commented out) is empty."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a mapping with keys {sorted(allowed)}, got {describe(value)}")
    unknown = [str(k) for k in value if k not in allowed]
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
    return value


def check_languages(value: Any, where: str) -> tuple[str, ...]:
    """Language codes dateparser knows (its own list, which it checks `languages=` against)."""
    from dateparser.data.languages_info import language_order

    langs = check_names(value, where)
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


_VETTED: set[str] = set()
"""Strings of the shipped config files (`vet`): as patterns, their probes are skipped at load. The suite probes
every shipped pattern (tests/unit/pipeline/test_config.py), and matching keeps its per-call timeout
(transforms/extract/clean.py REGEX_TIMEOUT). Probing them took ~0.2 s of every run's start."""


def vet(strings) -> None:
    """Take `strings` (the shipped config files' own) as probed patterns: see `_VETTED`."""
    _VETTED.update(s for s in strings if isinstance(s, str))


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
    if pattern in _VETTED:
        return None
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


def check_pattern(value: Any, where: str, ignore_case: bool = False) -> str:
    """A usable pattern, or a ConfigError naming `where`."""
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected a pattern (a string), got {describe(value)}")
    problem = _pattern_problem(value, ignore_case)
    if problem:
        raise ConfigError(f"{where}: {problem}")
    return value


def check_patterns(value: Any, where: str) -> tuple[str, ...]:
    """A YAML list of patterns (null or absent: none)."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ConfigError(f"{where}: expected a list of patterns, got {describe(value)}")
    return tuple(check_pattern(p, f"{where}[{i}]") for i, p in enumerate(value))


def pattern_groups(pattern: str, ignore_case: bool = False) -> set[str]:
    return set(regex.compile(pattern, regex.IGNORECASE if ignore_case else 0).groupindex)


# --- the config tree -------------------------------------------------------------------------------------------


# --- reading YAML ----------------------------------------------------------------------------------------------
