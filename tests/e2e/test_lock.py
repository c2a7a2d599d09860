"""Issue 7 item 2: one writer per output (pipeline/lock.py): acquire, refuse naming the holder, stale takeover
after kill -9 (one taker among racing contenders), release; the object-store lease through FileSystems on a
local directory; the CLI's exit 2 while the lock is held."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import types

import pytest

from scrapeline.pipeline.lock import LockError, OutputLock, OutputLocked
from tests.support.paths import REPO

_HOLD = ("import sys, time; from pipeline.lock import OutputLock; OutputLock(sys.argv[1], 'run', 'RUN-1').acquire(); "
         "print('held', flush=True); time.sleep(60)")
# Each contender says it is ready, waits for a go file, tries once, says which, and keeps what it got until its
# stdin closes (the test closes it once every contender has spoken: no window to land in).
_CONTEND = ("import os, sys, time\nfrom pipeline.lock import OutputLock, OutputLocked\n"
            "print('ready', flush=True)\n"
            "while not os.path.exists(sys.argv[2]): time.sleep(0.001)\n"
            "try:\n    OutputLock(sys.argv[1], 'run').acquire()\n    print('won', flush=True)\n"
            "except OutputLocked as e:\n    print('refused', e, flush=True)\n"
            "sys.stdin.read()\n")
_STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


def _holder(out) -> subprocess.Popen:
    p = subprocess.Popen([sys.executable, "-c", _HOLD, str(out)], stdout=subprocess.PIPE, text=True, cwd=REPO)
    assert p.stdout.readline().strip() == "held"
    return p


def _kill9(p: subprocess.Popen) -> None:
    os.kill(p.pid, signal.SIGKILL)
    p.wait()


def test_acquire_records_the_holder_and_release_marks_it(tmp_path):
    lock = OutputLock(str(tmp_path), "watch").acquire()
    record = json.loads((tmp_path / "_lock.json").read_text())
    assert record["command"] == "watch" and record["pid"] == os.getpid() and record["host"] == socket.gethostname()
    assert re.fullmatch(_STAMP, record["started_at"]) and "released" not in record
    lock.release()
    lock.release()  # idempotent
    assert re.fullmatch(_STAMP, json.loads((tmp_path / "_lock.json").read_text())["released"])


def test_a_second_writer_is_refused_naming_the_holder(tmp_path):
    p = _holder(tmp_path)
    try:
        for command in ("run", "watch", "compact"):
            with pytest.raises(OutputLocked) as e:
                OutputLock(str(tmp_path), command).acquire()
            assert re.fullmatch(
                rf"output {re.escape(str(tmp_path))} is being written by scrapeline run RUN-1 \(pid {p.pid} on host "
                rf"{re.escape(socket.gethostname())}, since {_STAMP}\); one writer per output", str(e.value))
    finally:
        _kill9(p)


def test_a_stale_lock_is_taken_over_and_temporary_cleaned(tmp_path, capsys):
    p = _holder(tmp_path)
    _kill9(p)
    (tmp_path / "_temporary" / "dead-run-articles").mkdir(parents=True)
    (tmp_path / "_temporary" / "dead-run-articles" / "x.parquet").write_bytes(b"PAR1")
    (tmp_path / "_temporary" / "compact-dead").mkdir()
    lock = OutputLock(str(tmp_path), "run").acquire()
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2, err
    assert err[0].startswith(f"scrapeline: took over the lock on {tmp_path} from a writer that is gone: "
                             f"scrapeline run RUN-1 (pid {p.pid} on host")
    assert err[1] == f"scrapeline: removed 2 entries that dead writers left under {tmp_path / '_temporary'}"
    assert json.loads((tmp_path / "_lock.json").read_text())["pid"] == os.getpid()
    assert os.listdir(tmp_path / "_temporary") == []
    lock.release()
    OutputLock(str(tmp_path), "run").acquire().release()  # released normally: free, no takeover, nothing to clean
    assert capsys.readouterr().err == ""


def test_one_taker_among_contenders_racing_for_a_stale_lock(tmp_path):
    out, go = tmp_path / "out", tmp_path / "go"
    out.mkdir()
    _kill9(_holder(out))
    procs = [subprocess.Popen([sys.executable, "-c", _CONTEND, str(out), str(go)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, cwd=REPO) for _ in range(4)]
    try:
        assert [p.stdout.readline().strip() for p in procs] == ["ready"] * 4  # all spinning on the go file
        go.touch()
        said = [p.stdout.readline().strip() for p in procs]  # each has tried; the winner still holds the lock
    finally:
        for p in procs:
            p.communicate(timeout=60)  # closes stdin: they exit
    assert sorted(s.split()[0] for s in said) == ["refused", "refused", "refused", "won"], said
    winner = procs[[s.split()[0] for s in said].index("won")].pid
    assert all(f"(pid {winner} on host" in s for s in said if s.startswith("refused")), said


def test_released_lock_is_free_in_the_same_process(tmp_path):
    with OutputLock(str(tmp_path), "compact"):
        with pytest.raises(OutputLocked, match=f"scrapeline compact \\(pid {os.getpid()} "):
            OutputLock(str(tmp_path), "run").acquire()  # a second open file of the same process is refused too
    with OutputLock(str(tmp_path), "run") as lock:
        assert lock.held


def test_a_lock_file_that_cannot_be_opened_is_a_lock_error(tmp_path):
    (tmp_path / "_lock.json").mkdir()  # not a file (permissions would not stop root, who runs CI here)
    with pytest.raises(LockError, match="cannot open the lock file"):
        OutputLock(str(tmp_path), "run").acquire()


def test_a_lock_file_removed_before_locking_is_not_trusted(tmp_path, monkeypatch):
    """Opened, then unlinked by someone before flock: the flock on the orphan inode is dropped, and the lock
    taken is the one on the file now at the path (so a later contender cannot lock a different inode)."""
    import fcntl

    real_flock = fcntl.flock
    calls = []

    def flock_after_unlink(fd, op):
        if not calls:
            os.unlink(tmp_path / "_lock.json")
        calls.append(fd)
        return real_flock(fd, op)

    monkeypatch.setattr(fcntl, "flock", flock_after_unlink)
    lock = OutputLock(str(tmp_path), "run").acquire()
    monkeypatch.setattr(fcntl, "flock", real_flock)
    assert len(calls) == 2
    assert os.fstat(lock._fd).st_ino == os.stat(tmp_path / "_lock.json").st_ino
    with pytest.raises(OutputLocked):
        OutputLock(str(tmp_path), "run").acquire()
    lock.release()


# -- the object-store lease, through Beam's FileSystems on a local directory (no live store here) --------------

def _lease(out, command="run", **kw) -> OutputLock:
    kw.setdefault("confirm_delay", 0.0)
    return OutputLock(str(out), command, lease=True, **kw)


def test_lease_refuses_while_fresh_and_is_deleted_on_release(tmp_path):
    first = _lease(tmp_path, run_id="R1").acquire()
    record = json.loads((tmp_path / "_lock.json").read_text())
    assert record["lease_id"] and record["pid"] == os.getpid() and record["expires_at"] > time.time() + 100
    with pytest.raises(OutputLocked, match=r"being written by scrapeline run R1 \(pid \d+ on host .*; one writer"):
        _lease(tmp_path, "compact").acquire()
    first.release()
    assert not (tmp_path / "_lock.json").exists()
    _lease(tmp_path).acquire().release()


def test_lease_expired_is_taken_over_and_temporary_cleaned(tmp_path, capsys):
    now = [1_000_000.0]
    dead = _lease(tmp_path, run_id="DEAD", ttl=60, clock=lambda: now[0]).acquire()
    dead._stop.set()  # its holder "dies": no more heartbeats, no release
    dead._lease_id = None
    (tmp_path / "_temporary" / "dead-run-articles").mkdir(parents=True)
    (tmp_path / "_temporary" / "dead-run-articles" / "a.parquet").write_bytes(b"x")
    now[0] += 59
    with pytest.raises(OutputLocked):
        _lease(tmp_path, clock=lambda: now[0]).acquire()
    now[0] += 2
    taker = _lease(tmp_path, clock=lambda: now[0]).acquire()
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"scrapeline: took over the lock on {tmp_path} from a writer that is gone: "
                             "scrapeline run DEAD (pid")
    assert err[1] == f"scrapeline: removed 1 entry that dead writers left under {tmp_path / '_temporary'}"
    assert not list((tmp_path / "_temporary").rglob("*.parquet"))
    taker.release()


def test_lease_race_the_earlier_writer_backs_off(tmp_path):
    """A and B both read "free"; A writes, B writes during A's confirm delay: A re-reads B's lease and backs off.
    B's write happens inside A's confirm delay by construction: it is A's injected `sleep`."""
    b_record = {"command": "run", "run_id": "B", "pid": 4242, "host": "other", "started_at": "2026-12-04T01:02:03Z",
                "lease_id": "b" * 32, "expires_at": time.time() + 120}
    delays = []

    def b_writes_meanwhile(seconds):
        delays.append(seconds)
        assert json.loads((tmp_path / "_lock.json").read_text())["run_id"] == "A"  # A's lease is written
        (tmp_path / "_lock.json").write_text(json.dumps(b_record))  # B's write, as a store would take it

    with pytest.raises(OutputLocked) as refused:
        _lease(tmp_path, run_id="A", confirm_delay=2.0, sleep=b_writes_meanwhile).acquire()
    assert delays == [2.0]
    assert "scrapeline run B (pid 4242 on host other, since 2026-12-04T01:02:03Z)" in str(refused.value)
    assert json.loads((tmp_path / "_lock.json").read_text())["lease_id"] == "b" * 32  # A left B's lease alone


