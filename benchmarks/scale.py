"""Speed and memory at scale: the pipeline on one WARC of N news pages, at 1 and 2 workers.

    .venv/bin/python benchmarks/scale.py [--pages 181,905,1810] [--workers 1,2] [--repeats 1]
        [--distinct 181] [--dev-dir ../shared/data/wcxb-dev-articles] [--datatrove-python /tmp/dtvenv/bin/python]

The WARC holds the first 181 (`--distinct`) dev pages, repeated with distinct URIs up to N (record-gzipped, as crawlers write
them). Each configuration runs `scrapeline run` as a child process; the peak RSS is the highest sum of the
resident sets of the child and all its descendants (the multi-processing workers included), sampled every
0.2 s; the peak PSS the same with proportional set sizes (a page shared by forked processes counted once). Prints pages/s, peak RSS, rows written, and the memory ratio from the smallest to the largest input. For
scrapeline, the serial tail: the share of the wall time after the last article was extracted (from its progress
lines, printed every half second).
With `--datatrove-python` (a separate venv with datatrove and trafilatura: a benchmark-only dependency), the
same WARCs also go through datatrove's WarcReader -> Trafilatura -> ExactDedupSignature, ExactFindDedups,
ExactDedupFilter -> ParquetWriter (its exact dedup is three pipelines), interleaved. With `--plain`, the job's own
functions in a plain loop (benchmarks/plain_loop.py) give Beam's overhead.
Asserts nothing. Timings compare only within one run (the machine is shared).
"""

from __future__ import annotations

import argparse
import gzip
import io
import os
import statistics
import shutil
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
from datatrove.pipeline.dedup import ExactDedupFilter, ExactDedupSignature, ExactFindDedups
from datatrove.pipeline.dedup.exact_dedup import ExactDedupConfig
from datatrove.pipeline.extractors import Trafilatura
from datatrove.pipeline.readers import JsonlReader, WarcReader
from datatrove.pipeline.writers import JsonlWriter, ParquetWriter
warc_dir, out, workers = sys.argv[1], sys.argv[2], int(sys.argv[3])
cfg = ExactDedupConfig(content_getter=lambda doc: doc.text)
# datatrove's exact dedup is three pipelines: signatures (beside the extraction), find duplicates, filter
extract = LocalPipelineExecutor(pipeline=[
    WarcReader(warc_dir, glob_pattern="*.warc.gz"), Trafilatura(favour_precision=True),
    JsonlWriter(out + "/extracted"), ExactDedupSignature(out + "/sigs", cfg),
], tasks=workers, workers=workers, logging_dir=out + "/_logs/extract")
find = LocalPipelineExecutor(pipeline=[ExactFindDedups(out + "/sigs", out + "/dups", cfg)], tasks=1,
                             logging_dir=out + "/_logs/find", depends=extract)
