"""Issue 7 item 2: one writer per output, through the CLI. Two `scrapeline run`s started together on one output
and the same inputs: one exits 0, the other 2 naming it, and no article_id is duplicated (before the lock,
identical inputs doubled every row). `watch` holds the lock for its lifetime, `compact` is refused while it is
held, and a run after a writer killed -9 takes the lock over and removes what it left in `_temporary/`."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from apache_beam.io.localfilesystem import LocalFileSystem

from scrapeline.pipeline.cli import main
from scrapeline.pipeline.lock import OutputLock
from tests.support import killpoints
from tests.support.paths import REPO
from scrapeline.transforms.core.records import ARTICLE_SCHEMA

# `python -m pipeline` from the checkout (not the installed console script), so the code under test is this tree's.
CLI = [sys.executable, "-m", "scrapeline"]
FETCHED = ["--fetched-at", "2025-08-06T12:00:00Z"]
_REFUSED = re.compile(r"scrapeline: error: output (?P<out>\S+) is being written by "
                      r"scrapeline (?P<cmd>run|watch|compact)"
                      r"(?: (?P<run_id>\S+))? \(pid (?P<pid>\d+) on host (?P<host>\S+), since (?P<since>\S+)\); "
                      r"one writer per output")


def _dumps(directory: Path, n: int = 3) -> Path:
    """A few small text dumps (generic layout), distinct stories."""
    directory.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        words = " ".join(f"word{i}x{j}" for j in range(60))
        text = f"Story number {i} about the harbour\n\n{words}. The end of story {i}.\n"
        (directory / f"dump{i}.txt").write_text(text)
    return directory


def _ours(stderr: str) -> list[str]:
    """Our own stderr lines (Beam may log warnings about optional cloud libraries)."""
    return [line for line in stderr.splitlines() if line.startswith("scrapeline")]


def _article_ids(out: Path) -> list[str]:
    return ds.dataset(str(out / "articles"), format="parquet", partitioning="hive").to_table().column(
        "article_id").to_pylist()


def test_two_runs_started_together_one_is_refused_and_nothing_is_doubled(tmp_path):
    out = tmp_path / "out"
    inputs = [str(REPO / "samples"), str(_dumps(tmp_path / "dumps"))]
    cmd = [*CLI, "run", *inputs, "--output", str(out), *FETCHED]
    procs = [subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = [(p, *p.communicate(timeout=300)) for p in procs]
    codes = sorted(p.returncode for p, _, _ in results)
    assert codes == [0, 2], [(p.returncode, err[-2000:]) for p, _, err in results]
    winner = next(p for p, _, _ in results if p.returncode == 0)
    _, refused_out, refused_err = next(r for r in results if r[0].returncode == 2)
    lines = _ours(refused_err)
    assert len(lines) == 1, refused_err  # one line, and no run banner: refused before any graph was built
    m = _REFUSED.fullmatch(lines[0])
    assert m, lines[0]
    assert (m["out"], m["cmd"], int(m["pid"]), m["host"]) == (str(out), "run", winner.pid, socket.gethostname())
    assert refused_out == ""
    summaries = list((out / "_runs").glob("*.json"))
    assert [s.stem for s in summaries] == [m["run_id"]]  # the run the message named is the one that wrote
    ids = _article_ids(out)
    assert len(ids) == len(set(ids)) == 3 + 3  # the sample's 3 stories and the 3 dumps, each once
    assert json.loads((out / "_lock.json").read_text())["released"]


def test_watch_holds_the_lock_for_its_lifetime(tmp_path, capsys):
    out, landing = tmp_path / "out", tmp_path / "landing"
    landing.mkdir()
    watch = subprocess.Popen([*CLI, "watch", str(landing), "--output", str(out), "--poll-interval", "0.2s",
                              "--idle-timeout", "60", *FETCHED], cwd=REPO, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        banner = ""
        while "scrapeline" not in banner:  # Beam may log a warning first
            banner = watch.stderr.readline()
            assert banner, "watch exited early"
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\S* scrapeline watch: ", banner), banner  # holds the lock
        assert main(["run", str(REPO / "samples"), "--output", str(out), *FETCHED]) == 2
        assert main(["watch", str(landing), "--output", str(out), "--idle-timeout", "1"]) == 2
        err = _ours(capsys.readouterr().err)
        assert len(err) == 2
        for line in err:
            m = _REFUSED.fullmatch(line)
            assert m and m["cmd"] == "watch" and int(m["pid"]) == watch.pid, line
        assert not (out / "articles").exists()  # the refused run wrote nothing
    finally:
        watch.send_signal(signal.SIGTERM)
        rest = watch.communicate(timeout=60)[1]
    assert watch.returncode == 0, rest
    record = json.loads((out / "_lock.json").read_text())
    assert record["command"] == "watch" and record["pid"] == watch.pid and record["released"]


def test_compact_is_refused_while_a_run_holds_the_lock_and_changes_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    part = out / "articles" / "source=x" / "date=2025-08-06"
    part.mkdir(parents=True)
    for n in range(2):  # two files: compaction would merge them
        pq.write_table(pa.Table.from_pylist([], schema=ARTICLE_SCHEMA), part / f"part-r-{n}.parquet")
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from pipeline.lock import OutputLock; "
                               "OutputLock(sys.argv[1], 'run', 'RUN-X').acquire(); print('held', flush=True); "
                               "time.sleep(60)", str(out)], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        before = sorted(os.listdir(part))
        assert main(["compact", str(out)]) == 2
        m = _REFUSED.fullmatch("\n".join(_ours(capsys.readouterr().err)))
        assert m and (m["cmd"], m["run_id"], int(m["pid"])) == ("run", "RUN-X", holder.pid)
        assert sorted(os.listdir(part)) == before
    finally:
        holder.kill()
        holder.wait()
    assert main(["compact", str(out)]) == 0  # holder gone (killed): taken over, compacted
    assert len(os.listdir(part)) == 1
    assert "took over the lock" in capsys.readouterr().err


def test_a_run_after_a_writer_killed_9_takes_over_and_cleans_temporary(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", "import sys, os, time; from pipeline.lock import OutputLock; "
                               "OutputLock(sys.argv[1], 'run', 'DEAD').acquire(); "
                               "os.makedirs(os.path.join(sys.argv[1], '_temporary', 'DEAD-articles', 'source=x')); "
                               "open(os.path.join(sys.argv[1], '_temporary', 'DEAD-articles', 'source=x', 'a.parquet'),"
                               " 'w').write('half'); print('held', flush=True); time.sleep(60)", str(out)],
                              cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    assert main(["run", str(REPO / "samples"), "--output", str(out), *FETCHED]) == 0
    err = _ours(capsys.readouterr().err)
    took = [line for line in err if line.startswith("scrapeline: took over")]
    assert took == [f"scrapeline: took over the lock on {out} from a writer that is gone: scrapeline run DEAD "
                    f"(pid {holder.pid} on host {socket.gethostname()}, since {took[0].rsplit('since ', 1)[1]}"], err
    assert f"scrapeline: removed 1 entry that dead writers left under {out / '_temporary'}" in err
    assert not (out / "_temporary").exists()
    ids = _article_ids(out)
    assert len(ids) == len(set(ids)) == 3


# -- an object-store output: the lease, through the CLI, on a fake "://" filesystem backed by a local directory --

class _FakeStore(LocalFileSystem):
    """`fakestore://x` is `<root>/x`: enough of an object store for the CLI to take its remote paths (the
    lease, the `_temporary/` clean-up, the whole run). Not a real store: writes are not atomic objects."""

    root = ""

    @classmethod
    def scheme(cls):
        return "fakestore"

    def _p(self, path: str) -> str:  # LocalFileSystem's methods call each other with local paths: pass those
        return os.path.join(self.root, path[len("fakestore://"):]) if path.startswith("fakestore://") else path

    def _u(self, local: str) -> str:
        return "fakestore://" + os.path.relpath(local, self.root)

    def join(self, basepath, *paths):
        return "/".join([basepath.rstrip("/"), *(p.strip("/") for p in paths)])

    def split(self, path):
        head, _, tail = path.rstrip("/").rpartition("/")
        return head, tail

    def _url_dirname(self, url_or_path):
        return self.split(url_or_path)[0]

    def mkdirs(self, path):
        super().mkdirs(self._p(path))

    def _list(self, dir_or_prefix):
        for m in super()._list(self._p(dir_or_prefix)):
            yield type(m)(self._u(m.path), m.size_in_bytes, m.last_updated_in_seconds)

    def create(self, path, *args, **kwargs):
        return super().create(self._p(path), *args, **kwargs)

    def open(self, path, *args, **kwargs):
        return super().open(self._p(path), *args, **kwargs)

    def copy(self, sources, destinations):
        super().copy([self._p(s) for s in sources], [self._p(d) for d in destinations])

    def rename(self, sources, destinations):
        super().rename([self._p(s) for s in sources], [self._p(d) for d in destinations])

    def exists(self, path):
        return super().exists(self._p(path))

    def size(self, path):
        return super().size(self._p(path))

    def last_updated(self, path):
        return super().last_updated(self._p(path))

    def checksum(self, path):
        return super().checksum(self._p(path))

    def metadata(self, path):
        m = super().metadata(self._p(path))
        return type(m)(self._u(m.path) if m.path.startswith(self.root) else path, m.size_in_bytes,
                       m.last_updated_in_seconds)

    def delete(self, paths):
        for path in map(self._p, paths):
            shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)


def test_object_store_output_takes_a_lease(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(_FakeStore, "root", str(tmp_path / "store"))
    (tmp_path / "store" / "bucket" / "out" / "_temporary" / "dead-run-articles").mkdir(parents=True)
    (tmp_path / "store" / "bucket" / "out" / "_temporary" / "dead-run-articles" / "a.parquet").write_bytes(b"x")
    out = "fakestore://bucket/out"
    holder = OutputLock(out, "watch", confirm_delay=0).acquire()  # "://": the lease
    assert holder.lease and json.loads((tmp_path / "store/bucket/out/_lock.json").read_text())["lease_id"]
    assert _ours(capsys.readouterr().err) == [
        f"scrapeline: removed 1 entry that dead writers left under {out}/_temporary"]
    assert not list((tmp_path / "store/bucket/out/_temporary").rglob("*.parquet"))
    try:
        assert main(["run", str(REPO / "samples"), "--output", out, *FETCHED]) == 2
        m = _REFUSED.fullmatch("\n".join(_ours(capsys.readouterr().err)))
        assert m and (m["out"], m["cmd"], int(m["pid"])) == (out, "watch", os.getpid())
    finally:
        holder.release()
    assert not (tmp_path / "store/bucket/out/_lock.json").exists()

    assert main(["run", str(REPO / "samples"), "--output", out, *FETCHED]) == 0  # free: takes the lease, runs
    assert not (tmp_path / "store/bucket/out/_lock.json").exists()  # released: the lease object deleted
    ids = _article_ids(tmp_path / "store/bucket/out")
    assert len(ids) == len(set(ids)) == 3


# -- a real run killed -9 before and during its commit, then run again -------------------------------------------

def _dated_dumps(directory: Path, n: int = 6) -> Path:
    """`n` text dumps, distinct stories, fetched on `n` different days (sidecars): `n` article partitions, so the
    articles' commit renames several files."""
    directory.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        words = " ".join(f"tide{i}y{j}" for j in range(80))
        (directory / f"day{i}.txt").write_text(f"Harbour report {i}\n\n{words}. End of report {i}.\n")
        (directory / f"day{i}.txt.meta.json").write_text(json.dumps({"fetched_at": f"2025-08-0{i + 1}T12:00:00Z"}))
    return directory


