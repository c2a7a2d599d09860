"""Bodies off the shuffle path: SpillBodies, Hydrate, DropSpill.

Beam's local runners hold the whole input of every shuffle (GroupByKey, CoGroupByKey) in memory, and the batch
graph shuffles its articles several times: exact dedup, near-duplicate candidates and clusters, the writer.
With their bodies aboard, peak memory grew with the input (about 80 KB a page: 0.31 GB at 181 pages, 0.46 GB
at 1,810; measured by benchmarks/scale.py), and a 40,000-page crawl file would not fit a laptop. The bodies are
95 % of what an article weighs, and only few steps read them.

- `SpillBodies` (where articles are extracted, before any shuffle) writes the bodies of each batch of articles to
  a spill file, `<output>/_temporary/<run_id>-spill/<uuid>.parquet` (article_id, body; zstd), computes the LSH
  band keys while the body is at hand, and passes the article on *slim*: `body` None, `body_ref` the file.
- `Hydrate` reads the bodies back where a step needs the text: the copies of a story key seen more than once,
  the near-duplicate candidates and clusters, and the writer. It groups its (key, article) pairs by spill file,
  so each file is read once per step and only the bodies of the articles in hand are held. An article that
  is not slim passes through.
- `DropSpill` removes the directory once the articles are committed. A failed run leaves it under
  `_temporary/`, which readers skip (like the writer's own temporary files).

The files are on the output's filesystem, which every worker of every runner reads (local disk for the local
runners, the object store for Dataflow or Flink). A retried bundle writes new files; its slim articles point to
them, and the files of the failed attempt are dropped with the directory.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from scrapeline.transforms.core.metrics import count
from scrapeline.transforms.dedup.settings import NearDupSettings
from scrapeline.transforms.dedup.near import article_band_keys
from scrapeline.transforms.core.records import Article
from scrapeline.transforms.core.storage import remove_dir

__all__ = ["article_bands", "band_index_rows", "DropSpill", "Hydrate", "read_spill", "slim", "spill_dir",
           "SpillBodies"]

SPILL_SCHEMA = pa.schema([pa.field("article_id", pa.string(), nullable=False),
                          pa.field("body", pa.string(), nullable=False)])

MAX_ARTICLES = 512
MAX_BYTES = 8 * 1024 * 1024
"""A spill file is cut at this many articles or body bytes: what a bundle holds before writing it, and what
`Hydrate` reads to restore one of its articles."""


def spill_dir(output: str, run_id: str) -> str:
    return FileSystems.join(output.rstrip("/") or "/", "_temporary", f"{run_id}-spill")


def article_bands(a: Article, s: NearDupSettings) -> tuple[list[int], int]:
    """(band keys, shingle count) of an article: those computed before its body was spilled, else its body's."""
    if a.band_keys is not None:
        return list(a.band_keys), a.shingle_count
    keys, n_shingles, _ = article_band_keys(a.body, s)
    return keys, n_shingles


def slim(a: Article) -> Article:
    """The article without its body, when the body is in a spill file (else unchanged)."""
    return dataclasses.replace(a, body=None) if a.body_ref and a.body is not None else a


def read_spill(path: str) -> dict[str, str]:
    """article_id -> body of one spill file."""
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
        table = pq.read_table(f)
    return dict(zip(table.column("article_id").to_pylist(), table.column("body").to_pylist()))


