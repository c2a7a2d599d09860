"""A finished run removes what it left under `_temporary/` (pipeline/run.py `_sweep_temporary`): a stage a runner ran
again after the commit (Spark recomputes a stage for each consumer) writes temporary files no commit takes."""

from __future__ import annotations

from scrapeline.pipeline.run import _sweep_temporary


def _touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")


def test_the_run_s_leftovers_go_and_other_runs_entries_stay(tmp_path):
    tmp = tmp_path / "_temporary"
    for rel in ("spark-1-_index/bands/b8dd.parquet", "spark-1-articles/a.parquet", "spark-1-spill/deep/x/s.parquet"):
        _touch(tmp / rel)
    _touch(tmp / "spark-10-articles" / "other.parquet")  # another run id that starts the same
    _touch(tmp / "compact-abc" / "c.parquet")
    assert _sweep_temporary(str(tmp_path), "spark-1") == 3
    assert sorted(p.name for p in tmp.iterdir()) == ["compact-abc", "spark-10-articles"]
    assert (tmp / "spark-10-articles" / "other.parquet").exists()
    assert _sweep_temporary(str(tmp_path), "spark-1") == 0  # nothing left: nothing to do, no error


def test_a_missing_temporary_folder_is_nothing_to_do(tmp_path):
    assert _sweep_temporary(str(tmp_path / "new-output"), "run-1") == 0


def test_on_an_object_store_too():
    import boto3
    from apache_beam.io.filesystems import FileSystems
    from apache_beam.options.pipeline_options import PipelineOptions

    from tests.support.servers import S3_KEY, S3_REGION, S3_SECRET, moto_s3, s3_options

    with moto_s3() as endpoint:
        s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=S3_KEY, aws_secret_access_key=S3_SECRET,
                          region_name=S3_REGION)
        s3.create_bucket(Bucket="news")
        keys = ["out/_temporary/spark-1-_index/bands/b8dd.parquet", "out/_temporary/spark-1-spill/s.parquet",
                "out/_temporary/spark-10-articles/a.parquet", "out/articles/source=x/date=2025-01-01/a.parquet"]
        for key in keys:
            s3.put_object(Bucket="news", Key=key, Body=b"x")
        saved = FileSystems._pipeline_options
        FileSystems.set_options(PipelineOptions(**s3_options(endpoint)))
        try:
            assert _sweep_temporary("s3://news/out", "spark-1") == 2
        finally:
            FileSystems._pipeline_options = saved
        left = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="news")["Contents"])
    assert left == sorted(keys[2:])
