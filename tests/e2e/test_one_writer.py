"""Issue 7 item 2: two runs started together on one output: one is refused (exit 2), no id is duplicated."""

from __future__ import annotations

import subprocess
import sys

import pyarrow.dataset as ds

from tests.conftest import REPO


def test_two_runs_started_together(tmp_path):
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "pipeline", "run", str(REPO / "samples"), "--output", str(out),
           "--fetched-at", "2025-08-06T12:00:00Z"]
    procs = [subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    refused = next(err for code, err in results if code == 2)
    assert "one writer per output" in refused and "pid" in refused
    ids = ds.dataset(str(out / "articles"), format="parquet", partitioning="hive").to_table().column("article_id")
    assert len(ids) == len(set(ids.to_pylist())) == 3