def _manifested(out: Path, table: str = "articles") -> set[str]:
    listed: set[str] = set()
    for manifest in (out / "_runs").glob(f"*/{table}.json"):
        listed |= {f["path"] for f in json.loads(manifest.read_text())["files"]}
    return listed


def _temporary_files(out: Path) -> list[str]:
    return sorted(str(p.relative_to(out)) for p in (out / "_temporary").rglob("*") if p.is_file()) \
        if (out / "_temporary").exists() else []


@pytest.fixture(scope="module")
def dated_and_clean(tmp_path_factory) -> tuple[Path, list[str]]:
    """The dated dumps and the article ids of a clean run of them (made once for the kill points)."""
    tmp = tmp_path_factory.mktemp("killed")
    inputs = _dated_dumps(tmp / "dumps")
    clean = tmp / "clean"
    assert main(["run", str(inputs), "--output", str(clean), *FETCHED]) == 0
    clean_ids = sorted(_article_ids(clean))
    assert len(clean_ids) == len(set(clean_ids)) == 6 and len(_manifested(clean)) == 6
    return inputs, clean_ids


@pytest.mark.parametrize("point", [
    "read", "commit-start",
    "commit-mid",
])
def test_a_run_killed_9_at_a_point_it_reached_is_recovered_by_running_it_again(tmp_path, point, dated_and_clean):
    """docs/guarantees.md, "Where a kill leaves the output": a real `scrapeline run`, stopped inside its first DoFn,
    at the start of the articles' commit, or inside it after one file is published, and killed -9 there; the same
    command again exits 0 and leaves the rows of a clean run (same article ids, each once), nothing under
    `_temporary/`, no article file that no committed manifest lists, and the inputs recorded as ingested."""
    inputs, clean_ids = dated_and_clean
    out, hook = tmp_path / "out", killpoints.prepare_dir(tmp_path / "hook")
    cmd = ["run", str(inputs), "--output", str(out), *FETCHED]
    env = {**os.environ, "SCRAPELINE_KILLPOINT": point, "SCRAPELINE_KILLPOINT_DIR": str(hook)}
    victim = subprocess.Popen([sys.executable, "-c", killpoints.LAUNCH, *cmd], cwd=REPO, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert killpoints.wait_reached(hook, victim) == victim.pid
        published = sorted(p.name for p in (out / "articles").rglob("*.parquet")) if (out / "articles").exists() else []
        assert len(published) == {"read": 0, "commit-start": 0, "commit-mid": 1}[point]
        if point != "read":
            assert len([f for f in _temporary_files(out) if "-articles/" in f]) == 6 - len(published)
        assert not list((out / "_runs").glob("*.json")) if (out / "_runs").exists() else True  # no run record yet
    finally:
        victim.kill()  # SIGKILL
        victim.communicate()
    assert victim.returncode == -signal.SIGKILL

    assert main(cmd) == 0  # the same command again (in this process: what it recovers from is on disk)
    ids = sorted(_article_ids(out))
    assert ids == clean_ids  # the same articles, each once
    assert _temporary_files(out) == []
    [record] = [json.loads(p.read_text()) for p in (out / "_runs").glob("*.json")]
    assert record["status"] == "succeeded"
    assert sorted(f["path"] for f in record["files"]) == sorted(str(p) for p in inputs.glob("*.txt"))  # ingested
    assert (record["articles_written"], record["duplicates_already_in_output"]) == (6 - len(published), len(published))
    files = {str(p) for p in (out / "articles").rglob("*.parquet")}
    orphans = sorted(files - _manifested(out))
    assert orphans == [], f"article files no committed manifest lists: {orphans}"
