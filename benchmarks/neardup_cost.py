"""What the near-duplicate stage costs: per 10,000 articles, and for a small run against a large output.

    .venv/bin/python benchmarks/neardup_cost.py [--dev-dir ../shared/data/wcxb-dev-articles]
        [--stored 10000,100000,1000000] [--articles 10000] [--skip-stage] [--skip-stored]

1. Stage cost. 10,000 articles (dev-page bodies, each with mutated copies: a third are copies) go through
   DedupByContentHash alone and DedupByContentHash + DedupNearDuplicates on DirectRunner, in one process, same
   run, median of 3; the difference is the near-duplicate stage's time per 10,000 articles. Set beside it: the
   whole pipeline's time per 10,000 articles measured on the WCXB dev-set pages in the same run (`run` on the 709 pages,
   scaled), so the stage's share of a run is printed.
2. Against stored outputs. An output holding N synthetic stored stories (their rows in 1,000 partitions, and
   their band-index entries; 20 of them real dev bodies with real band keys) is built for each N; then a
   200-article run (dev bodies, 20 of them copies of those stored stories) runs against it as a child process
   (`scrapeline run`), and its wall time, peak RSS, and the index entries and stories it read back are printed.
   The goal: from 10k to 1M stored stories, time grows at most 2x and memory stays flat.

Prints figures; asserts nothing. Timings are comparable within one run only (the machine is shared).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from scrapeline.pipeline.config import load_config  # noqa: E402
from scrapeline.transforms.core.keys import article_id, normalise_words, story_key
from scrapeline.transforms.dedup.near import article_band_keys
from scrapeline.transforms.core.records import ARTICLE_SCHEMA, BAND_INDEX_SCHEMA, Article
from scrapeline.transforms.output.write import ROW_GROUP_ROWS

UTC = dt.timezone.utc
T0 = dt.datetime(2025, 8, 6, 12, 0, tzinfo=UTC)


def dev_bodies(dev_dir: Path) -> list[tuple[str, str]]:
    gt = json.loads((dev_dir / "ground-truth.json").read_text())
    return [(v["title"] or k, v["articleBody"]) for k, v in sorted(gt.items()) if len(v["articleBody"].split()) >= 80]


def mutate(body: str, rng: random.Random) -> str:
    paras = [p for p in body.split("\n") if p.strip()]
    kind = rng.randrange(3)
    if kind == 0 and len(paras) > 3:
        paras = paras[: max(2, len(paras) * 2 // 3)]
    elif kind == 1:
        paras = ["WASHINGTON (AP) -"] + paras + ["Reporting by Jane Doe; Editing by John Roe"]
    else:
        paras = [p.replace("behaviour", "behavior").replace("\u2019", "'") for p in paras] + ["READ MORE: other"]
    return "\n".join(paras)


def make_article(title: str, body: str, i: int, lead_words: int) -> Article:
    words = normalise_words(body)
    return Article(
        article_id=article_id(words), story_key=story_key(words, lead_words), title=title, title_source="h1",
        body=body, source=f"s{i % 50}", source_name=f"S{i % 50}", url=f"https://s{i % 50}.example/{i}",
        page_id=f"p{i}", role="main", position=0, published_at=None, fetched_at=T0, date_source="fetched",
        author=None, word_count=len(words), captions=(), input_uri=f"/in/{i}.html", record_index=0,
        duplicate_count=0, duplicate_titles=(), duplicate_urls=(), duplicate_sources=(), duplicate_locations=(),
        ingested_at=T0, pipeline_version="bench",
    )


_ARTS: list = []


def stage_cost(bodies, n: int, repeats: int = 3) -> dict:
    import apache_beam as beam

    from scrapeline.transforms.dedup.exact import DedupByContentHash, DedupNearDuplicates

    cfg = load_config()
    rng = random.Random(7)
    arts = []
    i = 0
    while len(arts) < n:
        title, body = bodies[i % len(bodies)]
        if i >= len(bodies):  # past the first pass: a distinct story of the same shape (every word marked with
            # the pass number, so it shares no shingle with the others; reusing real paragraphs across synthetic
            # stories would make every story a near-duplicate of a dozen others, which no corpus does)
            k = i // len(bodies)
            body = "\n".join(" ".join(f"{w}{k}" for w in para.split()) for para in body.split("\n"))
        arts.append(make_article(title, body, len(arts), cfg.lead_words))
        if rng.random() < 0.5 and len(arts) < n:
            arts.append(make_article(title, mutate(body, rng), len(arts), cfg.lead_words))
        i += 1

    _ARTS[:] = arts  # read by index inside the in-process runner: Create would pickle (and bz2) every body

    def run(near: bool) -> float:
        t = time.perf_counter()
        with beam.Pipeline(runner="FnApiRunner") as p:
            exact = (p | beam.Create(range(len(arts)), reshuffle=False) | beam.Map(lambda i: _ARTS[i])
                     | DedupByContentHash(cfg.lead_words))
            out = exact.unique
            if near:
                out = (out | DedupNearDuplicates(cfg.near)).unique
            _ = out | beam.combiners.Count.Globally()
        return time.perf_counter() - t

    exact_t, near_t = [], []
    for _ in range(repeats):
        exact_t.append(run(False))
        near_t.append(run(True))
    return {"articles": len(arts), "exact_s": statistics.median(exact_t), "exact_near_s": statistics.median(near_t)}


def pipeline_time_per_article(dev_dir: Path, limit: int = 300) -> float:
    import gzip
    import shutil

    with tempfile.TemporaryDirectory() as tmp:
        inp = Path(tmp) / "in"
        inp.mkdir()
        for f in sorted((dev_dir / "html").glob("*.html.gz"))[:limit]:
            (inp / f.name[:-3]).write_bytes(gzip.decompress(f.read_bytes()))
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "scrapeline", "run", str(inp), "--output", str(Path(tmp) / "out"),
                        "--fetched-at", "2026-04-01T00:00:00Z"], check=True, capture_output=True, cwd=REPO)
        took = time.perf_counter() - t
        shutil.rmtree(inp)
    return took / limit


def build_stored(root: Path, n: int, real: list[tuple[str, str]], cfg) -> None:
    """An output with n stored stories in 1,000 partitions, and their band-index entries."""
    rng = np.random.default_rng(n)
    vocab = np.array([f"w{i}" for i in range(5000)])
    parts = [f"source=s{i % 50}/date=2025-01-{1 + i // 50:02d}" for i in range(1000)]
    per = max(1, n // len(parts))
    ids_all, part_all = [], []
    for pi, part in enumerate(parts):
        k = per if pi < len(parts) - 1 else n - per * (len(parts) - 1)
        if k <= 0:
            continue
        bodies = [" ".join(vocab[rng.integers(0, len(vocab), 60)]) for _ in range(k)]
        ids = [f"{rng.integers(0, 2**63):016x}{rng.integers(0, 2**63):016x}" for _ in range(k)]
        rows = {
            "article_id": ids, "story_key": ids, "title": ["t"] * k, "title_source": ["h1"] * k, "body": bodies,
            "source": [part.split("/")[0][7:]] * k, "source_name": ["S"] * k, "url": [None] * k,
            "page_id": ids, "role": ["main"] * k, "position": [0] * k, "published_at": [None] * k,
            "fetched_at": [T0] * k, "date_source": ["fetched"] * k, "author": [None] * k, "word_count": [60] * k,
            "captions": [[]] * k, "input_uri": [f"/old/{part}"] * k, "record_index": list(range(k)),
            "duplicate_count": [0] * k, "duplicate_titles": [[]] * k, "duplicate_urls": [[]] * k,
            "duplicate_sources": [[]] * k, "duplicate_locations": [[]] * k, "duplicate_matches": [[]] * k,
            "ingested_at": [T0] * k, "pipeline_version": ["bench"] * k,
        }
        d = root / "articles" / part
        d.mkdir(parents=True)
        pq.write_table(pa.table(rows, schema=ARTICLE_SCHEMA), d / "part-bench-00000.parquet", compression="zstd")
        ids_all += ids
        part_all += [part] * k
    # the real stories: stored with their real band keys, so the run has something to find
    d = root / "articles" / "source=real/date=2025-01-01"
    d.mkdir(parents=True)
    real_arts = [make_article(t, b, i, cfg.lead_words) for i, (t, b) in enumerate(real)]
    from scrapeline.transforms.core.records import record_to_row

    pq.write_table(pa.Table.from_pylist([record_to_row(a) for a in real_arts], schema=ARTICLE_SCHEMA),
                   d / "part-bench-00000.parquet")
    index_dir = root / "_index" / "bands"
    index_dir.mkdir(parents=True)
    bands = cfg.near.bands
    for chunk in range(10):  # ten earlier runs' index files
        lo, hi = chunk * len(ids_all) // 10, (chunk + 1) * len(ids_all) // 10
        m = hi - lo
        tbl = pa.table({
            "band": rng.integers(-2**63, 2**63 - 1, m * bands, dtype=np.int64),
            "article_id": np.repeat(np.array(ids_all[lo:hi], dtype=object), bands),
            "partition": np.repeat(np.array(part_all[lo:hi], dtype=object), bands),
            "shingles": np.full(m * bands, 56, dtype=np.int32),
        }, schema=BAND_INDEX_SCHEMA)
        pq.write_table(tbl, index_dir / f"part-bench{chunk}-00000.parquet", compression="zstd",
                       row_group_size=ROW_GROUP_ROWS)  # as the pipeline writes them
    rows = [{"band": k, "article_id": a.article_id, "partition": "source=real/date=2025-01-01", "shingles": s}
            for a in real_arts for keys, s, _ in [article_band_keys(a.body, cfg.near)] for k in keys]
    pq.write_table(pa.Table.from_pylist(rows, schema=BAND_INDEX_SCHEMA), index_dir / "part-benchreal-00000.parquet")


# The child reports its VmHWM (peak resident set of its own address space). Not ru_maxrss: Linux carries the
# parent's high-water mark across fork+exec into it, and the parent holds the synthetic output it just built.
_CHILD = ("import re, sys; from scrapeline.pipeline.cli import main; rc = main(sys.argv[1:]); "
          "hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1); "
          "print('MAXRSS', hwm, file=sys.stderr); sys.exit(rc)")


def run_against(root: Path, inp: Path) -> dict:
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _CHILD, "run", str(inp), "--output", str(root),
                           "--fetched-at", "2025-08-06T12:00:00Z"], capture_output=True, text=True, cwd=REPO)
    took = time.perf_counter() - t
    if proc.returncode:
        raise SystemExit(proc.stderr[-2000:])
    peak = int(proc.stderr.rsplit("MAXRSS ", 1)[1].split()[0])
    runs = sorted((root / "_runs").glob("*.json"), key=lambda p: p.stat().st_mtime)
    s = json.loads(runs[-1].read_text())
    return {"seconds": round(took, 1), "peak_rss_mb": round(peak / 1024),
            "written": s["articles_written"], "near_in_output": s["near_duplicates"]["already_in_output"],
            "index_entries_read": s["near_duplicates"]["stored_index_entries_read"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dev-dir", type=Path, default=REPO.parent / "shared" / "data" / "wcxb-dev-articles")
    ap.add_argument("--stored", default="10000,100000,1000000")
    ap.add_argument("--articles", type=int, default=10_000)
    ap.add_argument("--skip-stage", action="store_true")
    ap.add_argument("--skip-stored", action="store_true")
    args = ap.parse_args()
    bodies = dev_bodies(args.dev_dir)
    cfg = load_config()
    if not args.skip_stage:
        per_article = pipeline_time_per_article(args.dev_dir)
        c = stage_cost(bodies, args.articles)
        near = c["exact_near_s"] - c["exact_s"]
        scale = 10_000 / c["articles"]
        print(f"stage cost on {c['articles']} articles (median of 3, DirectRunner in-process):")
        print(f"  exact stage alone           {c['exact_s'] * scale:7.1f} s per 10k articles")
        print(f"  exact + near-duplicate      {c['exact_near_s'] * scale:7.1f} s per 10k articles")
        print(f"  near-duplicate stage        {near * scale:7.1f} s per 10k articles")
        print(f"  whole pipeline (dev pages)  {per_article * 10_000:7.1f} s per 10k pages")
        print(f"  near stage share of a run   {near * scale / (per_article * 10_000 + near * scale):7.1%} "
              f"(dedup both stages: {c['exact_near_s'] * scale / (per_article * 10_000):.1%} of the pipeline)")
    if not args.skip_stored:
        rng = random.Random(3)
        real = bodies[:20]
        run_bodies = [(f"copy {t}", mutate(b, rng)) for t, b in real] + bodies[100:280]
        print("200-article run against stored outputs (child process; wall time, peak RSS):")
        for n in [int(x) for x in args.stored.split(",")]:
            with tempfile.TemporaryDirectory() as tmp:
                root, inp = Path(tmp) / "out", Path(tmp) / "in"
                t = time.perf_counter()
                build_stored(root, n, real, cfg)
                built = time.perf_counter() - t
                inp.mkdir()
                (inp / "run.jsonl").write_text("\n".join(
                    json.dumps({"url": f"https://new.example/{i}", "text": f"{t}\n{b}"})
                    for i, (t, b) in enumerate(run_bodies)) + "\n")
                r = run_against(root, inp)
                print(f"  stored {n:>9,}: {r['seconds']:6.1f} s, peak RSS {r['peak_rss_mb']} MB, "
                      f"written {r['written']}, copies of stored stories {r['near_in_output']}, "
                      f"index entries read {r['index_entries_read']} (output built in {built:.0f} s)")


if __name__ == "__main__":
    main()
