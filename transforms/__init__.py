"""Beam transforms of scrapeline, by stage: one public PTransform per concept, pure functions beneath.

    read/     ReadDumps: files -> Pages (text dumps, HTML, JSONL, WARC/ARC; compressed or not)
    extract/  ExtractArticles: Pages -> Articles, Teasers (split, clean, metadata)
    dedup/    DedupByContentHash, DedupNearDuplicates; SpillBodies/Hydrate keep bodies off the shuffles
    output/   WritePartitionedParquet (atomic commit), readers of stored data, RecordLateDuplicates
    link.py   LinkTeasers: teasers <-> their full articles
    streaming.py  the streaming forms: DiscoverDumps, DedupStream, WriteWindowedParquet
    core/     records and schemas, metrics, storage paths, content keys, times, value checks

Dependencies point one way: core <- {read, extract, dedup, output} <- {link, streaming} <- pipeline/. The four
middle stages never import each other (tests/unit/test_layers.py holds this).
"""
