"""`scrapeline compact` keeps the row set identical and leaves fewer files; the swap is atomic."""

from __future__ import annotations

import shutil

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from scrapeline.pipeline.cli import main
from scrapeline.pipeline.compact import compact_partition, exchange_dirs
from tests.support.factories import article, words
from scrapeline.transforms.core.records import ARTICLE_SCHEMA, record_to_row


def _write_small_files(out, n_files=6, rows_per_file=3):
    part = out / "articles" / "source=src" / "date=2025-08-06"
    part.mkdir(parents=True)
    for f in range(n_files):
        rows = [record_to_row(article(words(45, f"f{f}r{r}"), f"t{f}-{r}")) for r in range(rows_per_file)]
        pq.write_table(pa.Table.from_pylist(rows, schema=ARTICLE_SCHEMA), part / f"part-run{f}-00000.parquet")
    return part


def _all_rows(out):
    return sorted(duckdb.sql(
        f"select article_id, title, body, source, date from read_parquet('{out}/articles/**/*.parquet', "
        "hive_partitioning=true)").fetchall())


def test_compact_keeps_rows_and_leaves_fewer_files(tmp_path, capsys):
    out = tmp_path / "out"
    part = _write_small_files(out)
    before = _all_rows(out)
    assert main(["compact", str(out)]) == 0
    assert "6 files -> 1" in capsys.readouterr().out
    assert len(list(part.glob("*.parquet"))) == 1
    assert _all_rows(out) == before and len(before) == 18
    assert not list((out / "_temporary").iterdir())
    assert main(["compact", str(out)]) == 0  # nothing left to merge: a no-op, and it says so
    assert "0 partition(s) merged, 1 already compact" in capsys.readouterr().out
    assert _all_rows(out) == before


def test_a_lone_file_of_the_old_layout_is_rewritten_in_the_current_one(tmp_path, capsys):
    out = tmp_path / "out"
    part = _write_small_files(out, n_files=1)
    current = part.parent.parent / "source=current" / "date=2025-08-06"
    current.mkdir(parents=True)
    shutil.copy(part / "part-run0-00000.parquet", current / "part-run0-00000.parquet")
    old_file = part / "part-run0-00000.parquet"
    table = pq.read_table(old_file)  # as 0.1 wrote it: `source` in the file too, no title_source yet
    pq.write_table(table.drop_columns(["title_source"]).append_column("source", pa.array(["src"] * 3)), old_file)
    before = _all_rows(out)
    assert main(["compact", str(out)]) == 0
    assert "1 partition(s) merged, 1 already compact" in capsys.readouterr().out
    (new_file,) = part.glob("*.parquet")
    assert pq.read_schema(new_file).names == ARTICLE_SCHEMA.names
    assert _all_rows(out) == before and len(before) == 6


def test_readers_never_see_both_or_neither(tmp_path, monkeypatch):
    """A reader listing the partition just before the swap sees all the old files, just after it the merged one:
    never both, never neither. The swap is hooked, so the reads happen at those two points whatever the timing."""
    import scrapeline.pipeline.compact as compact

    out = tmp_path / "out"
    part = _write_small_files(out, n_files=8)
    expected = len(_all_rows(out))
    seen = []

    def read_partition() -> tuple[int, int]:
        files = sorted(part.glob("*.parquet"))
        return len(files), sum(pq.read_table(f).num_rows for f in files)

    real = compact.exchange_dirs

    def swap_between_two_reads(a, b):
        seen.append(read_partition())
        real(a, b)
        seen.append(read_partition())

    monkeypatch.setattr(compact, "exchange_dirs", swap_between_two_reads)
    assert compact_partition(out, "articles", part, 100_000) == (8, 1)
    assert seen == [(8, expected), (1, expected)]
    assert read_partition() == (1, expected)


def test_exchange_dirs_is_a_swap(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "x").write_text("a")
    exchange_dirs(tmp_path / "a", tmp_path / "b")
    assert (tmp_path / "b" / "x").read_text() == "a" and not list((tmp_path / "a").iterdir())


@pytest.mark.parametrize("args,message", [(["gs://bucket/out"], "local outputs only"),
                                          (["{tmp}/missing"], "does not exist"),
                                          (["{tmp}", "--partition", "../../etc"], "no partition")])
def test_compact_refuses_bad_targets(tmp_path, capsys, args, message):
    (tmp_path / "articles").mkdir()
    assert main(["compact", *[a.format(tmp=tmp_path) for a in args]]) == 2
    assert message in capsys.readouterr().err
