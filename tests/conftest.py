"""Fixtures only: the reference sample (shipped in `samples/`), the config. Shared helpers are in tests/support/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from scrapeline.pipeline import speedups
from scrapeline.pipeline.config import load_config
from tests.support.paths import REPO, SAMPLE_NAME

# No per-example deadline: the first examples pay for imports and warm caches, and a machine shared with other
# work (CI) would turn that into flaky failures. The properties themselves are what the tests check.
# Under CI the examples are derandomized: CI draws the same examples on every run, so a red CI can be replayed and is
# never the luck of one draw against an unrelated change (recent Hypothesis releases load their own "ci" profile,
# which does this; set here for older ones, and never turned off). CI's property tests are thus a
# fixed regression set: runs by hand draw new examples each time, and benchmarks/fuzz.py runs thousands by number
# (a by-hand run found the empty stand-in title of a page opening with ">").
settings.register_profile("scrapeline", deadline=None, **({"derandomize": True} if os.environ.get("CI") else {}))
settings.load_profile("scrapeline")

# The tests that build Beam pipelines themselves get the construction caches the CLI runs with (pipeline/speedups.py).
speedups.install()



@pytest.fixture(scope="session")
def sample_path() -> Path:
    path = REPO / "samples" / SAMPLE_NAME  # the tests need nothing outside the repository
    assert path.is_file(), f"the reference sample is missing: {path}"
    return path


@pytest.fixture(scope="session")
def sample_text(sample_path) -> str:
    return sample_path.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def config():
    return load_config()


# The longest test files start first: with one file per process (README's command, pytest-xdist `--dist loadfile`),
# a long file scheduled last would run on alone after the others are done. About 3.5 min for the cluster runs.
LONG_FILES = ("test_clusters.py", "test_object_store.py", "test_one_writer.py", "test_tables.py", "test_fuzz.py",
              "test_warehouses.py", "test_watch.py")


def pytest_configure(config):
    # pytest-xdist 3.6+ reorders `--dist loadfile` work by each file's number of tests, largest first
    # (`--loadscope-reorder`, its default), which put the cluster file fourth on its worker, about 110 s in:
    # collection order, as sorted below, is the order wanted
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(session, config, items):
    rank = {name: i for i, name in enumerate(LONG_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(LONG_FILES)))  # stable: the rest keep their order


@pytest.hookimpl(optionalhook=True)  # xdist's hook: without the plugin (`-p no:xdist`), not an unknown hook
def pytest_xdist_auto_num_workers(config):
    """`-n auto` (README command 2): one process more than the cores, because many tests wait on a subprocess, a
    server or a JVM. Measured on 2 cores: 2 processes 7 min 38 s, 3 processes 6 min 38 s, 4 processes 6 min 39 s."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cores + 1
