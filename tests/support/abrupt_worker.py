"""An SDK worker that dies the moment its control stream ends, without closing its data channels: what a forked
worker's `os._exit` does on a loaded machine (tests/beam/test_worker_shutdown.py). Run as a worker command."""

import os

from apache_beam.runners.worker import data_plane, sdk_worker_main

data_plane.GrpcClientDataChannelFactory.close = lambda self: os._exit(0)
sdk_worker_main.main([])