write = LocalPipelineExecutor(pipeline=[
    JsonlReader(out + "/extracted"), ExactDedupFilter(out + "/dups", cfg), ParquetWriter(out + "/final"),
], tasks=workers, workers=workers, logging_dir=out + "/_logs/write", depends=find)
write.run()
'''


def build_warcs(dev_dir: Path, n: int, directory: Path, distinct: int = 181, files: int = 1) -> None:
    """N pages dealt into `files` WARCs `directory/pages-<k>.warc.gz`, in runs of n/files consecutive pages."""
    per = -(-n // files)
    for k in range(files):
        build_warc(dev_dir, min(per, n - k * per), directory / f"pages-{k}.warc.gz", distinct, start=k * per)


def build_warc(dev_dir: Path, n: int, path: Path, distinct: int = 181, start: int = 0) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    files = sorted((dev_dir / "html").glob("*.html.gz"))[:distinct]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=True)
        for i in range(start, start + n):
            src = files[i % len(files)]
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
            rec = writer.create_warc_record(
                f"https://site{i % len(files)}.example/{i}/{src.name[:-8]}", "response",
                payload=io.BytesIO(gzip.decompress(src.read_bytes())), http_headers=headers,
                warc_headers_dict={"WARC-Date": FETCHED_AT, "WARC-Identified-Payload-Type": "text/html"},
            )
            writer.write_record(rec)


def _tree_memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of the process tree in kB. PSS (proportional set size, /proc/PID/smaps_rollup) counts a page
    shared by n processes as 1/n in each: forked workers share their parent's pages (copy-on-write), which the
    sum of RSS counts once per process."""
    rss = pss = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            rss += int(next(line.split()[1] for line in open(f"/proc/{p}/status") if line.startswith("VmRSS:")))
            try:
                with open(f"/proc/{p}/smaps_rollup") as f:
                    pss += int(next(line.split()[1] for line in f if line.startswith("Pss:")))
            except (OSError, StopIteration):
                pass
            for task in os.listdir(f"/proc/{p}/task"):  # children of every thread (Beam starts workers from one)
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except (OSError, StopIteration, ValueError):
            continue
    return rss, pss


def run_measured(cmd: list[str]) -> tuple[float, int, str, float]:
    """(seconds, peak RSS of the process tree in MB, stderr, CPU seconds of the process tree: user + system of
    every descendant that was waited for, which Beam's and datatrove's workers are)."""
    import resource

    import threading

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "SCRAPELINE_PROGRESS_SECONDS": str(PROGRESS_S)})
    stamped: list[tuple[float, str]] = []  # stderr lines with the time they came (progress lines: the tail)
    out_lines: list[str] = []
    readers = [threading.Thread(target=lambda: stamped.extend((time.perf_counter() - t, line) for line in proc.stderr)),
               threading.Thread(target=lambda: out_lines.extend(proc.stdout))]
    for r in readers:
        r.start()
    peak = peak_pss = 0
    while proc.poll() is None:
        rss, pss = _tree_memory_kb(proc.pid)
        peak, peak_pss = max(peak, rss), max(peak_pss, pss)
        time.sleep(0.2)
    for r in readers:
        r.join()
    took = time.perf_counter() - t
    err = "".join(line for _, line in stamped)
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd[:4])} failed:\n{err[-3000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    run_measured.tail = _tail(stamped, took)
    run_measured.peak_pss_mb = peak_pss // 1024
    return took, peak // 1024, "".join(out_lines) + err, cpu


PROGRESS_S = 0.5
"""How often the run prints its progress (SCRAPELINE_PROGRESS_SECONDS); each process writes its counts at most once
a second, so the tail below is known to about a second."""


def _tail(stamped: list[tuple[float, str]], took: float) -> float | None:
    """Seconds from the first progress line showing the run's final count of extracted articles to the end of the
    run: the serial tail after extraction (dedup, links, writes, the commit). None without progress lines."""
    import re

    counts = [(at, int(m.group(1).replace(",", ""))) for at, line in stamped
              if (m := re.search(r" progress: .*articles ([\d,]+)", line))]
    if not counts:
        return None
    final = counts[-1][1]
    return took - next(at for at, n in counts if n == final)


def ours(warc_dir: Path, out: Path, workers: int) -> list[str]:
    cmd = [sys.executable, "-m", "scrapeline", "run", str(warc_dir), "--output", str(out), "--fetched-at", FETCHED_AT]
    if workers > 1:
        cmd += ["--direct_num_workers", str(workers), "--direct_running_mode", "multi_processing"]
    return cmd


def _parquet_rows(path: Path) -> int | None:
    import pyarrow.parquet as pq

    files = [f for f in path.rglob("*.parquet") if not any(part.startswith("_") for part in f.relative_to(path).parts)]
    return sum(pq.ParquetFile(f).metadata.num_rows for f in files) if files else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", default="181,905,1810")
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--distinct", type=int, default=181, help="distinct dev pages the WARC cycles through")
    ap.add_argument("--files", type=int, default=1, help="WARC files the pages are dealt into")
    ap.add_argument("--beam-workers", action="store_true",
                    help="also scrapeline with Beam's own workers instead of forks of a warm process (beam-wkrs)")
    ap.add_argument("--plain", action="store_true", help="also the same functions in a plain loop (1 file, 1 worker)")
    ap.add_argument("--dev-dir", type=Path, default=REPO.parent / "shared" / "data" / "wcxb-dev-articles")
    ap.add_argument("--datatrove-python", help="python of a venv with datatrove[processing] and trafilatura")
    args = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="scale-") as tmp:
        tmp = Path(tmp)
        for n in [int(x) for x in args.pages.split(",")]:
            warc_dir = tmp / f"in{n}"
            build_warcs(args.dev_dir, n, warc_dir, args.distinct, args.files)
            systems = []
            for w in [int(x) for x in args.workers.split(",")]:
                systems.append(("scrapeline", w, lambda out, w=w: ours(warc_dir, out, w)))
                if w > 1 and args.beam_workers:
                    systems.append(("beam-wkrs", w, lambda out, w=w: ["env", "SCRAPELINE_WARM_WORKERS=0",
                                                                      *ours(warc_dir, out, w)]))
                if args.datatrove_python:
                    systems.append(("datatrove", w, lambda out, w=w: [args.datatrove_python, "-c", _DATATROVE,
                                                                      str(warc_dir), str(out), str(w)]))
            if args.plain and args.files == 1:
                systems.append(("plain-loop", 1, lambda out: [sys.executable, str(REPO / "benchmarks" / "plain_loop.py"),
                                                              str(warc_dir / "pages-0.warc.gz"), str(out)]))
            times: dict = {}
            tails: dict = {}
            cpus: dict = {}
            peaks: dict = {}
            psss: dict = {}
            rows: dict = {}
            for r in range(args.repeats):  # interleaved: each repeat runs every system once
                for name, w, make in systems:
                    out = tmp / f"out-{name}-{n}-{w}-{r}"
                    took, peak, _, cpu = run_measured(make(out))
                    if name in {"scrapeline", "beam-wkrs"} and run_measured.tail is not None:
                        tails.setdefault((name, w), []).append(run_measured.tail / took)
                    times.setdefault((name, w), []).append(took)
                    cpus.setdefault((name, w), []).append(cpu)
                    peaks.setdefault((name, w), []).append(peak)
                    psss.setdefault((name, w), []).append(run_measured.peak_pss_mb)
                    rows[(name, w)] = _parquet_rows(out / "articles" if name != "datatrove" else out / "final")
                    shutil.rmtree(out, ignore_errors=True)
            for name, w, _ in systems:
                t = statistics.median(times[(name, w)])
                cpu = statistics.median(cpus[(name, w)])
                peak = max(peaks[(name, w)])
                peak_pss = max(psss[(name, w)])
                results.append({"system": name, "pages": n, "workers": w, "seconds": round(t, 1),
                                "pages_per_s": round(n / t, 1), "cpu_s": round(cpu, 1), "peak_rss_mb": peak,
                                "peak_pss_mb": peak_pss, "rows": rows[(name, w)]})
                tail = f"  tail {statistics.median(tails[(name, w)]):.0%} (goal <= 10%)" if (name, w) in tails else ""
                print(f"{name:<11} {n:>6} pages  {w} worker(s)  {t:7.1f} s  {n / t:6.1f} pages/s  CPU {cpu:6.1f} s  "
                      f"peak RSS {peak:6d} MB  PSS {peak_pss:6d} MB  rows {rows[(name, w)]}{tail}", flush=True)
            shutil.rmtree(warc_dir, ignore_errors=True)
    by = {(r["system"], r["pages"], r["workers"]): r for r in results}
    for (name, n, w), r in sorted(by.items()):
        if name == "scrapeline":
            if ("datatrove", n, w) in by:
                dt_ = by[("datatrove", n, w)]
                print(f"{n} pages, {w} worker(s): scrapeline / datatrove = "
                      f"{r['pages_per_s'] / dt_['pages_per_s']:.2f}x (goal >= 1.5x); peak RSS "
                      f"{r['peak_rss_mb'] / dt_['peak_rss_mb']:.2f}x datatrove's (goal <= 1.5x), peak PSS "
                      f"{r['peak_pss_mb'] / max(dt_['peak_pss_mb'], 1):.2f}x")
            if w > 1 and (name, n, 1) in by:
                print(f"{n} pages: scrapeline {w} workers / 1 = {r['pages_per_s'] / by[(name, n, 1)]['pages_per_s']:.2f}x"
                      f" (goal >= 1.8x); CPU {r['cpu_s'] / by[(name, n, 1)]['cpu_s'] - 1:+.0%} (goal <= +10%)")
            if w == 1 and ("plain-loop", n, 1) in by:
                print(f"{n} pages: Beam's overhead (scrapeline / plain loop - 1) = "
                      f"{r['seconds'] / by[('plain-loop', n, 1)]['seconds'] - 1:.0%} (goal <= 10%)")
        if name == "beam-wkrs" and ("scrapeline", n, w) in by:
            warm = by[("scrapeline", n, w)]
            print(f"{n} pages, {w} workers: forks of a warm process / Beam's own workers = "
                  f"{warm['pages_per_s'] / r['pages_per_s']:.2f}x pages/s, CPU {warm['cpu_s'] / r['cpu_s'] - 1:+.0%}, "
                  f"peak RSS {warm['peak_rss_mb'] / r['peak_rss_mb'] - 1:+.0%}")
        if name == "datatrove" and w > 1 and (name, n, 1) in by:
            print(f"{n} pages: datatrove {w} workers / 1 = {r['pages_per_s'] / by[(name, n, 1)]['pages_per_s']:.2f}x")
    for w in {r["workers"] for r in results}:
        mine = [r for r in results if r["system"] == "scrapeline" and r["workers"] == w]
        if len(mine) > 1:
            lo, hi = min(mine, key=lambda r: r["pages"]), max(mine, key=lambda r: r["pages"])
            print(f"scrapeline, {w} worker(s): peak RSS {hi['pages']} vs {lo['pages']} pages: "
                  f"{hi['peak_rss_mb'] / lo['peak_rss_mb']:.2f}x (goal <= 1.2x)")


if __name__ == "__main__":
    main()
