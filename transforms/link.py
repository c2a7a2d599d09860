"""Teasers: link cards are not articles. Telling them apart, and linking each to its full article.

A news page carries cards for other stories: a heading, a one- or two-sentence dek, an image caption, a link.
They are written to their own table (`<output>/teasers/`, records.Teaser), never to `articles`.

- **Card or article** (`is_card`): a related block of an HTML page (an `<article>` element other than the main
  one, or a further JSON-LD article) is an article only when it has the body of one: enough words, several
  paragraphs, and text that is not mostly links. The thresholds (`teasers:` in configs/default.yaml, CardRules)
  were set on hand-labelled blocks of the WCXB dev-set pages (benchmarks/teaser_quality.py). Related blocks of text dumps
  (the aggregator layouts) are full articles and stay so.
- **Linking** (`LinkTeasers`): a teaser leads to an article when their normalised urls are equal, or when the
  dek's first words open one of the article's first paragraphs (a dek is often the lead). The article row lists
  the pages that teased it (`teased_on`); the teaser row names the article (`article_id`). Both directions look
  at the output too: an article ingested after its teasers finds them among the stored teasers (which are
  rewritten with its id), and a teaser ingested after its article finds the stored article by url (whose row
  gets the page, through RecordLateDuplicates).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import apache_beam as beam
import pyarrow.parquet as pq
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from scrapeline.transforms.core.keys import teaser_link_keys, url_key
from scrapeline.transforms.core.metrics import count
from scrapeline.transforms.core.records import TEASER_SCHEMA, Article, LateDuplicate, Teaser
from scrapeline.transforms.output.write import (CommittedFiles, SkipStoredIds, key_set, known_files, list_swaps,
                                                read_rows, replace_rows)
from scrapeline.transforms.core.storage import join

__all__ = ["LinkTeasers", "SkipStoredTeasers"]


# --- linking ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _TeaserRef:
    """A teaser under a link key: the page it was seen on; for a stored one still unlinked, where it lives."""

    seen_on: str
    path: str | None = None
    teaser_id: str | None = None


def _stored_teaser_refs(path: str, wanted) -> Iterable[tuple[str, _TeaserRef]]:
    """(link key, _TeaserRef) of the stored teasers of one file whose key is in `wanted`."""
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
        rows = pq.read_table(f, columns=["teaser_id", "url", "dek", "seen_on_url", "input_uri", "record_index",
                                         "article_id"]).to_pylist()
    for r in rows:
        seen = r["seen_on_url"] or f"{r['input_uri']}#{r['record_index']}"
        keys = [k for k in teaser_link_keys(r["url"], r["dek"]) if k in wanted]
        if keys:
            count("teasers.stored_read")
        unlinked = r["article_id"] is None
        for k in keys:
            yield k, _TeaserRef(seen, path if unlinked else None, r["teaser_id"] if unlinked else None)


def _stored_article_refs(path: str, wanted) -> Iterable[tuple[str, tuple[str, str]]]:
    """(url key, (article_id, file)) of the stored articles of one file whose url is in `wanted`."""
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
        rows = pq.read_table(f, columns=["url", "article_id"]).to_pylist()
    for r in rows:
        k = url_key(r["url"])
        if k and k in wanted:
            yield k, (r["article_id"], path)


STORED_LINKS = "stored_links"


def _rank(key: str) -> int:
    """Which link wins when a teaser meets several articles: the url (0), then the dek's lead (1)."""
    return 0 if key.startswith("u:") else 1


def _best(links: Iterable[tuple[int, str]]) -> str:
    """The article a teaser names: best rank, then the smallest id (one rule in every path)."""
    return min(links)[1]


def _pairs(element) -> Iterable:
    """(article_id, page) for each article a teaser under the same key leads to; and, tagged STORED_LINKS,
    (file, (teaser_id, article_id)) for each stored teaser that had no article yet."""
    key, groups = element
    ids = sorted(set(groups["articles"]))
    refs = sorted(set(groups["teasers"]), key=lambda r: (r.seen_on, r.path or "", r.teaser_id or ""))
    for ref in refs:
        for article_id in ids:
            yield article_id, ref.seen_on
        if ids and ref.path is not None:
            yield beam.pvalue.TaggedOutput(STORED_LINKS, (ref.path, (ref.teaser_id, (_rank(key), ids[0]))))


