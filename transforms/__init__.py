"""Beam transforms of scrapeline: one public PTransform per concept, pure functions beneath.

ReadDumps (read.py) -> ExtractArticles (extract.py: split.py, clean.py, metadata.py, hashing.py)
-> DedupByContentHash (dedup.py) -> WritePartitionedParquet (write.py). Records and schemas: records.py.
"""
