"""Near-duplicate and contained copies through the real CLI: folded within a run, across runs (through the band
index, reading back only the stories that share a band key), the same at 1 and 2 workers; and the false merges
that shared site templates invite do not happen."""

from __future__ import annotations

import json

import pyarrow.dataset as ds

from scrapeline.pipeline.cli import main
from tests.support.stories import META_OPEN_SOURCE, NVIDIA_CHIPS, TARIFF_OIL
from tests.support.outputs import table_rows

TEMPLATE = ("Sign up for our morning newsletter and get the day's top stories delivered to your inbox.\n"
            "Copyright 2025 The Daily Example. All rights reserved. This material may not be published.")
WORDS = NVIDIA_CHIPS.split()
# Two short stories of the site (about 40 words each, under the template's 30): a brief must never join another
# brief, nor a story, through the template lines they share. (A brief made of a story's lead is that story's
# teaser, and does join it: that is a contained copy.)
BRIEF_FLOOD = ("Flood warnings were issued for three river valleys on Tuesday after two days of heavy rain, and "
               "the county opened emergency shelters at the high school and the community centre for residents "
               "forced to leave their homes overnight.")
BRIEF_COUNCIL = ("The city council approved a new budget for road repairs on Monday evening, setting aside funds "
                 "for resurfacing the main bridge and two arterial roads, with work expected to start in the spring "
                 "and finish before the autumn.")


def _rows(out):
    return table_rows(out)


def _summary(out, run_no: int = -1) -> dict:
    runs = sorted((out / "_runs").glob("*.json"), key=lambda p: p.stat().st_mtime)
    return json.loads(runs[run_no].read_text())


def _run(inp, out, *extra):
    return main(["run", str(inp), "--output", str(out), "--fetched-at", "2025-08-06T12:00:00Z", *extra])


def _jsonl(path, records):
    path.write_text("\n".join(json.dumps({"url": u, "text": f"{t}\n{b}"}) for u, t, b in records) + "\n")


def _first_batch(inp):
    inp.mkdir()
    _jsonl(inp / "a.jsonl", [
        ("https://daily.example/chips", "US charges 2 Chinese nationals over Nvidia chips", NVIDIA_CHIPS),
        # two other stories of the same site, sharing its template lines: never merged
        ("https://daily.example/meta", "Meta changes course", TEMPLATE + "\n" + META_OPEN_SOURCE + "\n" + TEMPLATE),
        ("https://daily.example/oil", "Tariff threats loom", TEMPLATE + "\n" + TARIFF_OIL + "\n" + TEMPLATE),
        # two short pages of that site sharing the template: never merged
        ("https://daily.example/s1", "Brief one", BRIEF_FLOOD + "\n" + TEMPLATE),
        ("https://daily.example/s2", "Brief two", BRIEF_COUNCIL + "\n" + TEMPLATE),
    ])
    _jsonl(inp / "b.jsonl", [
        # a cut-down wire copy with a dateline: contained
        ("https://wire.example/chips", "Chinese nationals charged",
         "WASHINGTON (AP) - " + " ".join(WORDS[:100])),
        # a syndicated copy with a leaked template line and a spelling variant: near-duplicate
        ("https://paper.example/chips", "Two charged over AI chips",
         "WORLD > Business\n" + NVIDIA_CHIPS.replace("licences", "licenses") + "\nReporting by Jane Doe"),
    ])


def test_copies_fold_within_a_run_and_site_templates_do_not_merge_stories(tmp_path):
    inp, out = tmp_path / "in", tmp_path / "out"
    _first_batch(inp)
    assert _run(inp, out) == 0
    rows = _rows(out)
    assert len(rows) == 5  # chips (3 copies), meta, oil, two briefs
    (chips,) = [r for r in rows if "nvidia" in r["body"].casefold() and r["duplicate_count"]]
    assert chips["duplicate_count"] == 2
    assert {m["match"] for m in chips["duplicate_matches"]} == {"near_duplicate", "contained"}
    assert {m["location"] for m in chips["duplicate_matches"]} == set(chips["duplicate_locations"])
    assert all(0 < m["similarity"] <= 1 and m["matched_to"] for m in chips["duplicate_matches"])
    assert set(chips["duplicate_urls"]) >= {"https://wire.example/chips", "https://daily.example/chips"}
    assert all(r["duplicate_count"] == 0 for r in rows if r is not chips)
    s = _summary(out)
    assert s["identity"]["holds"] and s["near_duplicates"]["in_run"] == 2
    assert list((out / "_index" / "bands").glob("*.parquet"))


