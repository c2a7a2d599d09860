"""Issue #4 acceptance: `scrapeline watch` ingests dumps as they land, each exactly once, across a restart."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from scrapeline.pipeline.watch import Watcher
from scrapeline.transforms.read import DumpFile
from tests.support import killpoints
from tests.support.paths import REPO, SAMPLE_NAME
from tests.support.outputs import table_rows

TARIFF = "Trump tariff threats loom over China's Russian oil purchases, following his move on India"


def _exe() -> list[str]:
    exe = shutil.which("scrapeline", path=str(REPO / ".venv" / "bin")) or shutil.which("scrapeline")
    return [exe] if exe else [sys.executable, "-m", "scrapeline"]


def _start(inp: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [*_exe(), "watch", str(inp), "--output", str(out), "--poll-interval", "0.2s", "--settle", "0.5s",
         "--run-seconds", "240", "--fetched-at", "2025-08-06T12:00:00Z", "--runner=FnApiRunner"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def _summaries(out: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((out / "_runs").glob("*.json"))] if (out / "_runs").exists() else []


def _wait_for_runs(out: Path, n: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while len(_summaries(out)) < n:
        if proc.poll() is not None:
            raise AssertionError(f"watch exited early ({proc.returncode}): {proc.stdout.read()[-3000:]}")
        if time.time() > deadline:
            raise AssertionError(f"no run {n} after {timeout}s")
        time.sleep(0.2)


def _wait_for_line(proc: subprocess.Popen, text: str) -> None:
    """Read the watcher's output until a line holding `text` (kept for _stop)."""
    proc.lines = getattr(proc, "lines", [])
    for line in proc.stdout:
        proc.lines.append(line)
        if text in line:
            return
    raise AssertionError(f"watch exited ({proc.wait()}) before saying {text!r}: {''.join(proc.lines)[-3000:]}")


def _stop(proc: subprocess.Popen) -> str:
    proc.send_signal(signal.SIGTERM)
    output, _ = proc.communicate(timeout=120)
    output = "".join(getattr(proc, "lines", [])) + output
    assert proc.returncode == 0, output[-3000:]
    assert "stopping after the batch in flight" in output
    return output


def _tariff_html(sample_text: str) -> str:
    lines = sample_text.split("\n")
    body = lines[lines.index(TARIFF) + 1]
    sentences = body.split(". ")
    paras = "".join(f"<p>{'. '.join(sentences[i:i + 3])}.</p>" for i in range(0, len(sentences), 3))
    return (f"<html><head><title>China oil and tariffs | Wire Review</title>"
            f"<meta property='og:site_name' content='Wire Review'></head><body><article>"
            f"<h1>China oil and tariffs</h1>{paras}</article></body></html>")


def test_watch_ingests_each_file_once_across_a_restart(tmp_path, sample_path, sample_text):
    inp, out = tmp_path / "landing", tmp_path / "out"
    inp.mkdir()
    first = _start(inp, out)
    try:
        _wait_for_line(first, "already ingested")  # watching: the file lands after the watcher started
        shutil.copy(sample_path, inp / SAMPLE_NAME)
        _wait_for_runs(out, 1, first)
        (inp / "wire.html").write_text(_tariff_html(sample_text))
        _wait_for_runs(out, 2, first)
    finally:
        _stop(first)

    second = _start(inp, out)  # restart: the two committed files must not be read again
    try:
        (inp / "new.txt").write_text(
            "Rail strike called off after overnight talks\n"
            "Train drivers called off next week's strike after overnight talks produced a pay offer that union "
            "leaders said they would put to members, ending a dispute that had disrupted services for months.\n")
        _wait_for_runs(out, 3, second)
        # A sentinel settles only after two more polls: by its run the watcher has listed the committed files
        # again at least twice, and must not have read any of them again.
        (inp / "sentinel.txt").write_text("Sentinel\n" + " ".join(f"word{i}" for i in range(40)) + ".\n")
        _wait_for_runs(out, 4, second)
    finally:
        log = _stop(second)
    assert "2 file(s) already ingested" in log

    runs = _summaries(out)
    ingested = [Path(f["path"]).name for s in runs for f in s["files"]]
    assert sorted(ingested) == sorted([SAMPLE_NAME, "wire.html", "new.txt", "sentinel.txt"])  # each exactly once
    rows = table_rows(out)
    titles = sorted(r["title"] for r in rows)
    assert len(titles) == 5 and "Rail strike called off after overnight talks" in titles
    tariff = next(r for r in rows if r["title"] == TARIFF)
    assert tariff["duplicate_count"] == 1 and "China oil and tariffs" in tariff["duplicate_titles"]
    assert "Wire Review" in tariff["duplicate_sources"]
    assert not (out / "_temporary").exists() or not list((out / "_temporary").iterdir())


def test_watcher_waits_for_files_to_settle(tmp_path):
    clock = [1000.0]
    batches = []
    w = Watcher(str(tmp_path / "**"), str(tmp_path / "out"), lambda b: batches.append(b) or 0,
                poll_interval=1, settle=5, clock=lambda: clock[0], sleep=lambda s: None)
    f = tmp_path / "a.txt"
    f.write_text("Title\nbody")
    os.utime(f, (1000, 1000))
    assert w.ready() == []  # first sighting
    clock[0] = 1003
    assert w.ready() == []  # unchanged, but modified 3 s ago < settle
    f.write_text("Title\nbody grows")
    os.utime(f, (1004, 1004))
    clock[0] = 1010
    assert w.ready() == []  # changed since the last poll
    clock[0] = 1011
    ready = w.ready()
    assert [st.path for st in ready] == [str(f)] and ready[0] == DumpFile(str(f), f.stat().st_size, 1004.0)


