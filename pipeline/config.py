"""Typed, frozen run configuration, loaded from YAML under configs/ (the types and their checks are in
transforms/core/checks.py, beside the transforms they configure; this module reads and merges the YAML).

The config is loaded once, validated here, and shipped to the workers inside the DoFns that need it (it is a tree
of frozen dataclasses, so it pickles with the graph): workers never read configs/ themselves, which is what lets
the same graph run on Dataflow or Flink.

What loading guarantees (each failure is a ConfigError naming the file, the key, what was expected and what was
given; the CLI turns it into exit 2):

* A run config names only the keys it changes: it is merged over configs/default.yaml (mappings key by key,
  lists and scalars replaced); file references (layouts, cleaning, sources) are relative to the file naming them.
* Values are typed strictly: integers are YAML integers (not 40.9, not true) within their range, name lists are
  YAML lists of non-empty strings (a lone string is refused), flags are booleans, date languages are codes
  dateparser knows, compression is one of a few names.
* Config files are plain YAML under 1 MiB, without anchors/aliases (alias bombs) or duplicate keys.
* Every pattern compiles on the `regex` engine the transforms run it on, and is probed at load with adversarial
  inputs under a 50 ms bound: one that backtracks catastrophically is refused. At run time each match is
  bounded again (transforms/extract/clean.py, transforms/extract/split.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import os
import re
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from scrapeline.transforms.core.checks import (  # the checks the loader applies to YAML values
    SLUG,
    ConfigError,
    check_bool,
    check_int,
    check_languages,
    check_mapping,
    check_names,
    check_pattern,
    check_patterns,
    check_text,
    describe,
    pattern_groups,
    vet,
)
from scrapeline.transforms.dedup.settings import NearDupSettings
from scrapeline.transforms.extract.settings import (
    HEAD_FIELDS,
    CardRules,
    CleaningRules,
    ExtractSettings,
    HeadLine,
    InlineRule,
    LayoutProfile,
)
from scrapeline.transforms.output.write import COMPRESSIONS
from scrapeline.transforms.read.settings import JsonlFields, ReadSettings

__all__ = [
    "CleaningRules",
    "Config",
    "ConfigError",
    "DEFAULT_CONFIG",
    "HeadLine",
    "InlineRule",
    "JsonlFields",
    "LayoutProfile",
    "MAX_CONFIG_BYTES",
    "load_config",
]

@dataclass(frozen=True)
class Config:
    """Everything a run needs besides its inputs and Beam options: the stages' settings, read from one YAML file
    merged over configs/default.yaml. Each transform takes its own part (`extract`, `near`, `jsonl`, ...)."""

    layouts: tuple[LayoutProfile, ...]
    """Tried in order; the first whose `detect` patterns all match is used."""
    cleaning: CleaningRules
    """Shared cleaning rules, applied to every body."""
    sources: tuple[tuple[str, str], ...]
    """(casefolded name, domain or abbreviation) -> slug pairs."""
    lead_words: int
    """Leading words hashed into story_key; also the minimum length of a copy that counts as a truncation."""
    min_body_words: int
    """Articles with fewer body words are filtered (kept as dead letters, reason too_short)."""
    max_file_bytes: int
    """Larger (decompressed) inputs are dead-lettered instead of read into memory."""
    excerpt_chars: int
    """How much raw text a dead letter keeps."""
    warc_range_min_bytes: int
    warc_records_per_range: int
    """A WARC of at least `warc_range_min_bytes` is read in byte ranges of about this many records."""
    max_rows_per_file: int
    """Parquet files are cut at this many rows."""
    compression: str
    date_languages: tuple[str, ...]
    """Languages dateparser tries for published times (fewer = faster and fewer false readings)."""
    jsonl: JsonlFields
    """Field names of JSONL records."""
    near: NearDupSettings
    """The near-duplicate stage (dedup.near): shingles, band keys, match thresholds."""
    cards: CardRules
    """`teasers:`: when a related block of an HTML page is an article rather than a link card."""

    def __post_init__(self) -> None:
        _ = self.extract, self.read_settings()  # the stages' settings check their own values
        check_int(self.max_rows_per_file, "write.max_rows_per_file", 1)
        if self.compression not in COMPRESSIONS:
            raise ConfigError(f"write.compression: expected one of {', '.join(COMPRESSIONS)}, "
                              f"got {describe(self.compression)}")

    @functools.cached_property
    def extract(self) -> ExtractSettings:
        """The extract stage's part."""
        return ExtractSettings(self.layouts, self.cleaning, self.sources, self.lead_words, self.min_body_words,
                               self.excerpt_chars, self.date_languages, self.cards)

    def read_settings(self, fetched_at: dt.datetime | None = None) -> ReadSettings:
        """The read stage's part, with the run's fetch time."""
        return ReadSettings(self.max_file_bytes, self.excerpt_chars, self.jsonl, self.warc_range_min_bytes,
                            self.warc_records_per_range, fetched_at)

    def layout(self, name: str) -> LayoutProfile:
        return self.extract.layout(name)

    @property
    def source_slugs(self) -> dict[str, str]:
        return self.extract.source_slugs


