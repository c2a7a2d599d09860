"""pipeline/options.py cluster_flags: what `--env flink|spark` passes to the PortableRunner, read from the endpoints
file a cluster script writes, and what Beam's stager then does with it."""

from __future__ import annotations

import json
import subprocess

from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.portability.stager import Stager

from scrapeline.pipeline.options import cluster_flags

ENDPOINTS = {"job_endpoint": "localhost:8099", "process_environment_config": '{"command": "/x/boot"}',
             "parallelism": "2", "checkpoint_dir": "/tmp/ck"}


def _flags(tmp_path, monkeypatch) -> list[str]:
    (tmp_path / "flink").mkdir()
    (tmp_path / "flink" / "endpoints.json").write_text(json.dumps(ENDPOINTS))
    monkeypatch.setenv("SCRAPELINE_CLUSTER_DIR", str(tmp_path))
    return cluster_flags("flink")


def test_the_endpoints_file_becomes_portable_runner_flags(tmp_path, monkeypatch):
    options = PipelineOptions(_flags(tmp_path, monkeypatch)).get_all_options()
    assert (options["job_endpoint"], options["environment_type"], options["parallelism"]) == (
        "localhost:8099", "PROCESS", 2)
    assert options["state_backend_storage_path"] == "/tmp/ck"


def test_a_cluster_submission_runs_no_pip_freeze(tmp_path, monkeypatch):
    """Beam's stager lists the submitting environment's packages (`pip freeze`, about 1 s) unless told not to; the
    harnesses of a local cluster run this interpreter, so the list tells nobody anything."""
    calls = []
    real = subprocess.check_output

    def check_output(cmd, *args, **kwargs):
        calls.append(cmd)
        return b"" if "freeze" in cmd else real(cmd, *args, **kwargs)

    monkeypatch.setattr(subprocess, "check_output", check_output)
    staged = tmp_path / "staged"
    staged.mkdir()
    Stager.create_job_resources(PipelineOptions([]), str(staged))
    assert any("freeze" in c for c in calls), "Beam's stager no longer runs pip freeze: this test checks nothing"
    calls.clear()
    Stager.create_job_resources(PipelineOptions(_flags(tmp_path, monkeypatch)), str(staged))
    assert not [c for c in calls if "freeze" in c]
