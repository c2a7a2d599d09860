"""Typed, frozen run configuration, loaded from YAML under configs/.

The config is loaded once, validated here, and shipped to the workers inside the DoFns that need it (it is a tree
of frozen dataclasses, so it pickles with the graph): workers never read configs/ themselves, which is what lets
the same graph run on Dataflow or Flink.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import regex
import yaml

__all__ = [
    "CleaningRules",
    "Config",
    "ConfigError",
    "DEFAULT_CONFIG",
    "HeadLine",
    "InlineRule",
    "JsonlFields",
    "LayoutProfile",
    "load_config",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = REPO_ROOT / "configs" / "default.yaml"


class ConfigError(ValueError):
    """A config file that cannot be used; the message names the file and the key."""


_PROBE_TIMEOUT = 0.05


def _probes(pattern: str) -> list[str]:
    """Inputs that make a backtracking pattern explode: long runs of its own characters, then a misfit."""
    chars = {c for c in pattern if c.isalnum() or c in " .,-"} | {"a", "x", " "}
    return [c * 40 + "\u2603" for c in sorted(chars)[:20]] + ["ab " * 30 + "\u2603", "a1 " * 30 + "!"]


def _compile(pattern: str, where: str, flags: str = "") -> str:
    if not isinstance(pattern, str):
        raise ConfigError(f"{where}: a pattern must be a string, got {pattern!r}")
    try:
        re.compile(pattern, re.IGNORECASE if "i" in flags else 0)
        compiled = regex.compile(pattern, regex.IGNORECASE if "i" in flags else 0)
    except (re.error, regex.error) as e:
        raise ConfigError(f"{where}: bad regular expression {pattern!r}: {e}") from None
    for probe in _probes(pattern):
        try:
            compiled.search(probe, timeout=_PROBE_TIMEOUT)
        except TimeoutError:
            raise ConfigError(
                f"{where}: pattern {pattern!r} backtracks catastrophically (no match decided within "
                f"{int(_PROBE_TIMEOUT * 1000)} ms on a {len(probe)}-character input); rewrite it") from None
    return pattern


@dataclass(frozen=True)
class InlineRule:
    """A pattern removed from inside a body line; the text on both sides is kept, joined by one space."""

    name: str
    pattern: str

    def __post_init__(self) -> None:
        _compile(self.pattern, f"inline rule {self.name!r}")


@dataclass(frozen=True)
class CleaningRules:
    """What cleaning removes from every body line."""

    boilerplate_lines: tuple[str, ...] = ()
    """A line that fully matches one of these is dropped."""
    caption_lines: tuple[str, ...] = ()
    """A line that fully matches one of these is a caption or credit: kept apart, not in the body."""
    inline: tuple[InlineRule, ...] = ()
    """Markers removed from inside lines (ad markers, video widgets)."""

    def __post_init__(self) -> None:
        for p in self.boilerplate_lines + self.caption_lines:
            _compile(p, "cleaning rules")

    def merged(self, other: CleaningRules) -> CleaningRules:
        return CleaningRules(
            self.boilerplate_lines + other.boilerplate_lines,
            self.caption_lines + other.caption_lines,
            self.inline + other.inline,
        )


@dataclass(frozen=True)
class HeadLine:
    """One line of the head that opens a related-article block; named groups become fields."""

    pattern: str
    optional: bool = False
    """The line may be absent."""
    ignore_case: bool = False

    def __post_init__(self) -> None:
        _compile(self.pattern, "related head line", "i" if self.ignore_case else "")
        names = set(re.compile(self.pattern).groupindex)
        unknown = names - {"source", "published", "title", "author", "url"}
        if unknown:
            raise ConfigError(f"related head line {self.pattern!r}: unknown field group(s) {sorted(unknown)}")


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
        where = f"layout {self.name!r}"
        for p in self.detect + self.main_end_at:
            _compile(p, where)
        for p in (self.site_line, self.related_start_after):
            if p is not None:
                _compile(p, where)
        if self.related_body not in {"paragraphs", "line"}:
            raise ConfigError(f"{where}: related.body must be 'paragraphs' or 'line', got {self.related_body!r}")
        if self.related_start_after and not self.related_head:
            raise ConfigError(f"{where}: related.start_after is set but related.head is empty")
        if self.related_head and not any("title" in re.compile(h.pattern).groupindex for h in self.related_head):
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

    def __post_init__(self) -> None:
        if not self.layouts:
            raise ConfigError("no layout profiles configured")
        if self.lead_words < 8:
            raise ConfigError(f"dedup.lead_words must be >= 8, got {self.lead_words}")
        if self.min_body_words < 0 or self.max_file_bytes <= 0 or self.max_rows_per_file <= 0:
            raise ConfigError("filter/read/write limits must be positive")
        if self.compression not in {"zstd", "snappy", "gzip", "none"}:
            raise ConfigError(f"write.compression must be zstd, snappy, gzip or none, got {self.compression!r}")

    def layout(self, name: str) -> LayoutProfile:
        for lp in self.layouts:
            if lp.name == name:
                return lp
        raise ConfigError(f"no layout named {name!r}; known: {[lp.name for lp in self.layouts]}")

    @property
    def source_slugs(self) -> dict[str, str]:
        return dict(self.sources)


class _NoAliasLoader(yaml.SafeLoader):
    """YAML without anchors and aliases: a 370-byte alias bomb once took 3.2 GB; no config needs them."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.events.AliasEvent):
            event = self.peek_event()
            raise yaml.YAMLError(f"aliases are not allowed in config files (line {event.start_mark.line + 1})")
        return super().compose_node(parent, index)