DEFAULT_CONFIG = Path(str(files("scrapeline.configs"))) / "default.yaml"
"""The shipped config, package data of `scrapeline.configs` (found from any directory, in a wheel too)."""

_SHIPPED_DIR = DEFAULT_CONFIG.parent.resolve()

MAX_CONFIG_BYTES = 1 << 20
"""A config file larger than this is refused before it is parsed."""


def _show(path: Path) -> str:
    """A path as messages show it: relative to the working directory when under it."""
    try:
        return str(Path(os.path.abspath(path)).relative_to(Path.cwd()))
    except (ValueError, OSError):
        return str(path)


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML without anchors/aliases (a 370-byte alias bomb once took 3.2 GB; no config needs them) and
    without duplicate keys (the second one used to win silently)."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.events.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.YAMLError(
                f"line {mark.line + 1}: aliases are not allowed in config files (no &anchor or *alias)"
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (str, int, float, bool)) or key is None:
                if (type(key), key) in seen:
                    raise yaml.YAMLError(f"line {key_node.start_mark.line + 1}: duplicate key {key!r}")
                seen.add((type(key), key))
        return super().construct_mapping(node, deep)


def _read_yaml(path: Path) -> dict[str, Any]:
    """A config file's top-level mapping, read with a byte limit (enforced while reading) and strict YAML."""
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_CONFIG_BYTES + 1)
    except OSError as e:
        raise ConfigError(f"cannot read config {_show(path)}: {e.strerror or e}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{_show(path)}: larger than {MAX_CONFIG_BYTES // (1 << 20)} MiB; not a config file")
    try:
        data = yaml.load(raw.decode("utf-8"), Loader=_StrictLoader)  # noqa: S506 (a SafeLoader subclass)
    except UnicodeDecodeError as e:
        raise ConfigError(f"{_show(path)}: not UTF-8 text (byte {e.start})") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{_show(path)}: invalid YAML: {e}") from None
    except RecursionError:
        raise ConfigError(f"{_show(path)}: invalid YAML: nested too deeply") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{_show(path)}: expected a mapping at the top level, got {describe(data)}")
    if _SHIPPED_DIR in path.resolve().parents:
        vet(_strings(data))  # the shipped files' patterns are probed by the suite, not at every load
    return data


def _strings(data: Any):
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for v in data.values():
            yield from _strings(v)
    elif isinstance(data, list):
        for v in data:
            yield from _strings(v)


# --- the files -------------------------------------------------------------------------------------------------


def _cleaning(data: Any, file: str, key: str = "") -> CleaningRules:
    """Cleaning rules from a mapping: cleaning.yaml (key "") or a layout's `cleaning:` (key "cleaning")."""
    at = f"{file}: {key}." if key else f"{file}: "
    data = check_mapping(data, f"{file}: {key}" if key else file,
                    {"boilerplate_lines", "caption_lines", "inline", "tail_markers"})
    inline_raw = data.get("inline")
    if inline_raw is None:
        inline_raw = []
    if not isinstance(inline_raw, list):
        raise ConfigError(f"{at}inline: expected a list of {{name, pattern}} rules, got {describe(inline_raw)}")
    inline = []
    for i, r in enumerate(inline_raw):
        rule = f"{at}inline[{i}]"
        r = check_mapping(r, rule, {"name", "pattern"})
        for k in ("name", "pattern"):
            if k not in r:
                raise ConfigError(f"{rule}: a rule needs a name and a pattern; {k} is missing")
        inline.append(InlineRule(check_text(r["name"], f"{rule}.name"), check_pattern(r["pattern"], f"{rule}.pattern")))
    return CleaningRules(
        check_patterns(data.get("boilerplate_lines"), f"{at}boilerplate_lines"),
        check_patterns(data.get("caption_lines"), f"{at}caption_lines"),
        tuple(inline),
        check_patterns(data.get("tail_markers"), f"{at}tail_markers"),
    )


def _head_line(value: Any, where: str) -> HeadLine:
    h = check_mapping(value, where, {"pattern", "optional", "ignore_case"})
    if "pattern" not in h:
        raise ConfigError(f"{where}: each related.head entry needs a pattern")
    ignore_case = check_bool(h.get("ignore_case", False), f"{where}.ignore_case")
    pattern = check_pattern(h["pattern"], f"{where}.pattern", ignore_case)
    unknown = pattern_groups(pattern, ignore_case) - HEAD_FIELDS
    if unknown:
        raise ConfigError(
            f"{where}.pattern: unknown field group(s) {sorted(unknown)}; expected groups named from "
            f"{sorted(HEAD_FIELDS)}"
        )
    return HeadLine(pattern, check_bool(h.get("optional", False), f"{where}.optional"), ignore_case)


