"""Issue 7's fuzz test: real inputs mutated (tests/support/mutations.py) never fail a run, lose a good file, or make a
row out of a binary. Two layers, about a minute together:

- every case through the pipeline's pure functions (read_dump, extract_page), driven by hypothesis;
- whole runs of the CLI in a subprocess over a directory of mutated files mixed with good ones: exit 0, the
  accounting identity holds, every good file is ingested, no row comes from a binary or a bomb, peak memory is
  bounded, and a rerun adds nothing.

The long run (100k cases) is `benchmarks/fuzz.py`.
"""

from __future__ import annotations

import dataclasses

import gzip
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pyarrow.dataset as ds
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.paths import REPO
from tests.support.mutations import MB, check_case, mutate, seeds

SEEDS = seeds()
LIMIT_MB = 8
FUZZ_SEED = int(os.environ.get("SCRAPELINE_FUZZ_SEED", "20261204"))


@settings(max_examples=int(os.environ.get("SCRAPELINE_FUZZ_EXAMPLES", "150")),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(seed=st.integers(0, len(SEEDS) - 1), n=st.integers(0, 2**32))
def test_any_mutated_input_is_read_and_extracted_safely(tmp_path, config, seed, n):
    case = mutate(SEEDS[seed], random.Random(n), LIMIT_MB)
    path = tmp_path / case.name
    path.write_bytes(case.data)
    check_case(path, case, config, dataclasses.replace(config.read_settings(), max_file_bytes=LIMIT_MB * MB, excerpt_chars=500))


def _good_files(d: Path) -> dict[str, str]:
    """Three good dumps, one per container, with stories no mutation can produce: name -> title."""
    words = "harbour council ferry timetable bridge tender budget school library museum".split()
    out = {}
    for i, (name, kind) in enumerate([("good-a.txt", "text"), ("good-b.html", "html"), ("good-c.jsonl", "jsonl")]):
        r = random.Random(i)
        title = f"Good story {i} about the {words[i]}"
        body = " ".join(" ".join(r.choice(words) for _ in range(12)) + "." for _ in range(10))
        if kind == "text":
            (d / name).write_text(f"{title}\n{body}\n")
        elif kind == "html":
            (d / name).write_text(f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
                                  f"<p>{body}</p></article></body></html>")
        else:
            (d / name).write_text(json.dumps({"text": f"{title}\n{body}", "url": f"https://ex.org/good/{i}"}) + "\n")
        out[name] = title
    return out


# The peak RSS of the run's own process: VmHWM, which starts afresh at exec. (getrusage's ru_maxrss keeps the peak
# of the process before exec, the forked pytest process's, and grew with what this process had run in-process.)
_RUNNER = ("import sys; from pipeline.cli import main; code = main(sys.argv[1:]); "
           "hwm = [line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM:')]; "
           "print('MAXRSS_KB', hwm[0], file=sys.stderr); sys.exit(code)")


def _run_cli(inp: Path, out: Path, cfg: Path) -> tuple[int, int, str]:
    proc = subprocess.run(
        [sys.executable, "-c", _RUNNER, "run", str(inp), "--output", str(out), "--config", str(cfg),
         "--fetched-at", "2025-08-06T12:00:00Z"],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )
    rss = [int(line.split()[1]) for line in proc.stderr.splitlines() if line.startswith("MAXRSS_KB")]
    return proc.returncode, (rss[0] * 1024 if rss else 0), proc.stderr[-3000:]


def _small_limit_config(tmp_path: Path) -> Path:
    """The default config with read.max_file_bytes at LIMIT_MB (so bombs are cheap to refuse)."""
    import yaml

    base = REPO / "configs"
    data = yaml.safe_load((base / "default.yaml").read_text())
    data["layouts"] = [str(base / p) for p in data["layouts"]]
    data["cleaning"] = str(base / data["cleaning"])
    data["sources"] = str(base / data["sources"])
    data["read"]["max_file_bytes"] = LIMIT_MB * MB
    path = tmp_path / "fuzz.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> tuple[Path, int]:
    """The small-limit config, and the peak RSS of a run over the good files alone (made once for both batches)."""
    tmp = tmp_path_factory.mktemp("fuzz-baseline")
    cfg = _small_limit_config(tmp)
    inp = tmp / "in"
    inp.mkdir()
    _good_files(inp)
    code, rss, err = _run_cli(inp, tmp / "out", cfg)
    assert code == 0 and rss > 0, err
    return cfg, rss


@pytest.mark.parametrize("batch", [0, 1])
def test_runs_over_mutated_files_mixed_with_good_ones(tmp_path, batch, baseline):
    r = random.Random(FUZZ_SEED * 10 + batch)
    inp = tmp_path / "in"
    inp.mkdir()
    good = _good_files(inp)
    bad_names = set()
    for i in range(40):
        case = mutate(SEEDS[i % len(SEEDS)], r, LIMIT_MB)
        name = f"m{i:02d}-{case.name}"
        (inp / name).write_bytes(case.data)
        if case.binary:
            bad_names.add(name)
    # A bomb large enough to matter: 256 MB of zeros in 0.25 MB of gzip. Read without the limit it alone would
    # add several times its size to the peak; read with it, at most a few LIMIT_MB buffers.
    bomb = inp / "bomb.txt.gz"
    with gzip.open(bomb, "wb", compresslevel=1) as f:
        for _ in range(256):
            f.write(bytes(MB))
    bad_names.add(bomb.name)
    cfg, baseline_rss = baseline  # the good files alone
    out = tmp_path / "out"
    code, rss, err = _run_cli(inp, out, cfg)
    assert code == 0, err
    summary = json.loads(sorted((out / "_runs").glob("*.json"))[-1].read_text())
    assert summary["identity"]["holds"], summary["identity"]
    rows = ds.dataset(str(out / "articles"), format="parquet", partitioning="hive").to_table().to_pylist()
    by_file = {Path(row["input_uri"]).name for row in rows}
    assert set(good) <= by_file, f"good files not ingested: {set(good) - by_file}"
    assert not by_file & bad_names, f"rows from binaries or bombs: {by_file & bad_names}"
    bound = baseline_rss + 16 * LIMIT_MB * MB
    assert rss < bound, f"peak RSS {rss / MB:.0f} MB; the good files alone {baseline_rss / MB:.0f} MB"

    from scrapeline.pipeline.cli import main  # the rerun in this process: only the first run's memory is measured

    assert main(["run", str(inp), "--output", str(out), "--config", str(cfg), "--fetched-at",
                 "2025-08-06T12:00:00Z"]) == 0
    again = ds.dataset(str(out / "articles"), format="parquet", partitioning="hive").to_table()
    assert again.num_rows == len(rows)
