"""Splitting a text dump into its articles, by a layout profile (configs/layouts/*.yaml).

A dump is read line by line: the main article runs from the first non-blank line (its title) to the first line
that ends it (`main.end_at`); after the `related.start_after` line, each related article opens with a head of
lines matching `related.head` in order (source, time, title...) and its body runs to the next head. Text that
fits no shape is returned as a rejection, never dropped silently. Pure: the same in batch and streaming.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

# Layout patterns run on `regex` with a time bound per call (`re` cannot be interrupted; google-re2 has no
# lookbehind or backreferences): see REGEX_TIMEOUT.
import regex

from scrapeline.transforms.extract.settings import LayoutProfile
from scrapeline.transforms.core.metrics import count
from scrapeline.transforms.core.records import RawArticle

__all__ = ["REGEX_TIMEOUT", "Rejection", "SplitResult", "choose_layout", "split_text_dump"]

REGEX_TIMEOUT = 0.2
"""Seconds one match of a layout pattern against one line may take. Load-time probing (pipeline/config.py)
refuses the catastrophic patterns it can catch; this bound covers the rest. A match that times out counts as no
match (the line is treated as not fitting that pattern) and is counted as `split.regex_timeout`; it never
raises."""


@dataclass(frozen=True)
class Rejection:
    """Text that fit no article shape."""

    reason: str
    detail: str
    excerpt: str


@dataclass(frozen=True)
class SplitResult:
    layout: str
    site: str | None
    articles: tuple[RawArticle, ...]
    rejections: tuple[Rejection, ...]
    chrome_lines: int
    """Lines between the main article and the related section (site chrome), dropped."""


@lru_cache(maxsize=256)
def _re(pattern: str, ignore_case: bool = False) -> regex.Pattern:
    return regex.compile(pattern, regex.IGNORECASE if ignore_case else 0)


def _fullmatch(pattern: str, line: str, ignore_case: bool = False) -> regex.Match | None:
    """`pattern` matched against the whole line within REGEX_TIMEOUT; None if it does not match or times out."""
    try:
        return _re(pattern, ignore_case).fullmatch(line, timeout=REGEX_TIMEOUT)
    except TimeoutError:
        count("split.regex_timeout")
        return None


def _any_fullmatch(patterns: tuple[str, ...], line: str) -> bool:
    return any(_fullmatch(p, line) for p in patterns)


def choose_layout(text: str, layouts: tuple[LayoutProfile, ...]) -> LayoutProfile:
    """The first layout whose `detect` patterns all match a line of `text` (one with none always matches)."""
    lines = [ln.strip() for ln in text.splitlines()]
    for lp in layouts:
        if all(any(_fullmatch(p, ln) for ln in lines) for p in lp.detect):
            return lp
    return layouts[-1]


def _match_head(lines: list[str], i: int, profile: LayoutProfile) -> tuple[int, dict[str, str]] | None:
    """If a related-article head starts at lines[i], (index after it, fields); else None."""
    fields: dict[str, str] = {}
    j = i
    for head in profile.related_head:
        m = _fullmatch(head.pattern, lines[j], head.ignore_case) if j < len(lines) else None
        if m is None:
            if head.optional:
                continue
            return None
        for k, v in m.groupdict().items():
            if v is not None:
                fields.setdefault(k, v.strip())
        j += 1
    return j, fields


def _excerpt(lines: list[str], limit: int = 500) -> str:
    return "\n".join(lines)[:limit]


def split_text_dump(text: str, profile: LayoutProfile) -> SplitResult:
    """Cut a text dump into a main article and its related articles, by `profile`."""
    lines = [ln.strip() for ln in text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff").split("\n")]
    site = None
    if profile.site_line:
        for ln in lines:
            m = _fullmatch(profile.site_line, ln)
            if m and (m.group("site") or "").strip():  # an optional site group may match nothing
                site = m.group("site").strip()
                break

    related_at = len(lines)
    if profile.related_start_after:
        for k, ln in enumerate(lines):
            if _fullmatch(profile.related_start_after, ln):
                related_at = k
                break

    articles: list[RawArticle] = []
    rejections: list[Rejection] = []

    # Main article: title on the first non-blank line, body up to the first end marker.
    main_lines = lines[:related_at]
    first = next((k for k, ln in enumerate(main_lines) if ln), None)
    chrome = 0
    if first is not None:
        end = len(main_lines)
        for k in range(first + 1, len(main_lines)):
            if _any_fullmatch(profile.main_end_at, main_lines[k]):
                end = k
                break
        chrome = sum(1 for ln in main_lines[end:] if ln)
        body = tuple(ln for ln in main_lines[first + 1 : end] if ln)
        articles.append(RawArticle(role="main", position=0, title=main_lines[first], body_lines=body))

    # Related articles: head, then body lines until the next head.
    if related_at < len(lines):
        chrome += 1  # the section marker itself
        rel = [ln for ln in lines[related_at + 1 :] if ln]
        current: tuple[dict[str, str], list[str]] | None = None
        orphans: list[list[str]] = [[]]  # runs of lines that belong to no article
        blocks: list[tuple[dict[str, str], list[str]]] = []
        one_line = profile.related_body == "line"
        k = 0
        while k < len(rel):
            head = _match_head(rel, k, profile)
            if head is not None:
                k, fields = head
                current = (fields, [])
                blocks.append(current)
                if orphans[-1]:
                    orphans.append([])
                continue
            if current is not None and not (one_line and current[1]):
                current[1].append(rel[k])
            else:
                orphans[-1].append(rel[k])
            k += 1
        for run in orphans:
            if run:
                rejections.append(
                    Rejection(
                        "unrecognised_block",
                        f"{len(run)} line(s) in the related section fit no article of layout {profile.name!r}",
                        _excerpt(run),
                    )
                )
        for pos, (fields, body_lines) in enumerate(blocks, start=1):
            articles.append(
                RawArticle(
                    role="related",
                    position=pos,
                    title=fields["title"],
                    body_lines=tuple(body_lines),
                    source=fields.get("source"),
                    published_raw=fields.get("published"),
                    url=fields.get("url"),
                    author=fields.get("author"),
                )
            )
    return SplitResult(profile.name, site, tuple(articles), tuple(rejections), chrome)