def test_lease_without_a_rival_is_confirmed_after_its_delay(tmp_path):
    delays = []
    lock = _lease(tmp_path, run_id="A", confirm_delay=2.0, sleep=delays.append).acquire()
    assert delays == [2.0] and lock.held
    lock.release()


def test_lease_heartbeat_renews_and_notices_a_usurper(tmp_path, capsys):
    now = [1_000_000.0]
    lock = _lease(tmp_path, ttl=60, clock=lambda: now[0]).acquire()
    now[0] += 30
    assert lock.renew() and json.loads((tmp_path / "_lock.json").read_text())["expires_at"] == now[0] + 60
    usurper = {"command": "watch", "pid": 7, "host": "h2", "started_at": "2026-12-04T01:02:03Z", "lease_id": "u"}
    (tmp_path / "_lock.json").write_text(json.dumps(usurper))
    assert not lock.renew() and lock.lost["lease_id"] == "u"
    assert "lost the lease on" in capsys.readouterr().err
    lock.release()
    assert json.loads((tmp_path / "_lock.json").read_text())["lease_id"] == "u"  # not ours: not deleted


class _SteppedStop(threading.Event):
    """The heartbeat's stop event, stepped by the test: each `wait(interval)` announces itself on `waiting`, blocks
    until the test calls `step()` (or the lock is released), then moves the injected clock on by the interval."""

    def __init__(self, now: list[float]):
        super().__init__()
        self.now, self.intervals = now, []
        self.waiting, self._go = threading.Semaphore(0), threading.Semaphore(0)

    def wait(self, timeout=None):
        if self.is_set():
            return True
        self.intervals.append(timeout)
        self.waiting.release()
        self._go.acquire()
        if self.is_set():
            return True
        self.now[0] += timeout
        return False

    def step(self):
        self._go.release()

    def set(self):
        super().set()
        self._go.release()