def test_a_later_run_finds_stored_stories_through_the_index_and_records_longer_copies(tmp_path):
    first, second, out = tmp_path / "first", tmp_path / "second", tmp_path / "out"
    first.mkdir()
    _jsonl(first / "a.jsonl", [
        ("https://wire.example/chips", "Chinese nationals charged", "WASHINGTON (AP) - " + " ".join(WORDS[:110])),
        ("https://daily.example/meta", "Meta changes course", META_OPEN_SOURCE),
        ("https://daily.example/oil", "Tariff threats loom", TARIFF_OIL),
    ])
    assert _run(first, out) == 0
    before = {r["url"]: r for r in _rows(out)}
    second.mkdir()
    _jsonl(second / "b.jsonl", [
        # the full story arrives after its cut-down copy was stored: recorded on the stored row, not lost
        ("https://paper.example/chips", "Two charged over AI chips", NVIDIA_CHIPS + "\nReporting by Jane Doe"),
    ])
    assert _run(second, out) == 0
    s = _summary(out)
    assert s["articles_written"] == 0 and s["near_duplicates"]["already_in_output"] == 1
    assert s["stored_rows_updated_with_new_copies"] == 1
    # only the index entries sharing a band key with this run were read: the chips story's, not meta's or oil's
    assert 0 < s["near_duplicates"]["stored_index_entries_read"] <= 32
    after = {r["url"]: r for r in _rows(out)}
    assert set(after) == set(before)
    row = after["https://wire.example/chips"]
    assert row["duplicate_urls"] == ["https://paper.example/chips", "https://wire.example/chips"]
    assert [m["match"] for m in row["duplicate_matches"]] == ["contained"]
    assert after["https://daily.example/meta"] == before["https://daily.example/meta"]
    # the same input again changes nothing
    assert _run(second, out) == 0
    assert {r["url"]: r for r in _rows(out)} == after


def test_output_is_the_same_at_one_and_two_workers(tmp_path):
    inp = tmp_path / "in"
    _first_batch(inp)
    outs = []
    for name, extra in (("one", ()), ("two", ("--direct_num_workers", "2", "--direct_running_mode", "multi_processing"))):
        out = tmp_path / name
        assert _run(inp, out, *extra) == 0
        outs.append(sorted(
            ({k: v for k, v in r.items() if k != "ingested_at"} for r in _rows(out)), key=lambda r: r["article_id"]))
    assert outs[0] == outs[1] and len(outs[0]) == 5


def test_compact_merges_the_band_index_sorted_without_changing_its_entries(tmp_path):
    out = tmp_path / "out"
    for n, body in enumerate((META_OPEN_SOURCE, TARIFF_OIL)):
        inp = tmp_path / f"in{n}"
        inp.mkdir()
        _jsonl(inp / "a.jsonl", [(f"https://daily.example/{n}", f"Story {n}", body)])
        assert _run(inp, out) == 0
    index = out / "_index" / "bands"
    before = ds.dataset(str(index), format="parquet").to_table()
    assert len(list(index.glob("*.parquet"))) == 2 and before.num_rows == 64
    assert main(["compact", str(out), "--table", "_index"]) == 0
    (merged,) = list(index.glob("*.parquet"))
    after = ds.dataset(str(merged), format="parquet").to_table()
    assert sorted(after.to_pylist(), key=str) == sorted(before.to_pylist(), key=str)
    assert after["band"].to_pylist() == sorted(after["band"].to_pylist())
