"""`--format iceberg`: the output as Iceberg tables in the embedded SQLite catalog (pipeline/tables.py).

Two batches (tests/support/batches.py: every container kind; the second rewrites stored rows with late copies and
links stored teasers) run once into plain folders and once into Iceberg tables. What the tables hold must be what
the folders hold, row for row; each run is one snapshot per table that changed, tagged with its run id; the run
that rewrote stored files swapped them in the same snapshot (an overwrite); the table as of the first run is the
first run's output; a rollback of the second run restores it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from scrapeline.pipeline import api
from scrapeline.pipeline.cli import main
from scrapeline.pipeline.errors import UsageError
from scrapeline.pipeline.tables import TABLES, current_files, history, open_catalog, open_tables, rollback
from tests.support.batches import FETCHED, config_with_small_ranges, first_batch, second_batch
from tests.support.servers import stop

VARYING = {"ingested_at", "pipeline_version", "occurred_at"}
RUNNER = {"runner": "FnApiRunner"}


def _folder_rows(root, table: str) -> list[dict]:
    data = ds.dataset(f"{root}/{table}", format="parquet", partitioning="hive")
    return _canonical(data.to_table().to_pylist())


def _table_rows(table, snapshot_id=None) -> list[dict]:
    return _canonical(table.scan(snapshot_id=snapshot_id).to_arrow().to_pylist())


def _canonical(rows: list[dict]) -> list[dict]:
    """Rows without the columns that differ by construction; dates as text (a Hive reader infers them as text)."""
    # a dead letter's `date` is the day it was made (`occurred_at`'s): it differs when runs straddle midnight UTC
    return sorted(({k: (str(v) if k == "date" else v) for k, v in r.items()
                    if k not in VARYING and not (k == "date" and "occurred_at" in r)} for r in rows),
                  key=repr)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """(hive output, iceberg output, iceberg rows per table after the first run, config, batch 2), the outputs after
    both batches."""
    tmp = tmp_path_factory.mktemp("tables")
    config = config_with_small_ranges(tmp)
    first, second = first_batch(tmp / "batch1"), second_batch(tmp / "batch2")
    hive, ice = tmp / "hive", tmp / "ice"
    for out, fmt in ((hive, "hive"), (ice, "iceberg")):
        api.run([str(first)], str(out), config=str(config), fetched_at=FETCHED, options=RUNNER, table_format=fmt,
                run_id="first")
    tables = open_tables(open_catalog(str(ice)), str(ice))
    after_first = {name: _table_rows(t) for name, t in tables.items()}
    for out, fmt in ((hive, "hive"), (ice, "iceberg")):
        summary = api.run([str(second)], str(out), config=str(config), fetched_at=FETCHED, options=RUNNER,
                          table_format=fmt, run_id="second")
        assert summary.record["stored_rows_updated_with_new_copies"] == 3
    return hive, ice, after_first, config, second, first


@pytest.fixture(scope="module")
def first_run_place(tmp_path_factory):
    """A place for an Iceberg output of batch 1 alone, and a copy of that output: several tests start from it.
    A table names the absolute paths of its files, so a copy is only good at the place it was made; the tests of
    this module run one after another in one process (README's command: a test file per process), so each one can
    put the output back there and use it (`_after_first_run`), one pipeline run instead of one per test."""
    return tmp_path_factory.mktemp("first-run")


def _after_first_run(root: Path, outputs) -> Path:
    """Batch 1's Iceberg output, as fresh as a new run would leave it, at `root` (made by the first caller)."""
    import shutil

    out, copy = root / "out", root / "copy"
    if not copy.exists():
        _, _, _, config, _, first = outputs
        api.run([str(first)], str(out), config=str(config), fetched_at=FETCHED, options=RUNNER,
                table_format="iceberg", run_id="first")
        shutil.copytree(out, copy)
    else:
        shutil.rmtree(out)
        shutil.copytree(copy, out)
    return out


def test_the_tables_hold_what_the_folders_hold(outputs):
    hive, ice, *_ = outputs
    tables = open_tables(open_catalog(str(ice)), str(ice))
    for name in TABLES:
        assert _table_rows(tables[name]) == _folder_rows(hive, name), name
    assert len(_table_rows(tables["articles"])) == 5


def test_one_snapshot_per_run_and_table_the_rewrites_swapped_in_it(outputs):
    _, ice, *_ = outputs
    record = json.loads((ice / "_runs" / "second.json").read_text())
    assert record["iceberg"]["committed"] is True and record["iceberg"]["commit_s"] > 0
    rows = history(open_tables(open_catalog(str(ice)), str(ice)))
    by_table = {}
    for r in rows:
        by_table.setdefault(r["table"], []).append(r)
    assert [r["run_id"] for r in by_table["articles"]] == ["first", "second"]
    second = by_table["articles"][1]
    assert second["operation"] == "overwrite" and second["removed_files"] == record["iceberg"]["replaced_files"][
        "articles"] > 0
    assert second["current"] and not by_table["articles"][0]["current"]
    assert all(len({r["run_id"] for r in snaps}) == len(snaps) for snaps in by_table.values())
    # the replaced files are still on disk (time travel reads them) but no longer in the table
    tables = open_tables(open_catalog(str(ice)), str(ice))
    on_disk = {str(p) for p in (ice / "articles").rglob("*.parquet")}
    assert current_files(tables["articles"]) < on_disk


def test_an_iceberg_run_on_hive_folders_adopts_them_first(outputs, tmp_path):
    """Batch 1 into plain folders, batch 2 with --format iceberg into the same output: the first Iceberg run adopts
    the folders' files (one snapshot, run id `adopted`), then commits its own; the tables end as the Hive output of
    both batches."""
    hive, _, _, config, second, first = outputs
    out = tmp_path / "out"
    api.run([str(first)], str(out), config=str(config), fetched_at=FETCHED, options=RUNNER, table_format="hive",
            run_id="first")
    api.run([str(second)], str(out), config=str(config), fetched_at=FETCHED, options=RUNNER, table_format="iceberg",
            run_id="second")
    tables = open_tables(open_catalog(str(out)), str(out))
    for name in TABLES:
        assert _table_rows(tables[name]) == _folder_rows(hive, name), name
    runs = [(r["table"], r["run_id"]) for r in history(tables)]
    assert ("articles", "adopted") in runs and runs.index(("articles", "adopted")) < runs.index(("articles", "second"))


def test_scrapeline_adopt_makes_plain_folders_tables_and_later_runs_keep_them(outputs, tmp_path, capsys):
    """Without --format a run keeps an output's format: plain folders stay folders until `scrapeline adopt`, which
    takes their files as they are; the next run with no --format commits to the tables."""
    import shutil

    hive, _, _, config, second, _ = outputs
    out = tmp_path / "out"
    shutil.copytree(hive, out)
    (out / "_lock.json").unlink(missing_ok=True)
    again = api.run([str(second)], str(out), config=str(config), fetched_at=FETCHED, options=RUNNER, run_id="h")
    assert again.record["format"]["table_format"] == "hive" and not (out / "_catalog").exists()
    assert main(["adopt", str(out)]) == 0
    assert "articles: " in capsys.readouterr().out
    tables = open_tables(open_catalog(str(out)), str(out))
    for name in TABLES:
        assert _table_rows(tables[name]) == _folder_rows(hive, name), name
    assert {r["run_id"] for r in history(tables)} == {"adopted"}
    assert main(["adopt", str(out)]) == 0  # once: the tables have snapshots now
    assert "nothing to adopt" in capsys.readouterr().out
    summary = api.run([str(second)], str(out), config=str(config), fetched_at=FETCHED, options=RUNNER, run_id="i")
    assert summary.record["format"] == {"table_format": "iceberg", "why": "the output's tables"}
    assert summary.articles_written == 0


def test_a_rerun_reads_the_current_files_only(outputs):
    """Batch 2 again: the old versions of the files it rewrote are still on disk, and are not the output's. Read as
    stored, they would be rewritten again (their copies unrecorded) and the commit would fail."""
    hive, ice, _, config, second, _ = outputs
    summary = api.run([str(second)], str(ice), config=str(config), fetched_at=FETCHED, options=RUNNER,
                      table_format="iceberg", run_id="again")
    assert (summary.articles_written, summary.record["stored_rows_updated_with_new_copies"]) == (0, 0)
    tables = open_tables(open_catalog(str(ice)), str(ice))
    for name in TABLES:
        assert _table_rows(tables[name]) == _folder_rows(hive, name), name
    assert "again" not in {r["run_id"] for r in history(tables)}  # nothing new: no snapshot


def test_the_table_as_of_the_first_run_and_a_rollback_of_the_second(outputs):
    """Last of the module: it rolls the shared output back."""
    _, ice, after_first, *_ = outputs
    tables = open_tables(open_catalog(str(ice)), str(ice))
    first = {r["table"]: r["snapshot_id"] for r in history(tables) if r["run_id"] == "first"}
    assert set(first) == {"articles", "teasers"}  # the first run wrote no dead letter: no snapshot there
    for name in first:
        assert _table_rows(tables[name], first[name]) == after_first[name], name
    assert after_first["dead_letters"] == []
    assert _table_rows(tables["articles"]) != after_first["articles"]
    rollback(tables, "second")
    tables = open_tables(open_catalog(str(ice)), str(ice))
    for name in TABLES:
        assert _table_rows(tables[name]) == after_first[name], name
    with pytest.raises(UsageError, match="is not the latest commit"):
        rollback(tables, "second")  # already undone: the current snapshots are the first run's again
    with pytest.raises(UsageError, match="no table holds a commit of run third"):
        rollback(tables, "third")


def test_iceberg_on_an_object_store_needs_a_catalog(capsys):
    code = main(["run", "--output", "s3://bucket/out", "--format", "iceberg"])
    assert code == 2
    assert "needs a catalog" in capsys.readouterr().err


REST_JAR = "org/apache/iceberg/iceberg-open-api/1.10.0/iceberg-open-api-1.10.0.jar"
"""Iceberg's REST catalog server (Main-Class org.apache.iceberg.rest.RESTCatalogServer, JDBC/SQLite inside), from
Maven Central: `mvn dependency:get -Dartifact=org.apache.iceberg:iceberg-open-api:1.10.0` (212 MB)."""


def _rest_jar():
    import shutil
    import subprocess
    from pathlib import Path

    jar = Path.home() / ".m2" / "repository" / REST_JAR
    if not jar.is_file() and os.environ.get("SCRAPELINE_REST_CATALOG_TESTS") == "1" and shutil.which("mvn"):
        subprocess.run(["mvn", "-q", "-B", "dependency:get", "-Dartifact=org.apache.iceberg:iceberg-open-api:1.10.0"],
                       check=True, timeout=600)
    if not jar.is_file() or not shutil.which("java"):
        pytest.skip(f"no REST catalog server: ~/.m2/repository/{REST_JAR} is fetched with "
                    "SCRAPELINE_REST_CATALOG_TESTS=1 (Maven, 212 MB)")
    return jar


def test_a_rest_catalog_server_holds_the_tables(tmp_path, monkeypatch):
    """`--catalog NAME` with pyiceberg's REST catalog, configured by environment variables, against Iceberg's own
    REST server on 127.0.0.1: a run commits there, history lists it, a rollback empties the table again."""
    import socket
    import subprocess
    import time
    import urllib.request

    jar = _rest_jar()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {"CATALOG_REST_PORT": str(port), "CATALOG_WAREHOUSE": (tmp_path / "wh").as_uri(),
           "CATALOG_URI": f"jdbc:sqlite:{tmp_path}/rest.db", "PATH": os.environ["PATH"]}
    (tmp_path / "wh").mkdir()
    server = subprocess.Popen(["java", "-Xmx512m", "-jar", str(jar)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/config", timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "the REST catalog server did not start"
                time.sleep(0.5)
        monkeypatch.setenv("PYICEBERG_CATALOG__RESTTEST__URI", f"http://127.0.0.1:{port}")
        monkeypatch.setenv("PYICEBERG_CATALOG__RESTTEST__TYPE", "rest")
        out = tmp_path / "out"
        summary = api.run([], str(out), options=RUNNER, table_format="iceberg", catalog="resttest", run_id="r1")
        assert summary.articles_written == 3
        assert not (out / "_catalog" / "catalog.db").exists()  # the server holds the catalog
        tables = open_tables(open_catalog(str(out), "resttest"), str(out))
        assert [(r["table"], r["run_id"]) for r in history(tables)] == [("articles", "r1")]
        assert len(tables["articles"].scan().to_arrow()) == 3
        rollback(tables, "r1")
        assert len(open_tables(open_catalog(str(out), "resttest"), str(out))["articles"].scan().to_arrow()) == 0
    finally:
        stop(server)


@pytest.mark.parametrize("point", ["iceberg-before", "iceberg-metadata", "iceberg-articles"])
def test_a_run_killed_in_its_commit_leaves_each_table_whole_and_a_rerun_completes_it(outputs, tmp_path, point,
                                                                                     first_run_place):
    """SIGKILL in the driver's commit (tests/support/killpoints.py): before any table's commit; inside the articles'
    commit, its new metadata file written and the catalog not pointed at it; between the teasers' commit and the
    articles'. Each table is at its old snapshot or the run's, a reader of the articles sees no row and no file of
    the killed run, and a rerun of the inputs (the run wrote no record) ends with the rows of a clean run."""
    import signal
    import subprocess
    import sys

    from tests.support import killpoints
    from tests.support.paths import REPO

    hive, _, after_first, config, second, _ = outputs
    out = _after_first_run(first_run_place, outputs)
    tables = open_tables(open_catalog(str(out)), str(out))
    before = {name: _table_rows(t) for name, t in tables.items()}
    assert before == after_first  # the restored output is batch 1's
    files_before = current_files(tables["articles"])
    kill_dir = killpoints.prepare_dir(tmp_path / "kill")
    proc = subprocess.Popen(
        [sys.executable, "-c", killpoints.LAUNCH, "run", str(second), "--output", str(out), "--config", str(config),
         "--fetched-at", FETCHED, "--run-id", "second", "--runner", "FnApiRunner"],
        cwd=REPO, env={**os.environ, "SCRAPELINE_KILLPOINT": point, "SCRAPELINE_KILLPOINT_DIR": str(kill_dir)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pid = killpoints.wait_reached(kill_dir, proc)
    os.kill(pid, signal.SIGKILL)
    proc.wait(timeout=60)
    tables = open_tables(open_catalog(str(out)), str(out))
    assert _table_rows(tables["articles"]) == before["articles"]  # not a row of the killed run
    assert current_files(tables["articles"]) == files_before  # nor a file: its new files are on disk, in no table
    on_disk = {str(p) for p in (out / "articles").rglob("*.parquet")}
    assert on_disk > files_before
    committed = [r["run_id"] for r in history(tables) if r["table"] == "dead_letters"]
    assert committed == ([] if point == "iceberg-before" else ["second"])  # dead_letters commits first
    if point == "iceberg-metadata":  # the metadata file the catalog never pointed at: written, and not current
        written = sorted((out / "_catalog" / "articles" / "metadata").glob("*.metadata.json"))
        assert tables["articles"].metadata_location != "file://" + str(written[-1])
    assert not (out / "_runs" / "second.json").exists()
    api.run([str(second)], str(out), config=str(config), fetched_at=FETCHED, options=RUNNER, run_id="rerun")
    tables = open_tables(open_catalog(str(out)), str(out))
    for name in TABLES:
        assert _table_rows(tables[name]) == _folder_rows(hive, name), name


def test_a_reader_polling_during_a_run_sees_the_table_before_it_or_after_it(outputs, first_run_place):
    """A thread reads the articles table every 20 ms while batch 2 runs and commits (late copies rewrite stored
    rows in the same commit): every read is the rows before the run or the rows after it. (Reading as fast as it
    could, the reader took the GIL from the run it watched: 10.4 s instead of 8.0, for 124 reads instead of 57.)"""
    import threading

    _, _, _, config, second, _ = outputs
    out = _after_first_run(first_run_place, outputs)
    catalog = open_catalog(str(out))
    before = _table_rows(catalog.load_table("scrapeline.articles"))
    seen, stop = [], threading.Event()

    def poll():
        reader = open_catalog(str(out))  # its own connection, as another process would have
        while not stop.wait(0.02):
            seen.append(_table_rows(reader.load_table("scrapeline.articles")))

    thread = threading.Thread(target=poll)
    thread.start()
    try:
        api.run([str(second)], str(out), config=str(config), fetched_at=FETCHED, options=RUNNER,
                table_format="iceberg", run_id="second")
        after = _table_rows(catalog.load_table("scrapeline.articles"))
        for _ in range(3):
            seen.append(after)
    finally:
        stop.set()
        thread.join()
    assert before != after
    states = {repr(s) for s in seen}
    assert states <= {repr(before), repr(after)}, f"{len(states)} different states seen"
    print(f"{len(seen)} reads: {sum(repr(s) == repr(before) for s in seen)} before, "
          f"{sum(repr(s) == repr(after) for s in seen)} after")


def test_a_reader_polling_during_compact_sees_every_row_once(outputs, tmp_path):
    """The plain folders of both batches, adopted (several files per partition), then compacted while a thread
    reads the articles table as fast as it can: every read holds exactly the rows before, none twice or missing,
    while the files under them are swapped. The swap keeps the old files (the default retention); deleting them at
    once (`retain_days=0`) while the reader runs made a read fail now and then: a reader that loaded the snapshot
    before the swap found its files gone (CI, 2026-12-07). Expiry with no retention is checked after the reads."""
    import shutil
    import threading

    hive, _, _, config, *_ = outputs
    out = tmp_path / "out"
    shutil.copytree(hive, out, ignore=shutil.ignore_patterns("_lock.json"))
    import pyarrow.parquet as pq

    split = 0
    for path in sorted((out / "articles").rglob("*.parquet")):  # every file of 2+ rows as two files, as runs leave them
        rows = pq.read_table(path)
        if rows.num_rows > 1:
            pq.write_table(rows.slice(0, 1), path.with_name(path.stem + "-a.parquet"))
            pq.write_table(rows.slice(1), path.with_name(path.stem + "-b.parquet"))
            path.unlink()
            split += 1
    assert split, "no file of two rows to split"
    assert main(["adopt", str(out)]) == 0
    catalog = open_catalog(str(out))
    before = _table_rows(catalog.load_table("scrapeline.articles"))
    files_before = current_files(catalog.load_table("scrapeline.articles"))
    seen, errors, stop = [], [], threading.Event()

    def poll():
        try:
            reader = open_catalog(str(out))
            while not stop.is_set():
                seen.append(_table_rows(reader.load_table("scrapeline.articles")))
        except Exception as e:  # noqa: BLE001 - a read that fails is a failed read: the test says so below
            errors.append(e)

    thread = threading.Thread(target=poll)
    thread.start()
    try:
        result = api.compact(str(out), config=str(config))  # the old files stay for the default retention
    finally:
        stop.set()
        thread.join()
    assert not errors, errors
    assert result.merged, "nothing to compact: the test needs partitions of several files"
    files_after = current_files(catalog.load_table("scrapeline.articles"))
    assert files_after != files_before
    assert len(seen) > 3 and all(s == before for s in seen), f"{sum(s != before for s in seen)} of {len(seen)} reads differ"
    api.compact(str(out), config=str(config), retain_days=0)  # now delete what no snapshot keeps
    assert _table_rows(catalog.load_table("scrapeline.articles")) == before
    on_disk = {str(p) for p in (out / "articles").rglob("*.parquet")}
    assert files_before - files_after and not on_disk & (files_before - files_after), "a file compacted away is kept"
    assert files_after <= on_disk
    print(f"{len(seen)} reads during compact, all equal")


def test_watch_commits_each_micro_batch_once(tmp_path):
    """`watch --format iceberg`: each micro-batch is one run, so one snapshot per table it changed, tagged with the
    batch's run id."""
    import shutil
    import signal
    import subprocess
    import sys
    import time

    from tests.support.paths import REPO, SAMPLE_NAME
    from tests.support.warc_builder import build_warc, news_records

    landing, out = tmp_path / "landing", tmp_path / "out"
    landing.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "scrapeline", "watch", str(landing), "--output", str(out),
                             "--format", "iceberg", "--poll-interval", "0.2s", "--settle", "0.5s", "--run-seconds",
                             "240", "--fetched-at", FETCHED, "--runner=FnApiRunner"], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def runs() -> list[dict]:
        return [json.loads(p.read_text()) for p in sorted((out / "_runs").glob("*.json"))] if (out / "_runs").is_dir() \
            else []

    def wait_for(n: int) -> None:
        deadline = time.monotonic() + 180
        while len([r for r in runs() if r.get("status") == "succeeded"]) < n:
            assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read() if proc.poll() else "slow"
            time.sleep(0.3)

    try:
        time.sleep(1)
        shutil.copy(REPO / "samples" / SAMPLE_NAME, landing / SAMPLE_NAME)
        wait_for(1)
        (tmp_path / "w.part").write_bytes(build_warc(news_records(6), gzip=True))
        os.replace(tmp_path / "w.part", landing / "news.warc.gz")
        wait_for(2)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=120)
    batches = [r["run_id"] for r in sorted(runs(), key=lambda r: r["started_at"])]
    tables = open_tables(open_catalog(str(out)), str(out))
    assert [r["run_id"] for r in history(tables) if r["table"] == "articles"] == batches
    assert len(_table_rows(tables["articles"])) == sum(r["articles_written"] for r in runs())
