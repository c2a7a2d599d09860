"""A Python stand-in for Beam's SDK container boot program (Go `boot` in the SDK images).

Implements the "container contract" the runners use to start a Python SDK harness without
Docker:

    beam_boot.py --id=ID --provision_endpoint=H:P --control_endpoint=H:P \
                 --logging_endpoint=H:P --artifact_endpoint=H:P [--semi_persist_dir=DIR]

It asks the runner's provision service for the pipeline options and endpoints, fetches the
staged artifacts (pickled main session, requirements files, packages: downloaded into
<semi_persist_dir>/staged but NOT pip-installed: the interpreter running this must already
have the pipeline's code and dependencies), then execs
`python -m apache_beam.runners.worker.sdk_worker_main` with the environment it expects.

Used three ways (see NOTES.md):
  * --environment_type=PROCESS --environment_config='{"command": "<state>/bin/beam-boot"}':
    each Flink TaskManager / Spark executor starts its own harness processes (children of
    that JVM), no worker pool needed;
  * by worker_pool.py for --environment_type=EXTERNAL;
  * by zygote.py, which runs `prepare` and the harness in a process forked from one that has already imported
    Beam and the pipeline's modules (no exec: a harness starts in a fraction of a second instead of 3-6 s).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile

import grpc
from google.protobuf import json_format, text_format

from apache_beam.portability.api import (
    beam_artifact_api_pb2,
    beam_artifact_api_pb2_grpc,
    beam_provision_api_pb2,
    beam_provision_api_pb2_grpc,
    beam_runner_api_pb2,
    endpoints_pb2,
)

_LOG = logging.getLogger("beam_boot")
STAGING_TO_URN = "beam:artifact:role:staging_to:v1"
FILE_URN = "beam:artifact:type:file:v1"


def _endpoint(url: str) -> str:
    return text_format.MessageToString(endpoints_pb2.ApiServiceDescriptor(url=url), as_one_line=True)


def fetch_artifacts(artifact_url: str, deps, staged_dir: str, worker_id: str) -> list[str]:
    os.makedirs(staged_dir, exist_ok=True)
    names = []
    with grpc.insecure_channel(artifact_url, options=[("grpc.max_receive_message_length", -1)]) as ch:
        stub = beam_artifact_api_pb2_grpc.ArtifactRetrievalServiceStub(ch)
        for dep in deps:
            name = None
            if dep.role_urn == STAGING_TO_URN:
                name = beam_runner_api_pb2.ArtifactStagingToRolePayload.FromString(dep.role_payload).staged_name
            if not name:
                continue
            path = os.path.join(staged_dir, name)
            with open(path + ".part", "wb") as out:
                for chunk in stub.GetArtifact(beam_artifact_api_pb2.GetArtifactRequest(artifact=dep),
                                              metadata=[("worker_id", worker_id)]):
                    out.write(chunk.data)
            os.replace(path + ".part", path)
            names.append(name)
    return names


def prepare(argv=None) -> dict:
    """Ask the provision service for the options and endpoints, fetch the staged artifacts, and return the
    environment `sdk_worker_main` expects (the parent's environment plus the harness variables)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--id", default=os.environ.get("WORKER_ID", ""))
    ap.add_argument("--provision_endpoint", required=True)
    ap.add_argument("--control_endpoint", default="")
    ap.add_argument("--logging_endpoint", default="")
    ap.add_argument("--artifact_endpoint", default="")
    ap.add_argument("--semi_persist_dir", default=os.environ.get("BEAM_BOOT_SEMI_PERSIST_DIR"))
    args, _ = ap.parse_known_args(argv)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s beam_boot[%(process)d] %(message)s")

    md = [("worker_id", args.id)]
    with grpc.insecure_channel(args.provision_endpoint) as ch:
        info = beam_provision_api_pb2_grpc.ProvisionServiceStub(ch).GetProvisionInfo(
            beam_provision_api_pb2.GetProvisionInfoRequest(), metadata=md).info

    control = info.control_endpoint.url or args.control_endpoint
    logging_url = info.logging_endpoint.url or args.logging_endpoint
    artifact = info.artifact_endpoint.url or args.artifact_endpoint
    semi = args.semi_persist_dir or tempfile.mkdtemp(prefix=f"beam-boot-{args.id}-")
    semi = os.path.join(semi, f"worker-{args.id}-{os.getpid()}")
    os.makedirs(semi, exist_ok=True)

    staged = []
    if artifact and info.dependencies:
        try:
            staged = fetch_artifacts(artifact, info.dependencies, os.path.join(semi, "staged"), args.id)
        except grpc.RpcError as e:  # not fatal: the interpreter already has the code
            _LOG.warning("could not fetch staged artifacts: %s", e)
    unused = [n for n in staged if n.endswith((".whl", ".tar.gz", ".zip")) or n == "requirements.txt"]
    if unused:
        _LOG.warning("staged packages are not installed by this boot (use a prepared venv): %s", unused)

    env = dict(os.environ)
    env.update({
        "WORKER_ID": args.id,
        "PIPELINE_OPTIONS": json_format.MessageToJson(info.pipeline_options),
        "SEMI_PERSISTENT_DIRECTORY": semi,
        "CONTROL_API_SERVICE_DESCRIPTOR": _endpoint(control),
        "LOGGING_API_SERVICE_DESCRIPTOR": _endpoint(logging_url),
        "RUNNER_CAPABILITIES": " ".join(info.runner_capabilities),
    })
    if info.status_endpoint.url:
        env["STATUS_API_SERVICE_DESCRIPTOR"] = _endpoint(info.status_endpoint.url)
    _LOG.info("worker %s: control %s, logging %s, %d artifact(s) staged", args.id, control,
              logging_url, len(staged))
    return env


def main(argv=None) -> None:
    env = prepare(argv)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, "-m", "apache_beam.runners.worker.sdk_worker_main"], env)


if __name__ == "__main__":
    main()
