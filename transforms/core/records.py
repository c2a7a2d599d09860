"""The one schema module: every record that flows between transforms, and the Arrow schemas they are written with.

Writers, readers and tests import from here; nothing else defines a column. The same records flow in batch and
in streaming (they are plain frozen dataclasses, picklable by every Beam runner).

Text is valid Unicode by construction: every record below replaces lone UTF-16 surrogates in its text fields
(JSON `"\ud800"` escapes, a UTF-7 page, a non-UTF-8 file name decoded with surrogateescape) by U+FFFD when it
is built, and counts them under `sanitised.surrogates`. Parquet, Arrow and every warehouse refuse such strings;
one of them once failed a whole run. This is the one boundary: nothing downstream checks again.

Partition columns live in the path only, as Hive lays a table out (and as Spark's `partitionBy` writes it):
`articles/source=<slug>/date=YYYY-MM-DD/`, `dead_letters/stage=<stage>/date=YYYY-MM-DD/`. The files do not
repeat them: BigQuery refuses a Hive partition key that is also a column of the files ("the hive partitioning
keys and the columns in the underlying files cannot overlap"), Athena refuses a partition column that is also a
table column, and a stored `date` would make `pyarrow.dataset(..., partitioning="hive")` fail to merge a date32
column with the string it infers from the path. Files written before 0.3 do carry `source` and `stage`; DuckDB,
pyarrow and Spark read them beside newer ones (tests/e2e/test_warehouses.py). `TABLES` below describes each
table as a warehouse sees it: file columns, then partition columns, with a meaning for every column (the
the schema tables of docs/schema.md and `scrapeline ddl` are generated from it).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa
import xxhash

from scrapeline.transforms.core.metrics import count, utcnow

__all__ = ["Article", "ARTICLE_SCHEMA", "BAND_INDEX_SCHEMA", "BandEntry", "Column", "CopyMatch", "dead_letter_id",
           "DEAD_LETTER_SCHEMA", "DeadLetter", "ExistingStory", "LateDuplicate", "make_dead_letter", "Page",
           "RawArticle", "record_to_row", "Teaser", "TEASER_SCHEMA", "valid_text"]

_TS = pa.timestamp("us", tz="UTC")
_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_text(s: str) -> tuple[str, int]:
    """(`s` with lone surrogates replaced by U+FFFD, how many were replaced). Cheap for valid text."""
    if s.isascii():
        return s, 0
    try:
        s.encode("utf-8")
        return s, 0
    except UnicodeEncodeError:
        return _SURROGATE.subn("\ufffd", s)


def _sanitise(record) -> None:
    """Make every str (and tuple-of-str) field of a frozen record valid Unicode, counting what was replaced."""
    replaced = 0
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        if isinstance(value, str):
            new, n = valid_text(value)
        elif isinstance(value, tuple) and any(isinstance(v, str) for v in value):
            parts = [valid_text(v) if isinstance(v, str) else (v, 0) for v in value]
            new, n = tuple(p for p, _ in parts), sum(k for _, k in parts)
        else:
            continue
        if n:
            object.__setattr__(record, f.name, new)
            replaced += n
    if replaced:
        from scrapeline.transforms.core.metrics import count

        count("sanitised.surrogates", replaced)


@dataclass(frozen=True)
class Page:
    """One fetched page, decoded to text, with where it came from and when it was fetched."""

    input_uri: str
    record_index: int
    text: str
    fetched_at: dt.datetime
    fetched_at_origin: str  # record | sidecar | cli | mtime
    container: str  # the file's container: text | html | jsonl | warc
    format: str = "text"  # what this page is: text (a text dump) | html
    url: str | None = None
    site: str | None = None  # the site the page was fetched from, when known (sidecar, record)
    content_language: str | None = None
    """The HTTP `Content-Language` of the response (a WARC record's), a claim of the page's language."""

    def __post_init__(self) -> None:
        _sanitise(self)


@dataclass(frozen=True)
class RawArticle:
    """An article cut out of a page, before cleaning and metadata resolution."""

    role: str  # main | related | teaser (a link card: written to `teasers`, never an article)
    position: int
    title: str
    body_lines: tuple[str, ...]
    source: str | None = None
    published_raw: str | None = None
    url: str | None = None
    author: str | None = None
    title_source: str = "layout"
    """Where the title came from: layout (a text dump's title line), h1, metadata (JSON-LD headline, og:title),
    title_tag (`<title>` minus the site part), heading (another heading of the page), first_sentence."""
    updated_raw: str | None = None
    """When the page says the article was last modified (JSON-LD dateModified, article:modified_time)."""
    captions: tuple[str, ...] = ()
    """A teaser's image captions (an article's are taken out of its body by the cleaning rules)."""
    authors: tuple[str, ...] = ()
    """Every author the page names (`author` is the first)."""
    language_claim: str | None = None
    """The language the page claims (ISO 639-1), checked against the body when the article is built."""

    def __post_init__(self) -> None:
        _sanitise(self)


@dataclass(frozen=True)
class CopyMatch:
    """How one copy of a story was matched, for auditing a merge (the `duplicate_matches` column).

    match: exact (equal normalised bodies) | truncation (one is a word-prefix of the other) | near_duplicate
    (Jaccard similarity of their shingle sets >= dedup.near.jaccard) | contained (that share of the smaller copy's
    shingles is in the larger one >= dedup.near.containment).
    similarity: 1.0 for exact; for truncation the shorter copy's words as a share of the longer's; the Jaccard
    similarity for near_duplicate; the containment for contained.
    matched_to: the location of the copy it was compared with (the kept copy, or the copy through which it
    joined the story).
    """

    location: str
    match: str
    similarity: float
    matched_to: str


@dataclass(frozen=True)
class Article:
    """A cleaned article with its metadata and content keys: one output row once deduplicated."""

    article_id: str
    story_key: str
    title: str
    title_source: str
    body: str
    source: str
    source_name: str
    url: str | None
    page_id: str
    role: str
    position: int
    published_at: dt.datetime | None
    fetched_at: dt.datetime
    date_source: str
    author: str | None
    word_count: int
    captions: tuple[str, ...]
    input_uri: str
    record_index: int
    duplicate_count: int
    duplicate_titles: tuple[str, ...]
    duplicate_urls: tuple[str, ...]
    duplicate_sources: tuple[str, ...]
    duplicate_locations: tuple[str, ...]
    ingested_at: dt.datetime
    pipeline_version: str
    duplicate_matches: tuple[CopyMatch, ...] = ()
    """How each copy in duplicate_locations matched (one entry per location)."""
    updated_at: dt.datetime | None = None
    teased_on: tuple[str, ...] = ()
    """The pages (url, else `input_uri#record_index`) that carried a teaser of this article (transforms/link.py)."""
    authors: tuple[str, ...] = ()
    """Every author the page names, in its order (`author` is the first)."""
    language: str | None = None
    """ISO 639-1: the page's claim checked against the body by a detector (transforms/extract/language.py)."""
    # Not columns (record_to_row leaves them out): what the batch graph carries while the body is spilled.
    body_ref: str | None = field(default=None, metadata={"column": False})
    """The spill file that holds the body (transforms/dedup/spill.py). While `body` is None the article is *slim*: it
    crosses the dedup shuffles without its text, and `spill.Hydrate` reads the text back where it is needed."""
    band_keys: tuple[int, ...] | None = field(default=None, metadata={"column": False})
    """The LSH band keys of the body (transforms/dedup/near.py), computed before it was spilled; None: not computed."""
    shingle_count: int = field(default=0, metadata={"column": False})
    """The size of the body's shingle set, with `band_keys`."""
    link_keys: tuple[str, ...] = field(default=(), metadata={"column": False})
    """What a teaser of this article may carry: its normalised url, the leads of its first paragraphs
    (transforms/link.py)."""

    def __post_init__(self) -> None:
        _sanitise(self)

    @property
    def partition_date(self) -> dt.date:
        """The published day in the offset the page gave (its own calendar day), else the fetch day (UTC)."""
        return self.published_at.date() if self.published_at is not None else \
            self.fetched_at.astimezone(dt.timezone.utc).date()

    @property
    def location(self) -> str:
        """Where this copy was seen: input uri, record index within it, article position within the page."""
        return f"{self.input_uri}#{self.record_index}/{self.position}"


@dataclass(frozen=True)
class ExistingStory:
    """A story already in the output (read back from its Parquet), used to dedup across runs."""

    article_id: str
    story_key: str
    body: str
    path: str = ""
    """The Parquet file that holds it (rewritten when a later run sees more copies of the story)."""
    location: str = ""
    """Where its kept copy came from (input_uri#record_index/position)."""
    known_locations: tuple[str, ...] = ()
    """Where its duplicates were already seen."""


@dataclass(frozen=True)
class LateDuplicate:
    """Copies of a story seen after the story was committed: to be recorded on its existing row."""

    path: str
    article_id: str
    titles: tuple[str, ...]
    urls: tuple[str, ...]
    sources: tuple[str, ...]
    locations: tuple[str, ...]
    matches: tuple[CopyMatch, ...] = ()
    teased_on: tuple[str, ...] = ()
    """Pages that carried a teaser of the stored story, seen after it was committed (a record with only these is
    a teaser arriving late, not a copy: transforms/link.py)."""


@dataclass(frozen=True)
class DeadLetter:
    """Anything that could not become an output row, in one shape for every stage."""

    stage: str  # read | decode | split | extract | filter | dedup
    reason: str
    input_uri: str
    record_index: int | None
    position: int | None
    error: str
    excerpt: str
    occurred_at: dt.datetime
    dead_letter_id: str = field(init=False, default="")
    """xxh3-64 hex of what identifies it (stage, reason, lineage, excerpt): a rerun adds no stored one again."""

    def __post_init__(self) -> None:
        _sanitise(self)
        object.__setattr__(self, "dead_letter_id", dead_letter_id(
            self.stage, self.reason, self.input_uri, self.record_index, self.position, self.excerpt))


def dead_letter_id(stage: str, reason: str, input_uri: str, record_index: int | None, position: int | None,
                   excerpt: str) -> str:
    """The identity of a dead letter: the same bad record of the same input gives the same id in every run (the
    error message and the time are left out: they may differ between runs)."""
    key = "\x1f".join((stage, reason, input_uri, str(record_index), str(position), excerpt))
    return xxhash.xxh3_64_hexdigest(key.encode("utf-8"))


ARTICLE_SCHEMA = pa.schema(
    [
        pa.field("article_id", pa.string(), nullable=False),  # xxh3-128 hex of the normalised body
        pa.field("story_key", pa.string(), nullable=False),  # dedup join key: hash of the leading words
        pa.field("title", pa.string(), nullable=False),
        # where the title came from (see RawArticle.title_source); null in files written before 0.2
        pa.field("title_source", pa.string()),
        pa.field("body", pa.string(), nullable=False),  # paragraphs separated by "\n"
        pa.field("source_name", pa.string(), nullable=False),  # publisher display name
        pa.field("url", pa.string()),
        pa.field("page_id", pa.string(), nullable=False),
        pa.field("role", pa.string(), nullable=False),  # main | related
        pa.field("position", pa.int32(), nullable=False),  # 0 = main article
        pa.field("published_at", _TS),
        pa.field("updated_at", _TS),  # last modified, when the page says; null in files written before 0.3
        pa.field("fetched_at", _TS, nullable=False),
        pa.field("date_source", pa.string(), nullable=False),  # published | fetched
        pa.field("author", pa.string()),
        pa.field("word_count", pa.int32(), nullable=False),
        pa.field("captions", pa.list_(pa.string()), nullable=False),
        pa.field("input_uri", pa.string(), nullable=False),
        pa.field("record_index", pa.int64(), nullable=False),
        pa.field("duplicate_count", pa.int32(), nullable=False),
        pa.field("duplicate_titles", pa.list_(pa.string()), nullable=False),
        pa.field("duplicate_urls", pa.list_(pa.string()), nullable=False),
        pa.field("duplicate_sources", pa.list_(pa.string()), nullable=False),
        pa.field("duplicate_locations", pa.list_(pa.string()), nullable=False),
        # how each of duplicate_locations matched (CopyMatch); null in files written before it existed
        pa.field("duplicate_matches", pa.list_(pa.struct([
            pa.field("location", pa.string()), pa.field("match", pa.string()),
            pa.field("similarity", pa.float64()), pa.field("matched_to", pa.string()),
        ]))),
        # pages that teased this story (Article.teased_on); null in files written before 0.3
        pa.field("teased_on", pa.list_(pa.string())),
        pa.field("ingested_at", _TS, nullable=False),
        pa.field("pipeline_version", pa.string(), nullable=False),
        # every author (author is the first); null in files written before 0.4
        pa.field("authors", pa.list_(pa.string())),
        pa.field("language", pa.string()),  # ISO 639-1; null when unknown and in files written before 0.4
    ]
)

TEASER_SCHEMA = pa.schema(
    [
        pa.field("teaser_id", pa.string(), nullable=False),
        pa.field("title", pa.string(), nullable=False),
        pa.field("dek", pa.string(), nullable=False),
        pa.field("url", pa.string()),
        pa.field("captions", pa.list_(pa.string()), nullable=False),
        pa.field("published_at", _TS),
        pa.field("seen_on_url", pa.string()),
        pa.field("seen_on_title", pa.string(), nullable=False),
        pa.field("source_name", pa.string(), nullable=False),
        pa.field("page_id", pa.string(), nullable=False),
        pa.field("position", pa.int32(), nullable=False),
        pa.field("input_uri", pa.string(), nullable=False),
        pa.field("record_index", pa.int64(), nullable=False),
        pa.field("fetched_at", _TS, nullable=False),
        pa.field("article_id", pa.string()),
        pa.field("ingested_at", _TS, nullable=False),
        pa.field("pipeline_version", pa.string(), nullable=False),
    ]
)

DEAD_LETTER_SCHEMA = pa.schema(
    [
        pa.field("reason", pa.string(), nullable=False),
        pa.field("input_uri", pa.string(), nullable=False),
        pa.field("record_index", pa.int64()),
        pa.field("position", pa.int32()),
        pa.field("error", pa.string(), nullable=False),
        pa.field("excerpt", pa.string(), nullable=False),
        pa.field("occurred_at", _TS, nullable=False),
        pa.field("dead_letter_id", pa.string()),  # null in files written before 0.2
    ]
)


@dataclass(frozen=True)
class Teaser:
    """A link card seen on a page (a heading, a dek, a url, an image caption): a row of `teasers`, never of
    `articles`. `article_id` links it to the full article once that is in the output (transforms/link.py)."""

    teaser_id: str
    title: str
    dek: str
    url: str | None
    captions: tuple[str, ...]
    published_at: dt.datetime | None
    seen_on_url: str | None
    seen_on_title: str
    source: str
    source_name: str
    page_id: str
    position: int
    input_uri: str
    record_index: int
    fetched_at: dt.datetime
    ingested_at: dt.datetime
    pipeline_version: str
    article_id: str | None = None
    link_keys: tuple[str, ...] = field(default=(), metadata={"column": False})
    """Its normalised url and the lead of its dek (transforms/link.py)."""

    def __post_init__(self) -> None:
        _sanitise(self)

    @property
    def partition_date(self) -> dt.date:
        return self.fetched_at.astimezone(dt.timezone.utc).date()

    @property
    def seen_on(self) -> str:
        """Where it was seen, as `Article.teased_on` lists it."""
        return self.seen_on_url or f"{self.input_uri}#{self.record_index}"


@dataclass(frozen=True)
class Column:
    """One column of a table as a warehouse sees it."""

    name: str
    type: pa.DataType
    nullable: bool
    doc: str
    partition: bool = False
    """In the path only (`name=value/`), not in the files."""


_ARTICLE_DOCS = {
    "article_id": "xxh3-128 hex of the normalised body",
    "story_key": "xxh3-128 hex of the first 40 normalised words: the dedup join key",
    "title": "the headline",
    "title_source": "where the title came from: `layout` (a text dump's title line), `h1`, `metadata` (JSON-LD "
                    "headline, og:title), `title_tag`, `heading`, `first_sentence`; null in files written before 0.2",
    "body": "cleaned text, paragraphs separated by `\\n`",
    "source_name": "publisher name as the page gives it (`unknown` when it gives none)",
    "url": "the article's url when known",
    "page_id": "xxh3-64 hex of the page's lineage (input uri + record index)",
    "role": "`main` or `related`",
    "position": "0 for the main article, then 1, 2, ... in page order",
    "published_at": "publication time (the original one, not an update's), relative times resolved against the "
                    "fetch time",
    "updated_at": "last modification, when the page gives one (an \"Updated ...\" date shown by the headline, else "
                  "JSON-LD dateModified, `article:modified_time`); null in files written before 0.3",
    "fetched_at": "when the page was fetched (the dump's metadata, its sidecar, --fetched-at, else the file's mtime)",
    "date_source": "`published` or `fetched`: what the `date` partition comes from",
    "author": "the first author, when the page names one (a person: not the site, not \"Staff\")",
    "authors": "every author the page names, in its order (`author` is the first); null in files written before 0.4",
    "language": "ISO 639-1 code: the page's claim (`<html lang>`, `og:locale`, Content-Language) checked against "
                "the body by a detector (fastText's compact model), the detector's answer when the page claims none; null when "
                "unknown and in files written before 0.4",
    "word_count": "words in `body`",
    "captions": "captions and photo credits taken out of the body",
    "input_uri": "lineage: the dump the page came from",
    "record_index": "lineage: the record in the dump (line, WARC offset, page number)",
    "duplicate_count": "other copies of this story seen, in the run that wrote it and in later runs",
    "duplicate_titles": "every distinct title the story was seen under (the kept copy included)",
    "duplicate_urls": "every distinct url the story was seen under",
    "duplicate_sources": "every distinct source name the story was seen under",
    "duplicate_locations": "`input_uri#record_index/position` of each dropped copy",
    "duplicate_matches": "how each dropped copy matched: `exact`, `truncation` (similarity: shorter/longer words), "
                         "`near_duplicate` (Jaccard of 5-word shingles), `contained` (share of the smaller copy's "
                         "shingles in the larger); `matched_to` is the copy it was compared with; null in files "
                         "written before the column existed",
    "teased_on": "pages (url, else `input_uri#record_index`) that carried a teaser (link card) of this article, "
                 "seen before, with or after it (a stored row is updated when a teaser of it arrives later); null "
                 "in files written before 0.3",
    "ingested_at": "when the run that wrote the row started",
    "pipeline_version": "the scrapeline version that wrote the row",
    "source": "publisher slug `[a-z0-9-]`, at most 80 characters",
    "date": "the published day as the page states it (in the page's own time offset), else the fetch date (UTC); "
            "`date_source` says which",
}
_TEASER_DOCS = {
    "teaser_id": "xxh3-64 hex of the page it was seen on and its url (else title): the same card on the same page "
                 "has the same id in every run",
    "title": "the card's heading",
    "dek": "the card's text under the heading (summary, standfirst), paragraphs separated by `\\n`; may be empty",
    "url": "where the card links to",
    "captions": "image captions and credits inside the card",
    "published_at": "the date the card shows, when it shows one",
    "seen_on_url": "the url of the page that carried the card",
    "seen_on_title": "the title of the page that carried the card",
    "source_name": "publisher of the page that carried the card",
    "page_id": "xxh3-64 hex of that page's lineage (as `articles.page_id`)",
    "position": "the card's place on the page (1, 2, ...)",
    "input_uri": "lineage: the dump the page came from",
    "record_index": "lineage: the record in the dump",
    "fetched_at": "when the page was fetched",
    "article_id": "the full article in `articles` the card leads to: same normalised url (preferred), or the dek's "
                  "first 8 words open one of its first 3 paragraphs; set when that article is in the same run, "
                  "already stored (matched by url), or arrives in a later run (the stored teaser is rewritten)",
    "ingested_at": "when the run that wrote the row started",
    "pipeline_version": "the scrapeline version that wrote the row",
    "source": "slug of the publisher of the page that carried the card",
    "date": "the day the page was fetched (UTC)",
}
_DEAD_LETTER_DOCS = {
    "reason": "why: e.g. corrupt_compression, too_large, binary, empty, no_records, bad_json; a WARC/ARC record's "
              "malformed_header, bad_content_length, malformed_http_headers, malformed_record, truncated_record, "
              "corrupt_gzip_member, truncated_gzip_member, not_a_record; unrecognised_block, too_short, "
              "unexpected_error",
    "input_uri": "lineage: the input file",
    "record_index": "lineage: the record in the file, when the failure is within one",
    "position": "lineage: the article on the page, when the failure is within one",
    "error": "the error message",
    "excerpt": "the first 500 characters of the raw input",
    "occurred_at": "when it was dead-lettered",
    "dead_letter_id": "xxh3-64 of stage, reason, lineage and excerpt: the same bad record has the same id in every "
                      "run; null in files written before 0.2",
    "stage": "where it failed: read, split, extract, filter (filtered articles are kept here too), teaser",
    "date": "the day it occurred (UTC)",
}


def _columns(schema: pa.Schema, docs: dict, partitions: list[tuple[str, pa.DataType]]) -> tuple[Column, ...]:
    file_cols = [Column(f.name, f.type, f.nullable, docs[f.name]) for f in schema]
    return (*file_cols, *(Column(n, t, False, docs[n], partition=True) for n, t in partitions))


def record_to_row(record: Article | DeadLetter | dict) -> dict:
    """A record as a dict of its schema's columns (tuples become lists for Arrow); a dict is already a row."""
    if isinstance(record, dict):
        return record
    return {
        f.name: [dataclasses.asdict(x) if isinstance(x, CopyMatch) else x for x in v] if isinstance(v, tuple) else v
        for f in dataclasses.fields(record)
        if f.metadata.get("column", True)
        for v in [getattr(record, f.name)]
    }


BAND_INDEX_SCHEMA = pa.schema(
    [
        pa.field("band", pa.int64(), nullable=False),  # an LSH band key (transforms/dedup/near.py)
        pa.field("article_id", pa.string(), nullable=False),
        pa.field("partition", pa.string(), nullable=False),  # source=…/date=… of the article's row
        pa.field("shingles", pa.int32(), nullable=False),  # size of its shingle set
    ]
)
"""`<output>/_index/bands/`: the band keys of every stored story, so a later run finds its near-duplicates by
reading the entries that share one of its keys, then only those stories' rows."""


TABLES: dict[str, tuple[Column, ...]] = {
    "articles": _columns(ARTICLE_SCHEMA, _ARTICLE_DOCS, [("source", pa.string()), ("date", pa.date32())]),
    "teasers": _columns(TEASER_SCHEMA, _TEASER_DOCS, [("source", pa.string()), ("date", pa.date32())]),
    "dead_letters": _columns(DEAD_LETTER_SCHEMA, _DEAD_LETTER_DOCS, [("stage", pa.string()), ("date", pa.date32())]),
}
"""The tables a warehouse reads, in column order: file columns, then partition columns (path only)."""


@dataclass(frozen=True)
class BandEntry:
    """What a band-key bucket holds of an article: enough to pair candidates without their bodies."""

    article_id: str
    shingles: int
    stored: bool = False
    partition: str = ""


def make_dead_letter(
    stage: str,
    reason: str,
    input_uri: str,
    record_index: int | None,
    error: str | BaseException,
    excerpt: str | bytes,
    position: int | None = None,
    excerpt_chars: int = 500,
    clock: Callable[[], dt.datetime] = utcnow,
) -> DeadLetter:
    """A DeadLetter, counted under `dead_letters.<stage>.<reason>` (or `filtered.<reason>` for stage filter)."""
    if isinstance(error, BaseException):
        tb = "".join(traceback.format_exception_only(type(error), error)).strip()
        error = tb
    if isinstance(excerpt, bytes):
        excerpt = excerpt[:excerpt_chars].decode("utf-8", errors="replace")
    count(f"filtered.{reason}" if stage == "filter" else f"dead_letters.{stage}.{reason}")
    return DeadLetter(
        stage=stage,
        reason=reason,
        input_uri=input_uri,
        record_index=record_index,
        position=position,
        error=str(error)[:2000],
        excerpt=excerpt[:excerpt_chars],
        occurred_at=clock(),
    )
