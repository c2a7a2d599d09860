"""Issue 7 end to end: hostile files mixed with good ones; the run completes, the good files are ingested, nothing
from a bad file becomes a row, and a rerun adds no dead letter (nor row) that is already stored."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.dataset as ds

from scrapeline.pipeline.cli import main
from tests.support.paths import REPO, SAMPLE_NAME

BODY = " ".join(f"Paragraph {i} says what the harbour board decided on the ferry timetable." for i in range(10))


def _run(*args) -> int:
    return main(["run", *map(str, args), "--runner=FnApiRunner", "--fetched-at", "2025-08-06T12:00:00Z"])


def _table(out: Path, table: str) -> list[dict]:
    root = out / table
    if not root.exists():
        return []
    return ds.dataset(str(root), format="parquet", partitioning="hive").to_table().to_pylist()


def _summary(out: Path) -> dict:
    newest = sorted((out / "_runs").glob("*.json"))[-1]
    return json.loads(newest.read_text())


def test_hostile_files_beside_good_ones(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    shutil.copy(REPO / "samples" / SAMPLE_NAME, inp / SAMPLE_NAME)
    good_jsonl = {"text": "Ferry timetable changes\n" + BODY, "url": "https://ex.org/ferry", "source": "Harbour News"}
    bad_jsonl = {"text": "Surrogate \ud800 story\n" + BODY.replace("ferry", "bus"), "url": "https://ex.org/\udfff",
                 "source": "Bad \ud801 Source"}
    deep = "[" * 100_000 + "]" * 100_000
    (inp / "records.jsonl").write_text("\n".join([json.dumps(bad_jsonl), deep, json.dumps(good_jsonl)]))
    shutil.copy("/bin/ls", inp / "ls.html")
    (inp / "empty.warc").write_bytes(b"WA")
    (inp / "future.html").write_text(
        '<html><head><title>Bridge reopens</title><meta property="article:published_time" content="9999-12-31">'
        f"</head><body><article><h1>Bridge reopens</h1><p>{BODY.replace('ferry', 'bridge')}</p></article></body></html>")
    out = tmp_path / "out"

    assert _run(inp, "--output", out) == 0
    s = _summary(out)
    assert s["identity"]["holds"]
    arts = _table(out, "articles")
    titles = {a["title"] for a in arts}
    assert {"Ferry timetable changes", "Surrogate \ufffd story", "Bridge reopens"} <= titles
    assert not any(a["input_uri"].endswith("ls.html") for a in arts)  # no row from a binary
    assert all(a["published_at"] is None or a["published_at"].year < 9999 for a in arts)
    dates = {p.name for p in (out / "articles").glob("*/date=*")}
    assert "date=9999-12-31" not in dates
    dead = _table(out, "dead_letters")
    reasons = sorted((d["stage"], d["reason"]) for d in dead)
    assert ("read", "binary") in reasons and ("read", "bad_json") in reasons
    assert any(d["input_uri"].endswith("empty.warc") for d in dead)

    # A rerun, and a rerun after a run that died before its summary, add nothing: rows nor dead letters.
    assert _run(inp, "--output", out) == 0
    for summary in (out / "_runs").glob("*.json"):
        summary.unlink()
    assert _run(inp, "--output", out) == 0
    assert len(_table(out, "dead_letters")) == len(dead)
    assert len(_table(out, "articles")) == len(arts)
    assert _summary(out)["dead_letters_already_in_output"] == len(dead)


def test_a_read_that_stops_inside_a_warc_fails_the_accounting(tmp_path, monkeypatch):
    """Records never read are counted: a reader that stops partway through a WARC (here a simulated bug in the
    parsing of its third record) leaves bytes of it unwalked, and the run's check fails and says so, although
    every record it did see is accounted for."""
    from tests.support.warc_builder import build_warc, html_page
    import scrapeline.transforms.read.containers as containers

    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "crawl.warc").write_bytes(build_warc(
        [("response", f"https://ex.org/{i}", html_page(f"Story number {i} of the day", [BODY, f"Item {i}."]),
          "text/html") for i in range(5)], gzip=False))
    real = containers.parse_frame

    def broken(frame, max_bytes):
        if b"https://ex.org/2\r\n" in frame.header:
            raise RuntimeError("simulated reader bug")
        return real(frame, max_bytes)

    monkeypatch.setattr(containers, "parse_frame", broken)
    out = tmp_path / "out"
    assert _run(inp, "--output", out, "--format", "hive") == 1
    s = _summary(out)
    assert s["warc_bytes"]["read"] < s["warc_bytes"]["in_files"] == (inp / "crawl.warc").stat().st_size
    assert s["identity"]["holds"] is False and "bytes of WARC input were never read" in s["identity"]["why"]
    assert s["dead_letters"] == {"read.unreadable": 1}  # what the read saw of it
    # without the bug, the same input balances
    monkeypatch.setattr(containers, "parse_frame", real)
    out2 = tmp_path / "out2"
    assert _run(inp, "--output", out2, "--format", "hive") == 0
    s2 = _summary(out2)
    assert s2["warc_bytes"]["read"] == s2["warc_bytes"]["in_files"] and s2["identity"]["holds"] is True
