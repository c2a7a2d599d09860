"""The near-duplicate stage's settings (`dedup.near:` in configs/default.yaml)."""

from __future__ import annotations

from dataclasses import dataclass

from scrapeline.transforms.core.checks import check_bool, check_fraction, check_int

__all__ = ["NearDupSettings"]
@dataclass(frozen=True)
class NearDupSettings:
    """The near-duplicate stage's thresholds (configs/default.yaml `dedup.near`, where each is justified)."""

    enabled: bool
    shingle_words: int
    """Words per shingle."""
    bands: int
    rows: int
    """LSH: `bands` band keys of `rows` MinHash values each (num_perm = bands x rows)."""
    jaccard: float
    """Two bodies at least this similar (Jaccard of shingles) are one story."""
    containment: float
    """A body with at least this share of its shingles inside a larger one is a cut-down copy of it."""
    min_words: int
    """Shorter bodies are left to the exact stage."""
    max_size_ratio: float
    """A copy may be at most this many times smaller than the story it is contained in."""

    def __post_init__(self) -> None:
        check_bool(self.enabled, "dedup.near.enabled")
        for key in ("shingle_words", "bands", "rows", "min_words"):
            check_int(getattr(self, key), f"dedup.near.{key}", 1)
        check_fraction(self.jaccard, "dedup.near.jaccard")
        check_fraction(self.containment, "dedup.near.containment")
        check_fraction(self.max_size_ratio, "dedup.near.max_size_ratio", 1.0, 1000.0)

    @property
    def num_perm(self) -> int:
        return self.bands * self.rows
