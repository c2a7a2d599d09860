"""The pipeline against real object-store servers on 127.0.0.1, each in its own process:
- S3: moto's server mode. Inputs read from s3://, output written to s3:// through Beam's S3 filesystem and its
  --s3_* options; dedup against the stored output, late copies recorded on stored rows, the watcher's discovery,
  the commit and the lease, all on the store.
- GCS: gcp-storage-emulator, which google-cloud-storage (under Beam's gs:// filesystem) reaches through
  STORAGE_EMULATOR_HOST. Beam always asks google-auth for credentials (about 27 s of retries when there are
  none), so the test gives it a throwaway service-account key whose token endpoint is a local stub.
Rows are compared with the same inputs run into a local directory."""

from __future__ import annotations

import http.server
import json
import sys
import threading
import time
from pathlib import Path

import pyarrow.dataset as ds
import pytest

import pyarrow.fs as pafs

from scrapeline.pipeline import api, cli
from scrapeline.pipeline.lock import OutputLock
from tests.support.servers import S3_KEY, S3_REGION, S3_SECRET, free_port, moto_s3, serve, stop

ROOT = Path(__file__).resolve().parents[2]
FETCHED = "2025-08-06T12:00:00Z"
SECOND = ROOT / "tests" / "cases" / "text" / "generic-single" / "input.txt"
KEY, SECRET, REGION = S3_KEY, S3_SECRET, S3_REGION


@pytest.fixture(scope="module")
def endpoint():
    with moto_s3() as url:
        yield url


@pytest.fixture()
def bucket(endpoint, request):
    import boto3

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


@pytest.fixture(scope="module")
def local_reference(tmp_path_factory, sample_path) -> str:
    """The two batches the store tests run, run on a local output: the reference their rows must equal (made once
    for S3 and GCS). Plain folders, as on the store (an object-store output without a catalog is plain folders: the
    record says so)."""
    tmp_path = tmp_path_factory.mktemp("local-reference")
    local = str(tmp_path / "local")
    api.run([str(sample_path)], local, fetched_at=FETCHED, table_format="hive")
    day2 = tmp_path / "day2"
    day2.mkdir()
    (day2 / "copy-of-the-sample.txt").write_bytes(sample_path.read_bytes())
    (day2 / "council.txt").write_bytes(SECOND.read_bytes())
    api.run([str(day2)], local, fetched_at=FETCHED)
    return local


def test_two_batches_on_s3_give_the_rows_of_a_local_run(endpoint, bucket, sample_path, local_reference):
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
    assert second.record["format"]["table_format"] == "hive" and "without --catalog" in second.record["format"]["why"]

    local = local_reference  # the same two batches, locally

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
                                                                  "s3_endpoint_url": f"http://127.0.0.1:{free_port()}"})
    assert time.monotonic() - started < 60


class _TokenStub(http.server.BaseHTTPRequestHandler):
    """google-auth's token endpoint, stubbed: any key exchange gets a token the emulator does not check."""

    def do_POST(self):  # noqa: N802  (http.server's name)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.dumps({"access_token": "test", "expires_in": 3600, "token_type": "Bearer"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def gcs(tmp_path_factory):
    pytest.importorskip("gcp_storage_emulator")
    pytest.importorskip("apache_beam.io.gcp.gcsio")
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    stub = http.server.HTTPServer(("127.0.0.1", 0), _TokenStub)
    threading.Thread(target=stub.serve_forever, daemon=True).start()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    sa = tmp_path_factory.mktemp("gcs") / "service-account.json"
    sa.write_text(json.dumps({
        "type": "service_account", "project_id": "test", "private_key_id": "test", "private_key": key,
        "client_email": "test@test.iam.gserviceaccount.com", "client_id": "1",
        "token_uri": f"http://127.0.0.1:{stub.server_port}/token"}))
    port = free_port()
    proc = serve([sys.executable, "-m", "gcp_storage_emulator", "start", "--host=127.0.0.1", f"--port={port}",
                   "--in-memory"], port)
    mp = pytest.MonkeyPatch()
    mp.setenv("STORAGE_EMULATOR_HOST", f"http://127.0.0.1:{port}")
    mp.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(sa))
    try:
        yield port
    finally:
        mp.undo()
        stop(proc)
        stub.shutdown()


def test_two_batches_on_gcs_give_the_rows_of_a_local_run(gcs, sample_path, local_reference):
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    client = storage.Client(project="test", credentials=AnonymousCredentials())
    b = client.create_bucket("news")
    b.blob(f"landing/day1/{sample_path.name}").upload_from_filename(str(sample_path))
    b.blob("landing/day2/copy-of-the-sample.txt").upload_from_filename(str(sample_path))
    b.blob("landing/day2/council.txt").upload_from_filename(str(SECOND))
    out, opts = "gs://news/out", {"project": "test"}

    first = api.run(["gs://news/landing/day1/"], out, options=opts, fetched_at=FETCHED)
    assert (first.articles_extracted, first.articles_written, first.duplicates_in_run) == (4, 3, 1)
    second = api.run(["gs://news/landing/day2/"], out, options=opts, fetched_at=FETCHED)
    assert second.duplicates_already_in_output == 4 and second.articles_written == 1

    local = local_reference

    fs = pafs.GcsFileSystem(anonymous=True, scheme="http", endpoint_override=f"127.0.0.1:{gcs}")
    stored = ds.dataset("news/out/articles", filesystem=fs, format="parquet", partitioning="hive").to_table().to_pylist()
    assert len(stored) == 4 and _comparable(stored) == _comparable(_rows("", local))
    names = [blob.name for blob in client.list_blobs("news", prefix="out/")]
    assert not [n for n in names if n.startswith("out/_temporary/")] and "out/_lock.json" not in names
    assert f"out/_runs/{second.run_id}/articles.json" in names