class _LinkStoredTeasersFn(beam.DoFn):
    """(teaser file, [(teaser_id, article_id)]) -> the file rewritten with those teasers' `article_id` set (where
    still null), swapped in by one rename: a reader opens the old file or the new one."""

    def __init__(self, temp_dir: str, compression: str, beside: str | None = None):
        self._temp_dir = temp_dir
        self._compression = compression
        self._beside = beside

    def process(self, element) -> Iterable:
        path, links = element
        by_teaser: dict[str, list] = {}
        for teaser, link in links:
            by_teaser.setdefault(teaser, []).append(link)
        ids = {teaser: _best(found) for teaser, found in by_teaser.items()}
        rows = read_rows(path, TEASER_SCHEMA)
        changed = 0
        for row in rows:
            if row["article_id"] is None and row["teaser_id"] in ids:
                row["article_id"] = ids[row["teaser_id"]]
                changed += 1
        if not changed:
            return
        swap = replace_rows(path, rows, TEASER_SCHEMA, self._compression, self._temp_dir, self._beside)
        count("teasers.stored_linked", changed)
        yield swap if swap is not None else path


LATE_TEASED = "late_teased"


def _teaser_links(element) -> Iterable:
    """(teaser_id, (rank of the key, article_id)) for each teaser whose key an article (of this run, or stored)
    has; and, tagged LATE_TEASED, a LateDuplicate carrying only the teaser's page for each stored article under
    the key: its row's `teased_on` is updated by RecordLateDuplicates, with the late copies."""
    key, groups = element
    articles = sorted(set(groups["articles"]), key=lambda a: (a[0], a[1] or ""))
    if not articles:
        return
    best = min(a for a, _ in articles)
    for teaser_id, seen_on in sorted(set(groups["teasers"])):
        yield teaser_id, (_rank(key), best)
        for article_id, path in articles:
            if path is not None:
                yield beam.pvalue.TaggedOutput(LATE_TEASED, LateDuplicate(
                    path, article_id, (), (), (), (), teased_on=(seen_on,)))


def _with_teased_on(element) -> Iterable[Article]:
    _, groups = element
    pages = sorted(set(groups["pages"]))
    for a in groups["articles"]:
        if pages:
            count("teasers.articles_teased")
            a = dataclasses.replace(a, teased_on=tuple(sorted(set(a.teased_on) | set(pages))))
        yield a


def _with_article(element) -> Iterable[Teaser]:
    _, groups = element
    links = list(groups["ids"])
    for t in groups["teasers"]:
        if links:
            count("teasers.linked")
            t = dataclasses.replace(t, article_id=_best(links))
        yield t


