"""An SDK worker that dies the moment its control stream ends, without closing its data channels: what a forked
worker's `os._exit` does on a loaded machine (tests/beam/test_worker_shutdown.py). Run as a worker command."""

import os

from apache_beam.runners.worker import data_plane, sdk_worker_main


def _die(self) -> None:
    marker = os.environ.get("ABRUPT_WORKER_MARKER")
    if marker:  # tell the runner's test when the worker is about to be gone
        open(marker, "w").close()
    os._exit(0)


data_plane.GrpcClientDataChannelFactory.close = _die
sdk_worker_main.main([])