_MAX_CONFIG_BYTES = 1 << 20


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        if path.stat().st_size > _MAX_CONFIG_BYTES:
            raise ConfigError(f"{path}: larger than 1 MiB; not a config file")
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_NoAliasLoader)  # noqa: S506 (a SafeLoader)
    except OSError as e:
        raise ConfigError(f"cannot read config {path}: {e.strerror}") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: invalid YAML: {e}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return data


def _int(section: dict, key: str, default: int, minimum: int, where: str) -> int:
    """An integer setting, strictly: no float, no bool, no string; at least `minimum`."""
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{where}: expected an integer >= {minimum}, got {value!r}")
    return value


def _names(value, where: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """A list of non-empty strings, strictly (a lone string is refused: it used to become one-letter names)."""
    if value is None:
        return default
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{where}: expected a list of non-empty names, e.g. [a, b], got {value!r}")
    return tuple(value)


def _languages(value, where: str) -> tuple[str, ...]:
    langs = _names(value, where, ("en",))
    from dateparser.data.languages_info import language_order

    known = set(language_order)
    unknown = [lang for lang in langs if lang not in known]
    if unknown:
        raise ConfigError(f"{where}: unknown language code(s) {unknown}; dateparser knows e.g. en, fr, de, zh")
    return langs


def _take(data: dict[str, Any], path: Path, allowed: set[str]) -> dict[str, Any]:
    unknown = set(data) - allowed
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
    return data


def _cleaning(data: dict[str, Any] | None, path: Path) -> CleaningRules:
    data = _take(dict(data or {}), path, {"boilerplate_lines", "caption_lines", "inline"})
    try:
        inline = tuple(InlineRule(str(r["name"]), str(r["pattern"])) for r in data.get("inline") or ())
    except (KeyError, TypeError):
        raise ConfigError(f"{path}: each inline rule needs a name and a pattern") from None
    return CleaningRules(
        tuple(str(p) for p in data.get("boilerplate_lines") or ()),
        tuple(str(p) for p in data.get("caption_lines") or ()),
        inline,
    )


def _layout(path: Path) -> LayoutProfile:
    data = _take(
        _read_yaml(path), path, {"name", "description", "detect", "site_line", "main", "related", "cleaning"}
    )
    main = _take(dict(data.get("main") or {}), path, {"end_at"})
    related = _take(dict(data.get("related") or {}), path, {"start_after", "head", "body"})
    try:
        head = tuple(
            HeadLine(str(h["pattern"]), bool(h.get("optional", False)), bool(h.get("ignore_case", False)))
            for h in related.get("head") or ()
        )
    except (KeyError, TypeError, AttributeError):
        raise ConfigError(f"{path}: each related.head entry needs a pattern") from None
    if "name" not in data:
        raise ConfigError(f"{path}: a layout needs a name")
    return LayoutProfile(
        name=str(data["name"]),
        description=str(data.get("description") or ""),
        detect=tuple(str(p) for p in data.get("detect") or ()),
        site_line=data.get("site_line"),
        main_end_at=tuple(str(p) for p in main.get("end_at") or ()),
        related_start_after=related.get("start_after"),
        related_head=head,
        related_body=str(related.get("body", "paragraphs")),
        cleaning=_cleaning(data.get("cleaning"), path),
    )


def _sources(path: Path) -> tuple[tuple[str, str], ...]:
    pairs = []
    for slug, names in _read_yaml(path).items():
        if not isinstance(names, list):
            raise ConfigError(f"{path}: {slug!r} must map to a list of names and domains")
        for name in [slug, *names]:
            pairs.append((str(name).casefold().strip(), str(slug)))
    return tuple(pairs)


def _absolute_refs(data: dict[str, Any], base: Path) -> dict[str, Any]:
    """File references (layouts, cleaning, sources) made absolute, relative to the file that names them."""
    out = dict(data)
    if isinstance(out.get("layouts"), list):
        out["layouts"] = [str(base / str(p)) for p in out["layouts"]]
    for key in ("cleaning", "sources"):
        if isinstance(out.get(key), str):
            out[key] = str(base / out[key])
    return out


def load_config(path: str | Path | None = None) -> Config:
    """Load and validate a run config; relative paths inside it are relative to the file."""
    path = Path(path) if path else DEFAULT_CONFIG
    keys = {"layouts", "cleaning", "sources", "dedup", "filter", "read", "write", "dates", "jsonl"}
    data = _absolute_refs(_take(_read_yaml(path), path, keys), path.parent)
    if path.resolve() != DEFAULT_CONFIG.resolve():
        # A file that overrides a few keys is merged over the defaults: sections key by key, lists replaced.
        defaults = _absolute_refs(_read_yaml(DEFAULT_CONFIG), DEFAULT_CONFIG.parent)
        data = {**defaults, **{k: ({**defaults[k], **v} if isinstance(v, dict) and isinstance(defaults.get(k), dict)
                                   else v) for k, v in data.items()}}
    base = path.parent
    try:
        layouts = tuple(_layout(base / p) for p in data.get("layouts") or ())
        cleaning = _cleaning(_read_yaml(base / data["cleaning"]), base / data["cleaning"]) if data.get(
            "cleaning"
        ) else CleaningRules()
        sources = _sources(base / data["sources"]) if data.get("sources") else ()
        dedup = _take(dict(data.get("dedup") or {}), path, {"lead_words"})
        filt = _take(dict(data.get("filter") or {}), path, {"min_body_words"})
        read = _take(dict(data.get("read") or {}), path, {"max_file_bytes", "excerpt_chars"})
        write = _take(dict(data.get("write") or {}), path, {"max_rows_per_file", "compression"})
        dates = _take(dict(data.get("dates") or {}), path, {"languages"})
        jsonl = _take(dict(data.get("jsonl") or {}), path, {f.name for f in dataclasses.fields(JsonlFields)})
        jsonl_fields = JsonlFields(**{k: _names(v, f"{path}: jsonl.{k}", ()) for k, v in jsonl.items()})
        return Config(
            layouts=layouts,
            cleaning=cleaning,
            sources=sources,
            lead_words=_int(dedup, "lead_words", 40, 8, f"{path}: dedup.lead_words"),
            min_body_words=_int(filt, "min_body_words", 10, 0, f"{path}: filter.min_body_words"),
            max_file_bytes=_int(read, "max_file_bytes", 256 * 1024 * 1024, 1, f"{path}: read.max_file_bytes"),
            excerpt_chars=_int(read, "excerpt_chars", 500, 0, f"{path}: read.excerpt_chars"),
            max_rows_per_file=_int(write, "max_rows_per_file", 100_000, 1, f"{path}: write.max_rows_per_file"),
            compression=str(write.get("compression", "zstd")),
            date_languages=_languages(dates.get("languages"), f"{path}: dates.languages"),
            jsonl=jsonl_fields,
        )
    except (TypeError, ValueError) as e:
        if isinstance(e, ConfigError):
            raise
        raise ConfigError(f"{path}: {e}") from None
