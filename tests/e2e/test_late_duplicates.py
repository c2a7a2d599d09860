"""A copy of a stored story seen by a later run is recorded on the stored row (atomically), once."""

from __future__ import annotations

import json
import shutil


from scrapeline.pipeline.cli import main
from tests.support.paths import SAMPLE_NAME
from tests.support.outputs import table_rows

TARIFF = "Trump tariff threats loom over China's Russian oil purchases, following his move on India"


def _rows(out):
    return table_rows(out)


def _run(inp, out):
    return main(["run", str(inp), "--output", str(out), "--fetched-at", "2025-08-06T12:00:00Z", "--runner=FnApiRunner"])


def test_later_copy_is_recorded_on_the_stored_row_idempotently(tmp_path, sample_path, sample_text):
    first, second, out = tmp_path / "first", tmp_path / "second", tmp_path / "out"
    first.mkdir()
    second.mkdir()
    shutil.copy(sample_path, first / SAMPLE_NAME)
    assert _run(first, out) == 0
    before = {r["title"]: r for r in _rows(out)}
    body = sample_text.split("\n")[sample_text.split("\n").index(TARIFF) + 1]
    (second / "wire.jsonl").write_text(json.dumps({"url": "https://wire.example/oil", "text": f"Oil: {TARIFF}\n{body}"}))
    assert _run(second, out) == 0
    summary = max((out / "_runs").glob("*.json"), key=lambda p: p.stat().st_mtime)
    assert json.loads(summary.read_text())["stored_rows_updated_with_new_copies"] == 1
    after = {r["title"]: r for r in _rows(out)}
    assert set(after) == set(before)  # no new row
    row = after[TARIFF]
    assert row["duplicate_count"] == 1 and f"Oil: {TARIFF}" in row["duplicate_titles"]
    assert row["duplicate_urls"] == ["https://wire.example/oil"]
    assert row["duplicate_locations"][0].endswith("wire.jsonl#0/0")
    untouched = [t for t in before if t != TARIFF]
    assert all(after[t] == before[t] for t in untouched)
    # the same input again: nothing changes, the count does not grow
    assert _run(second, out) == 0
    assert {r["title"]: r for r in _rows(out)} == after
    assert not (out / "_temporary").exists() or not list((out / "_temporary").iterdir())
