"""Bodies off the shuffle path (transforms/dedup/spill.py): spilled and hydrated back unchanged; both dedup stages give
on slim articles exactly what they give on full ones; the writer's buffer bound; nothing left behind by a run."""

from __future__ import annotations

import dataclasses
import json

import apache_beam as beam
import pyarrow.dataset as ds
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from scrapeline.pipeline.cli import main
from scrapeline.pipeline.graph import article_partition
from tests.support.factories import article, existing, words
from tests.support.stories import META_OPEN_SOURCE, NVIDIA_CHIPS, TARIFF_OIL
from scrapeline.transforms.dedup.exact import DedupByContentHash, DedupNearDuplicates
from scrapeline.transforms.core.records import ARTICLE_SCHEMA
from scrapeline.transforms.dedup import spill as spill_module
from scrapeline.transforms.dedup.spill import Hydrate, SpillBodies, _hydrate, read_spill
from scrapeline.transforms.output.write import WritePartitionedParquet
from scrapeline.pipeline.config import load_config

NEAR = load_config().near


def _opts():
    return {"options": beam.options.pipeline_options.PipelineOptions(["--runner=FnApiRunner"])}


def _articles():
    """Identical copies, a truncation, different stories, a near-duplicate and a contained copy, non-ASCII text."""
    w = NVIDIA_CHIPS.split()
    return [
        article(words(80), "a", input_uri="/in/1", record_index=1),
        article(words(80), "a copy", input_uri="/in/2", record_index=2),
        article(words(50), "a cut short", input_uri="/in/3", record_index=3),
        article(words(70, "x"), "other", input_uri="/in/4", record_index=4),
        article(NVIDIA_CHIPS, "chips", input_uri="/in/5", record_index=5),
        article("WASHINGTON (AP) - " + " ".join(w[:100]), "chips wire", input_uri="/in/6", record_index=6),
        article(" ".join(w[:60] + ["zebra"] + w[61:90] + ["giraffe"] + w[91:]), "chips edited",
                input_uri="/in/7", record_index=7),
        article(META_OPEN_SOURCE, "meta", input_uri="/in/8", record_index=8),
        article(TARIFF_OIL + " Ölpreis – «ça va» 東京", "oil", input_uri="/in/9", record_index=9),
    ]


def _shown(a):
    """What a row says, but its body (absent from slim articles) and the carried, non-column fields."""
    return (a.article_id, a.title, a.location, a.duplicate_count, a.duplicate_titles, a.duplicate_locations,
            tuple((m.location, m.match, round(m.similarity, 6), m.matched_to) for m in a.duplicate_matches))


def test_spilled_bodies_come_back_unchanged(tmp_path):
    arts = _articles()
    spill = str(tmp_path / "spill")
    with TestPipeline(**_opts()) as p:
        slim = p | beam.Create(arts) | SpillBodies(spill, NEAR, max_articles=2)
        assert_that(slim | "Slim" >> beam.Map(lambda a: (a.body is None, a.body_ref is not None,
                                                         a.band_keys is not None)),
                    equal_to([(True, True, True)] * len(arts)), label="slim")
        back = slim | beam.Map(lambda a: (a.location, a)) | Hydrate() | "Body" >> beam.Map(
            lambda kv: (kv[0], kv[1].body))
        assert_that(back, equal_to([(a.location, a.body) for a in arts]), label="bodies")
    files = sorted((tmp_path / "spill").glob("*.parquet"))
    assert len(files) >= 5  # cut at 2 articles
    spilled = {}
    for f in files:
        spilled.update(read_spill(str(f)))
    assert spilled == {a.article_id: a.body for a in arts}


def test_hydrate_refuses_a_spill_file_without_the_body(tmp_path):
    spill = tmp_path / "spill"
    arts = _articles()[:2]
    with TestPipeline(**_opts()) as p:
        _ = p | beam.Create(arts[:1]) | SpillBodies(str(spill))
    ref = str(next(spill.glob("*.parquet")))
    stranger = dataclasses.replace(arts[1], body=None, body_ref=ref, article_id="not-in-the-file")
    with pytest.raises(RuntimeError, match="holds no body"):
        list(_hydrate((ref, [("k", stranger)])))


