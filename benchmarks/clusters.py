"""Throughput of `scrapeline run` on DirectRunner (1 and 2 workers) and on the local Flink and Spark clusters
(examples/clusters/*.sh) with 1 and 2 TaskManagers/workers.

    SCRAPELINE_PYTHON=/work/main/.venv/bin/python .venv/bin/python benchmarks/clusters.py \
        [--dev-dir ../shared/data/wcxb-dev-articles] [--copies 1] \
        [--configs direct1,direct2,flink1,flink2,spark1,spark2] [--no-fixed] [--leave-running]

The WARC holds every real dev page once (709 distinct pages, record-gzipped, built by benchmarks/scale.py's
builder); `--copies K` writes each page K times under distinct URIs (exact copies: extracted, then dropped by the
dedup). Each configuration runs `scrapeline run WARC --output <fresh dir> --fetched-at 2026-04-01T00:00:00Z` as a
child process and reports the wall time, pages/s (pages = the run record `_runs/*.json` field `pages`), the rows
written under articles/, and the fixed start-up cost (wall time of the same runner on a 1-page WARC).
For a cluster configuration the cluster is restarted with that many TaskManagers (1 slot each) or workers (1 core
each), the other cluster is stopped (2 cores: one heavy thing at a time), and the peak RSS of every cluster
component is sampled every 0.5 s from /proc: the process found through its pid file plus all its descendants (the
Python SDK harnesses a TaskManager/executor starts; a Spark worker's executor JVM). Asserts nothing.
Clusters are stopped at the end unless --leave-running.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from scale import FETCHED_AT, _tree_memory_kb, build_warc  # noqa: E402

CLUSTERS = Path(os.environ.get("SCRAPELINE_CLUSTER_DIR", Path.home() / ".cache" / "scrapeline" / "clusters"))


def cluster(name: str, verb: str, **env: str) -> None:
    e = {**os.environ, **env}
    e.setdefault("SCRAPELINE_PYTHON", sys.executable)
    r = subprocess.run(["bash", str(REPO / "examples" / "clusters" / f"{name}.sh"), verb], env=e,
                       capture_output=True, text=True, timeout=600)
    if r.returncode and verb != "status":
        raise SystemExit(f"{name}.sh {verb} failed:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")


def cluster_pids(name: str) -> dict[str, int]:
    out = {}
    for f in sorted((CLUSTERS / name / "pids").glob("*.pid")):
        try:
            out[f.stem] = int(f.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return out


class Sampler(threading.Thread):
    """Peak RSS (MiB) of each component's process tree, every `every` s."""

    def __init__(self, pids: dict[str, int], every: float = 0.5):
        super().__init__(daemon=True)
        self.pids, self.every, self.peak = pids, every, {k: 0 for k in pids}
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            for k, pid in self.pids.items():
                self.peak[k] = max(self.peak[k], _tree_memory_kb(pid)[0] // 1024)
            self.halt.wait(self.every)


def scrapeline_run(warc: Path, out: Path, extra: list[str], pids: dict[str, int] | None = None):
    """(wall s, run record, articles rows, peak RSS per component)."""
    cmd = [sys.executable, "-m", "scrapeline", "run", str(warc), "--output", str(out), "--fetched-at", FETCHED_AT,
           *extra]
    sampler = Sampler(pids or {})
    sampler.start()
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    took = time.perf_counter() - t
    sampler.halt.set()
    sampler.join()
    if proc.returncode:
        print(f"  ! {' '.join(extra)} exit {proc.returncode}:\n{proc.stderr[-2000:]}", flush=True)
        return took, None, None, sampler.peak
    records = sorted((out / "_runs").glob("*.json"))
    record = json.loads(records[-1].read_text()) if records else {}
    return took, record, parquet_rows(out / "articles"), sampler.peak


def parquet_rows(path: Path) -> int | None:
    import pyarrow.parquet as pq

    files = list(path.rglob("*.parquet")) if path.exists() else []
    return sum(pq.ParquetFile(f).metadata.num_rows for f in files) if files else 0


CONFIGS = {
    "direct1": ("DirectRunner, 1 worker", None, {}, []),
    "direct2": ("DirectRunner, 2 workers (--env multiprocess)", None, {}, ["--env", "multiprocess"]),
    "flink1": ("Flink, 1 TaskManager x 1 slot", "flink", {"FLINK_TASKMANAGERS": "1", "FLINK_TM_SLOTS": "1"},
               ["--env", "flink"]),
    "flink2": ("Flink, 2 TaskManagers x 1 slot", "flink", {"FLINK_TASKMANAGERS": "2", "FLINK_TM_SLOTS": "1"},
               ["--env", "flink"]),
    "spark1": ("Spark, 1 worker x 1 core", "spark", {"SPARK_WORKERS": "1"}, ["--env", "spark"]),
    "spark2": ("Spark, 2 workers x 1 core", "spark", {"SPARK_WORKERS": "2"}, ["--env", "spark"]),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dev-dir", type=Path, default=REPO.parent / "shared" / "data" / "wcxb-dev-articles")
    ap.add_argument("--copies", type=int, default=1, help="each page K times with distinct URIs")
    ap.add_argument("--configs", default=",".join(CONFIGS))
    ap.add_argument("--no-fixed", action="store_true", help="skip the 1-page runs (fixed start-up cost)")
    ap.add_argument("--leave-running", action="store_true", help="leave the last cluster running")
    args = ap.parse_args()
    distinct = len(list((args.dev_dir / "html").glob("*.html.gz")))
    n = distinct * args.copies
    rows = []
    with tempfile.TemporaryDirectory(prefix="clusters-bench-") as tmp:
        tmp = Path(tmp)
        warc, one = tmp / "pages.warc.gz", tmp / "one.warc.gz"
        build_warc(args.dev_dir, n, warc, distinct)
        build_warc(args.dev_dir, 1, one, distinct)
        print(f"WARC: {n} records ({distinct} distinct pages x {args.copies}), "
              f"{warc.stat().st_size / 1e6:.1f} MB", flush=True)
        for key in args.configs.split(","):
            label, name, env, extra = CONFIGS[key]
            pids = {}
            if name:
                other = "spark" if name == "flink" else "flink"
                cluster(other, "stop")
                cluster(name, "stop")
                cluster(name, "start", **env)
                pids = cluster_pids(name)
            fixed = None
            if not args.no_fixed:
                fixed, rec1, _, _ = scrapeline_run(one, tmp / f"{key}-one", extra, pids)
                print(f"  {label}: 1-page run {fixed:.1f} s ({rec1 and rec1.get('status')})", flush=True)
            took, rec, nrows, peak = scrapeline_run(warc, tmp / f"{key}-out", extra, pids)
            pages = rec.get("pages") if rec else None
            rows.append((label, took, pages, nrows, fixed, peak, rec.get("status") if rec else "failed"))
            rss = ", ".join(f"{k} {v}" for k, v in peak.items() if v) or "-"
            print(f"  {label}: {took:.1f} s, pages {pages}, rows {nrows}, status {rows[-1][-1]}; peak RSS MiB: {rss}",
                  flush=True)
            shutil.rmtree(tmp / f"{key}-out", ignore_errors=True)
        if not args.leave_running:
            for name in {CONFIGS[k][1] for k in args.configs.split(",")} - {None}:
                cluster(name, "stop")
    print()
    print(f"{'configuration':46} {'wall s':>7} {'pages':>6} {'pages/s':>8} {'rows':>6} {'fixed s':>8}  peak RSS MiB (tree)")
    for label, took, pages, nrows, fixed, peak, status in rows:
        pps = f"{pages / took:.2f}" if pages else "-"
        rss = ", ".join(f"{k} {v}" for k, v in peak.items() if v) or "-"
        fx = f"{fixed:.1f}" if fixed is not None else "-"
        print(f"{label:46} {took:7.1f} {pages or '-':>6} {pps:>8} {nrows if nrows is not None else '-':>6} {fx:>8}  "
              f"{rss}{'' if status == 'succeeded' else f'  [{status}]'}")
    print("pages/s = pages / wall time of the whole child process (start-up included); fixed s = 1-page WARC, same runner")


if __name__ == "__main__":
    main()