def test_lease_heartbeat_thread_keeps_it_fresh(tmp_path):
    now = [1_000_000.0]
    lock = _lease(tmp_path, ttl=60, clock=lambda: now[0])
    lock._stop = stop = _SteppedStop(now)
    lock.acquire()
    try:
        for _ in range(4):  # four beats: 80 s on the clock, past the first expiry (60 s)
            assert stop.waiting.acquire(timeout=60), "the heartbeat thread did not wait for its next beat"
            stop.step()
        assert stop.waiting.acquire(timeout=60)  # the fourth renewal is written; the thread waits again
        assert stop.intervals == [20.0] * 5  # every ttl/3
        assert now[0] == 1_000_080.0
        assert json.loads((tmp_path / "_lock.json").read_text())["expires_at"] == now[0] + 60
        with pytest.raises(OutputLocked):  # only the renewals keep it fresh at this time
            _lease(tmp_path, clock=lambda: now[0]).acquire()
    finally:
        lock.release()
    assert not lock._heartbeat.is_alive()


# -- the CLI ------------------------------------------------------------------------------------------------

def test_cli_run_and_compact_refused_with_exit_2_while_held(tmp_path, capsys, monkeypatch):
    from scrapeline.pipeline.cli import main

    out = tmp_path / "out"
    (out / "articles" / "source=x" / "date=2025-08-06").mkdir(parents=True)
    p = _holder(out)
    try:
        import scrapeline.pipeline.lock as lock_module

        waits = []
        monkeypatch.setattr(lock_module, "time", types.SimpleNamespace(
            monotonic=time.monotonic, time=time.time, sleep=waits.append))
        assert main(["run", "--output", str(out)]) == 2
        assert main(["compact", str(out), "--table", "articles"]) == 2
        assert main(["watch", str(tmp_path), "--output", str(out), "--idle-timeout", "1"]) == 2
        err = capsys.readouterr().err.splitlines()
        assert len(err) == 3 and waits == []  # refused at once: the holder's record is live, no waiting for it
        assert all(line.startswith(f"scrapeline: error: output {out} is being written by scrapeline run RUN-1 "
                                   f"(pid {p.pid} on host ") and line.endswith("; one writer per output")
                   for line in err), err
    finally:
        _kill9(p)


def test_cli_watch_streaming_holds_the_lock_and_releases_it(tmp_path, monkeypatch, capsys):
    """`watch --streaming` submits a graph and waits on it: the lock is held while it does, then released,
    also when it raises."""
    from scrapeline.pipeline import cli, watch

    seen = []

    def fake_streaming(req, pattern, run_seconds, poll_interval):
        with pytest.raises(OutputLocked, match=r"scrapeline watch \(pid"):
            OutputLock(req.output, "run").acquire()
        seen.append(pattern)
        if len(seen) == 2:
            raise RuntimeError("boom")
        return 0

    monkeypatch.setattr(watch, "_streaming", fake_streaming)
    out, inp = tmp_path / "out", tmp_path / "in"
    inp.mkdir()
    assert cli.main(["watch", str(inp), "--output", str(out), "--streaming"]) == 0
    with pytest.raises(RuntimeError):
        cli.main(["watch", str(inp), "--output", str(out), "--streaming"])
    assert len(seen) == 2
    OutputLock(str(out), "run").acquire().release()
    assert "took over" not in capsys.readouterr().err
