"""The committed files a run reads on an Iceberg output are known when its graph is built (write.py known_files)."""

from __future__ import annotations

import os

import pytest

from scrapeline.transforms.output.write import known_files


def test_the_tables_files_under_the_folder_and_matching_the_name_sorted(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = os.path.join(str(tmp_path), "out")
    only = frozenset({
        f"{out}/articles/source=b/date=2025-01-02/part-2.parquet",
        f"{out}/articles/source=a/date=2025-01-01/part-1.parquet",
        f"{out}/articles/source=a/date=2025-01-01/part-1.parquet.crc",  # not the name pattern
        f"{out}/articles_old/source=a/part-9.parquet",  # another folder sharing the prefix
        f"{out}/teasers/source=a/date=2025-01-01/part-3.parquet",  # another table
    })
    # the output as the command line gives it (relative), the table's paths absolute: named as a listing of the glob
    # would name them
    assert known_files("out/articles/**/*.parquet", only) == [
        "out/articles/source=a/date=2025-01-01/part-1.parquet",
        "out/articles/source=b/date=2025-01-02/part-2.parquet",
    ]
    assert known_files(f"{out}/articles/**/*.parquet", only) == [
        f"{out}/articles/source=a/date=2025-01-01/part-1.parquet",
        f"{out}/articles/source=b/date=2025-01-02/part-2.parquet",
    ]


def test_an_empty_table_has_no_files_and_plain_folders_are_not_known():
    assert known_files("/out/articles/**/*.parquet", frozenset()) == []
    assert known_files("/out/articles/**/*.parquet", None) is None


def test_object_store_paths_match_as_they_are():
    only = frozenset({"s3://b/out/teasers/source=a/x.parquet", "s3://b/out2/teasers/source=a/y.parquet"})
    assert known_files("s3://b/out/teasers/**/*.parquet", only) == ["s3://b/out/teasers/source=a/x.parquet"]


def test_a_glob_of_another_shape_is_refused():
    with pytest.raises(ValueError, match="glob"):
        known_files("/out/*/articles/**/*.parquet", frozenset())