def test_watcher_stops_on_idle_timeout_and_skips_ingested(tmp_path):
    clock = [0.0]

    def sleep(s):
        clock[0] += s

    f = tmp_path / "in" / "a.txt"
    f.parent.mkdir()
    f.write_text("Title\nbody")
    os.utime(f, (0, 0))
    batches = []
    w = Watcher(str(tmp_path / "in" / "**"), str(tmp_path / "out"), lambda b: batches.append(b) or 0,
                poll_interval=1, settle=0, idle_timeout=5, clock=lambda: clock[0], sleep=sleep)
    assert w.run() == 0
    assert len(batches) == 1 and w.batches == 1  # once, though it stayed there for every later poll


def test_idle_timeout_waits_for_a_file_still_being_written(tmp_path):
    """A file written from t=2 s to t=8 s, with --idle-timeout 4: it is ingested (the watcher once left at 6.8 s)."""
    clock = [0.0]
    f = tmp_path / "in" / "a.txt"
    f.parent.mkdir()

    def sleep(s):
        clock[0] += s
        if 2 <= clock[0] <= 8:  # the writer appends a line a second
            with f.open("a") as fh:
                fh.write("Title\n" if clock[0] == 2 else "more body words\n")
            os.utime(f, (clock[0], clock[0]))

    batches = []
    w = Watcher(str(tmp_path / "in" / "**"), str(tmp_path / "out"), lambda b: batches.append(b) or 0,
                poll_interval=1, settle=2, idle_timeout=4, clock=lambda: clock[0], sleep=sleep)
    assert w.run() == 0
    assert [len(b) for b in batches] == [1] and batches[0][0].size == f.stat().st_size  # the whole file, once
    assert clock[0] >= 8 + 2 + 4  # settled after the last write, then idle for the timeout


@pytest.mark.parametrize("bad", [dict(poll_interval=0), dict(settle=-1), dict(max_batch_files=0)])
def test_watcher_checks_arguments(tmp_path, bad):
    with pytest.raises(ValueError):
        Watcher(str(tmp_path), str(tmp_path), lambda b: 0, **bad)


def test_a_failed_batch_stops_the_watcher_and_leaves_its_files_for_the_next_start(tmp_path):
    f = tmp_path / "in" / "a.txt"
    f.parent.mkdir()
    f.write_text("Title\nbody")
    os.utime(f, (0, 0))
    clock = [100.0]
    w = Watcher(str(tmp_path / "in" / "**"), str(tmp_path / "out"), lambda b: 1, poll_interval=1, settle=0,
                idle_timeout=5, clock=lambda: clock[0], sleep=lambda s: clock.__setitem__(0, clock[0] + s))
    assert w.run() == 1
    assert w.batches == 0 and DumpFile(str(f), f.stat().st_size, 0.0).key not in w.ingested


def test_two_sigints_during_a_batch_stop_watch_at_once_even_while_the_runner_holds_sigint(tmp_path):
    """Ctrl-C twice during the first batch exits 130 at once. The batch is held inside its first DoFn the way
    Beam's job-server wrapper holds a portable run's main thread (its own SIGINT handler installed, its lock
    held; that handler deadlocks): a watcher whose stop relied on a main-thread `signal.signal` handler ran on."""
    inp, out = tmp_path / "landing", tmp_path / "out"
    inp.mkdir()
    for i in range(3):
        (inp / f"d{i}.txt").write_text(f"Story {i} about the harbour\n\n" + " ".join(f"w{i}x{j}" for j in range(80)))
    hook = killpoints.prepare_dir(tmp_path / "hook")
    env = {**os.environ, "SCRAPELINE_KILLPOINT": "jobserver", "SCRAPELINE_KILLPOINT_DIR": str(hook)}
    proc = subprocess.Popen([sys.executable, "-c", killpoints.LAUNCH, "watch", str(inp), "--output", str(out),
                             "--poll-interval", "0.2s", "--settle", "0s", "--fetched-at", "2025-08-06T12:00:00Z"],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        killpoints.wait_reached(hook, proc)  # the first batch is running, held in its first DoFn
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr] + [lines.put("")],
                         daemon=True).start()
        proc.send_signal(signal.SIGINT)
        seen = []
        while not seen or "stopping after the batch in flight" not in seen[-1]:  # the first one is taken
            try:
                seen.append(lines.get(timeout=60))
            except queue.Empty:
                raise AssertionError(f"watch did not take the first SIGINT: {''.join(seen)[-3000:]}") from None
            assert seen[-1], f"watch ended before it said it would stop: {''.join(seen)[-3000:]}"
        proc.send_signal(signal.SIGINT)  # a second Ctrl-C (two sent at once are one pending signal)
        proc.wait(timeout=60)
        while (line := lines.get(timeout=60)) != "":
            seen.append(line)
        err = "".join(seen)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err[-3000:]
    lines = [line.split(" ", 1)[1] for line in err.splitlines() if " scrapeline watch: stopping" in line]
    assert lines == ["scrapeline watch: stopping after the batch in flight",
                     "scrapeline watch: stopping now, the batch in flight was not committed"], err[-3000:]
    assert not list((out / "_runs").glob("*.json")) if (out / "_runs").exists() else True  # nothing committed
