"""Latency of `scrapeline watch` at its default settings: from the moment a dump settles to the moment its
articles are readable in the output. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/watch_latency.py [--files 24] [--gap 2.5] [--preload-dumps 10000]

Starts `scrapeline watch` (defaults: poll 1 s, settle 2 s, DirectRunner in-process) on an empty directory,
writes `--files` text dumps one every `--gap` seconds (each a new story), and polls the output with DuckDB
until each dump's title is readable. A dump "settles" `settle` seconds after its last write (the watcher reads
nothing younger), so latency = readable time - (write time + settle); the time from the write is printed too.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parent.parent
SETTLE = 2.0  # the watcher's default --settle


def story(i: int) -> str:
    words = " ".join(f"w{(i * 7919 + k * 104729) % 100003}" for k in range(120))
    return f"Benchmark story number {i}\nThe benchmark story {i} says: {words}.\n"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=24)
    ap.add_argument("--gap", type=float, default=2.5)
    ap.add_argument("--preload-dumps", type=int, default=0,
                    help="First ingest this many generated dumps (3 stories each) with `run`, so the watcher works "
                         "against a populated output.")
    args = ap.parse_args()
    exe = REPO / ".venv" / "bin" / "scrapeline"
    with tempfile.TemporaryDirectory() as tmp:
        inp, out = Path(tmp) / "landing", Path(tmp) / "out"
        inp.mkdir()
        if args.preload_dumps:
            sys.path.insert(0, str(REPO / "benchmarks"))
            from throughput import make_dumps

            pre = Path(tmp) / "preload"
            pre.mkdir()
            make_dumps(pre, args.preload_dumps)
            subprocess.run([str(exe), "run", str(pre), "--output", str(out), "--runner=FnApiRunner"],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            stored = duckdb.sql(f"select count(*) from read_parquet('{out}/articles/**/*.parquet')").fetchall()[0][0]
            print(f"output preloaded with {stored} stories")
        proc = subprocess.Popen([str(exe), "watch", str(inp), "--output", str(out), "--runner=FnApiRunner"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        written: dict[int, float] = {}
        readable: dict[int, float] = {}
        stop = threading.Event()

        def observe():
            while not stop.is_set():
                if (out / "articles").exists():
                    try:
                        titles = duckdb.sql(f"select title from read_parquet('{out}/articles/**/*.parquet') "
                                            "where title like 'Benchmark story number %'").fetchall()
                    except duckdb.Error:
                        titles = []
                    now = time.time()
                    for (t,) in titles:
                        if t.startswith("Benchmark story number "):
                            readable.setdefault(int(t.rsplit(" ", 1)[1]), now)
                time.sleep(0.1)

        obs = threading.Thread(target=observe)
        obs.start()
        time.sleep(4)  # let the watcher start
        for i in range(args.files):
            (inp / f"dump_{i:03d}.txt").write_text(story(i))
            written[i] = time.time()
            time.sleep(args.gap)
        deadline = time.time() + 60
        while len(readable) < args.files and time.time() < deadline:
            time.sleep(0.2)
        stop.set()
        obs.join()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    lat = sorted(readable[i] - (written[i] + SETTLE) for i in readable)
    from_write = sorted(readable[i] - written[i] for i in readable)
    missing = args.files - len(readable)
    q = lambda xs, p: xs[min(len(xs) - 1, int(p * len(xs)))]  # noqa: E731
    print(f"{len(readable)}/{args.files} dumps readable ({missing} never), one written every {args.gap} s")
    print(f"latency from settle (write + {SETTLE:.0f} s): p50 {statistics.median(lat):.1f} s, p95 {q(lat, 0.95):.1f} s, "
          f"max {max(lat):.1f} s")
    print(f"latency from write:                   p50 {statistics.median(from_write):.1f} s, "
          f"p95 {q(from_write, 0.95):.1f} s, max {max(from_write):.1f} s")
    return 0 if not missing else 1


if __name__ == "__main__":
    sys.exit(main())
