"""The whole streaming graph (`watch --streaming`), bounded by --run-seconds, on the local FnApiRunner: it must
translate through the Runner API (trigger protos, MultiMap side inputs) and write every story once."""

from __future__ import annotations

import shutil

import pyarrow.dataset as ds

from scrapeline.pipeline.cli import main
from tests.support.paths import REPO, SAMPLE_NAME


def test_streaming_graph_runs_bounded_and_writes_each_story_once(tmp_path, sample_path):
    inp, out = tmp_path / "landing", tmp_path / "out"
    inp.mkdir()
    shutil.copy(sample_path, inp / SAMPLE_NAME)
    shutil.copy(REPO / "tests/cases/html/jsonld-article/page.html", inp / "page.html")
    assert main(["watch", str(inp), "--output", str(out), "--streaming", "--run-seconds", "6", "--poll-interval", "1",
                 "--fetched-at", "2025-08-06T12:00:00Z", "--runner=FnApiRunner"]) == 0
    rows = ds.dataset(str(out / "articles"), format="parquet", partitioning="hive").to_table().to_pylist()
    assert sorted(r["title"][:24] for r in rows) == sorted([
        "Meta changes course on o", "US charges 2 Chinese nat", "Trump tariff threats loo", "Harbour tunnel opens two"])
    assert all(f.name.startswith("part-w") for f in (out / "articles").rglob("*.parquet"))