def _append(item, path):
    with open(path, "a") as f:
        f.write(repr(item) + "\n")


def _dedup_both(tmp_path, arts, stored):
    """(unique, late, slim) of both stages on full articles and on spilled ones, as written by each run."""
    results = {}
    for mode in ("full", "spilled"):
        out = {name: tmp_path / f"{mode}-{name}.txt" for name in ("unique", "late", "slim")}
        with TestPipeline(**_opts()) as p:
            pc = p | "A" >> beam.Create(arts)
            if mode == "spilled":
                pc = pc | SpillBodies(str(tmp_path / "spill"), NEAR, max_articles=3)
            ex = p | "E" >> beam.Create([(e.story_key, e) for e in stored])
            exact = pc | DedupByContentHash(40, ex)
            near = exact.unique | DedupNearDuplicates(NEAR)
            _ = near.unique | "U" >> beam.Map(_shown) | "WU" >> beam.Map(_append, str(out["unique"]))
            _ = (exact.late_duplicates | "L" >> beam.Map(lambda ld: (ld.article_id, ld.titles, ld.locations))
                 | "WL" >> beam.Map(_append, str(out["late"])))
            _ = near.unique | "S" >> beam.Map(lambda a: a.body is None) | "WS" >> beam.Map(_append, str(out["slim"]))
        for name, path in out.items():
            results[(mode, name)] = [eval(line) for line in path.read_text().splitlines()] if path.exists() else []
    return results


def test_both_dedup_stages_give_the_same_on_slim_articles(tmp_path):
    arts = _articles()
    stored = [existing(article(words(70, "x"), "stored other"))]
    r = _dedup_both(tmp_path, arts, stored)
    assert sorted(r[("full", "unique")]) == sorted(r[("spilled", "unique")])
    assert sorted(r[("full", "late")]) == sorted(r[("spilled", "late")]) and r[("full", "late")]
    got = {u[1]: u[3] for u in r[("full", "unique")]}
    assert got["a"] == 2 and got["chips"] == 2 and "other" not in got  # the merges happened, so they were compared
    kinds = {m[1] for u in r[("full", "unique")] for m in u[6]}
    assert kinds == {"exact", "truncation", "near_duplicate", "contained"}
    assert not any(r[("full", "slim")]) and all(r[("spilled", "slim")])  # and spilled ones stay slim downstream


def test_the_writer_flushes_every_partition_at_its_buffer_bound(tmp_path):
    rows = [article(words(50, f"s{i}"), f"t{i}", source="a" if i % 2 else "b") for i in range(6)]
    out = tmp_path / "out"
    with TestPipeline(**_opts()) as p:
        _ = p | beam.Create(rows) | WritePartitionedParquet(
            str(out), "articles", ARTICLE_SCHEMA, article_partition, "r1", max_buffer_bytes=1)
    assert len(list((out / "articles").rglob("*.parquet"))) == 6  # one file a row: each row filled the buffer
    table = ds.dataset(str(out / "articles"), format="parquet", partitioning="hive").to_table()
    assert sorted(table["title"].to_pylist()) == sorted(r.title for r in rows)


def test_a_run_leaves_no_spill_behind(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "a.jsonl").write_text(json.dumps({"url": "https://daily.example/chips", "text": "Chips\n" + NVIDIA_CHIPS})
                                 + "\n")
    out = tmp_path / "out"
    spilled = []
    real = spill_module._SpillFn._flush

    def flush(self):  # watch the spill happen: the run must not pass for having skipped it
        spilled.extend(self._ids)
        real(self)
    spill_module._SpillFn._flush = flush
    try:
        assert main(["run", str(inp), "--output", str(out), "--fetched-at", "2025-08-06T12:00:00Z"]) == 0
    finally:
        spill_module._SpillFn._flush = real
    assert len(spilled) == 1
    leftovers = list((out / "_temporary").rglob("*")) if (out / "_temporary").exists() else []
    assert leftovers == []
    rows = ds.dataset(str(out / "articles"), format="parquet", partitioning="hive").to_table().to_pylist()
    assert [r["body"] for r in rows] == [NVIDIA_CHIPS]
