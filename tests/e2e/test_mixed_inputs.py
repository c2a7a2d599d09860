"""Issue #3 acceptance: text, HTML, JSONL and WARC dumps mixed in one directory ingest in one run."""

from __future__ import annotations

import gzip
import json
import shutil

import pyarrow.dataset as ds

from scrapeline.pipeline.cli import main
from tests.support.paths import REPO, SAMPLE_NAME
from tests.support.warc_builder import build_warc, html_page

TARIFF_TITLE = "Trump tariff threats loom over China's Russian oil purchases, following his move on India"


def _sample_block(sample_text: str, title: str) -> str:
    lines = sample_text.split("\n")
    return lines[lines.index(title) + 1]


def _member_starts(data: bytes) -> list[int]:
    """The byte offsets at which the gzip members of `data` begin."""
    import zlib

    starts, pos = [], 0
    while pos < len(data):
        starts.append(pos)
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        d.decompress(data[pos:])
        pos = len(data) - len(d.unused_data)
    return starts


def test_mixed_directory_one_run(tmp_path, sample_path, sample_text):
    inp = tmp_path / "dumps"
    (inp / "html").mkdir(parents=True)
    shutil.copy(sample_path, inp / SAMPLE_NAME)
    shutil.copy(REPO / "tests/cases/html/jsonld-article/page.html", inp / "html" / "tunnel.html")
    (inp / "html" / "teasers.html.gz").write_bytes(
        gzip.compress((REPO / "tests/cases/html/main-with-teasers/page.html").read_bytes()))
    tariff_body = _sample_block(sample_text, TARIFF_TITLE)
    (inp / "scraper.jsonl").write_text("\n".join([
        json.dumps({"url": "https://wire.example/oil", "fetched_at": "2025-08-06T13:00:00Z",
                    "text": f"{TARIFF_TITLE} (syndicated)\n{tariff_body}"}),
        "{broken json",
        json.dumps({"url": "https://ex.org/html-record", "timestamp": "2025-05-02T00:00:00Z",
                    "html": html_page("JSONL carried page", ["Markets rallied on Friday as investors bet on lower "
                                                             "rates, with technology shares leading the gains "
                                                             "across Asia and Europe."]).decode()}),
    ]))
    words = " ".join(f"w{i * 7919 % 10007}" for i in range(600))
    records = [
        ("warcinfo", None, b"", ""),
        ("request", "https://ex.org/a", b"", ""),
        ("response", "https://ex.org/a", html_page("Harvest festival draws record crowds", [
            "The harvest festival drew a record 40,000 visitors over the weekend, organisers said on Monday, "
            "as fine weather and a new night market brought families from across the region."]), "text/html"),
        ("revisit", "https://ex.org/a", b"", "text/html"),
        ("response", "https://ex.org/logo.png", b"\x89PNG\r\n", "image/png"),
        ("response", "https://ex.org/cut", html_page("Cut short", [words]), "text/html"),
    ]
    warc = build_warc(records)
    starts = _member_starts(warc)  # one gzip member a record: where each record begins
    assert len(starts) == len(records)
    (inp / "crawl.warc.gz").write_bytes(warc[:-100])

    out = tmp_path / "out"
    assert main(["run", str(inp), "--output", str(out), "--fetched-at", "2025-08-06T12:00:00Z",
                 "--runner=FnApiRunner"]) == 0

    rows = ds.dataset(str(out / "articles"), format="parquet", partitioning="hive").to_table().to_pylist()
    titles = sorted(r["title"] for r in rows)
    assert titles == sorted([
        "Meta changes course on open-source AI as China pushes ahead with advanced models",
        "US charges 2 Chinese nationals for sending Nvidia AI chips to China",
        TARIFF_TITLE,
        "Harbour tunnel opens two years late",
        "Council approves river clean-up plan",
        "JSONL carried page",
        "Harvest festival draws record crowds",
    ])
    teasers = ds.dataset(str(out / "teasers"), format="parquet", partitioning="hive").to_table().to_pylist()
    assert sorted(t["title"] for t in teasers) == [  # the HTML page's link cards: teasers, not articles
        "Bus fares to rise by ten per cent in July", "Central library reopens after roof repairs"]
    tariff = next(r for r in rows if r["title"] == TARIFF_TITLE)  # the JSONL copy merged into the sample's row
    assert tariff["duplicate_count"] == 1 and f"{TARIFF_TITLE} (syndicated)" in tariff["duplicate_titles"]
    assert "https://wire.example/oil" in tariff["duplicate_urls"]
    harvest = next(r for r in rows if r["title"] == "Harvest festival draws record crowds")
    assert harvest["url"] == "https://ex.org/a" and harvest["input_uri"].endswith("crawl.warc.gz")
    assert harvest["fetched_at"].isoformat().startswith("2025-05-01T10:00:00")  # WARC-Date beats --fetched-at
    assert harvest["record_index"] == starts[2]  # its byte offset: replayable

    dead = ds.dataset(str(out / "dead_letters"), format="parquet", partitioning="hive").to_table().to_pylist()
    got = sorted((d["stage"], d["reason"], d["input_uri"].rsplit("/", 1)[1], d["record_index"]) for d in dead)
    assert got == [("read", "bad_json", "scraper.jsonl", 1),  # its line (0-based)
                   ("read", "truncated_gzip_member", "crawl.warc.gz", starts[5])]  # its byte offset

    (summary_file,) = (out / "_runs").glob("*.json")
    s = json.loads(summary_file.read_text())
    assert s["identity"]["holds"]
    assert s["containers"] == {"html": 2, "jsonl": 1, "text": 1, "warc": 1}
    assert s["skipped_records"] == {"warc.non_html": 1, "warc.request": 1, "warc.revisit": 1, "warc.warcinfo": 1}
