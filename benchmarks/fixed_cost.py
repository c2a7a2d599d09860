"""Fixed cost of a run: from the command to the first page extracted, and to the end, on a small input.

    .venv/bin/python benchmarks/fixed_cost.py [--repeats 5] [--input samples] [--package-dir DIR ...] [--rerun]
        [-- extra `scrapeline run` arguments, e.g. --format hive]

Each repeat starts a fresh Python process that runs `scrapeline run INPUT --output <new dir>` in-process (the
default DirectRunner), with `extract_page` wrapped to note when it is first called. Printed per configuration:
the median, min and max of (a) process start to the first page extracted, (b) process start to exit, and (c)
`import apache_beam` alone, the floor no Beam pipeline goes under. `--rerun`: each repeat first runs once into its new
output (not timed), then times a second run into it (an output that has tables and rows). `--package-dir` (repeatable): a folder holding
`scrapeline` (e.g. a symlink to another checkout) to compare with this checkout in the same run, interleaved.
Asserts nothing; timings compare only within one run (the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

_CHILD = r'''
import json, sys, time
t0 = float(sys.argv[1])
first = []
import scrapeline.transforms.extract.articles as articles
_extract = articles.extract_page
def extract_page(*a, **k):
    if not first:
        first.append(time.time())
    return _extract(*a, **k)
articles.extract_page = extract_page
from scrapeline.pipeline.cli import main
sys.argv = ["scrapeline", "run", *sys.argv[3:]]
try:
    main()
except SystemExit:
    pass
print(json.dumps({"first": first[0] - t0 if first else None, "end": time.time() - t0}), file=sys.stderr)
'''


def _one(python: str, path: list[str], run_args: list[str], rerun: bool = False) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    with tempfile.TemporaryDirectory() as tmp:
        if rerun:
            subprocess.run([python, "-c", _CHILD, str(time.time()), "x", *run_args, "--output", f"{tmp}/out"],
                           env=env, capture_output=True, check=True, cwd=REPO)
        t0 = time.time()
        proc = subprocess.run([python, "-c", _CHILD, str(t0), "x", *run_args, "--output", f"{tmp}/out"],
                              env=env, capture_output=True, text=True, cwd=REPO)
    for line in reversed(proc.stderr.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise SystemExit(f"the run printed no timing (exit {proc.returncode}):\n{proc.stderr[-2000:]}")


def _import_beam(python: str) -> float:
    t0 = time.time()
    subprocess.run([python, "-c", "import apache_beam"], check=True)
    return time.time() - t0


def _fmt(xs: list[float]) -> str:
    return f"median {statistics.median(xs):5.2f} s (min {min(xs):.2f}, max {max(xs):.2f})"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--input", default="samples")
    ap.add_argument("--package-dir", action="append", default=[])
    ap.add_argument("--rerun", action="store_true")
    args, rest = ap.parse_known_args()
    rest = [a for a in rest if a != "--"]
    configs = {"this checkout": []}  # the package installed from this checkout (`pip install -e .`)
    configs.update({d: [d] for d in args.package_dir})
    runs: dict[str, list[dict]] = {name: [] for name in configs}
    beam = []
    for _ in range(args.repeats):
        beam.append(_import_beam(sys.executable))
        for name, path in configs.items():
            runs[name].append(_one(sys.executable, path, [args.input, *rest], args.rerun))
    print(f"import apache_beam: {_fmt(beam)}")
    for name, rs in runs.items():
        firsts = [r["first"] for r in rs if r["first"] is not None]
        print(f"{name}:")
        print(f"  command -> first page extracted: {_fmt(firsts) if firsts else 'no page extracted'}")
        print(f"  command -> exit:                 {_fmt([r['end'] for r in rs])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
