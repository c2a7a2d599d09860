"""The commit of a table (transforms/output/write.py `_commit`): manifest first, then renames; safe to run twice."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from scrapeline.transforms.output.write import _commit, write_parquet_file

SCHEMA = pa.schema([pa.field("x", pa.int64())])


def _written(tmp_path, n: int) -> tuple[str, list[dict]]:
    temp = tmp_path / "out" / "_temporary" / "r1-articles"
    written = []
    for i in range(n):
        path = temp / f"source=s{i % 2}" / f"t{i}.parquet"
        write_parquet_file(str(path), [{"x": i}], SCHEMA, "zstd")
        written.append({"partition": f"source=s{i % 2}", "temp_path": str(path), "rows": 1})
    return str(temp), written


def test_a_commit_run_twice_publishes_each_file_once_under_the_same_names(tmp_path):
    temp, written = _written(tmp_path, 4)
    out = str(tmp_path / "out")
    first = list(_commit(None, written, out, "articles", "r1", temp))
    files = sorted(p.relative_to(tmp_path / "out") for p in (tmp_path / "out" / "articles").rglob("*.parquet"))
    again = list(_commit(None, written, out, "articles", "r1", temp))  # a retried bundle runs the step again
    assert again == first and len(first) == 4
    assert sorted(p.relative_to(tmp_path / "out") for p in (tmp_path / "out" / "articles").rglob("*.parquet")) == files
    manifest = json.loads((tmp_path / "out" / "_runs" / "r1" / "articles.json").read_text())
    assert [f["path"] for f in manifest["files"]] == [f["path"] for f in first]
    assert not (tmp_path / "out" / "_temporary" / "r1-articles").exists()


def test_the_manifest_lists_every_file_before_the_first_rename(tmp_path, monkeypatch):
    """A process killed between two renames leaves only files a manifest lists."""
    from apache_beam.io.filesystems import FileSystems

    temp, written = _written(tmp_path, 3)
    manifest = tmp_path / "out" / "_runs" / "r1" / "articles.json"
    seen = []
    real = FileSystems.rename

    def rename(src, dst):
        seen.append(manifest.exists() and len(json.loads(manifest.read_text())["files"]))
        return real(src, dst)

    monkeypatch.setattr(FileSystems, "rename", rename)
    list(_commit(None, written, str(tmp_path / "out"), "articles", "r1", temp))
    assert seen == [3, 3, 3]


def test_a_commit_whose_temp_file_vanished_unpublished_fails_loudly(tmp_path):
    temp, written = _written(tmp_path, 2)
    (tmp_path / "out" / "_temporary" / "r1-articles" / "source=s1" / "t1.parquet").unlink()
    with pytest.raises(IOError, match="is gone and .* was never written"):
        list(_commit(None, written, str(tmp_path / "out"), "articles", "r1", temp))
