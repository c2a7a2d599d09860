"""The pipeline against a real S3-compatible server on 127.0.0.1 (moto's server mode, in its own process):
inputs read from s3://, output written to s3:// through Beam's S3 filesystem and its --s3_* options; dedup
against the stored output, late copies recorded on stored rows, the watcher's discovery, the commit and the
lease, all on the store. Rows are compared with the same inputs run into a local directory."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.dataset as ds
import pytest

boto3 = pytest.importorskip("boto3")
pytest.importorskip("moto.server")
pafs = pytest.importorskip("pyarrow.fs")

from scrapeline.pipeline import api, cli  # noqa: E402
from scrapeline.pipeline.lock import OutputLock  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FETCHED = "2025-08-06T12:00:00Z"
SECOND = ROOT / "tests" / "cases" / "text" / "generic-single" / "input.txt"
KEY, SECRET, REGION = "test", "test", "us-east-1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def endpoint():
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto server did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture()
def bucket(endpoint, request):
    s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=KEY, aws_secret_access_key=SECRET,
                      region_name=REGION)
    name = request.node.name.replace("_", "-")[:50].strip("-").lower()
    s3.create_bucket(Bucket=name)
    return s3, name


def _options(endpoint: str) -> dict:
    return {"s3_endpoint_url": endpoint, "s3_access_key_id": KEY, "s3_secret_access_key": SECRET,
            "s3_region_name": REGION}


def _rows(endpoint: str, root: str) -> list[dict]:
    """The articles under `root` ("bucket/out" or a local path), read as a warehouse would, hive partitions."""
    if root.startswith("/"):
        fs = None
    else:
        fs = pafs.S3FileSystem(access_key=KEY, secret_key=SECRET, region=REGION, scheme="http",
                               endpoint_override=endpoint.split("://", 1)[1])
    return ds.dataset(f"{root}/articles", filesystem=fs, format="parquet", partitioning="hive").to_table().to_pylist()


def _keys(s3, bucket: str, prefix: str) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]


def _comparable(rows: list[dict]) -> list[tuple]:
    return sorted((r["article_id"], r["source"], str(r["date"]), r["title"], r["duplicate_count"],
                   tuple(sorted(r["duplicate_titles"]))) for r in rows)


def test_two_batches_on_s3_give_the_rows_of_a_local_run(endpoint, bucket, tmp_path, sample_path):
    s3, b = bucket
    s3.upload_file(str(sample_path), b, f"landing/day1/{sample_path.name}")
    s3.upload_file(str(sample_path), b, "landing/day2/copy-of-the-sample.txt")  # every story again
    s3.upload_file(str(SECOND), b, "landing/day2/council.txt")  # one new story
    out, opts = f"s3://{b}/out", _options(endpoint)

    first = api.run([f"s3://{b}/landing/day1/"], out, options=opts, fetched_at=FETCHED)
    assert (first.articles_extracted, first.articles_written, first.duplicates_in_run) == (4, 3, 1)
    assert first.record_path == f"{out}/_runs/{first.run_id}.json"
    second = api.run([f"s3://{b}/landing/day2/"], out, options=opts, fetched_at=FETCHED)
    assert second.duplicates_already_in_output == 4 and second.articles_written == 1  # dedup against the store

    local = str(tmp_path / "local")  # the same two batches, locally
    api.run([str(sample_path)], local, fetched_at=FETCHED)
    day2 = tmp_path / "day2"
    day2.mkdir()
    (day2 / "copy-of-the-sample.txt").write_bytes(sample_path.read_bytes())
    (day2 / "council.txt").write_bytes(SECOND.read_bytes())
    api.run([str(day2)], local, fetched_at=FETCHED)

    stored = _rows(endpoint, f"{b}/out")
    assert len(stored) == 4 and len({r["article_id"] for r in stored}) == 4
    assert _comparable(stored) == _comparable(_rows(endpoint, local))
    assert max(r["duplicate_count"] for r in stored) >= 2  # copies of day 2 recorded on the stored rows
    keys = _keys(s3, b, "out/")
    assert not [k for k in keys if k.startswith("out/_temporary/")]  # spill and temp files removed
    assert f"out/_runs/{second.run_id}/articles.json" in keys
    assert all(k.endswith(".parquet") for k in keys if k.startswith("out/articles/"))


def test_watch_discovers_files_on_the_store_and_the_lease_refuses_a_second_writer(endpoint, bucket, sample_path,
                                                                                 capsys):
    s3, b = bucket
    out, opts = f"s3://{b}/out", _options(endpoint)
    s3.upload_file(str(sample_path), b, f"landing/{sample_path.name}")
    flags = [f"--{k}={v}" for k, v in opts.items()]
    code = cli.main(["watch", f"s3://{b}/landing/", "--output", out, "--poll-interval", "0.5", "--settle", "0",
                     "--idle-timeout", "2", "--fetched-at", FETCHED, *flags])
    assert code == 0
    assert len(_rows(endpoint, f"{b}/out")) == 3
    assert len([k for k in _keys(s3, b, "out/_runs/") if k.count("/") == 2]) == 1  # one run record

    holder = OutputLock(out, "run", "someone-else", confirm_delay=0).acquire()  # a live lease on the store
    try:
        with pytest.raises(api.UsageError, match="someone-else"):
            api.run([f"s3://{b}/landing/"], out, options=opts, fetched_at=FETCHED)
    finally:
        holder.release()
    assert not [k for k in _keys(s3, b, "out/") if k.endswith("_lock.json")]  # released: the object is gone
    capsys.readouterr()


def test_a_store_error_is_one_line_in_seconds(endpoint, bucket):
    _, b = bucket
    with pytest.raises(api.UsageError, match="matches no dump file"):
        api.run([f"s3://{b}/nothing-here/"], f"s3://{b}/out", options=_options(endpoint))
    with pytest.raises(api.UsageError, match="no such bucket"):  # Beam alone lists a missing bucket as empty
        api.run(["s3://no-such-bucket/landing/"], f"s3://{b}/out", options=_options(endpoint))
    with pytest.raises(api.UsageError, match="no such bucket"):
        api.run([f"s3://{b}/"], "s3://no-such-bucket/out", options=_options(endpoint))
    started = time.monotonic()
    with pytest.raises(api.UsageError, match="Could not connect"):  # Beam alone retried for minutes
        api.run([f"s3://{b}/landing/"], f"s3://{b}/out", options={**_options(endpoint),
                                                                  "s3_endpoint_url": f"http://127.0.0.1:{_free_port()}"})
    assert time.monotonic() - started < 60
