"""Why the near-duplicate thresholds in configs/default.yaml are what they are: a sweep on the tune split.

    .venv/bin/python benchmarks/neardup_sweep.py [--split tune] [--set DIR]

The set (benchmarks/neardup_set.py) goes through the real pipeline once with the near-duplicate stage off, so
every file's main article is extracted and exact copies are folded exactly as in a real run. Then each setting
of the sweep replays the near-duplicate stage on those rows with the stage's own functions
(`transforms.neardup`: band keys, the bucket pairing of `transforms.dedup.candidate_pairs`, `compare`,
`clusters`), one parameter varied at a time around the configured values, and prints recall of same-story pairs
and false merges (two stories in one cluster), with the candidate pairs each setting had to verify. It also
prints how close the negatives come: the highest containment and Jaccard similarity between rows of different
stories among the verified candidates (rows holding a file's main article), i.e. the margin under the thresholds. Confirm a chosen setting with
benchmarks/neardup_quality.py (the real stage, end to end) on the tune and the holdout split.

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.neardup_quality import file_rows, load_or_build, read_rows, run_pipeline  # noqa: E402
from benchmarks.neardup_set import DEFAULT_DEV_DIR  # noqa: E402
from scrapeline.pipeline.config import load_config  # noqa: E402
from scrapeline.transforms.core.records import BandEntry
from scrapeline.transforms.dedup.exact import candidate_pairs
from scrapeline.transforms.core.keys import body_shingles
from scrapeline.transforms.dedup.near import clusters, compare, shingle_band_keys

import numpy as np  # noqa: E402


def replay(rows: list[dict], s) -> tuple[dict[int, int], int, list[tuple[int, int, float, float]]]:
    """The stage on `rows` (index -> cluster root index), candidate pairs verified, and (i, j, jaccard,
    containment) of every verified candidate pair."""
    buckets: dict[int, list[BandEntry]] = defaultdict(list)
    shingled = []
    for i, r in enumerate(rows):
        sh, n_words = body_shingles(r["body"], s.shingle_words)
        shingled.append((sh, n_words))
        keys, n_sh = shingle_band_keys(sh, n_words, s), len(sh)
        for k in keys:
            buckets[k].append(BandEntry(str(i), n_sh))
    pairs = set()
    for entries in buckets.values():
        pairs.update(candidate_pairs(entries, s, 1000) or ())
    edges, seen = [], []
    for a, b in sorted(pairs):
        i, j = int(a), int(b)
        (sa, wa), (sb, wb) = shingled[i], shingled[j]
        inter = len(np.intersect1d(sa, sb, assume_unique=True))
        if len(sa) and len(sb):
            seen.append((i, j, inter / (len(sa) + len(sb) - inter), inter / min(len(sa), len(sb))))
        if compare(sa, wa, sb, wb, s):
            edges.append((a, b))
    comp = clusters([str(i) for i in range(len(rows))], edges)
    return {int(k): int(v) for k, v in comp.items()}, len(pairs), seen


def score(manifest: dict, where: dict[str, int], comp: dict[int, int], row_story: dict[int, set]) -> dict:
    story = {f["file"]: f["story_id"] for f in manifest["files"]}
    by_story = defaultdict(list)
    for f, sid in story.items():
        by_story[sid].append(f)
    pos = folded = 0
    for files in by_story.values():
        for x in range(len(files)):
            for y in range(x + 1, len(files)):
                a, b = files[x], files[y]
                if a in where and b in where:
                    pos += 1
                    folded += comp[where[a]] == comp[where[b]]
    members = defaultdict(set)
    for i, root in comp.items():
        members[root] |= row_story.get(i, set())
    false_clusters = sum(1 for m in members.values() if len(m) > 1)
    return {"pairs": pos, "folded": folded, "recall": folded / pos if pos else 0.0, "false_merged_clusters":
            false_clusters}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set")
    ap.add_argument("--split", choices=["tune", "holdout", "all"], default="tune")
    ap.add_argument("--dev-dir", default=str(DEFAULT_DEV_DIR))
    args = ap.parse_args(argv)
    base = load_config().near
    with tempfile.TemporaryDirectory(prefix="neardup-sweep-") as tmp:
        tmp = Path(tmp)
        set_dir, manifest = load_or_build(args.set, tmp, args.dev_dir, args.split)
        off = tmp / "off.yaml"
        off.write_text("dedup:\n  near:\n    enabled: false\n")
        out = tmp / "out"
        run_pipeline(set_dir / "html", out, ["--config", str(off)])
        rows = read_rows(out, extra_columns=["body"])
    where = file_rows(rows)  # file -> row index
    story = {f["file"]: f["story_id"] for f in manifest["files"]}
    row_story: dict[int, set] = defaultdict(set)
    for f, i in where.items():
        row_story[i].add(story[f])
    exact_only = score(manifest, where, {i: i for i in range(len(rows))}, row_story)
    print(f"split {manifest['split']}: {len(manifest['files'])} files, {len(rows)} rows after the exact stage; "
          f"exact stage alone folds {exact_only['folded']}/{exact_only['pairs']} = {exact_only['recall']:.3f}")
    print(f"configured: {base}")
    variants = [("configured", {})]
    for k, values in [("shingle_words", [3, 4, 7]), ("containment", [0.6, 0.7, 0.9]), ("jaccard", [0.6, 0.9]),
                      ("min_words", [20, 30, 80]), ("max_size_ratio", [3.0, 8.0]),
                      ("bands", [16, 64]), ("rows", [1, 3])]:
        variants += [(f"{k}={v}", {k: v}) for v in values]
    print(f"{'setting':<22}{'recall':>8}{'folded':>14}{'false merges':>14}{'candidates':>12}"
          f"{'max J (neg)':>13}{'max C (neg)':>13}")
    for name, change in variants:
        s = dataclasses.replace(base, **change)
        comp, n_pairs, seen = replay(rows, s)
        r = score(manifest, where, comp, row_story)
        neg = [(j, c) for i, k, j, c in seen if row_story[i] and row_story[k] and not (row_story[i] & row_story[k])]
        max_j = max((j for j, _ in neg), default=0.0)
        max_c = max((c for _, c in neg), default=0.0)
        print(f"{name:<22}{r['recall']:>8.3f}{r['folded']:>7}/{r['pairs']:<6}{r['false_merged_clusters']:>14}"
              f"{n_pairs:>12}{max_j:>13.3f}{max_c:>13.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
