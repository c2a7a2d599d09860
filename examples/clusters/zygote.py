"""Start Python SDK harnesses by fork from a process that has already imported Beam and the pipeline's code.

Why: Beam's batch translation on Flink and Spark starts a harness for each fused stage on each worker (about 12
waves of stages for scrapeline's graph), and a fresh Python harness spends 3-6 s on this 2-core machine importing
Beam, trafilatura, lxml, pyarrow... before it runs a single element. Measured on the local Flink cluster: a
64 s job of which about 5 s per wave was harness start-up. A fork of a warm process starts in about 0.1 s.

Two roles, one file:

    python zygote.py serve --socket PATH [--preload mod1,mod2] [--semi_persist_dir DIR]
        imports apache_beam's harness, beam_boot.py and the --preload modules (default: $BEAM_BOOT_PRELOAD or
        scrapeline.pipeline.graph), then listens on a Unix socket. For each request it forks a child that takes
        the client's stdin/stdout/stderr (passed over the socket), environment and working directory, runs
        beam_boot.prepare (provision service, staged artifacts) and then the SDK harness in-process.

    python -S zygote.py boot --socket PATH [beam_boot arguments]
        the --environment_type=PROCESS command (stdlib only, so it starts in a few ms). It hands its arguments,
        environment and stdio to the zygote, forwards SIGTERM/SIGINT/SIGHUP to the harness, and exits with the
        harness's exit code. When the zygote is not there it execs beam_boot.py instead (the slow path), so a
        stopped zygote costs time, never a job.

Lifetimes: if the boot client dies (its TaskManager or executor killed it, or died), the harness notices the
closed socket and exits. The children stay in the zygote's process group, so `flink.sh stop` / `spark.sh stop`
end them with it. The zygote holds the code it imported at start: restart the cluster after changing the
pipeline's code, as with the worker pool.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MAX_FDS = 3


def _read_line(conn: socket.socket, first: bytes = b"") -> bytes | None:
    buf = first
    while b"\n" not in buf:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        buf += chunk
    return buf.split(b"\n", 1)[0]


# --- client (the PROCESS command) -------------------------------------------------------------------------------

def boot(sock_path: str, argv: list[str]) -> int:
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(sock_path)
    except OSError:
        conn.close()
        py = os.environ.get("BEAM_BOOT_PYTHON") or sys.executable
        print(f"zygote.py: no zygote at {sock_path}; starting the harness from scratch", file=sys.stderr, flush=True)
        os.execv(py, [py, os.path.join(HERE, "beam_boot.py"), *argv])
    request = json.dumps({"argv": argv, "env": dict(os.environ), "cwd": os.getcwd()}).encode() + b"\n"
    socket.send_fds(conn, [request], [0, 1, 2])
    line = _read_line(conn)
    if line is None:
        print("zygote.py: the zygote closed the connection before starting a harness", file=sys.stderr, flush=True)
        return 1
    pid = json.loads(line)["pid"]

    def forward(signum, _frame):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, forward)
    rest = b""
    while True:
        try:
            chunk = conn.recv(4096)
        except InterruptedError:
            continue
        if not chunk:
            break
        rest += chunk
    for line in rest.splitlines():
        if line.strip():
            code = json.loads(line).get("exit")
            return code if isinstance(code, int) else 1
    return 1  # the harness died without saying how (a signal)


# --- server ------------------------------------------------------------------------------------------------------

def serve(sock_path: str, preload: list[str], semi_persist_dir: str | None) -> None:
    import importlib
    import logging
    import threading
    import time

    logging.basicConfig(level=logging.INFO, format="%(asctime)s zygote[%(process)d] %(message)s")
    log = logging.getLogger("zygote")
    t0 = time.monotonic()
    sys.path.insert(0, HERE)
    import beam_boot  # noqa: E402 - after the path is set
    from apache_beam.runners.worker import sdk_worker_main  # noqa: F401 - preloaded for the harnesses

    from scrapeline.pipeline.workers import become_worker  # the forked child's part, shared with local runs

    for name in preload:
        try:
            importlib.import_module(name)
        except Exception as e:  # noqa: BLE001 - a missing preload only costs speed
            log.warning("could not preload %s: %s (harnesses will import it themselves)", name, e)
    if threading.active_count() > 1:
        log.warning("%d threads after the imports: forking may be unsafe", threading.active_count())
    if semi_persist_dir:
        os.environ["BEAM_BOOT_SEMI_PERSIST_DIR"] = semi_persist_dir

    tmp = f"{sock_path}.{os.getpid()}"
    for p in (tmp, sock_path):
        if os.path.exists(p):
            os.unlink(p)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(tmp)
    server.listen(64)
    os.replace(tmp, sock_path)  # clients see the socket only once it accepts

    def stop(_signum, _frame):
        try:
            os.unlink(sock_path)
        except OSError:
            pass
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    log.info("ready on %s in %.1f s (preloaded %s)", sock_path, time.monotonic() - t0, ", ".join(preload) or "-")
    while True:
        try:
            conn, _ = server.accept()
        except InterruptedError:
            continue
        try:
            data, fds, _flags, _addr = socket.recv_fds(conn, 65536, MAX_FDS)
            line = _read_line(conn, data)
            if line is None or len(fds) != 3:
                raise ValueError(f"bad request ({len(fds)} fds)")
            request = json.loads(line)
        except (OSError, ValueError) as e:
            log.warning("dropped a request: %s", e)
            conn.close()
            continue
        pid = os.fork()
        if pid == 0:
            server.close()
            become_worker(conn, request, fds, lambda argv=request["argv"]: beam_boot.prepare(argv))
        conn.close()
        for fd in fds:
            os.close(fd)
        log.info("forked harness %s for %s", pid, " ".join(a for a in request["argv"] if a.startswith("--id")))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["boot"]:
        ap = argparse.ArgumentParser(prog="zygote.py boot")
        ap.add_argument("--socket", required=True)
        args, rest = ap.parse_known_args(argv[1:])
        return boot(args.socket, rest)
    ap = argparse.ArgumentParser(prog="zygote.py serve")
    ap.add_argument("role", choices=["serve"])
    ap.add_argument("--socket", required=True)
    ap.add_argument("--preload", default=os.environ.get("BEAM_BOOT_PRELOAD", "scrapeline.pipeline.graph"))
    ap.add_argument("--semi_persist_dir")
    args = ap.parse_args(argv)
    serve(args.socket, [m for m in args.preload.split(",") if m], args.semi_persist_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
