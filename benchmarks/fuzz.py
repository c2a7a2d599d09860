"""The long fuzz run of issue 7: N mutated real inputs (tests/support/mutations.py) through the pipeline's pure read and
extract functions, each checked as in the suite's fuzz test (nothing raises, every record is valid for Arrow,
no page from a binary or a bomb, every file leaves a trace). Prints the count, what came out, the slowest cases
and every failure with the case number that replays it.

    .venv/bin/python benchmarks/fuzz.py --cases 100000 [--start 0] [--workers 2] [--dev-seeds 50]

`--dev-seeds N` mutates N real pages of ../shared/data/wcxb-dev-articles (the last N by id, which no test
uses: a final check on data nobody tuned on) instead of the inputs shipped in the repo.
"""

from __future__ import annotations

import dataclasses

import argparse
import collections
import logging
import multiprocessing as mp
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.mutations import MB, Seed, check_case, mutate, seeds  # noqa: E402

LIMIT_MB = 8


def dev_seeds(n: int) -> list[Seed]:
    import gzip

    html = sorted((Path(__file__).resolve().parent.parent.parent / "shared/data/wcxb-dev-articles/html").glob("*.html.gz"))
    return [Seed(p.name.removesuffix(".gz"), gzip.decompress(p.read_bytes())) for p in html[-n:]]


def _work(args: tuple[int, int, int]) -> tuple[collections.Counter, collections.Counter, list, list]:
    start, stop, n_dev = args
    logging.disable(logging.CRITICAL)
    from scrapeline.pipeline.config import load_config

    config = load_config()
    settings = dataclasses.replace(config.read_settings(), max_file_bytes=LIMIT_MB * MB, excerpt_chars=500)
    all_seeds = dev_seeds(n_dev) if n_dev else seeds()
    totals, mutations = collections.Counter(), collections.Counter()
    failures, slow = [], []
    with tempfile.TemporaryDirectory() as d:
        for n in range(start, stop):
            case = mutate(all_seeds[n % len(all_seeds)], random.Random(n), LIMIT_MB)
            mutations.update(case.mutations)
            path = Path(d) / case.name
            path.write_bytes(case.data)
            t = time.perf_counter()
            try:
                totals.update(check_case(path, case, config, settings))
            except BaseException as e:  # noqa: BLE001  (a failure is reported, the run goes on)
                failures.append((n, case.name, case.mutations, "".join(traceback.format_exception_only(e)).strip()))
            slow.append((time.perf_counter() - t, n, case.mutations))
            path.unlink()
            totals["cases"] += 1
    return totals, mutations, failures, sorted(slow, reverse=True)[:5]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--start", type=int, default=0, help="first case number (cases are replayable by number)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--dev-seeds", type=int, default=0)
    a = ap.parse_args()
    t0 = time.time()
    step = 500
    chunks = [(i, min(i + step, a.start + a.cases), a.dev_seeds) for i in range(a.start, a.start + a.cases, step)]
    totals, mutations, failures, slow = collections.Counter(), collections.Counter(), [], []
    with mp.get_context("spawn").Pool(a.workers) as pool:
        for done, (t, m, f, s) in enumerate(pool.imap_unordered(_work, chunks), 1):
            totals += t
            mutations += m
            failures += f
            slow = sorted(slow + s, reverse=True)[:5]
            if done % 10 == 0 or done == len(chunks):
                print(f"  {totals['cases']} cases, {len(failures)} failures, {time.time() - t0:.0f} s", flush=True)
    print(f"fuzz: {totals['cases']} cases of {'%d dev pages' % a.dev_seeds if a.dev_seeds else 'the repo seeds'} (numbers {a.start}..{a.start + a.cases - 1}) in {time.time() - t0:.0f} s, "
          f"{len(failures)} failures")
    print(f"  out: {totals['pages']} pages, {totals['articles']} articles, {totals['dead_letters']} dead letters, "
          f"{totals['skipped']} skipped records")
    print("  mutations: " + ", ".join(f"{k} {v}" for k, v in mutations.most_common()))
    print("  slowest: " + "; ".join(f"#{n} {sec:.2f} s {'+'.join(m)}" for sec, n, m in slow))
    for n, name, muts, err in failures[:50]:
        print(f"  FAIL #{n} {name} {'+'.join(muts)}: {err}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
