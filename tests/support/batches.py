"""Two batches of every container kind, the second holding new stories, exact and near copies of the first's (their
stored rows get rewritten), teasers and a binary: what the cluster and table tests run twice and compare."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

from tests.support.paths import REPO, SAMPLE_NAME
from tests.support.stories import META_OPEN_SOURCE, NVIDIA_CHIPS, TARIFF_OIL
from tests.support.warc_builder import build_warc, news_records

FETCHED = "2025-08-06T12:00:00Z"


def config_with_small_ranges(tmp_path: Path) -> Path:
    """The default config with small WARC ranges, so a 40-record WARC is read in ranges on several workers."""
    path = tmp_path / "small-ranges.yaml"
    path.write_text("read:\n  warc_range_min_bytes: 1\n  warc_records_per_range: 7\n")
    return path


def first_batch(d: Path) -> Path:
    d.mkdir(parents=True)
    shutil.copy(REPO / "samples" / SAMPLE_NAME, d / SAMPLE_NAME)
    shutil.copy(REPO / "samples" / f"{SAMPLE_NAME}.meta.json", d / f"{SAMPLE_NAME}.meta.json")
    shutil.copy(REPO / "tests" / "cases" / "html" / "main-with-teasers" / "page.html", d / "teasers.html")
    (d / "news.warc.gz").write_bytes(build_warc(news_records(40), gzip=True))
    return d


def second_batch(d: Path) -> Path:
    """New stories, exact and near copies of stored ones, every container, one binary."""
    d.mkdir(parents=True)
    shutil.copy(REPO / "samples" / SAMPLE_NAME, d / "again.txt")  # exact copies of stored stories
    shutil.copy(REPO / "tests" / "cases" / "html" / "jsonld-article" / "page.html", d / "article.html")
    records = [
        {"url": "https://wire.example/chips", "html": f"<html><head><title>Chips</title></head><body><article>"
         f"<h1>Chip export rules tighten</h1>{''.join(f'<p>{p}</p>' for p in NVIDIA_CHIPS.split(chr(10)) if p)}"
         f"</article></body></html>", "fetched_at": FETCHED, "source": "Wire Example"},
        {"url": "https://daily.example/oil", "text": "Oil and tariffs\n\n" + TARIFF_OIL, "fetched_at": FETCHED,
         "source": "Daily Example"},
        {"url": "https://cut.example/meta", "text": "Meta models, cut\n\n" + "\n".join(
            META_OPEN_SOURCE.split("\n")[:-1]), "fetched_at": FETCHED, "source": "Cut Example"},  # contained copy
    ]
    (d / "feed.jsonl.gz").write_bytes(gzip.compress("\n".join(json.dumps(r) for r in records).encode()))
    (d / "news.warc").write_bytes(build_warc(news_records(30)[10:], gzip=False))  # half stored, half new
    (d / "image.bin").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64)  # a dead letter
    return d
