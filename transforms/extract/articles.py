"""ExtractArticles: pages -> cleaned articles with metadata and content keys (+ dead letters).

Per page: text dumps are split by their layout (split.py), HTML pages by html.py; then per article clean the body (clean.py),
resolve published time and publisher (metadata.py), hash (hashing.py) and filter. An article that fails in any of
these becomes a dead letter of its own; the rest of the page goes on. Identical in batch and streaming.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from functools import lru_cache
from collections.abc import Iterable, Iterator

import apache_beam as beam

from scrapeline.transforms.extract.settings import CleaningRules, LayoutProfile
from scrapeline.transforms.extract.settings import ExtractSettings
from scrapeline.transforms.extract.clean import clean_body, clean_line_text
from scrapeline.transforms.extract.language import article_language
from scrapeline.transforms.core.keys import article_id, normalise_words, story_key
from scrapeline.transforms.extract.metadata import UNKNOWN_SOURCE, published_time, source_slug
from scrapeline.transforms.core.keys import page_id
from scrapeline.transforms.core.metrics import count, flush_progress
from scrapeline.transforms.core.records import make_dead_letter
from scrapeline.transforms.core.records import Article, DeadLetter, Page, RawArticle, Teaser
from scrapeline.transforms.core.keys import article_link_keys, teaser_id, teaser_link_keys
from scrapeline.transforms.extract.html import split_html_page
from scrapeline.transforms.extract.split import SplitResult, choose_layout, split_text_dump

__all__ = ["ExtractArticles", "Filtered", "build_article", "build_teaser", "extract_page", "first_sentence",
           "repair_mojibake"]

DEAD = "dead_letters"
TEASERS = "teasers"
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[\"'“‘(]?[A-Z0-9])")
_TITLE_MAX = 160
_WORD_CHAR = re.compile(r"[^\W_]")  # a letter or a digit, of any script
_TITLE_STRIP = " \t|•·*#>-–—"  # table-cell bars and bullets that legacy layouts leave around a line


# A UTF-8 lead byte read as cp1252/latin-1 (Â..ô) followed by a continuation byte read the same way: the
# fingerprint of mojibake. Only text that shows one goes to ftfy (~2.5 ms a page otherwise, a tenth of extraction).
_MOJIBAKE_HINT = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014"
    "\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)


@lru_cache(maxsize=1)
def _ftfy_config():
    import ftfy

    # Encoding repairs only: quotes, character widths, ligatures and line breaks are the page's own business.
    return ftfy.TextFixerConfig(
        unescape_html=False, remove_terminal_escapes=False, fix_latin_ligatures=False, fix_character_width=False,
        uncurl_quotes=False, fix_line_breaks=False, remove_control_chars=False, normalization=None, explain=False)


def repair_mojibake(text: str | None) -> str | None:
    """Text with mojibake already in the source ("Copyright Â© 2008", "isnâ€™t") repaired by ftfy.

    Measured on the 709 pages of the WCXB dev set (real articles with hand-reviewed gold; docs/benchmarks.md) (benchmarks/mojibake.py): ftfy changes 6 bodies and 1 title, each a real
    repair (F1 0.9342 -> 0.9343), and no clean text; it restores 893 of 1160 bodies mojibaked on purpose exactly.
    """
    if not text or not _MOJIBAKE_HINT.search(text):
        return text
    import ftfy

    fixed = ftfy.fix_text(text, _ftfy_config())
    if fixed != text:
        count("repaired.mojibake")
    return fixed


_ENTITY = re.compile(r"&(?:#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});")


def _unescape_twice_escaped(text: str) -> str:
    """A title still holding HTML entities ("Python, SQL &#x26; AI", "Don&#039;t"): its page escaped it twice,
    and the parser undid one. 9 of 278 titles on the first 181 WCXB dev-set pages had one."""
    if "&" not in text or not _ENTITY.search(text):
        return text
    from html import unescape

    return unescape(text)


def first_sentence(body: str, max_chars: int = _TITLE_MAX) -> str:
    """A stand-in title: the body's first sentence, cut at a word boundary to at most `max_chars` (with …)."""
    # The sentence holding the body's first letter or digit: a line of markup debris (">" left by a broken tag) or
    # of bullets stands in for nothing (seen in the fuzz run: a body opening with ">" gave an empty title). Only
    # that line is split, lazily: a body of one 5 MB line, or of a million debris lines, costs one search.
    first = _WORD_CHAR.search(body)
    if first is None:
        sentence = _SENTENCE_END.split(body.split("\n", 1)[0].strip(_TITLE_STRIP), 1)[0].strip(_TITLE_STRIP)
    else:
        line_start = body.rfind("\n", 0, first.start()) + 1
        line_end = body.find("\n", first.start())
        line = body[line_start:] if line_end < 0 else body[line_start:line_end]
        at, start, stop = first.start() - line_start, 0, len(line)
        for end_ in _SENTENCE_END.finditer(line):
            if end_.start() >= at:
                stop = end_.start()
                break
            start = end_.end()
        sentence = line[start:stop].strip(_TITLE_STRIP)
    if len(sentence) <= max_chars:
        return sentence
    cut = sentence[: max_chars - 1].rsplit(" ", 1)[0].rstrip(" ,;:-–—")
    return (cut or sentence[: max_chars - 1]) + "…"


