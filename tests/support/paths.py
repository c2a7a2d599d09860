"""Where the tests find the repository and the shipped sample, and the sample's fetch time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SAMPLE_NAME = "000_8208ed624176e593.txt"
FETCHED_AT = dt.datetime(2025, 8, 6, 12, 0, tzinfo=dt.timezone.utc)
