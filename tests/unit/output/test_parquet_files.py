"""The Parquet files we write give back our schemas exactly, from Parquet's own types (write.py writes no Arrow
schema into the footer)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from scrapeline.transforms.core.records import ARTICLE_SCHEMA, BAND_INDEX_SCHEMA, DEAD_LETTER_SCHEMA, TEASER_SCHEMA
from scrapeline.transforms.output.write import write_parquet_file


@pytest.mark.parametrize("schema", [ARTICLE_SCHEMA, TEASER_SCHEMA, DEAD_LETTER_SCHEMA, BAND_INDEX_SCHEMA],
                         ids=["articles", "teasers", "dead_letters", "band_index"])
def test_every_table_reads_back_with_its_types_and_nullability(tmp_path, schema):
    path = str(tmp_path / "x.parquet")
    write_parquet_file(path, [], schema, "zstd")
    back = pq.read_schema(path)
    assert back.metadata is None or b"ARROW:schema" not in back.metadata
    assert [(f.name, f.type, f.nullable) for f in back] == [(f.name, f.type, f.nullable) for f in schema]


def test_a_time_keeps_its_zone_and_value(tmp_path):
    when = dt.datetime(2025, 8, 6, 12, 30, 5, 123456, tzinfo=dt.timezone.utc)
    row = {"reason": "r", "input_uri": "u", "record_index": 0, "position": 0, "error": "e", "excerpt": "x",
           "occurred_at": when, "dead_letter_id": "i"}
    path = str(tmp_path / "d.parquet")
    write_parquet_file(path, [row], DEAD_LETTER_SCHEMA, "zstd")
    assert pq.read_table(path).column("occurred_at").to_pylist() == [when]


def test_small_files_have_no_dictionary_pages_and_large_ones_do(tmp_path):
    """DICTIONARY_MIN_ROWS: a file of a few rows is written plainly (dictionaries cost a third of a one-row write);
    from that many rows, repeated values are dictionary-encoded. Both read back the same rows."""
    from scrapeline.transforms.output.write import DICTIONARY_MIN_ROWS

    def row(n: int) -> dict:
        return {"reason": "same reason", "input_uri": "u", "record_index": n, "position": 0, "error": "e",
                "excerpt": "x", "occurred_at": dt.datetime(2025, 8, 6, tzinfo=dt.timezone.utc), "dead_letter_id": str(n)}

    for rows, dictionary in ((1, False), (DICTIONARY_MIN_ROWS - 1, False), (DICTIONARY_MIN_ROWS, True)):
        path = str(tmp_path / f"{rows}.parquet")
        written = [row(n) for n in range(rows)]
        write_parquet_file(path, written, DEAD_LETTER_SCHEMA, "zstd")
        column = pq.ParquetFile(path).metadata.row_group(0).column(0)
        assert column.path_in_schema == "reason"
        assert column.has_dictionary_page is dictionary, rows
        assert pq.read_table(path).to_pylist() == written


def test_a_small_file_compresses_its_large_columns_only_and_a_large_file_all(tmp_path):
    """COMPRESS_MIN_BYTES: in a file of a few rows, a column of a few bytes is stored plain (a codec's frame costs
    more than it saves) and a long one compressed: the body, and a list of many titles, whose Parquet column is
    nested. A file of DICTIONARY_MIN_ROWS rows compresses every column. All read back the same rows."""
    import dataclasses

    from scrapeline.transforms.core.records import record_to_row
    from scrapeline.transforms.output.write import DICTIONARY_MIN_ROWS
    from tests.support.factories import article, words

    a = dataclasses.replace(article(words(400)), duplicate_titles=tuple(f"Copy {i} of the story" for i in range(80)))
    row = record_to_row(a)

    def codecs(rows: int) -> dict[str, str]:
        path = str(tmp_path / f"{rows}.parquet")
        written = [{**row, "article_id": f"a{n}"} for n in range(rows)]
        write_parquet_file(path, written, ARTICLE_SCHEMA, "zstd")
        assert pq.read_table(path).to_pylist() == pa.Table.from_pylist(written, schema=ARTICLE_SCHEMA).to_pylist()
        group = pq.ParquetFile(path).metadata.row_group(0)
        return {group.column(i).path_in_schema: group.column(i).compression for i in range(group.num_columns)}

    small = codecs(1)
    assert small["body"] == small["duplicate_titles.list.element"] == "ZSTD"
    assert small["title"] == small["article_id"] == small["captions.list.element"] == "UNCOMPRESSED"
    assert set(codecs(DICTIONARY_MIN_ROWS).values()) == {"ZSTD"}


def test_the_leaf_paths_are_the_parquet_writers_own_for_every_nested_type(tmp_path):
    """A codec given for a path the writer does not know is ignored without a word: `_leaf_paths` must name the
    columns exactly as the written file does, for every table and for nested types no table uses yet."""
    from scrapeline.transforms.output.write import _leaf_paths

    extra = pa.schema([pa.field("m", pa.map_(pa.string(), pa.list_(pa.string()))),
                       pa.field("fl", pa.list_(pa.int64(), 2)), pa.field("ll", pa.large_list(pa.string())),
                       pa.field("s", pa.struct([pa.field("a", pa.string()), pa.field("b", pa.list_(pa.int32()))]))])
    for schema in (ARTICLE_SCHEMA, TEASER_SCHEMA, DEAD_LETTER_SCHEMA, BAND_INDEX_SCHEMA, extra):
        path = tmp_path / "x.parquet"
        pq.write_table(schema.empty_table(), path)
        written = [pq.ParquetFile(path).schema.column(i).path for i in range(len(pq.ParquetFile(path).schema))]
        assert [p for field in schema for p in _leaf_paths(field)] == written
