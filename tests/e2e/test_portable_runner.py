"""The batch graph through PortableRunner and Python's own job service: the Runner API path Flink, Spark and
Dataflow take (pickling, coders, metrics), which the in-process runner hides."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from scrapeline.pipeline.cli import main
from tests.support.paths import REPO, SAMPLE_NAME
from tests.support.servers import stop


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"nothing listens on {port} after {timeout}s")


@pytest.fixture(scope="module")
def job_service():
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    job_port, worker_port = _free_port(), _free_port()
    procs = [
        subprocess.Popen([sys.executable, "-m", "apache_beam.runners.portability.local_job_service_main",
                          "--port", str(job_port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        subprocess.Popen([sys.executable, "-m", "apache_beam.runners.worker.worker_pool_main",
                          "--service_port", str(worker_port)], env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL),
    ]
    try:
        _wait_port(job_port)
        _wait_port(worker_port)
        yield ["--runner=PortableRunner", f"--job_endpoint=localhost:{job_port}", "--environment_type=EXTERNAL",
               f"--environment_config=localhost:{worker_port}"]
    finally:
        stop(*procs)


def test_batch_graph_runs_on_the_portable_runner(tmp_path, sample_path, job_service):
    inp = tmp_path / "in"
    inp.mkdir()
    shutil.copy(sample_path, inp / SAMPLE_NAME)
    shutil.copy(REPO / "tests/cases/html/main-with-teasers/page.html", inp / "teasers.html")
    out = tmp_path / "out"
    assert main(["run", str(inp), "--output", str(out), "--fetched-at", "2025-08-06T12:00:00Z", *job_service]) == 0
    rows = ds.dataset(str(out / "articles"), format="parquet", partitioning="hive").to_table().to_pylist()
    assert len(rows) == 4  # 3 stories of the sample + the main article (its 2 link cards are teasers)
    teasers = ds.dataset(str(out / "teasers"), format="parquet", partitioning="hive").to_table()
    assert teasers.num_rows == 2
    charges = next(r for r in rows if r["title"].startswith("US charges"))
    assert charges["duplicate_count"] == 1
    # a second run through the same runner: the cross-run dedup and the metrics behind the summary hold there too
    assert main(["run", str(inp), "--output", str(out), "--fetched-at", "2025-08-06T12:00:00Z", *job_service]) == 0
    assert len(ds.dataset(str(out / "articles"), format="parquet", partitioning="hive").to_table()) == 4
    assert ds.dataset(str(out / "teasers"), format="parquet", partitioning="hive").to_table().num_rows == 2
