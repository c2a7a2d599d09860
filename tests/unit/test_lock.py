"""Issue 7 item 2: one writer per output (pipeline/lock.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from pipeline.lock import OutputLock, OutputLocked

_HOLD = ("import sys, time; from pipeline.lock import OutputLock; OutputLock(sys.argv[1], 'run').acquire(); "
         "print('held', flush=True); time.sleep(60)")


def _holder(out):
    p = subprocess.Popen([sys.executable, "-c", _HOLD, str(out)], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "held"
    return p


def test_a_second_writer_is_refused_naming_the_holder(tmp_path):
    p = _holder(tmp_path)
    try:
        with pytest.raises(OutputLocked) as e:
            OutputLock(str(tmp_path), "compact").acquire()
        assert f"pid {p.pid}" in str(e.value) and "scrapeline run" in str(e.value)
    finally:
        p.kill()
        p.wait()


def test_a_stale_lock_is_taken_over_and_temporary_cleaned(tmp_path, capsys):
    p = _holder(tmp_path)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    (tmp_path / "_temporary" / "dead-run-articles").mkdir(parents=True)
    lock = OutputLock(str(tmp_path), "run").acquire()
    err = capsys.readouterr().err
    assert "took over" in err and f"pid {p.pid}" in err and "removed 1 entry" in err
    assert json.loads((tmp_path / "_lock.json").read_text())["pid"] == os.getpid()
    assert os.listdir(tmp_path / "_temporary") == []
    lock.release()
    OutputLock(str(tmp_path), "run").acquire().release()  # released: free again, no takeover message
    assert "took over" not in capsys.readouterr().err


def test_cli_run_and_compact_refused_with_exit_2_while_held(tmp_path, capsys):
    from pipeline.cli import main

    (tmp_path / "out" / "articles").mkdir(parents=True)
    p = _holder(tmp_path / "out")
    try:
        start = time.time()
        assert main(["run", "--output", str(tmp_path / "out")]) == 2
        assert main(["compact", str(tmp_path / "out"), "--table", "articles"]) == 2
        err = capsys.readouterr().err
        assert err.count("one writer per output") == 2 and time.time() - start < 30
    finally:
        p.kill()
        p.wait()
