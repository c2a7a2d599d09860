"""What `--format iceberg` costs: a run on the dev pages against `--format hive`, and the catalog after many runs.

    .venv/bin/python benchmarks/tables.py [--dev-dir ../shared/data/wcxb-dev-articles] [--rounds 2] [--commits 1000]

1. One record-gzipped WARC of every WCXB dev page once (benchmarks/scale.py's builder). `scrapeline run WARC
   --output <fresh> --format hive|iceberg` as a child process, the two formats alternating for `--rounds` rounds
   (one run's timings only compare within it: the machine is shared). Prints each wall time, the Iceberg
   commit's own time from the run record (`iceberg.commit_s`), and the median ratio iceberg / hive.
2. `--commits` runs of one small file each (`--fast-append`: without manifest merging, as first built) committed into one embedded catalog (pipeline/tables.py commit_run,
   the files 30 partitions round robin, as `watch` makes them): the commit time (first, median, last 100) and the
   catalog's size on disk (catalog.db and metadata) after them; then `compact --retain-days 0` on it (one
   overwrite, every older snapshot expired, unreferenced files deleted) and the size after.
Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from scale import FETCHED_AT, build_warc  # noqa: E402


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def runs(dev_dir: Path, rounds: int, work: Path) -> None:
    pages = len(list((dev_dir / "html").glob("*.html.gz")))
    warc = work / "pages.warc.gz"
    build_warc(dev_dir, pages, warc, distinct=pages)
    times: dict[str, list[float]] = {"hive": [], "iceberg": []}
    for r in range(rounds):
        for fmt in ("hive", "iceberg") if r % 2 == 0 else ("iceberg", "hive"):
            out = work / f"{fmt}-{r}"
            t0 = time.monotonic()
            done = subprocess.run([sys.executable, "-m", "scrapeline", "run", str(warc), "--output", str(out),
                                   "--format", fmt, "--fetched-at", FETCHED_AT, "--run-id", "bench"],
                                  capture_output=True, text=True)
            wall = time.monotonic() - t0
            record = json.loads((out / "_runs" / "bench.json").read_text())
            commit = (record.get("iceberg") or {}).get("commit_s")
            times[fmt].append(wall)
            print(f"  round {r + 1} {fmt:<8} {wall:6.1f} s  exit {done.returncode}  rows {record['articles_written']}"
                  + (f"  commit {commit:.3f} s" if commit is not None else ""), flush=True)
    h, i = statistics.median(times["hive"]), statistics.median(times["iceberg"])
    print(f"{pages} pages: hive median {h:.1f} s, iceberg median {i:.1f} s: iceberg/hive {i / h:.3f}")


def commits(n: int, work: Path, fast_append: bool = False) -> None:
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    from scrapeline.pipeline.api import compact
    from scrapeline.pipeline.tables import commit_run, open_catalog, open_tables
    from scrapeline.transforms.core.records import ARTICLE_SCHEMA

    out = work / ("many-fast" if fast_append else "many")
    tables = open_tables(open_catalog(str(out)), str(out))
    if fast_append:  # as before 0.4's manifest merging: every commit adds a manifest that stays
        with tables["articles"].transaction() as tx:
            tx.set_properties({"commit.manifest-merge.enabled": "false"})
        tables["articles"].refresh()
    row = {f.name: None for f in ARTICLE_SCHEMA}
    base = {"story_key": "k", "title": "t", "body": "b", "source_name": "s", "page_id": "p", "role": "main",
            "position": 0, "fetched_at": dt.datetime(2025, 8, 6, tzinfo=dt.timezone.utc), "date_source": "fetched",
            "word_count": 1, "captions": [], "input_uri": "in", "record_index": 0, "duplicate_count": 0,
            "duplicate_titles": [], "duplicate_urls": [], "duplicate_sources": [], "duplicate_locations": [],
            "ingested_at": dt.datetime(2025, 8, 6, tzinfo=dt.timezone.utc), "pipeline_version": "bench"}
    spent = []
    for k in range(n):
        partition = f"source=site{k % 30}/date=2025-08-06"
        folder = out / "articles" / partition
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"part-r{k:05d}-00000.parquet"
        pq.write_table(pa.Table.from_pylist([{**row, **base, "article_id": f"a{k}"}], schema=ARTICLE_SCHEMA), path)
        t0 = time.monotonic()
        commit_run(tables, f"r{k:05d}", {"articles": [{"path": str(path), "partition": partition, "rows": 1}]}, {})
        spent.append(time.monotonic() - t0)
    catalog = _size(out / "_catalog")
    print(f"{'fast' if fast_append else 'merge'} appends, {n} commits: first {spent[0] * 1000:.0f} ms, median {statistics.median(spent) * 1000:.0f} ms, "
          f"last 100 median {statistics.median(spent[-100:]) * 1000:.0f} ms; catalog on disk {catalog / 1e6:.1f} MB "
          f"({len(list((out / '_catalog').rglob('*')))} files)")
    t0 = time.monotonic()
    summary = compact(str(out), retain_days=0)
    print(f"compact --retain-days 0: {len(summary.merged)} partitions merged in {time.monotonic() - t0:.1f} s; "
          f"catalog on disk {_size(out / '_catalog') / 1e6:.1f} MB, data files "
          f"{len(list((out / 'articles').rglob('*.parquet')))}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dev-dir", type=Path, default=REPO.parent / "shared" / "data" / "wcxb-dev-articles")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--commits", type=int, default=1000)
    ap.add_argument("--fast-append", action="store_true", help="commit with fast appends (no manifest merging)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="tables-bench-") as tmp:
        work = Path(tmp)
        if args.rounds:
            runs(args.dev_dir, args.rounds, work)
        if args.commits:
            commits(args.commits, work, args.fast_append)


if __name__ == "__main__":
    main()
