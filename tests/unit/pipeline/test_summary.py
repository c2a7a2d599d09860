"""The printed run summary (pipeline/summary.py)."""

from __future__ import annotations

from scrapeline.pipeline.summary import build_summary, render_summary


def test_a_run_over_many_sites_prints_twenty_partitions_and_counts_the_rest(tmp_path):
    s = build_summary({"teasers_extracted": 3, "teasers_written": 2, "publisher.unknown": 1,
                       "publisher.from.title_affix": 4}, str(tmp_path), "r1", [])
    s["rows_per_partition"] = {f"source=s{i:02d}/date=2025-08-06": 2 for i in range(25)}
    text = render_summary(s)
    assert text.count(": 2 rows") == 20 and "... and 5 more partitions (10 rows; all in the run record)" in text
    assert "teasers (link cards, in teasers/): 3 seen, 2 written" in text
    assert "naming no publisher (source=unknown): 1 (others from: title_affix 4)" in text
    s["rows_per_partition"] = dict(list(s["rows_per_partition"].items())[:3])
    assert "more partitions" not in render_summary(s)