def _layout(path: Path) -> LayoutProfile:
    f = _show(path)
    data = check_mapping(_read_yaml(path), f, {"name", "description", "detect", "site_line", "main", "related",
                                          "cleaning"})
    if "name" not in data:
        raise ConfigError(f"{f}: name: a layout needs a name")
    name = check_text(data["name"], f"{f}: name")
    description = data.get("description")
    if description is not None and not isinstance(description, str):
        raise ConfigError(f"{f}: description: expected a string, got {describe(description)}")
    main = check_mapping(data.get("main"), f"{f}: main", {"end_at"})
    related = check_mapping(data.get("related"), f"{f}: related", {"start_after", "head", "body"})
    site_line = data.get("site_line")
    if site_line is not None:
        check_pattern(site_line, f"{f}: site_line")
        if "site" not in pattern_groups(site_line):
            raise ConfigError(f"{f}: site_line: expected a pattern with a (?P<site>...) group, got {site_line!r}")
    start_after = related.get("start_after")
    if start_after is not None:
        check_pattern(start_after, f"{f}: related.start_after")
    head_raw = related.get("head")
    if head_raw is None:
        head_raw = []
    if not isinstance(head_raw, list):
        raise ConfigError(f"{f}: related.head: expected a list of {{pattern, optional, ignore_case}}, "
                          f"got {describe(head_raw)}")
    body = related.get("body", "paragraphs")
    if body not in ("paragraphs", "line"):
        raise ConfigError(f"{f}: related.body: expected 'paragraphs' or 'line', got {describe(body)}")
    head = tuple(_head_line(h, f"{f}: related.head[{i}]") for i, h in enumerate(head_raw))
    if start_after is not None and not head:
        raise ConfigError(f"{f}: related.head: expected head lines, since related.start_after is set")
    if head and not any("title" in pattern_groups(h.pattern, h.ignore_case) for h in head):
        raise ConfigError(f"{f}: related.head: expected a line with a (?P<title>...) group")
    return LayoutProfile(
        name=name,
        description=description or "",
        detect=check_patterns(data.get("detect"), f"{f}: detect"),
        site_line=site_line,
        main_end_at=check_patterns(main.get("end_at"), f"{f}: main.end_at"),
        related_start_after=start_after,
        related_head=head,
        related_body=body,
        cleaning=_cleaning(data.get("cleaning"), f, "cleaning"),
    )


def _sources(path: Path) -> tuple[tuple[str, str], ...]:
    f = _show(path)
    pairs: dict[str, str] = {}
    for slug, names in _read_yaml(path).items():
        if not isinstance(slug, str) or not SLUG.fullmatch(slug):
            raise ConfigError(f"{f}: {slug!r}: expected a slug (lowercase letters, digits and inner hyphens, "
                              f"at most 80 characters), got {describe(slug)}")
        for name in [slug, *check_names(names, f"{f}: {slug}", allow_empty=True)]:
            key = name.casefold().strip()
            if pairs.get(key, slug) != slug:
                raise ConfigError(f"{f}: {slug}: name {name!r} is already listed under {pairs[key]!r}")
            pairs[key] = slug
    return tuple(pairs.items())


_RUN_KEYS = {
    "layouts": None, "cleaning": None, "sources": None,
    "dedup": {"lead_words", "near"},
    "filter": {"min_body_words"},
    "read": {"max_file_bytes", "excerpt_chars", "warc_range_min_bytes", "warc_records_per_range"},
    "write": {"max_rows_per_file", "compression"},
    "dates": {"languages"},
    "teasers": {"article_min_words", "article_min_paragraphs", "max_link_density"},
    "jsonl": {f.name for f in dataclasses.fields(JsonlFields)},
}


def _run_file(path: Path) -> dict[str, Any]:
    """A run config file, its keys checked and its file references made absolute (relative to the file)."""
    f = _show(path)
    data = dict(check_mapping(_read_yaml(path), f, set(_RUN_KEYS)))
    for section, keys in _RUN_KEYS.items():
        if keys is not None and section in data:
            check_mapping(data[section], f"{f}: {section}", keys)
    base = path.parent
    if "layouts" in data:
        data["layouts"] = [str(base / p) for p in check_names(data["layouts"], f"{f}: layouts", allow_empty=True)]
    for key in ("cleaning", "sources"):
        if data.get(key) is not None:
            data[key] = str(base / check_text(data[key], f"{f}: {key}", "a file name (a string)"))
    return data


