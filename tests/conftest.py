"""Shared fixtures: the reference sample (shipped in `samples/`), the config."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import settings

from scrapeline.pipeline.config import load_config

# No per-example deadline: the first examples pay for imports and warm caches, and a machine shared with other
# work (CI) would turn that into flaky failures. The properties themselves are what the tests check.
settings.register_profile("scrapeline", deadline=None)
settings.load_profile("scrapeline")

REPO = Path(__file__).resolve().parent.parent
SAMPLE_NAME = "000_8208ed624176e593.txt"
FETCHED_AT = dt.datetime(2025, 8, 6, 12, 0, tzinfo=dt.timezone.utc)


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