@dataclasses.dataclass(frozen=True)
class Filtered:
    """An article that is well-formed but not kept (too short, no title...)."""

    reason: str
    detail: str


def build_article(
    page: Page,
    raw: RawArticle,
    site: str | None,
    rules: CleaningRules,
    config: ExtractSettings,
    ingested_at: dt.datetime,
    version: str,
) -> Article | Filtered:
    """One output-ready article (before dedup) from a raw article of `page`, or why it is filtered."""
    raw = dataclasses.replace(
        raw, title=repair_mojibake(raw.title), body_lines=tuple(map(repair_mojibake, raw.body_lines)),
        author=repair_mojibake(raw.author), source=repair_mojibake(raw.source),
    )
    cleaned = clean_body(raw.body_lines, rules, raw.title)
    for what, n in cleaned.removed.items():
        count(f"cleaned.{what}", n)
    words = normalise_words(cleaned.body)
    if len(words) < config.min_body_words:
        return Filtered(
            "too_short", f"{len(words)} body words after cleaning, fewer than filter.min_body_words={config.min_body_words}"
        )
    # Poor metadata never drops an article: with no title line, the first sentence of the body stands in.
    title, title_source = clean_line_text(_unescape_twice_escaped(raw.title)), raw.title_source
    if not title:
        title, title_source = first_sentence(cleaned.body), "first_sentence"
    if not title:  # only under filter.min_body_words: 0: a body of no letter or digit, and no title line
        return Filtered("too_short", "no title, and no letter or digit in the body to stand in for one")
    count(f"title_source.{title_source}")
    published, why = published_time(raw.published_raw, page.fetched_at, config.date_languages)
    if why:
        count(f"dates.refused.{why}")
    updated, why = published_time(raw.updated_raw, page.fetched_at, config.date_languages)
    if why:
        count(f"dates.refused_updated.{why}")
    language, decided = article_language(raw.language_claim, cleaned.body)
    count(f"language.{decided}")
    url = raw.url or (page.url if raw.role == "main" else None)
    name = raw.source or page.site or site
    slug = source_slug(name, config.source_slugs, url)
    return Article(
        article_id=article_id(words),
        story_key=story_key(words, config.lead_words),
        title=title,
        title_source=title_source,
        body=cleaned.body,
        source=slug,
        source_name=(name.strip() if name and name.strip() else UNKNOWN_SOURCE),
        url=url,
        page_id=page_id(page.input_uri, page.record_index),
        role=raw.role,
        position=raw.position,
        published_at=published,
        fetched_at=page.fetched_at,
        date_source="published" if published else "fetched",
        author=raw.author,
        word_count=len(cleaned.body.split()),
        captions=cleaned.captions,
        input_uri=page.input_uri,
        record_index=page.record_index,
        duplicate_count=0,
        duplicate_titles=(),
        duplicate_urls=(),
        duplicate_sources=(),
        duplicate_locations=(),
        ingested_at=ingested_at,
        pipeline_version=version,
        updated_at=updated,
        link_keys=article_link_keys(url, cleaned.body),
        authors=tuple(a for a in (repair_mojibake(x) for x in raw.authors) if a) or
        ((raw.author,) if raw.author else ()),
        language=language,
    )


def build_teaser(page: Page, raw: RawArticle, site: str | None, seen_on: RawArticle | None, rules: CleaningRules,
                 config: ExtractSettings, ingested_at: dt.datetime, version: str) -> Teaser:
    """A link card of `page` as a row of `teasers` (its dek cleaned like a body; no minimum length). `seen_on`:
    the page's main article, whose url (the page's canonical one) and title say where the card was seen."""
    cleaned = clean_body(tuple(map(repair_mojibake, raw.body_lines)), rules)
    title = clean_line_text(repair_mojibake(raw.title)) or first_sentence(cleaned.body) or raw.url or ""
    published, _ = published_time(raw.published_raw, page.fetched_at, config.date_languages)
    name = page.site or site or raw.source
    pid = page_id(page.input_uri, page.record_index)
    page_url = page.url or (seen_on.url if seen_on is not None else None)
    return Teaser(
        teaser_id=teaser_id(pid, raw.url, title), title=title, dek=cleaned.body, url=raw.url,
        captions=tuple(dict.fromkeys((*raw.captions, *cleaned.captions))), published_at=published,
        seen_on_url=page_url, seen_on_title=clean_line_text(seen_on.title) if seen_on is not None else "",
        source=source_slug(name, config.source_slugs, page_url),
        source_name=(name.strip() if name and name.strip() else UNKNOWN_SOURCE), page_id=pid, position=raw.position,
        input_uri=page.input_uri, record_index=page.record_index, fetched_at=page.fetched_at,
        ingested_at=ingested_at, pipeline_version=version, link_keys=teaser_link_keys(raw.url, cleaned.body),
    )


