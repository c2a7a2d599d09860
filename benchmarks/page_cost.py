"""CPU a page of the per-page work (reading a WARC and `extract_page`: split, metadata, cleaning), in one process.

    .venv/bin/python benchmarks/page_cost.py WARC [--package-dir DIR]

`--package-dir`: a folder holding `scrapeline` (a symlink to another checkout of the repository), put first on the
import path, to time an older version in the same way; run the two alternately, several times (the machine is
shared: compare only within one sitting). Prints pages/s and CPU milliseconds a page; asserts nothing. A WARC of
the dev pages: `benchmarks/scale.py`'s `build_warc(dev_dir, 709, path, distinct=709)`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("warc")
    ap.add_argument("--package-dir", default=None)
    args = ap.parse_args()
    if args.package_dir:
        sys.path.insert(0, args.package_dir)
    else:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from scrapeline.pipeline.config import load_config
    from scrapeline.transforms.core.records import Page
    from scrapeline.transforms.extract.articles import extract_page
    from scrapeline.transforms.read.dumps import read_dump

    cfg = load_config()
    fetched = dt.datetime(2026, 4, 1, tzinfo=dt.timezone.utc)
    settings = cfg.read_settings(fetched)
    for page in [p for p in read_dump(args.warc, None, settings) if isinstance(p, Page)][:5]:  # warm up
        list(extract_page(page, cfg.extract, None, fetched, "bench"))
    t0, c0 = time.perf_counter(), time.process_time()
    pages = outputs = 0
    for page in read_dump(args.warc, None, settings):
        if isinstance(page, Page):
            pages += 1
            outputs += sum(1 for _ in extract_page(page, cfg.extract, None, fetched, "bench"))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"{args.package_dir or 'this checkout'}: {pages} pages in {wall:.1f} s: {pages / wall:.1f} pages/s, "
          f"{cpu / max(pages, 1) * 1000:.1f} ms CPU a page, {outputs} outputs")


if __name__ == "__main__":
    main()
