"""The near-duplicate stage's settings (`dedup.near:` in configs/default.yaml)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["NearDupSettings"]
@dataclass(frozen=True)
class NearDupSettings:
    """The near-duplicate stage's thresholds (configs/default.yaml `dedup.near`, where each is justified)."""

    enabled: bool = True
    shingle_words: int = 5
    bands: int = 32
    rows: int = 2
    jaccard: float = 0.8
    containment: float = 0.7
    min_words: int = 50
    max_size_ratio: float = 5.0

    @property
    def num_perm(self) -> int:
        return self.bands * self.rows