def extract_page(
    page: Page, config: ExtractSettings, layout: LayoutProfile | None, ingested_at: dt.datetime, version: str
) -> Iterator[Article | Teaser | DeadLetter]:
    """One page -> its articles and teasers, and a dead letter for whatever could not become one. Never raises:
    a failing page is one dead letter, a failing article one more, and the page's other articles go on."""
    cfg = config
    try:
        if page.format == "html":
            html = split_html_page(page.text, page.url, cfg.date_languages, page.fetched_at, cfg.cards,
                                   page.content_language)
            split = SplitResult("html", html.meta.site, html.articles, (), 0)
            rules = cfg.cleaning
        else:
            lp = layout or choose_layout(page.text, cfg.layouts)
            split = split_text_dump(page.text, lp)
            rules = cfg.cleaning.merged(lp.cleaning)
    except Exception as e:
        yield make_dead_letter("split", "unexpected_error", page.input_uri, page.record_index, e, page.text,
                               excerpt_chars=cfg.excerpt_chars)
        return
    count("pages")
    count(f"layout.{split.layout}")
    count("chrome_lines_dropped", split.chrome_lines)
    for rej in split.rejections:
        yield make_dead_letter("split", rej.reason, page.input_uri, page.record_index, rej.detail, rej.excerpt,
                               excerpt_chars=cfg.excerpt_chars)
    if not split.articles:
        yield make_dead_letter("split", "no_articles", page.input_uri, page.record_index,
                               f"layout {split.layout!r} found no article", page.text, excerpt_chars=cfg.excerpt_chars)
    main = next((a for a in split.articles if a.role == "main"), None)
    for raw in split.articles:
        if raw.role == "teaser":
            count("teasers_extracted")
            try:
                yield build_teaser(page, raw, split.site, main, rules, cfg, ingested_at, version)
            except Exception as e:  # its own stage: a teaser is not an article, and not in the article identity
                yield make_dead_letter("teaser", "unexpected_error", page.input_uri, page.record_index, e,
                                       "\n".join((raw.title, *raw.body_lines)), position=raw.position,
                                       excerpt_chars=cfg.excerpt_chars)
            continue
        count("articles_extracted")
        try:
            result = build_article(page, raw, split.site, rules, cfg, ingested_at, version)
        except Exception as e:
            yield make_dead_letter("extract", "unexpected_error", page.input_uri, page.record_index, e,
                                   "\n".join((raw.title, *raw.body_lines)), position=raw.position,
                                   excerpt_chars=cfg.excerpt_chars)
            continue
        if isinstance(result, Filtered):
            yield make_dead_letter("filter", result.reason, page.input_uri, page.record_index, result.detail,
                                   "\n".join((raw.title, *raw.body_lines)), position=raw.position,
                                   excerpt_chars=cfg.excerpt_chars)
            continue
        yield result


class _ExtractFn(beam.DoFn):
    def __init__(self, config: ExtractSettings, layout_name: str | None, ingested_at: dt.datetime, version: str):
        self._config = config
        self._layout = config.layout(layout_name) if layout_name else None
        self._ingested_at = ingested_at
        self._version = version

    def process(self, page: Page) -> Iterable:
        for out in extract_page(page, self._config, self._layout, self._ingested_at, self._version):
            if isinstance(out, DeadLetter):
                yield beam.pvalue.TaggedOutput(DEAD, out)
            elif isinstance(out, Teaser):
                yield beam.pvalue.TaggedOutput(TEASERS, out)
            else:
                yield out

    def finish_bundle(self):
        flush_progress()


class ExtractArticles(beam.PTransform):
    """Pages -> Articles (not yet deduplicated), with a `teasers` output (link cards, records.Teaser) and a
    `dead_letters` output (stages split, extract, filter)."""

    def __init__(self, config: ExtractSettings, ingested_at: dt.datetime, version: str, layout: str | None = None):
        super().__init__()
        if layout is not None:
            config.layout(layout)  # fails now, with the known names, rather than on a worker
        if ingested_at.tzinfo is None:
            raise ValueError("ingested_at must be timezone-aware")
        self._fn = _ExtractFn(config, layout, ingested_at, version)

    def expand(self, pages):
        return pages | "SplitCleanHash" >> beam.ParDo(self._fn).with_outputs(DEAD, TEASERS, main="articles")
