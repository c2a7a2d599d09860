"""Golden cases: tests/cases/<kind>/<case>/ holds an input dump, case.json (fetch time, why the case exists) and
expected.json (the rows, teasers and dead letters a run must produce). Each case runs through the real CLI.

To re-record after an intended change: SCRAPELINE_UPDATE_GOLDEN=1 pytest tests/e2e/test_golden.py, then read
the diff of every expected.json before committing it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from scrapeline.pipeline.cli import main
from tests.support.paths import REPO

CASES = sorted(p.parent for p in (Path(__file__).parent.parent / "cases").glob("*/*/case.json"))
FIELDS = ["role", "position", "record_index", "title", "body", "captions", "source", "source_name", "url", "author",
          "authors", "language",
          "published_at", "updated_at",
          "fetched_at", "date_source", "word_count", "duplicate_count", "duplicate_titles", "duplicate_sources"]
TEASER_FIELDS = ["position", "record_index", "title", "dek", "url", "captions", "source", "source_name",
                 "seen_on_url", "article_id"]


def _iso(v):
    return v.astimezone(dt.timezone.utc).isoformat() if isinstance(v, dt.datetime) else v


def _table(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return ds.dataset(str(path), format="parquet", partitioning="hive").to_table().to_pylist()


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_golden_case(case, tmp_path):
    spec = json.loads((case / "case.json").read_text())
    src = (REPO / spec["input"]) if spec["input"].startswith("samples/") else case / spec["input"]
    inp = tmp_path / "in"
    inp.mkdir()
    shutil.copy(src, inp / src.name)
    out = tmp_path / "out"
    assert main(["run", str(inp), "--output", str(out), "--fetched-at", spec["fetched_at"], "--runner=FnApiRunner"]) == 0
    rows = sorted(_table(out / "articles"), key=lambda r: (r["record_index"], r["position"]))
    actual = {
        "articles": [{**{f: _iso(r[f]) for f in FIELDS}, "partition": f"source={r['source']}/date={r['date']}"}
                     for r in rows],
        "teasers": [{f: _iso(t[f]) for f in TEASER_FIELDS} for t in sorted(
            _table(out / "teasers"), key=lambda t: (t["record_index"], t["position"]))],
        "dead_letters": sorted(
            ({"stage": d["stage"], "reason": d["reason"], "record_index": d["record_index"], "position": d["position"],
              "excerpt": d["excerpt"][:80]}
             for d in _table(out / "dead_letters")),
            key=lambda d: (d["stage"], d["reason"], d["position"] or -1, d["excerpt"]),
        ),
    }
    expected_path = case / "expected.json"
    if os.environ.get("SCRAPELINE_UPDATE_GOLDEN"):
        previous = json.loads(expected_path.read_text()) if expected_path.exists() else None
        expected_path.write_text(json.dumps(actual, indent=1, ensure_ascii=False) + "\n")
        # Recording is not checking: never a pass in update mode (the output would equal itself by construction).
        pytest.fail(f"SCRAPELINE_UPDATE_GOLDEN is set: {expected_path} re-recorded "
                    f"({'unchanged' if previous == actual else 'CHANGED: read the diff'}); nothing was checked. "
                    f"Run again without it to check.", pytrace=False)
    expected = json.loads(expected_path.read_text())
    assert actual == expected