def _merge(base: dict, over: dict, over_file: str, origins: dict[tuple, str], at: tuple = ()) -> dict:
    """`over` deep-merged over `base`: mappings key by key, anything else (lists included) replaced; a null over a
    mapping changes nothing. `origins` records which keys `over_file` set, for messages."""
    out = dict(base)
    for k, v in over.items():
        if isinstance(base.get(k), dict) and (isinstance(v, dict) or v is None):
            out[k] = _merge(base[k], v or {}, over_file, origins, at + (k,))
        else:
            out[k] = v
            origins[at + (k,)] = over_file
    return out


def load_config(path: str | Path | None = None) -> Config:
    """Load and validate a run config, merged over configs/default.yaml; see the module docstring."""
    path = Path(path) if path else DEFAULT_CONFIG
    data = _run_file(path)
    origins: dict[tuple, str] = {(): _show(path)}
    if path.resolve() != DEFAULT_CONFIG.resolve():
        origins = {(): _show(DEFAULT_CONFIG)}
        data = _merge(_run_file(DEFAULT_CONFIG), data, _show(path), origins)

    def where(*key: str) -> str:
        for n in range(len(key), -1, -1):
            if key[:n] in origins:
                return f"{origins[key[:n]]}: {'.'.join(key)}"
        raise AssertionError("unreachable: () is always in origins")

    def section(name: str) -> dict[str, Any]:
        return check_mapping(data.get(name), where(name), _RUN_KEYS[name])

    if not data.get("layouts"):
        raise ConfigError(f"{where('layouts')}: expected a non-empty list of layout files, got "
                          f"{describe(data.get('layouts'))}: no layout profiles configured")
    layouts = tuple(_layout(Path(p)) for p in data["layouts"])
    names = [lp.name for lp in layouts]
    if len(set(names)) != len(names):
        raise ConfigError(f"{where('layouts')}: two layout files share a name: {names}")
    cleaning = (
        _cleaning(_read_yaml(Path(data["cleaning"])), _show(Path(data["cleaning"])))
        if data.get("cleaning")
        else CleaningRules()
    )
    sources = _sources(Path(data["sources"])) if data.get("sources") else ()
    dedup, filt, read, write = section("dedup"), section("filter"), section("read"), section("write")
    dates, jsonl, teasers = section("dates"), section("jsonl"), section("teasers")
    near = _near(dedup.get("near"), lambda k: where("dedup", "near", k))
    # Every value comes from configs/default.yaml (or the user's file merged over it): no default is written
    # twice. Each stage's settings check their own values; an error is located in the file that set the key.
    try:
        return Config(
            layouts=layouts,
            cleaning=cleaning,
            sources=sources,
            lead_words=_required(dedup, "lead_words", where),
            min_body_words=_required(filt, "min_body_words", where),
            max_file_bytes=_required(read, "max_file_bytes", where),
            excerpt_chars=_required(read, "excerpt_chars", where),
            warc_range_min_bytes=_required(read, "warc_range_min_bytes", where),
            warc_records_per_range=_required(read, "warc_records_per_range", where),
            max_rows_per_file=_required(write, "max_rows_per_file", where),
            compression=_required(write, "compression", where),
            date_languages=check_languages(_required(dates, "languages", where), where("dates", "languages")),
            jsonl=JsonlFields(**{f: tuple(v) if isinstance(v, list) else v for f, v in jsonl.items()}),
            near=NearDupSettings(**near),
            cards=CardRules(**teasers),
        )
    except TypeError as e:  # a section that lost a key: only a user file that nulled it can do that
        raise ConfigError(f"{where()}: incomplete config: {e}") from None
    except ConfigError as e:
        raise _located(e, where) from None


def _required(section: dict, key: str, where) -> Any:
    if key not in section:
        raise ConfigError(f"{where()}: {key}: missing (configs/default.yaml sets every key; was a section nulled?)")
    return section[key]


_KEY = re.compile(r"[a-z_]+(?:\.[a-z_]+)*(?:\[\d+\])?")


def _located(e: ConfigError, where) -> ConfigError:
    """A settings dataclass's error ("dedup.near.bands: expected ...") located in the file that set the key."""
    key, sep, rest = str(e).partition(": ")
    if not sep or not _KEY.fullmatch(key):
        return e
    path = key.split("[")[0]
    return ConfigError(f"{where(*path.split('.'))}{key[len(path):]}: {rest}")


_NEAR_KEYS = {f.name for f in dataclasses.fields(NearDupSettings)}


def _near(value: Any, where) -> dict[str, Any]:
    """dedup.near as a mapping of known keys (an unknown key is located in the file that set it)."""
    unknown = sorted(str(k) for k in value if k not in _NEAR_KEYS) if isinstance(value, dict) else []
    at = where(unknown[0])[: -len(unknown[0]) - 1] if unknown else where("")[:-1]  # the file that set the bad key
    return check_mapping(value, at, _NEAR_KEYS)