"""Fixtures only: the reference sample (shipped in `samples/`), the config. Shared helpers are in tests/support/."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

from scrapeline.pipeline import speedups
from scrapeline.pipeline.config import load_config
from tests.support.paths import REPO, SAMPLE_NAME

# No per-example deadline: the first examples pay for imports and warm caches, and a machine shared with other
# work (CI) would turn that into flaky failures. The properties themselves are what the tests check.
settings.register_profile("scrapeline", deadline=None)
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
