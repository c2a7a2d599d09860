"""pipeline/tables.py without Beam: schema changes through Iceberg, registration with explicit partitions."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
import pyarrow.parquet as pq

from scrapeline.pipeline.tables import (TABLES, adopt, commit_run, current_files, history, open_catalog, open_tables,
                                        rollback)
from scrapeline.transforms.core.records import ARTICLE_SCHEMA

OLD_COLUMNS = ("teased_on", "updated_at", "duplicate_matches")
"""Columns that 0.2/0.3 files lack (the schema notes say which version added each)."""


def _old_file(root, source: str, day: str, titles: list[str]) -> str:
    """An articles file of an older layout (no teased_on, updated_at, duplicate_matches), as a Hive folder holds it."""
    schema = pa.schema([f for f in ARTICLE_SCHEMA if f.name not in OLD_COLUMNS])
    row = {f.name: None for f in schema}
    rows = []
    for n, title in enumerate(titles):
        rows.append({**row, "article_id": f"{source}-{n}", "story_key": f"k{n}", "title": title, "body": "b",
                     "source_name": source, "page_id": "p", "role": "main", "position": 0,
                     "fetched_at": dt.datetime(2025, 8, 6, tzinfo=dt.timezone.utc), "date_source": "fetched",
                     "word_count": 1, "captions": [], "input_uri": "in", "record_index": n, "duplicate_count": 0,
                     "duplicate_titles": [], "duplicate_urls": [], "duplicate_sources": [], "duplicate_locations": [],
                     "ingested_at": dt.datetime(2025, 8, 6, tzinfo=dt.timezone.utc), "pipeline_version": "0.1.0"})
    folder = root / "articles" / f"source={source}" / f"date={day}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "part-old-00000.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)
    return str(path)


def test_files_of_an_older_layout_are_adopted_and_read_with_the_new_columns_null(tmp_path):
    _old_file(tmp_path, "daily", "2025-08-06", ["a", "b"])
    _old_file(tmp_path, "wire", "2025-08-05", ["c"])
    tables = open_tables(open_catalog(str(tmp_path)), str(tmp_path))
    assert adopt(tables, str(tmp_path)) == {"articles": 2}
    assert adopt(tables, str(tmp_path)) == {}  # once
    rows = tables["articles"].scan().to_arrow().to_pylist()
    assert sorted((r["title"], r["source"], str(r["date"])) for r in rows) == [
        ("a", "daily", "2025-08-06"), ("b", "daily", "2025-08-06"), ("c", "wire", "2025-08-05")]
    assert all(r[c] is None for r in rows for c in OLD_COLUMNS)
    # partition pruning uses the registered partition values (the files hold no such column)
    wire = tables["articles"].scan(row_filter="source == 'wire'", selected_fields=("title", "source")).to_arrow()
    assert wire["title"].to_pylist() == ["c"]


def test_a_table_created_by_an_older_version_gains_the_new_columns(tmp_path):
    """An Iceberg schema change, not a rewrite: the table made without the new columns gets them on open."""
    from pyiceberg.schema import Schema

    catalog = open_catalog(str(tmp_path))
    tables = open_tables(catalog, str(tmp_path))
    with tables["articles"].update_schema(allow_incompatible_changes=True) as update:
        for column in OLD_COLUMNS:
            update.delete_column(column)
    assert not set(OLD_COLUMNS) & {f.name for f in catalog.load_table("scrapeline.articles").schema().fields}
    tables = open_tables(catalog, str(tmp_path))
    names = [f.name for f in tables["articles"].schema().fields]
    assert set(OLD_COLUMNS) <= set(names)
    assert isinstance(tables["articles"].schema(), Schema)


def test_commit_run_is_one_snapshot_per_table_and_idempotent(tmp_path):
    old = _old_file(tmp_path, "daily", "2025-08-06", ["a"])
    tables = open_tables(open_catalog(str(tmp_path)), str(tmp_path))
    added = {"articles": [{"path": old, "partition": "source=daily/date=2025-08-06", "rows": 1}]}
    first = commit_run(tables, "r1", added, {})
    assert commit_run(tables, "r1", added, {}) == first  # a retried commit is the same commit
    assert [r["run_id"] for r in history(tables)] == ["r1"]
    assert current_files(tables["articles"]) == {old}
    newer = tmp_path / "articles" / "source=daily" / "date=2025-08-06" / "part-r2-r1.parquet"
    pq.write_table(pq.read_table(old), newer)
    commit_run(tables, "r2", {}, {"articles": [{"old": old, "path": str(newer),
                                                "partition": "source=daily/date=2025-08-06", "rows": 1}]})
    assert current_files(tables["articles"]) == {str(newer)}
    assert [(r["run_id"], r["operation"], r["removed_files"]) for r in history(tables)] == [
        ("r1", "append", 0), ("r2", "overwrite", 1)]
    rollback(tables, "r2")
    assert current_files(tables["articles"]) == {old}
    assert set(TABLES) == {"articles", "teasers", "dead_letters"}


def test_compact_merges_a_partition_in_one_snapshot_and_expiry_removes_what_no_snapshot_keeps(tmp_path):
    import os
    import time

    from scrapeline.pipeline.api import compact
    from scrapeline.pipeline.errors import UsageError
    from scrapeline.pipeline.tables import expire

    first = _old_file(tmp_path, "daily", "2025-08-06", ["a", "b"])
    second = str(tmp_path / "articles" / "source=daily" / "date=2025-08-06" / "part-later-00000.parquet")
    rows = pq.read_table(first)
    pq.write_table(rows.slice(1, 1), second)  # two files in one partition: "a" in the first, "b" in the second
    pq.write_table(rows.slice(0, 1), first)
    alone = _old_file(tmp_path, "wire", "2025-08-05", ["c"])
    tables = open_tables(open_catalog(str(tmp_path)), str(tmp_path))
    adopt(tables, str(tmp_path))
    before = sorted(r["title"] for r in tables["articles"].scan().to_arrow().to_pylist())

    summary = compact(str(tmp_path), retain_days=1)
    assert summary.merged == (("source=daily/date=2025-08-06", 2, 1),)
    tables = open_tables(open_catalog(str(tmp_path)), str(tmp_path))
    assert sorted(r["title"] for r in tables["articles"].scan().to_arrow().to_pylist()) == before == ["a", "b", "c"]
    assert [r["operation"] for r in history(tables)] == ["append", "overwrite"]
    files = current_files(tables["articles"])
    assert alone in files and first not in files and second not in files
    assert os.path.exists(first) and os.path.exists(second)  # kept for time travel (one day)

    old = time.time() - 3 * 86400  # the merged-away files and the adoption snapshot are now three days old
    for path in (first, second):
        os.utime(path, (old, old))
    import datetime as dt

    metadata = tmp_path / "_catalog" / "articles" / "metadata"
    adoption_list = tables["articles"].snapshots()[0].manifest_list
    assert os.path.exists(adoption_list[len("file://"):])
    removed = expire(tables, str(tmp_path), dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1))
    assert removed["articles"] == 2 and not os.path.exists(first) and not os.path.exists(second)
    tables = open_tables(open_catalog(str(tmp_path)), str(tmp_path))
    assert len(history(tables)) == 1  # only the current snapshot remains
    # the expired snapshot's manifest list is gone with it; what the current one reads stays
    current = tables["articles"].current_snapshot()
    kept = {current.manifest_list} | {m.manifest_path for m in current.manifests(tables["articles"].io)}
    assert {"file://" + str(p) for p in metadata.glob("*.avro")} == kept
    assert not os.path.exists(adoption_list[len("file://"):])
    assert sorted(r["title"] for r in tables["articles"].scan().to_arrow().to_pylist()) == ["a", "b", "c"]
    with pytest.raises(UsageError, match="--retain-days must not be negative"):
        compact(str(tmp_path), retain_days=-1)



def test_the_format_of_a_run_when_none_is_given(tmp_path, monkeypatch):
    """Iceberg for a new local output; an output keeps the format it has; plain folders on an object store with no
    catalog (the embedded one is a local file), also when the store does not answer (the look for table metadata
    gives up after LIST_TIMEOUT_S, shortened here); a catalog named means tables."""
    from scrapeline.pipeline import tables
    from scrapeline.pipeline.run import choose_format

    monkeypatch.setattr(tables, "LIST_TIMEOUT_S", 1.0)

    new = tmp_path / "new"
    assert choose_format(None, str(new), None)[0] == "iceberg"
    assert choose_format("hive", str(new), None) == ("hive", "given")
    assert choose_format(None, "s3://bucket/out", None)[0] == "hive"
    assert choose_format(None, "s3://bucket/out", "rest")[0] == "iceberg"
    folders = tmp_path / "folders"
    _old_file(folders, "daily", "2025-08-06", ["a"])
    fmt, why = choose_format(None, str(folders), None)
    assert fmt == "hive" and "scrapeline adopt" in why
    open_tables(open_catalog(str(folders)), str(folders))
    assert choose_format(None, str(folders), None)[0] == "iceberg"
    from scrapeline.pipeline.errors import UsageError

    with pytest.raises(UsageError, match="is Iceberg tables: plain files"):
        choose_format("hive", str(folders), None)
    # tables whose catalog is not the embedded one (written with --catalog): their metadata is there, no catalog.db
    (folders / "_catalog" / "catalog.db").rename(folders / "elsewhere.db")
    with pytest.raises(UsageError, match="name it with --catalog"):
        choose_format(None, str(folders), None)
    assert choose_format(None, str(folders), "rest")[0] == "iceberg"


def test_a_table_as_a_run_left_it(tmp_path):
    """`api.read(as_of=RUN)`: the run's own snapshot of the table, or the table's last one before the run when the
    run did not change it; a run no table knows is an error."""
    from scrapeline.pipeline import api
    from scrapeline.pipeline.errors import UsageError

    first = _old_file(tmp_path, "daily", "2025-08-06", ["a", "b"])
    tables = open_tables(open_catalog(str(tmp_path)), str(tmp_path))
    commit_run(tables, "r1", {"articles": [{"path": first, "partition": "source=daily/date=2025-08-06"}]}, {})
    second = _old_file(tmp_path, "wire", "2025-08-05", ["c"])
    commit_run(tables, "r2", {"articles": [{"path": second, "partition": "source=wire/date=2025-08-05"}]}, {})
    assert api.read(str(tmp_path)).num_rows == 3
    assert sorted(api.read(str(tmp_path), as_of="r1")["title"].to_pylist()) == ["a", "b"]
    assert api.read(str(tmp_path), "teasers", as_of="r2").num_rows == 0  # no teaser commit yet: empty then
    # a table empty at a run and written after it reads empty as of that run, not as it is now
    teaser_dir = tmp_path / "teasers" / "source=daily" / "date=2025-08-06"
    teaser_dir.mkdir(parents=True)
    from scrapeline.transforms.core.records import TEASER_SCHEMA

    when = dt.datetime(2025, 8, 6, tzinfo=dt.timezone.utc)
    teaser = {f.name: None if f.nullable else {pa.string(): "x", pa.int32(): 0, pa.int64(): 0}.get(f.type, when)
              for f in TEASER_SCHEMA} | {"captions": []}
    pq.write_table(pa.Table.from_pylist([teaser], schema=TEASER_SCHEMA), teaser_dir / "part-r3.parquet")
    commit_run(tables, "r3", {"teasers": [{"path": str(teaser_dir / "part-r3.parquet"),
                                           "partition": "source=daily/date=2025-08-06"}]}, {})
    assert api.read(str(tmp_path), "teasers").num_rows == 1
    assert api.read(str(tmp_path), "teasers", as_of="r2").num_rows == 0
    assert api.read(str(tmp_path), "articles", as_of="r3").num_rows == 3  # untouched by r3: as it was then
    with pytest.raises(UsageError, match="no commit of run r9"):
        api.read(str(tmp_path), as_of="r9")
    plain = tmp_path / "plain"
    _old_file(plain, "daily", "2025-08-06", ["a"])
    with pytest.raises(UsageError, match="no Iceberg tables"):
        api.read(str(plain))
    assert not (plain / "_catalog").exists()  # reading made no catalog


def test_iceberg_ddl_points_at_the_current_metadata_file(tmp_path, capsys):
    """BigQuery and Snowflake read one metadata file: `ddl --format iceberg` names the table's current one, which
    holds its current snapshot; Athena and Spark read the catalog."""
    import json

    from scrapeline.pipeline.cli import main

    path = _old_file(tmp_path, "daily", "2025-08-06", ["a"])
    tables = open_tables(open_catalog(str(tmp_path)), str(tmp_path))
    commit_run(tables, "r1", {"articles": [{"path": path, "partition": "source=daily/date=2025-08-06"}]}, {})
    table = open_catalog(str(tmp_path)).load_table("scrapeline.articles")
    assert main(["ddl", "--dialect", "bigquery", "--format", "iceberg", "--output", str(tmp_path),
                 "--name", "d.articles"]) == 0
    bigquery = capsys.readouterr().out
    assert "format = 'ICEBERG'" in bigquery and f"uris = ['{table.metadata_location}']" in bigquery
    with open(table.metadata_location[len("file://"):]) as f:
        assert json.load(f)["current-snapshot-id"] == table.current_snapshot().snapshot_id
    assert main(["ddl", "--dialect", "snowflake", "--format", "iceberg", "--output", str(tmp_path)]) == 0
    relative = table.metadata_location.split(str(tmp_path) + "/", 1)[1]
    assert f"METADATA_FILE_PATH = '{relative}'" in capsys.readouterr().out
    assert main(["ddl", "--dialect", "spark", "--format", "iceberg", "--output", str(tmp_path)]) == 0
    assert f"jdbc:sqlite:{tmp_path}/_catalog/catalog.db" in capsys.readouterr().out
    # no output: placeholders to fill in
    assert main(["ddl", "--dialect", "bigquery", "--format", "iceberg"]) == 0
    assert "YOUR_CURRENT.metadata.json" in capsys.readouterr().out


def _known(out: str):
    from scrapeline.pipeline.tables import known_table_files

    known = known_table_files(out)
    return None if known is None else known[0]


def test_a_run_knows_the_tables_files_from_their_notes_without_opening_the_tables(tmp_path):
    """`known_table_files`: what a run takes as the tables' files before its graph, read from the SQLite catalog
    and the notes of the last commit; None whenever the tables must be opened to know."""
    import json
    import os
    import shutil

    from scrapeline.pipeline.tables import claim_embedded, known_table_files, remember_files

    out = str(tmp_path)
    none = {name: frozenset() for name in TABLES}
    assert known_table_files(out) == (none, {name: None for name in TABLES})  # a new output
    claim_embedded(out)  # an empty catalog file: the output is tables before any exists
    assert os.path.getsize(tmp_path / "_catalog" / "catalog.db") == 0
    assert _known(out) == none
    path = _old_file(tmp_path, "daily", "2025-08-06", ["a"])
    assert _known(out) is None  # Hive files a table without files would adopt: open the tables

    tables = open_tables(open_catalog(out), out)
    claim_embedded(out)  # an existing catalog is left as it is
    assert os.path.getsize(tmp_path / "_catalog" / "catalog.db") > 0
    commit_run(tables, "r1", {"articles": [{"path": path, "partition": "source=daily/date=2025-08-06"}]}, {})
    assert _known(out) is None  # no notes yet
    remember_files(tables, out)
    files, of = known_table_files(out)
    assert files == {"articles": frozenset({path}), "teasers": frozenset(), "dead_letters": frozenset()}
    assert files == {name: current_files(t) for name, t in tables.items()}
    assert of == {name: t.metadata_location for name, t in tables.items()}

    # any later commit makes the notes old: a second file in the table, not in the notes
    second = _old_file(tmp_path, "wire", "2025-08-05", ["b"])
    commit_run(tables, "r2", {"articles": [{"path": second, "partition": "source=wire/date=2025-08-05"}]}, {})
    assert _known(out) is None
    # files a caller holds are used only for the metadata they are of: the old list of articles is not
    remember_files(tables, out, files, of)
    assert _known(out)["articles"] == {path, second}

    # a note for metadata that is not under this output (a copied output's catalog names the original's files)
    note = tmp_path / "_catalog" / "articles" / "files.json"
    copy = tmp_path / "copy"
    os.makedirs(copy / "_catalog" / "articles")
    shutil.copy(tmp_path / "_catalog" / "catalog.db", copy / "_catalog" / "catalog.db")
    shutil.copy(note, copy / "_catalog" / "articles" / "files.json")
    assert _known(str(copy)) is None
    for bad in ("{not json", json.dumps({"files": []}), json.dumps([1])):
        note.write_text(bad)
        assert _known(out) is None


def test_a_first_run_opens_no_table_before_its_graph_and_the_next_reads_the_notes(tmp_path, monkeypatch):
    """The run's own choice (run.py `_stored_files`, `_commit_tables`): the embedded catalog's tables are opened
    before the graph only when their notes cannot say what they hold; the commit writes the notes, for the files
    the tables hold then, even when another commit came during the run."""
    from scrapeline.pipeline import run as run_module, tables as tables_module

    opened = []
    real = tables_module.open_tables
    monkeypatch.setattr(tables_module, "open_tables", lambda *a: opened.append(1) or real(*a))
    req = run_module.prepare([], str(tmp_path / "out"))
    tables, stored, of = run_module._stored_files(req)
    assert (tables, stored, opened) == (None, {name: frozenset() for name in TABLES}, [])
    assert run_module.choose_format(None, req.output, None) == ("iceberg", "the output's tables")
    # readers meanwhile: no table yet, and none created by reading
    from scrapeline.pipeline import api
    from scrapeline.pipeline.tables import current_metadata

    assert api.history(req.output) == [] and current_metadata(req.output, "articles")[0] is None
    assert opened == [] and _known(req.output) == stored
    # the run's end, its accounting failed: the tables are created and the notes written, nothing committed
    assert run_module._commit_tables(None, stored, of, req, "r0", False)["committed"] is False
    assert opened == [1]
    assert run_module._stored_files(req) == (None, stored, {name: real(
        open_catalog(req.output), req.output)[name].metadata_location for name in TABLES})
    first = _old_file(tmp_path / "out", "daily", "2025-08-06", ["a"])
    commit_run(real(open_catalog(req.output), req.output),
               "r1", {"articles": [{"path": first, "partition": "source=daily/date=2025-08-06"}]}, {})
    run_module._commit_tables(None, stored, of, req, "r1", False)
    opened.clear()
    # a run starts from the notes; meanwhile another commit adds a file to the articles table
    tables, stored, of = run_module._stored_files(req)
    assert tables is None and opened == [] and stored["articles"] == {first}
    second = _old_file(tmp_path / "out", "wire", "2025-08-05", ["b"])
    commit_run(real(open_catalog(req.output), req.output),
               "other", {"articles": [{"path": second, "partition": "source=wire/date=2025-08-05"}]}, {})
    run_module._commit_tables(None, stored, of, req, "r2", False)
    assert run_module._stored_files(req)[1]["articles"] == {first, second}  # not the run's older list
    # a file to adopt in a table that has none: the tables are opened before the graph
    opened.clear()
    _old_file(tmp_path / "out2", "daily", "2025-08-06", ["a"])
    req2 = run_module.prepare([], str(tmp_path / "out2"), table_format="iceberg")
    tables, stored, of = run_module._stored_files(req2)
    assert opened == [1] and set(tables) == set(TABLES) and len(stored["articles"]) == 1


def test_a_run_that_opens_its_tables_at_the_commit_imports_the_catalog_while_its_pages_run():
    """run.py `_preload_catalog`: pyiceberg's SQL catalog is imported in a daemon thread, not after the last page."""
    import subprocess
    import sys

    code = ("import sys, time\nfrom scrapeline.pipeline import run\nrun.PRELOAD_AFTER_S = 0.05\n"
            "assert 'pyiceberg.catalog.sql' not in sys.modules\nrun._preload_catalog()\n"
            "deadline = time.time() + 60\n"
            "while 'sqlalchemy' not in sys.modules or 'pyiceberg.table' not in sys.modules:\n"
            "    assert time.time() < deadline\n    time.sleep(0.05)\nprint('loaded')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "loaded", out.stderr[-2000:]
