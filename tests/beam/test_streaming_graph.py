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
    # a new local output: Iceberg tables, each pane's file one commit, tagged with the stream's run id and file
    from scrapeline.pipeline.tables import current_files, history, open_catalog, open_tables

    tables = open_tables(open_catalog(str(out)), str(out))
    assert sorted(r["title"][:24] for r in tables["articles"].scan().to_arrow().to_pylist()) == sorted(
        r["title"][:24] for r in rows)
    commits = [r for r in history(tables) if r["table"] == "articles"]
    files = current_files(tables["articles"])
    assert len(commits) == len(files) == len(list((out / "articles").rglob("*.parquet")))
    assert {c["run_id"].rsplit("/", 1)[1] for c in commits} == {f.rsplit("/", 1)[1] for f in files}


def test_every_stateful_key_has_a_deterministic_coder(tmp_path, caplog):
    """On a distributed runner, state is partitioned by the encoded key: a key coder that is not deterministic can
    split one key's state. Translating both graphs warns of no such coder."""
    import datetime as dt
    import logging

    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions

    from scrapeline.pipeline.config import load_config
    from scrapeline.pipeline.graph import RunSpec, build_pipeline, build_streaming_pipeline

    now = dt.datetime(2025, 8, 6, tzinfo=dt.timezone.utc)
    pattern = str(tmp_path / "in" / "**")
    spec = RunSpec((pattern,), str(tmp_path / "out"), "r1", now, "0.4.0")
    with caplog.at_level(logging.WARNING):
        streaming = beam.Pipeline(options=PipelineOptions(["--streaming"]))
        build_streaming_pipeline(streaming, spec, load_config(), pattern, 1.0, stop_timestamp=now.timestamp() + 1)
        batch = beam.Pipeline()
        build_pipeline(batch, spec, load_config())
        stateful = [t for p in (streaming, batch) for t in p.to_runner_api().components.transforms.values()
                    if t.spec.urn == "beam:transform:pardo:v1" and b"state" in t.spec.payload]
    assert stateful, "the graphs have stateful DoFns"
    assert not [r.getMessage() for r in caplog.records if "may not be deterministic" in r.getMessage()]