class _SpillFn(beam.DoFn):
    """Articles -> slim articles. Each is emitted at once, naming the file its body will be in; the file is
    written when the batch is full or the bundle ends (before any step downstream of a shuffle can read it)."""

    def __init__(self, directory: str, near: NearDupSettings | None, max_articles: int, max_bytes: int):
        self._dir = directory
        self._near = near if near is not None and near.enabled else None
        self._max_articles = max_articles
        self._max_bytes = max_bytes
        self._path = ""
        self._ids: list[str] = []
        self._bodies: list[str] = []
        self._bytes = 0

    def start_bundle(self):
        self._ids, self._bodies, self._bytes = [], [], 0
        self._path = ""

    def process(self, a: Article) -> Iterable[Article]:
        if a.body is None:
            yield a
            return
        if not self._path:
            self._path = FileSystems.join(self._dir, f"{uuid.uuid4().hex}.parquet")
        bands = {}
        if self._near is not None and a.band_keys is None:
            keys, n_shingles, _ = article_band_keys(a.body, self._near)
            bands = {"band_keys": tuple(keys), "shingle_count": n_shingles}
        self._ids.append(a.article_id)
        self._bodies.append(a.body)
        self._bytes += len(a.body)
        yield dataclasses.replace(a, body=None, body_ref=self._path, **bands)
        if len(self._ids) >= self._max_articles or self._bytes >= self._max_bytes:
            self._flush()

    def _flush(self) -> None:
        if not self._ids:
            return
        table = pa.table({"article_id": self._ids, "body": self._bodies}, schema=SPILL_SCHEMA)
        with FileSystems.create(self._path, mime_type="application/octet-stream",
                                compression_type=CompressionTypes.UNCOMPRESSED) as f:
            pq.write_table(table, f, compression="zstd")
        count("spill.files")
        self._ids, self._bodies, self._bytes, self._path = [], [], 0, ""

    def finish_bundle(self):
        self._flush()


class SpillBodies(beam.PTransform):
    """Articles -> slim articles (bodies in spill files under `directory`; band keys computed with `near`)."""

    def __init__(self, directory: str, near: NearDupSettings | None = None,
                 max_articles: int = MAX_ARTICLES, max_bytes: int = MAX_BYTES):
        super().__init__()
        if max_articles < 1 or max_bytes < 1:
            raise ValueError("max_articles and max_bytes must be positive")
        self._fn = _SpillFn(directory, near, max_articles, max_bytes)

    def expand(self, articles):
        return articles | "SpillBodies" >> beam.ParDo(self._fn)


def _hydrate(element) -> Iterable[tuple]:
    ref, pairs = element
    if not ref:
        yield from pairs
        return
    bodies = read_spill(ref)
    for key, a in pairs:
        if a.body is not None:
            yield key, a
            continue
        body = bodies.get(a.article_id)
        if body is None:  # cannot happen unless the spill directory was tampered with: fail loudly, lose nothing
            raise RuntimeError(f"spill file {ref} holds no body for article {a.article_id}")
        yield key, dataclasses.replace(a, body=body)


class Hydrate(beam.PTransform):
    """(key, Article) -> (key, Article with its body), grouped by spill file (each file read once)."""

    def expand(self, keyed):
        return (
            keyed
            | "BySpillFile" >> beam.Map(lambda kv: (kv[1].body_ref if kv[1].body is None else "", kv))
            | "GroupBySpillFile" >> beam.GroupByKey()
            | "ReadBodies" >> beam.FlatMap(_hydrate)
        )


def _drop(_, directory: str, after) -> Iterable[None]:
    remove_dir(directory)
    return ()


class DropSpill(beam.PTransform):
    """Removes the spill directory once `after` (the committed articles) is complete."""

    def __init__(self, directory: str, after: beam.PCollection):
        super().__init__()
        self._dir = directory
        self._after = after

    def expand(self, pbegin):
        return (
            pbegin
            | "Once" >> beam.Create([None])
            | "Drop" >> beam.FlatMap(_drop, directory=self._dir, after=beam.pvalue.AsList(self._after))
        )


def band_index_rows(a: Article, settings: NearDupSettings, partition: str) -> Iterable[dict]:
    """The band-index rows of one written article (none for bodies too short to take part)."""
    keys, n_shingles = article_bands(a, settings)
    for k in keys:
        yield {"band": k, "article_id": a.article_id, "partition": partition, "shingles": n_shingles}
