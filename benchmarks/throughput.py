"""End-to-end batch throughput on DirectRunner: N generated text dumps -> Parquet. Prints figures.

    .venv/bin/python benchmarks/throughput.py [--dumps 2000] [--runner FnApiRunner|--env multiprocess]

Each dump is the reference sample with a tag per dump, so its 3 stories are new in every dump (the duplicated
"US charges" pair stays a duplicate within each dump). Reports wall time, dumps/s, articles/s and
the peak RSS of this process (the in-process runner's workers included).
"""

import argparse
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from scrapeline.pipeline.cli import main as cli_main

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "000_8208ed624176e593.txt"


def make_dumps(dir_: Path, n: int) -> None:
    text = SAMPLE.read_text(encoding="utf-8")
    lines = text.split("\n")
    rng = random.Random(7)
    for i in range(n):
        # Make every article of this dump unique across dumps (same tag for all its lines, so the two copies of
        # one story inside a dump stay one story).
        tag = f"ref{i}x{rng.randrange(10**6)}"
        out = [f"{tag} {ln}" if len(ln) > 200 else ln for ln in lines]
        (dir_ / f"dump_{i:05d}.txt").write_text("\n".join(out), encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dumps", type=int, default=2000)
    args, beam_args = ap.parse_known_args()
    with tempfile.TemporaryDirectory() as tmp:
        inp, out = Path(tmp) / "in", Path(tmp) / "out"
        inp.mkdir()
        make_dumps(inp, args.dumps)
        t = time.perf_counter()
        code = cli_main(["run", str(inp), "--output", str(out), "--fetched-at", "2025-08-06T12:00:00Z",
                         *(beam_args or ["--runner=FnApiRunner"])])
        wall = time.perf_counter() - t
        files = sum(1 for _ in (out / "articles").rglob("*.parquet"))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"\n{args.dumps} dumps ({args.dumps * 4} articles extracted) in {wall:.1f} s: "
          f"{args.dumps / wall:.1f} dumps/s, {args.dumps * 4 / wall:.0f} articles/s; {files} Parquet files; "
          f"peak RSS {rss:.0f} MiB (children {child:.0f} MiB); exit {code}")
    return code


if __name__ == "__main__":
    sys.exit(main())
