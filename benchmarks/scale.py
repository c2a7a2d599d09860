"""Speed and memory at scale (issue 9): the pipeline on one WARC of N news pages, at 1 and 2 workers.

    .venv/bin/python benchmarks/scale.py [--pages 181,905,1810] [--workers 1,2] [--repeats 1]
        [--distinct 181] [--dev-dir ../shared/data/wcxb-dev-articles] [--datatrove-python /tmp/dtvenv/bin/python]

The WARC holds the first 181 (`--distinct`) dev pages, repeated with distinct URIs up to N (record-gzipped, as crawlers write
them). Each configuration runs `scrapeline run` as a child process; the peak RSS is the highest sum of the
resident sets of the child and all its descendants (the multi-processing workers included), sampled every
0.2 s. Prints pages/s, peak RSS, rows written, and the memory ratio from the smallest to the largest input.
With `--datatrove-python` (a separate venv with datatrove and trafilatura: a benchmark-only dependency), the
same WARC also goes through datatrove's WarcReader -> Trafilatura -> ParquetWriter, interleaved (without its
exact-dedup stages, which need a multi-step pipeline of their own: not built yet).
Asserts nothing. Timings compare only within one run (the machine is shared).
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FETCHED_AT = "2026-04-01T00:00:00Z"

_DATATROVE = r'''
import sys
from datatrove.executor.local import LocalPipelineExecutor
from datatrove.pipeline.readers import WarcReader
from datatrove.pipeline.extractors import Trafilatura
from datatrove.pipeline.writers import ParquetWriter
warc, out, workers = sys.argv[1], sys.argv[2], int(sys.argv[3])
ex = LocalPipelineExecutor(pipeline=[
    WarcReader(str(__import__("pathlib").Path(warc).parent), glob_pattern="*.warc.gz"),
    Trafilatura(favour_precision=True),
    ParquetWriter(out),
], tasks=workers, workers=workers, logging_dir=out + "/_logs")
ex.run()
'''


def build_warc(dev_dir: Path, n: int, path: Path, distinct: int = 181) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    files = sorted((dev_dir / "html").glob("*.html.gz"))[:distinct]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=True)
        for i in range(n):
            src = files[i % len(files)]
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
            rec = writer.create_warc_record(
                f"https://site{i % len(files)}.example/{i}/{src.name[:-8]}", "response",
                payload=io.BytesIO(gzip.decompress(src.read_bytes())), http_headers=headers,
                warc_headers_dict={"WARC-Date": FETCHED_AT, "WARC-Identified-Payload-Type": "text/html"},
            )
            writer.write_record(rec)


def _tree_rss_kb(pid: int) -> int:
    total = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            total += int(next(line.split()[1] for line in open(f"/proc/{p}/status") if line.startswith("VmRSS:")))
            for task in os.listdir(f"/proc/{p}/task"):  # children of every thread (Beam starts workers from one)
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except (OSError, StopIteration, ValueError):
            continue
    return total


def run_measured(cmd: list[str]) -> tuple[float, int, str]:
    """(seconds, peak RSS of the process tree in MB, stderr)."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss_kb(proc.pid))
        time.sleep(0.2)
    out, err = proc.communicate()
    took = time.perf_counter() - t
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd[:4])} failed:\n{err[-3000:]}")
    return took, peak // 1024, out + err


def ours(warc_dir: Path, out: Path, workers: int) -> list[str]:
    cmd = [sys.executable, "-m", "pipeline", "run", str(warc_dir), "--output", str(out), "--fetched-at", FETCHED_AT]
    if workers > 1:
        cmd += ["--direct_num_workers", str(workers), "--direct_running_mode", "multi_processing"]
    return cmd


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", default="181,905,1810")
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--distinct", type=int, default=181, help="distinct dev pages the WARC cycles through")
    ap.add_argument("--dev-dir", type=Path, default=REPO.parent / "shared" / "data" / "wcxb-dev-articles")
    ap.add_argument("--datatrove-python", help="python of a venv with datatrove[processing] and trafilatura")
    args = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="scale-") as tmp:
        tmp = Path(tmp)
        for n in [int(x) for x in args.pages.split(",")]:
            warc_dir = tmp / f"in{n}"
            build_warc(args.dev_dir, n, warc_dir / "pages.warc.gz", args.distinct)
            for w in [int(x) for x in args.workers.split(",")]:
                systems = [("scrapeline", lambda out, w=w: ours(warc_dir, out, w))]
                if args.datatrove_python:
                    systems.append(("datatrove", lambda out, w=w: [args.datatrove_python, "-c", _DATATROVE,
                                                                   str(warc_dir / "pages.warc.gz"), str(out), str(w)]))
                for name, make in systems:
                    times, peaks = [], []
                    for r in range(args.repeats):
                        out = tmp / f"out-{name}-{n}-{w}-{r}"
                        took, peak, _ = run_measured(make(out))
                        times.append(took)
                        peaks.append(peak)
                    rows = None
                    if name == "scrapeline":
                        run = max((out / "_runs").glob("*.json"), key=os.path.getmtime)
                        rows = json.loads(run.read_text())["articles_written"]
                    t = statistics.median(times)
                    results.append({"system": name, "pages": n, "workers": w, "seconds": round(t, 1),
                                    "pages_per_s": round(n / t, 1), "peak_rss_mb": max(peaks), "rows": rows})
                    print(f"{name:<11} {n:>6} pages  {w} worker(s)  {t:7.1f} s  {n / t:6.1f} pages/s  "
                          f"peak RSS {max(peaks):6d} MB  rows {rows}", flush=True)
    for w in {r["workers"] for r in results}:
        mine = [r for r in results if r["system"] == "scrapeline" and r["workers"] == w]
        if len(mine) > 1:
            lo, hi = min(mine, key=lambda r: r["pages"]), max(mine, key=lambda r: r["pages"])
            print(f"scrapeline, {w} worker(s): peak RSS {hi['pages']} vs {lo['pages']} pages: "
                  f"{hi['peak_rss_mb'] / lo['peak_rss_mb']:.2f}x (goal <= 1.2x)")


if __name__ == "__main__":
    main()
