"""`scrapeline ddl` (pipeline/ddl.py): each dialect's statement parses with sqlglot, declares every column of the
schema module once, in order, with a type of the right kind; the README's schema tables are the generated ones."""

from __future__ import annotations

import re

import pyarrow as pa
import pytest

from scrapeline.pipeline.cli import main
from scrapeline.pipeline.ddl import DIALECTS, ddl, markdown_table
from scrapeline.transforms.core.records import TABLES
from tests.support.paths import REPO

sqlglot = pytest.importorskip("sqlglot")
exp = sqlglot.exp
T = exp.DataType.Type

# What each Arrow type of the schema must become, as sqlglot reads the dialect's type back (written here by hand,
# not taken from ddl.py's mapping, so a wrong entry there fails).
_TEXT, _TS = {T.TEXT, T.VARCHAR}, {T.TIMESTAMPTZ, T.TIMESTAMP}
EXPECTED = {
    "bigquery": {pa.string(): _TEXT, pa.int32(): {T.BIGINT}, pa.int64(): {T.BIGINT}, pa.float64(): {T.DOUBLE},
                 pa.date32(): {T.DATE}, pa.timestamp("us", tz="UTC"): {T.TIMESTAMPTZ}},
    # Athena's Hive DDL has no zoned type: its timestamp reads the UTC instant Parquet stores
    "athena": {pa.string(): _TEXT, pa.int32(): {T.INT}, pa.int64(): {T.BIGINT}, pa.float64(): {T.DOUBLE},
               pa.date32(): {T.DATE}, pa.timestamp("us", tz="UTC"): {T.TIMESTAMP}},
    "spark": {pa.string(): _TEXT, pa.int32(): {T.INT}, pa.int64(): {T.BIGINT}, pa.float64(): {T.DOUBLE},
              pa.date32(): {T.DATE}, pa.timestamp("us", tz="UTC"): _TS},
    "snowflake": {pa.string(): _TEXT, pa.int32(): {T.DECIMAL}, pa.int64(): {T.DECIMAL}, pa.float64(): {T.DOUBLE},
                  pa.date32(): {T.DATE}, pa.timestamp("us", tz="UTC"): {T.TIMESTAMPTZ}},
}


def _check_type(kind: exp.DataType, arrow: pa.DataType, dialect: str, where: str) -> None:
    if pa.types.is_list(arrow):
        assert kind.this == T.ARRAY, where
        if dialect != "snowflake":  # Snowflake's ARRAY is untyped (semi-structured)
            _check_type(kind.expressions[0], arrow.value_type, dialect, where)
        return
    if pa.types.is_struct(arrow):
        assert kind.this in {T.STRUCT, T.OBJECT}, where
        if dialect != "snowflake":
            fields = kind.expressions
            assert [f.name for f in fields] == [f.name for f in arrow], where
            for f, a in zip(fields, arrow):
                _check_type(f.args["kind"], a.type, dialect, f"{where}.{a.name}")
        return
    assert kind.this in EXPECTED[dialect][arrow], f"{where}: {kind.sql(dialect)} for {arrow}"
    if dialect == "snowflake" and kind.this == T.DECIMAL:  # NUMBER(p, 0) must hold every value of the int
        precision, scale = (int(e.this.this) for e in kind.expressions)
        assert scale == 0 and precision >= (10 if arrow == pa.int32() else 19), where


def _create(sql: str, dialect: str) -> exp.Create:
    statements = sqlglot.parse(sql, read=dialect, error_level=sqlglot.ErrorLevel.RAISE)
    create = statements[0]
    assert isinstance(create, exp.Create), f"{dialect}: not parsed as CREATE: {sql[:80]}"
    return create


def _columns(create: exp.Create) -> list[exp.ColumnDef]:
    schema = create.this  # exp.Schema: the table name and its column definitions
    return [c for c in schema.expressions if isinstance(c, exp.ColumnDef)]


@pytest.mark.parametrize("table", sorted(TABLES))
@pytest.mark.parametrize("dialect", ["athena", "spark", "snowflake"])
def test_ddl_parses_and_maps_every_column_once(dialect, table):
    create = _create(ddl(dialect, table, name="t"), dialect)
    cols, expected = _columns(create), TABLES[table]
    if dialect == "athena":  # Hive DDL: partition columns only in PARTITIONED BY
        partitioned = create.find(exp.PartitionedByProperty)
        cols = cols + [c for c in partitioned.this.expressions if isinstance(c, exp.ColumnDef)]
    assert [c.name for c in cols] == [c.name for c in expected]
    for c, col in zip(cols, expected):
        _check_type(c.args["kind"], col.type, dialect, f"{dialect} {table}.{col.name}")
    if dialect in {"spark", "snowflake"}:
        keys = create.find(exp.PartitionedByProperty)
        names = [e.name for e in keys.this.expressions] if keys is not None else re.findall(
            r"PARTITION BY \(([^)]*)\)", create.sql(dialect))[0].replace(" ", "").split(",")
        assert names == [c.name for c in expected if c.partition]


@pytest.mark.parametrize("table", sorted(TABLES))
def test_bigquery_ddl_declares_file_columns_and_hive_partition_columns(table):
    """sqlglot 30 does not know BigQuery's `WITH PARTITION COLUMNS` clause: the statement is parsed without it,
    and the clause's column list on its own."""
    sql = ddl("bigquery", table, "gs://b/out", "d.t")
    m = re.search(r"\nWITH PARTITION COLUMNS \(\n(.*?)\n\)\nOPTIONS", sql, re.S)
    assert m, sql
    create = _create(sql.replace(m.group(0), "\nOPTIONS"), "bigquery")
    parts = _columns(_create(f"CREATE TABLE p (\n{m.group(1)}\n)", "bigquery"))
    cols, expected = _columns(create) + parts, TABLES[table]
    assert [c.name for c in cols] == [c.name for c in expected]
    assert [c.name for c in parts] == [c.name for c in expected if c.partition]
    for c, col in zip(cols, expected):
        _check_type(c.args["kind"], col.type, "bigquery", f"bigquery {table}.{col.name}")
    options = {p.name.lower(): p for p in create.find_all(exp.Property)}
    assert "hive_partition_uri_prefix" in sql and f"'gs://b/out/{table}'" in sql
    assert options and "enable_list_inference" in sql  # pyarrow's LIST layout read as ARRAY, not a wrapper struct


def test_schema_page_tables_are_the_generated_ones():
    """docs/schema.md carries the schema tables (the README links to it): each is the generated one."""
    page = (REPO / "docs" / "schema.md").read_text(encoding="utf-8")
    for table in TABLES:
        start, end = f"<!-- schema:{table} -->\n", f"<!-- /schema:{table} -->"
        assert start in page and end in page, f"docs/schema.md lacks the markers of {table}"
        block = page.split(start, 1)[1].split(end, 1)[0]
        assert block == markdown_table(table), (
            f"docs/schema.md's {table} table drifted: run `python docs/gen_reference.py`")


def test_every_column_is_documented_and_ddl_command_runs(capsys):
    for cols in TABLES.values():
        assert all(c.doc.strip() for c in cols)
        assert len({c.name for c in cols}) == len(cols)
    assert main(["ddl", "--dialect", "athena", "--output", "s3://b/out/"]) == 0
    out = capsys.readouterr().out
    assert "LOCATION 's3://b/out/articles/'" in out and "MSCK REPAIR TABLE articles;" in out
    assert set(DIALECTS) == {"bigquery", "athena", "snowflake", "spark", "markdown"}
    with pytest.raises(ValueError, match="unknown dialect"):
        ddl("oracle")
