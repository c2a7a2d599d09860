"""Servers the e2e tests start on 127.0.0.1, each in its own process: moto's S3 server, and the local Flink and
Spark clusters of examples/clusters/."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

from tests.support.paths import REPO

S3_KEY, S3_SECRET, S3_REGION = "test", "test", "us-east-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(args: list[str], port: int, within: float = 30.0) -> subprocess.Popen:
    """Start a server process and return once its port accepts connections."""
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + within
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"{args[2]} did not start") from None
            time.sleep(0.2)


def stop(*procs: subprocess.Popen, grace: float = 5.0) -> None:
    """Ask each process to end (SIGTERM), and kill those still running after `grace` seconds: a test's teardown must
    not fail, or hang, because a server is slow to stop on a busy machine."""
    for proc in procs:
        proc.terminate()
    deadline = time.monotonic() + grace
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


@contextlib.contextmanager
def moto_s3() -> Iterator[str]:
    """moto's S3 server; yields its endpoint url."""
    port = free_port()
    proc = serve([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


def maven_jar(coordinate: str, fetch: bool = True):
    """The jar of `group:artifact:version` in ~/.m2, fetched from Maven Central with `mvn dependency:get` when it is
    missing and `fetch` (no transitive dependencies); None when it cannot be had."""
    import shutil
    from pathlib import Path

    group, artifact, version = coordinate.split(":")
    jar = (Path.home() / ".m2" / "repository" / group.replace(".", "/") / artifact / version
           / f"{artifact}-{version}.jar")
    if not jar.is_file() and fetch and shutil.which("mvn"):
        subprocess.run(["mvn", "-q", "-B", "dependency:get", f"-Dartifact={coordinate}", "-Dtransitive=false"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600, check=False)
    return jar if jar.is_file() else None


def s3_options(endpoint: str) -> dict:
    return {"s3_endpoint_url": endpoint, "s3_access_key_id": S3_KEY, "s3_secret_access_key": S3_SECRET,
            "s3_region_name": S3_REGION}


SHORT_LIVED_JVM = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
"""JVM options for the suite's clusters and Spark sessions, which live a minute or two and run a few small jobs:
the client compiler only, and one GC thread. Measured on the two cluster tests, cluster starts included: 323
core-seconds of CPU without them, 191 with them (Flink 149 -> 91, Spark 175 -> 101), and the same rows; the Spark
read tests 50 -> 31. C2's compile threads and parallel GC pay off only for JVMs that live longer than this."""


def cluster_script(name: str, command: str, timeout: float = 1200) -> subprocess.CompletedProcess:
    """Run examples/clusters/NAME.sh COMMAND with this interpreter as the SDK harness python, and SHORT_LIVED_JVM for
    every JVM the script starts (JAVA_TOOL_OPTIONS reaches them all, Spark's executors too)."""
    tool_options = " ".join(filter(None, (os.environ.get("JAVA_TOOL_OPTIONS"), SHORT_LIVED_JVM)))
    env = {**os.environ, "SCRAPELINE_PYTHON": sys.executable, "JAVA_TOOL_OPTIONS": tool_options}
    return subprocess.run(["bash", str(REPO / "examples" / "clusters" / f"{name}.sh"), command], env=env,
                          capture_output=True, text=True, timeout=timeout)


@contextlib.contextmanager
def local_cluster(name: str) -> Iterator[None]:
    """The cluster examples/clusters/NAME.sh starts (downloads cached in ~/.m2 and ~/.cache/scrapeline); stopped
    afterwards unless it was running before."""
    was_running = cluster_script(name, "status", 60).returncode == 0
    started = cluster_script(name, "start")
    assert started.returncode == 0, f"{name}.sh start failed:\n{started.stdout[-3000:]}\n{started.stderr[-3000:]}"
    try:
        yield
    finally:
        if not was_running:
            cluster_script(name, "stop", 120)
