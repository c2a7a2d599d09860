"""The extract stage's settings: layouts of text dumps, cleaning rules, card rules, and ExtractSettings that
ExtractArticles takes. Each dataclass checks its values when it is built (transforms/core/checks.py)."""

from __future__ import annotations

from dataclasses import dataclass, field


from scrapeline.transforms.core.checks import (
    ConfigError, check_bool, check_fraction, check_int, check_pattern, check_text, describe, pattern_groups,
)

__all__ = ["CardRules", "CleaningRules", "ExtractSettings", "HEAD_FIELDS", "HeadLine", "InlineRule", "LayoutProfile"]
HEAD_FIELDS = frozenset({"source", "published", "title", "author", "url"})


@dataclass(frozen=True)
class InlineRule:
    """A pattern removed from inside a body line; the text on both sides is kept, joined by one space."""

    name: str
    pattern: str

    def __post_init__(self) -> None:
        check_text(self.name, "inline rule: name")
        check_pattern(self.pattern, f"inline rule {self.name!r}: pattern")


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
                raise ConfigError(f"cleaning rules: {key}: expected a tuple of patterns, got {describe(value)}")
            for i, p in enumerate(value):
                check_pattern(p, f"cleaning rules: {key}[{i}]")
        if not isinstance(self.inline, tuple) or not all(isinstance(r, InlineRule) for r in self.inline):
            raise ConfigError(f"cleaning rules: inline: expected a tuple of InlineRule, got {describe(self.inline)}")

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
        check_bool(self.optional, f"{where}: optional")
        check_bool(self.ignore_case, f"{where}: ignore_case")
        check_pattern(self.pattern, f"{where}: pattern", self.ignore_case)
        unknown = pattern_groups(self.pattern, self.ignore_case) - HEAD_FIELDS
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
        check_text(self.name, "layout: name")
        where = f"layout {self.name!r}"
        for key, patterns in (("detect", self.detect), ("main.end_at", self.main_end_at)):
            for i, p in enumerate(patterns):
                check_pattern(p, f"{where}: {key}[{i}]")
        for key, p in (("site_line", self.site_line), ("related.start_after", self.related_start_after)):
            if p is not None:
                check_pattern(p, f"{where}: {key}")
        if self.site_line is not None and "site" not in pattern_groups(self.site_line):
            raise ConfigError(f"{where}: site_line needs a (?P<site>...) group, got {self.site_line!r}")
        if self.related_body not in {"paragraphs", "line"}:
            raise ConfigError(
                f"{where}: related.body: expected 'paragraphs' or 'line', got {describe(self.related_body)}"
            )
        if self.related_start_after and not self.related_head:
            raise ConfigError(f"{where}: related.start_after is set but related.head is empty")
        if self.related_head and not any("title" in pattern_groups(h.pattern, h.ignore_case) for h in self.related_head):
            raise ConfigError(f"{where}: related.head needs a line with a (?P<title>...) group")


@dataclass(frozen=True)
class CardRules:
    """`teasers:` of a run config: when a related block of an HTML page is an article rather than a card."""

    article_min_words: int
    """Fewer words than this: a card."""
    article_min_paragraphs: int
    """Fewer paragraphs than this: a card."""
    max_link_density: float
    """A block whose text is more than this share links (characters inside `<a>`) is a list of links: a card."""

    def __post_init__(self) -> None:
        check_int(self.article_min_words, "teasers.article_min_words", 0)
        check_int(self.article_min_paragraphs, "teasers.article_min_paragraphs", 0)
        check_fraction(self.max_link_density, "teasers.max_link_density")


@dataclass(frozen=True)
class ExtractSettings:
    """What ExtractArticles needs: how to split and clean pages, and when an article is kept."""

    layouts: tuple[LayoutProfile, ...]
    """Tried in order; the first whose `detect` patterns all match is used."""
    cleaning: CleaningRules
    """Shared cleaning rules, applied to every body."""
    sources: tuple[tuple[str, str], ...]
    """(casefolded name, domain or abbreviation) -> slug pairs."""
    lead_words: int
    """Leading words hashed into story_key (`dedup.lead_words`)."""
    min_body_words: int
    """Articles with fewer body words are filtered (kept as dead letters, reason too_short)."""
    excerpt_chars: int
    """How much raw text a dead letter keeps."""
    date_languages: tuple[str, ...]
    """Languages dateparser tries for published times (fewer = faster and fewer false readings)."""
    cards: CardRules
    """`teasers:`: when a related block of an HTML page is an article rather than a link card."""

    def __post_init__(self) -> None:
        if not self.layouts:
            raise ConfigError("layouts: no layout profiles configured")
        check_int(self.lead_words, "dedup.lead_words", 8)
        check_int(self.min_body_words, "filter.min_body_words", 0)
        check_int(self.excerpt_chars, "read.excerpt_chars", 0)

    def layout(self, name: str) -> LayoutProfile:
        for lp in self.layouts:
            if lp.name == name:
                return lp
        raise ConfigError(f"no layout named {name!r}; known: {[lp.name for lp in self.layouts]}")

    @property
    def source_slugs(self) -> dict[str, str]:
        return dict(self.sources)
