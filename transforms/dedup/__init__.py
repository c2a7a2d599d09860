"""Dedup stage: exact copies and truncations (exact.py: DedupByContentHash), near-duplicates and contained copies
(near.py: MinHash/LSH; DedupNearDuplicates in exact.py), bodies kept off the shuffles (spill.py); settings in
settings.py."""

from scrapeline.transforms.dedup.exact import DedupByContentHash, DedupNearDuplicates
from scrapeline.transforms.dedup.spill import DropSpill, Hydrate, SpillBodies

__all__ = ["DedupByContentHash", "DedupNearDuplicates", "DropSpill", "Hydrate", "SpillBodies"]
