"""Multi-processing workers forked from one warm process (pipeline/workers.py), on Beam's FnApiRunner."""

from __future__ import annotations

import os
from contextlib import ExitStack

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from scrapeline.pipeline import workers
from scrapeline.pipeline.run import _local_runner

MULTI = {"direct_running_mode": "multi_processing", "direct_num_workers": 2}


def _where(tmp_path, options: dict, before_run=None) -> tuple[set[tuple[int, int]], int | None]:
    """(pid, parent pid) of the processes that ran a small ParDo, and the warm process's pid."""
    seen = tmp_path / "seen"
    seen.mkdir(exist_ok=True)

    def note(x):
        (seen / f"{os.getpid()}-{os.getppid()}").touch()
        return x * 2

    with ExitStack() as stack:
        runner = _local_runner(options, stack)
        warm = getattr(runner, "workers", None)
        warm_pid = warm.pid if warm else None
        if before_run:
            before_run(warm)
        p = beam.Pipeline(runner=runner, options=PipelineOptions(flags=[], **options))
        _ = p | beam.Create(list(range(40))) | beam.Reshuffle() | beam.Map(note)
        p.run().wait_until_finish()
    pairs = {tuple(int(x) for x in f.name.split("-")) for f in seen.iterdir()}
    return pairs, warm_pid


def test_workers_are_forks_of_the_warm_process_which_ends_with_the_run(tmp_path):
    pairs, warm_pid = _where(tmp_path, MULTI)
    assert warm_pid is not None
    assert pairs and {parent for _, parent in pairs} == {warm_pid}
    assert os.getpid() not in {pid for pid, _ in pairs}  # not run in this process
    assert not os.path.exists(f"/proc/{warm_pid}") or open(f"/proc/{warm_pid}/stat").read().split()[2] == "Z"


def test_workers_started_before_the_warm_process_is_up_wait_for_it(tmp_path):
    """A loaded machine: Beam starts its workers before the warm process has even imported its module. They wait
    in the socket's backlog (the run listens before it starts the warm process), not fall back to cold workers."""
    import signal
    import threading

    def hold(warm):
        os.kill(warm.pid, signal.SIGSTOP)  # frozen where it is, most likely before its first import
        threading.Timer(1.5, os.kill, (warm.pid, signal.SIGCONT)).start()

    pairs, warm_pid = _where(tmp_path, MULTI, before_run=hold)
    assert pairs and {parent for _, parent in pairs} == {warm_pid}


def test_without_the_warm_process_the_run_uses_beams_own_workers(tmp_path):
    pairs, warm_pid = _where(tmp_path, MULTI, before_run=lambda warm: warm.stop())
    assert pairs and warm_pid not in {parent for _, parent in pairs}


def test_the_switch_turns_it_off(monkeypatch):
    monkeypatch.setenv(workers.ENV, "0")
    with ExitStack() as stack:
        assert not hasattr(_local_runner(MULTI, stack), "workers")  # Beam's own workers: no warm process


def test_a_run_killed_with_9_leaves_no_warm_process_and_no_socket(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    run = subprocess.Popen([sys.executable, "-c", (
        "import time\nfrom scrapeline.pipeline.workers import WarmWorkers\n"
        "w = WarmWorkers().__enter__()\nprint(w.pid, w._dir, flush=True)\ntime.sleep(120)\n")],
        stdout=subprocess.PIPE, text=True)
    warm_pid, folder = run.stdout.readline().split()
    warm_pid = int(warm_pid)
    assert os.path.exists(os.path.join(folder, "warm.sock"))
    time.sleep(0.5)
    assert _alive(warm_pid)
    run.send_signal(signal.SIGKILL)
    run.wait()
    deadline = time.monotonic() + 60  # it notices once its imports are done
    while _alive(warm_pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(warm_pid)
    assert not os.path.exists(folder)  # the socket's folder went with it


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_run_started_with_stdin_closed_still_gets_its_warm_process():
    """With fd 0 closed the socket could be fd 0, which the warm process's stdin pipe would replace."""
    import shlex
    import subprocess
    import sys

    code = ("import time\nfrom scrapeline.pipeline.workers import WarmWorkers\nw = WarmWorkers().__enter__()\n"
            "time.sleep(2.5)\nprint('running' if w._proc.poll() is None else 'ended', flush=True)\nw.stop()\n")
    out = subprocess.run(f"{shlex.quote(sys.executable)} -c {shlex.quote(code)} 0<&-", shell=True, capture_output=True,
                         text=True, timeout=120)
    assert out.stdout.split()[-1:] == ["running"], out.stderr[-2000:]
