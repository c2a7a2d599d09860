"""SDK worker pool for --environment_type=EXTERNAL, safe to share between several
Flink TaskManagers / Spark executors.

Why not `python -m apache_beam.runners.worker.worker_pool_main`? Its StartWorker/StopWorker
key the harness processes by worker_id alone, but every TaskManager (every runner JVM)
numbers its workers from 1 ("1-1", "2-1", ...). With one pool shared by two TaskManagers the
ids collide: when TaskManager B stops its "1-1", the pool kills TaskManager A's "1-1", and A
waits forever ("Still waiting for startup of environment from localhost:50000 for worker id
1-1"). Measured on the local Flink cluster, see NOTES.md.

This pool keys processes by (worker_id, control endpoint), which is unique per runner JVM.
On StopWorker(id) it kills only those processes with that id whose runner is gone (control
endpoint no longer accepting connections) and otherwise leaves them: an SDK harness exits by
itself when its runner closes the control stream. A reaper collects exited processes.

Each worker is started through beam_boot.py (the container contract), so it gets the
pipeline options from the provision service, like a Docker SDK container would.

    python examples/clusters/worker_pool.py --service_port 50000
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent import futures

import grpc

from apache_beam.portability.api import beam_fn_api_pb2, beam_fn_api_pb2_grpc

_LOG = logging.getLogger("worker_pool")
BOOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "beam_boot.py")


def _port_open(url: str) -> bool:
    host, _, port = url.rpartition(":")
    try:
        with socket.create_connection((host or "localhost", int(port)), timeout=1):
            return True
    except (OSError, ValueError):
        return False


class Pool(beam_fn_api_pb2_grpc.BeamFnExternalWorkerPoolServicer):
    def __init__(self, semi_persist_dir: str | None):
        self._lock = threading.Lock()
        self._procs: dict[tuple[str, str], subprocess.Popen] = {}
        self._semi = semi_persist_dir
        threading.Thread(target=self._reap, daemon=True, name="reaper").start()

    def StartWorker(self, request, context):
        key = (request.worker_id, request.control_endpoint.url)
        cmd = [sys.executable, BOOT, f"--id={request.worker_id}",
               f"--provision_endpoint={request.provision_endpoint.url}",
               f"--control_endpoint={request.control_endpoint.url}",
               f"--logging_endpoint={request.logging_endpoint.url}",
               f"--artifact_endpoint={request.artifact_endpoint.url}"]
        if self._semi:
            cmd.append(f"--semi_persist_dir={self._semi}")
        try:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)  # output -> the pool's log
        except OSError as e:
            return beam_fn_api_pb2.StartWorkerResponse(error=str(e))
        with self._lock:
            old = self._procs.get(key)
            self._procs[key] = proc
        if old and old.poll() is None:
            _LOG.warning("worker %s for %s started again; the old pid %s is left to exit", *key, old.pid)
        _LOG.info("started worker %s for control %s: pid %s (%d live)", key[0], key[1], proc.pid,
                  self.live())
        return beam_fn_api_pb2.StartWorkerResponse()

    def StopWorker(self, request, context):
        with self._lock:
            cands = [(k, p) for k, p in self._procs.items() if k[0] == request.worker_id]
        for (wid, control), proc in cands:
            # give the harness a moment to notice its runner hung up
            for _ in range(20):
                if proc.poll() is not None:
                    break
                if not _port_open(control):
                    break
                time.sleep(0.1)
            if proc.poll() is None and not _port_open(control):
                _LOG.info("stopping worker %s (control %s gone): pid %s", wid, control, proc.pid)
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
            elif proc.poll() is None:
                _LOG.info("StopWorker %s: pid %s still has a live runner at %s; left running",
                          wid, proc.pid, control)
        return beam_fn_api_pb2.StopWorkerResponse()

    def live(self) -> int:
        with self._lock:
            return sum(1 for p in self._procs.values() if p.poll() is None)

    def _reap(self):
        while True:
            time.sleep(5)
            with self._lock:
                for key, proc in list(self._procs.items()):
                    if proc.poll() is not None:
                        del self._procs[key]
                    elif not _port_open(key[1]):
                        # runner gone (e.g. TaskManager killed) but the harness still lingers
                        _LOG.info("reaping worker %s: control %s gone, pid %s", key[0], key[1], proc.pid)
                        proc.kill()

    def shutdown(self):
        with self._lock:
            procs = list(self._procs.values())
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--service_port", type=int, required=True)
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--semi_persist_dir", default=None)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    pool = Pool(args.semi_persist_dir)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    beam_fn_api_pb2_grpc.add_BeamFnExternalWorkerPoolServicer_to_server(pool, server)
    server.add_insecure_port(f"{args.bind}:{args.service_port}")
    server.start()
    _LOG.info("worker pool listening on %s:%s (python %s)", args.bind, args.service_port, sys.executable)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    _LOG.info("shutting down")
    server.stop(2)
    pool.shutdown()


if __name__ == "__main__":
    main()
