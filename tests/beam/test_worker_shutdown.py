"""The end of a multi-processing run logs nothing (pipeline/run.py `_close_data_before_control`): a worker that dies
as soon as its control stream ends must not break a data stream the runner has not closed (apache/beam#22643)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support.paths import REPO

# a small run on one worker that dies abruptly, with the runner pausing after it ends the worker's control stream
# until the worker has died
SCRIPT = """
import os, sys, tempfile, time
import apache_beam as beam
from apache_beam.runners.portability.fn_api_runner import FnApiRunner, worker_handlers
from apache_beam.transforms.environments import SubprocessSDKEnvironment
from scrapeline.pipeline import run

marker = os.path.join(tempfile.mkdtemp(), "worker-gone")
os.environ["ABRUPT_WORKER_MARKER"] = marker
ended = worker_handlers.ControlConnection.close
def end_then_pause(self):  # until the worker is gone, however slow the machine
    ended(self)
    deadline = time.monotonic() + 60
    while not os.path.exists(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(2.0)  # for the runner to see the broken stream
worker_handlers.ControlConnection.close = end_then_pause
if sys.argv[1] == "data-first":
    run._close_data_before_control()
worker = SubprocessSDKEnvironment.from_command_string(f"{sys.executable} tests/support/abrupt_worker.py")
with beam.Pipeline(runner=FnApiRunner(default_environment=worker)) as p:
    _ = p | beam.Create(range(20)) | beam.Map(lambda x: x + 1)
print("ran")
"""


def _run(order: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-c", SCRIPT, order], capture_output=True, text=True, timeout=120,
                          cwd=REPO)
    assert proc.returncode == 0 and "ran" in proc.stdout, proc.stderr[-2000:]
    return proc


def test_a_worker_that_dies_at_the_end_leaves_no_data_plane_error():
    # Beam's order (control, then data): the dead worker breaks a data stream still open, and the runner says so.
    # It is a race: on a loaded machine (a CI run) one attempt in several did not show it, so up to three are made;
    # if none shows it, the new order cannot be judged here and the test says so rather than passing.
    if not any("Failed to read inputs in the data plane" in _run("beam").stderr for _ in range(3)):
        pytest.skip("Beam's shutdown race did not show in three runs on this machine: the order cannot be judged")
    # data, then control
    assert "data plane" not in _run("data-first").stderr