class LinkTeasers(beam.PTransform):
    """(articles, teasers) -> (articles with `teased_on`, teasers with `article_id`), this run's and the stored
    ones taken into account. `output`: where the stored articles and teasers are read (only the keys this run
    has are kept: one pass over the stored teasers' url and dek columns, and over the articles' url column)."""

    def __init__(self, output: str, teasers: beam.PCollection, run_id: str = "link", compression: str = "zstd",
                 stored: dict | None = None):
        """`stored` (an Iceberg output): table -> its current data files; only those are read, and a stored teaser
        file is rewritten beside the old one (the pairs listed in `_runs/<run_id>/teasers.replaced.json`)."""
        super().__init__()
        self._output = output
        self._teasers = teasers
        self._run_id = run_id
        self._stored = stored
        self._rewrite = _LinkStoredTeasersFn(join(output, "_temporary", f"{run_id}-teasers"), compression,
                                             run_id if stored is not None else None)
        self.late_teased: beam.PCollection | None = None
        """Once expanded: LateDuplicates carrying the pages of this run's teasers of stored articles (their rows'
        `teased_on` is updated with the late copies, by RecordLateDuplicates)."""
        self.stored_articles_read: beam.PCollection | None = None
        """Once expanded: one element when the stored articles' urls have been read (a rewrite of article files,
        RecordLateDuplicates, waits for it: on an object store a file rewritten under a reader can tear the read)."""

    def _stored_files(self, p, table: str, label: str, read: Callable) -> beam.PCollection:
        """`read(paths)` over the committed files of `table`; an empty PCollection, with no reader and no key set,
        when the output is an Iceberg table without files."""
        glob, only = join(self._output, table, "**", "*.parquet"), None if self._stored is None else self._stored[table]
        if known_files(glob, only) == []:
            return p | f"No{label}" >> beam.Create([])
        return read(p | label >> CommittedFiles(glob, only))

    def expand(self, articles):
        p = articles.pipeline
        article_keys = articles | "ArticleKeys" >> beam.FlatMap(lambda a: [(k, a.article_id) for k in a.link_keys])
        teaser_pages = self._teasers | "TeaserPages" >> beam.FlatMap(
            lambda t: [(k, _TeaserRef(t.seen_on)) for k in t.link_keys])
        stored_pages = self._stored_files(p, "teasers", "StoredTeaserFiles", lambda files: (
            files
            | "ReadStoredTeasers" >> beam.FlatMap(
                _stored_teaser_refs,
                wanted=key_set(article_keys | "ArticleKeySetKeys" >> beam.Keys(), "ArticleKeySet"))
        ))
        pages = (teaser_pages, stored_pages) | "AllTeaserPages" >> beam.Flatten()
        joined = (
            {"articles": article_keys, "teasers": pages}
            | "JoinArticleKeys" >> beam.CoGroupByKey()
            | "PagesPerArticle" >> beam.FlatMap(_pairs).with_outputs(STORED_LINKS, main="pages")
        )
        teased = joined.pages
        relinked = (
            joined[STORED_LINKS]
            | "ByTeaserFile" >> beam.GroupByKey()
            | "LinkStoredTeasers" >> beam.ParDo(self._rewrite)
        )
        if self._stored is not None:
            _ = list_swaps(relinked, self._output, self._run_id, "teasers")
        linked_articles = (
            {"articles": articles | "ById" >> beam.Map(lambda a: (a.article_id, a)), "pages": teased}
            | "JoinTeasedOn" >> beam.CoGroupByKey()
            | "TeasedOn" >> beam.FlatMap(_with_teased_on)
        )

        teaser_keys = self._teasers | "TeaserKeys" >> beam.FlatMap(
            lambda t: [(k, (t.teaser_id, t.seen_on)) for k in t.link_keys])
        stored_articles = self._stored_files(p, "articles", "StoredArticleFiles", lambda files: (
            files
            | "ReadStoredUrls" >> beam.FlatMap(
                _stored_article_refs,
                wanted=key_set(teaser_keys | "TeaserKeySetKeys" >> beam.Keys(), "TeaserKeySet"))
        ))
        in_run = article_keys | "WithoutFile" >> beam.Map(lambda kv: (kv[0], (kv[1], None)))
        links = (
            {"articles": (in_run, stored_articles) | "AllArticleKeys" >> beam.Flatten(), "teasers": teaser_keys}
            | "JoinTeaserKeys" >> beam.CoGroupByKey()
            | "ArticlePerTeaser" >> beam.FlatMap(_teaser_links).with_outputs(LATE_TEASED, main="ids")
        )
        ids = links.ids
        self.late_teased = links[LATE_TEASED]
        linked_teasers = (
            {"teasers": self._teasers | "TeaserById" >> beam.Map(lambda t: (t.teaser_id, t)), "ids": ids}
            | "JoinArticleId" >> beam.CoGroupByKey()
            | "WithArticle" >> beam.FlatMap(_with_article)
        )
        self.stored_articles_read = stored_articles | "StoredUrlsRead" >> beam.combiners.Count.Globally()
        return linked_articles, linked_teasers


def _stored_teaser_ids(path: str, wanted) -> Iterable[str]:
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
        ids = pq.read_table(f, columns=["teaser_id"]).column(0).to_pylist()
    yield from (i for i in ids if i in wanted)


def _teaser_id_of(t: Teaser) -> str:
    return t.teaser_id


def _first_seen(teasers: Iterable[Teaser]) -> Teaser:
    return min(teasers, key=lambda t: (t.input_uri, t.record_index, t.position))


class SkipStoredTeasers(beam.PTransform):
    """Teasers -> one per `teaser_id` (the same card twice on one page), and only those the output does not hold
    yet: a rerun adds no teaser twice."""

    def __init__(self, output: str, only: frozenset | None = None):
        super().__init__()
        self._output = output
        self._only = only

    def expand(self, teasers):
        return (
            teasers
            | "ById" >> beam.Map(lambda t: (t.teaser_id, t))
            | "OnePerId" >> beam.CombinePerKey(_first_seen)
            | "Teasers" >> beam.Values()
            | "NotStored" >> SkipStoredIds(self._output, "teasers", _teaser_id_of, _stored_teaser_ids,
                                           "teasers.already_in_output", self._only)
        )
