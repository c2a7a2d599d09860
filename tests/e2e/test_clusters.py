"""The whole batch graph on real clusters, started by the scripts users run (examples/clusters/flink.sh, spark.sh):
a Flink session cluster (JobManager + 2 TaskManagers) and a Spark standalone cluster (master + 2 workers), each its
own processes on 127.0.0.1, SDK harnesses started by the workers (PROCESS environment, no Docker).

One run per cluster, its rows equal to a DirectRunner run's on the same inputs and stored output (every column but
`ingested_at` and `pipeline_version`; teasers, dead letters and the band index too). The run reads every
container (text dump, HTML, JSONL, WARC in byte ranges, a binary that is a dead letter) and dedups against an
output a DirectRunner run stored before: exact and near copies of stored stories (their rows rewritten with the
late copies), new stories, teasers linked across runs, spill files, the index. Flink writes to a local directory
every worker shares; Spark writes to `s3://` (moto's server), as workers on other hosts would.

Slow (a harness starts per stage: about 1.5 min on Flink, 2.5 min on Spark here); downloads are cached in ~/.m2
and ~/.cache/scrapeline (first start: about 1.5 min more per cluster).
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from scrapeline.pipeline import api
from scrapeline.pipeline.cli import main
from tests.support.paths import REPO, SAMPLE_NAME
from tests.support.servers import S3_KEY, S3_REGION, S3_SECRET, local_cluster, moto_s3, s3_options
from tests.support.stories import META_OPEN_SOURCE, NVIDIA_CHIPS, TARIFF_OIL
from tests.support.warc_builder import build_warc, news_records

FETCHED = "2025-08-06T12:00:00Z"
TABLES = ("articles", "teasers", "dead_letters", "_index")
VARYING = {"ingested_at", "pipeline_version", "occurred_at"}
"""Columns that differ between two runs of the same inputs by construction (when the run started, which version
wrote it, when a dead letter was made)."""


def _config(tmp_path: Path) -> Path:
    """The default config with small WARC ranges, so a 40-record WARC is read in ranges on several workers."""
    path = tmp_path / "small-ranges.yaml"
    path.write_text("read:\n  warc_range_min_bytes: 1\n  warc_records_per_range: 7\n")
    return path


def _first_batch(d: Path) -> Path:
    d.mkdir(parents=True)
    shutil.copy(REPO / "samples" / SAMPLE_NAME, d / SAMPLE_NAME)
    shutil.copy(REPO / "samples" / f"{SAMPLE_NAME}.meta.json", d / f"{SAMPLE_NAME}.meta.json")
    shutil.copy(REPO / "tests" / "cases" / "html" / "main-with-teasers" / "page.html", d / "teasers.html")
    (d / "news.warc.gz").write_bytes(build_warc(news_records(40), gzip=True))
    return d


def _second_batch(d: Path) -> Path:
    """New stories, exact and near copies of stored ones, every container, one binary."""
    d.mkdir(parents=True)
    shutil.copy(REPO / "samples" / SAMPLE_NAME, d / "again.txt")  # exact copies of stored stories
    shutil.copy(REPO / "tests" / "cases" / "html" / "jsonld-article" / "page.html", d / "article.html")
    records = [
        {"url": "https://wire.example/chips", "html": f"<html><head><title>Chips</title></head><body><article>"
         f"<h1>Chip export rules tighten</h1>{''.join(f'<p>{p}</p>' for p in NVIDIA_CHIPS.split(chr(10)) if p)}"
         f"</article></body></html>", "fetched_at": FETCHED, "source": "Wire Example"},
        {"url": "https://daily.example/oil", "text": "Oil and tariffs\n\n" + TARIFF_OIL, "fetched_at": FETCHED,
         "source": "Daily Example"},
        {"url": "https://cut.example/meta", "text": "Meta models, cut\n\n" + "\n".join(
            META_OPEN_SOURCE.split("\n")[:-1]), "fetched_at": FETCHED, "source": "Cut Example"},  # contained copy
    ]
    (d / "feed.jsonl.gz").write_bytes(gzip.compress("\n".join(json.dumps(r) for r in records).encode()))
    (d / "news.warc").write_bytes(build_warc(news_records(30)[10:], gzip=False))  # half stored, half new
    (d / "image.bin").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64)  # a dead letter
    return d


def _rows(root, table: str, filesystem=None) -> list[dict]:
    try:
        data = ds.dataset(f"{root}/{table}", filesystem=filesystem, format="parquet", partitioning="hive")
    except FileNotFoundError:
        return []
    rows = data.to_table().to_pylist()
    return sorted(({k: v for k, v in r.items() if k not in VARYING} for r in rows), key=repr)


def _assert_same_tables(expected_root, actual_root, actual_fs=None) -> dict[str, int]:
    counts = {}
    for table in TABLES:
        expected, actual = _rows(expected_root, table), _rows(actual_root, table, actual_fs)
        assert len(actual) == len(expected), f"{table}: {len(actual)} rows, DirectRunner wrote {len(expected)}"
        assert actual == expected, f"{table}: the rows differ from DirectRunner's"
        counts[table] = len(expected)
    return counts


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[Path, Path, Path, Path]:
    """(config, batch 2, DirectRunner's output of batches 1 and 2, batch 1's output: what a cluster run of batch 2
    starts from), made once for both clusters."""
    tmp_path = tmp_path_factory.mktemp("reference")
    config = _config(tmp_path)
    first, second = _first_batch(tmp_path / "batch1"), _second_batch(tmp_path / "batch2")
    direct, stored = tmp_path / "direct", tmp_path / "stored"
    for out in (direct, stored):
        api.run([str(first)], str(out), config=str(config), fetched_at=FETCHED, options={"runner": "FnApiRunner"})
    summary = api.run([str(second)], str(direct), config=str(config), fetched_at=FETCHED,
                      options={"runner": "FnApiRunner"})
    assert (summary.articles_written, summary.duplicates_in_run, summary.duplicates_already_in_output,
            summary.dead_letters_written, summary.record["stored_rows_updated_with_new_copies"]) == (1, 4, 25, 1, 3)
    return config, second, direct, stored


EXPECTED = {"articles": 5, "teasers": 2, "dead_letters": 1, "_index": 160}
"""Rows of each table after both batches (DirectRunner's, which the cluster's must equal)."""


def _check_record(record: dict, runner_ui: str, err: str) -> None:
    assert record["status"] == "succeeded" and record["identity"]["holds"], record["identity"]
    assert (record["articles_written"], record["duplicates_already_in_output"],
            record["stored_rows_updated_with_new_copies"], record["dead_letters_written"]) == (1, 25, 3, 1)
    assert record["containers"].keys() >= {"text", "html", "jsonl", "warc"}, record["containers"]
    assert f"progress: see the {runner_ui} UI at http://localhost:" in err


def test_flink_cluster_writes_what_direct_runner_writes(reference, tmp_path, capfd):
    config, second, direct, stored_before = reference
    stored = tmp_path / "stored"
    shutil.copytree(stored_before, stored)
    with local_cluster("flink"):
        code = main(["run", str(second), "--output", str(stored), "--config", str(config), "--fetched-at", FETCHED,
                     "--env", "flink", "--run-id", "flink-1"])
    printed = capfd.readouterr()
    assert code == 0, printed.err[-3000:]
    record = json.loads((stored / "_runs" / "flink-1.json").read_text())
    _check_record(record, "Flink", printed.err)
    assert _assert_same_tables(direct, stored) == EXPECTED
    assert not [p for p in (stored / "_temporary").rglob("*") if p.is_file()]
    listed = {f["path"] for m in (stored / "_runs").glob("*/articles.json") for f in json.loads(m.read_text())["files"]}
    assert {str(p) for p in (stored / "articles").rglob("*.parquet")} == listed  # no orphan file


def test_spark_cluster_on_s3_writes_what_direct_runner_writes(reference, capfd):
    import boto3
    import pyarrow.fs as pafs

    config, second, direct, stored = reference
    with moto_s3() as endpoint:
        s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=S3_KEY, aws_secret_access_key=S3_SECRET,
                          region_name=S3_REGION)
        s3.create_bucket(Bucket="news")
        for path in stored.rglob("*"):  # the stored output, on the store
            if path.is_file() and "_lock" not in path.name:
                s3.upload_file(str(path), "news", f"out/{path.relative_to(stored)}")
        flags = [f"--{k}={v}" for k, v in s3_options(endpoint).items()]
        with local_cluster("spark"):
            code = main(["run", str(second), "--output", "s3://news/out", "--config", str(config), "--fetched-at",
                         FETCHED, "--env", "spark", "--run-id", "spark-1", *flags])
        printed = capfd.readouterr()
        assert code == 0, printed.err[-3000:]
        record = json.loads(s3.get_object(Bucket="news", Key="out/_runs/spark-1.json")["Body"].read())
        _check_record(record, "Spark", printed.err)
        fs = pafs.S3FileSystem(access_key=S3_KEY, secret_key=S3_SECRET, region=S3_REGION, scheme="http",
                               endpoint_override=endpoint.split("://", 1)[1])
        assert _assert_same_tables(direct, "news/out", fs) == EXPECTED
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="news", Prefix="out/").get("Contents", [])]
    assert not [k for k in keys if k.startswith("out/_temporary/")]
