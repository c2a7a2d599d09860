"""The batch job's own functions in a plain Python loop, without Beam: the yardstick for Beam's overhead.

    .venv/bin/python benchmarks/plain_loop.py INPUT_FILE OUTPUT_DIR [--fetched-at 2026-04-01T00:00:00Z]

Reads one dump file with `read_dump`, extracts with `extract_page`, resolves exact copies with `resolve_group`,
near-duplicates with the functions of transforms/dedup/near.py and `resolve_near` (band keys, candidate pairs,
verification, components), and writes one Parquet file per partition with `write_parquet_file`. Everything is in
memory (no spill, no shuffles, no cross-run reads: an empty output): what the pipeline does, minus what Beam and
flat memory cost. Prints seconds, pages and rows. benchmarks/scale.py runs it beside the pipeline.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scrapeline.pipeline.config import load_config  # noqa: E402
from scrapeline.pipeline.graph import article_partition  # noqa: E402
from scrapeline.transforms.core.records import BandEntry
from scrapeline.transforms.dedup.exact import candidate_pairs, resolve_group, resolve_near
from scrapeline.transforms.extract.articles import extract_page
from scrapeline.transforms.core.keys import body_shingles
from scrapeline.transforms.dedup.near import clusters, compare
from scrapeline.transforms.read.dumps import read_dump
from scrapeline.transforms.core.records import ARTICLE_SCHEMA, Article, Page
from scrapeline.transforms.dedup.spill import article_bands
from scrapeline.transforms.output.write import write_parquet_file


def run(path: str, out: Path, fetched_at: dt.datetime) -> tuple[int, int]:
    cfg = load_config()
    s = cfg.near
    now = dt.datetime.now(dt.timezone.utc)
    settings = cfg.read_settings(fetched_at)
    pages = 0
    by_key: dict[str, list[Article]] = defaultdict(list)
    for page in read_dump(path, None, settings):
        if not isinstance(page, Page):
            continue
        pages += 1
        for a in extract_page(page, cfg, None, now, "plain"):
            if isinstance(a, Article):
                by_key[a.story_key].append(a)
    unique = [k for group in by_key.values() for k in resolve_group(group, [], cfg.lead_words).kept]
    if s.enabled:
        buckets: dict[int, list[BandEntry]] = defaultdict(list)
        for a in unique:
            keys, n = article_bands(a, s)
            for k in keys:
                buckets[k].append(BandEntry(a.article_id, n))
        pairs = {p for b in buckets.values() for p in (candidate_pairs(b, s, 1000) or ())}
        by_id = {a.article_id: a for a in unique}
        sh = {i: body_shingles(by_id[i].body, s.shingle_words) for p in pairs for i in p}
        edges = [(x, y) for x, y in sorted(pairs) if compare(*sh[x], *sh[y], s)]
        roots = clusters({i for e in edges for i in e}, edges)
        members: dict[str, list[Article]] = defaultdict(list)
        single = []
        for a in unique:
            (members[roots[a.article_id]].append(a) if a.article_id in roots else single.append(a))
        unique = single + [k for m in members.values() for k in resolve_near(m, [], s).kept]
    parts: dict[str, list[dict]] = defaultdict(list)
    from scrapeline.transforms.core.records import record_to_row

    for a in unique:
        parts[article_partition(a)].append(record_to_row(a))
    for n, (part, rows) in enumerate(sorted(parts.items())):
        d = out / "articles" / part
        d.mkdir(parents=True, exist_ok=True)
        write_parquet_file(str(d / f"part-{n:05d}.parquet"), rows, ARTICLE_SCHEMA, cfg.compression)
    return pages, len(unique)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input")
    ap.add_argument("output", type=Path)
    ap.add_argument("--fetched-at", default="2026-04-01T00:00:00Z")
    args = ap.parse_args()
    t = time.perf_counter()
    pages, rows = run(args.input, args.output, dt.datetime.fromisoformat(args.fetched_at.replace("Z", "+00:00")))
    print(f"plain loop: {time.perf_counter() - t:.1f} s, {pages} pages, {rows} rows")


if __name__ == "__main__":
    main()
