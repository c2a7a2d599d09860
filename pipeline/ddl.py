"""`scrapeline ddl --dialect bigquery|athena|snowflake|spark|markdown [--table T] [--output URI] [--name NAME]`:
the statements that declare an output's tables in a warehouse, generated from the one schema module
(`transforms/core/records.py`, `TABLES`), so they cannot drift from the files. `markdown` prints the schema table
docs/schema.md carries (tests/unit/pipeline/test_ddl.py checks that it holds exactly that).

Partition keys (`source` and `date` of `articles`, `stage` and `date` of `dead_letters`) are in the path only,
never in the files; each dialect declares them as its partition columns:
- BigQuery: an external table with `WITH PARTITION COLUMNS` over `hive_partition_uri_prefix` (BigQuery refuses a
  hive key that is also a file column: that is why the files do not carry them).
- Athena / Trino (Hive DDL): `PARTITIONED BY` columns are not in the column list; `MSCK REPAIR TABLE` loads the
  partitions a run added.
- Snowflake: an external table's columns are expressions over `VALUE`; the partition columns are parsed from
  `METADATA$FILENAME`.
- Spark: `USING PARQUET PARTITIONED BY`, with the types declared (Spark would infer a slug like `123` as an int).

External tables do not enforce NOT NULL, so none is declared; the schema page (docs/schema.md) gives nullability.

`--format iceberg`: the statements that read the output's Iceberg table instead (`iceberg_ddl`). The columns and
partitions come from the table's own metadata, so none is declared; what the warehouse needs is where the table's
current metadata file is, or the catalog itself:
- BigQuery: a BigLake external table (`format = 'ICEBERG'`) over the current metadata file;
- Snowflake: an Iceberg table of an object-store catalog integration over the same file, and the `REFRESH` that
  moves it to a later one;
- Spark: Iceberg's Spark runtime pointed at the catalog the run committed to (no statement: the configuration);
- Athena: reads Iceberg tables of the AWS Glue catalog; a run with pyiceberg's Glue catalog (`--catalog`) commits
  there directly, and no DDL is needed.
A metadata file is one snapshot: BigQuery and Snowflake see a later run only after the statement is run again
with the new file (Spark and Athena read the catalog, and see each commit).
"""

from __future__ import annotations

import pyarrow as pa

from scrapeline.transforms.core.records import TABLES, Column

__all__ = ["DIALECTS", "ddl", "iceberg_ddl", "markdown_table", "sql_type"]

DIALECTS = ("bigquery", "athena", "snowflake", "spark", "markdown")
_DEFAULT_OUTPUT = {"bigquery": "gs://YOUR_BUCKET/out", "athena": "s3://YOUR_BUCKET/out",
                   "snowflake": "@YOUR_STAGE/out", "spark": "/path/to/out"}

_SCALARS = {
    "bigquery": {pa.string(): "STRING", pa.int32(): "INT64", pa.int64(): "INT64", pa.float64(): "FLOAT64",
                 pa.date32(): "DATE", pa.timestamp("us", tz="UTC"): "TIMESTAMP"},
    "athena": {pa.string(): "string", pa.int32(): "int", pa.int64(): "bigint", pa.float64(): "double",
               pa.date32(): "date", pa.timestamp("us", tz="UTC"): "timestamp"},
    "spark": {pa.string(): "STRING", pa.int32(): "INT", pa.int64(): "BIGINT", pa.float64(): "DOUBLE",
              pa.date32(): "DATE", pa.timestamp("us", tz="UTC"): "TIMESTAMP"},
    "snowflake": {pa.string(): "VARCHAR", pa.int32(): "NUMBER(10, 0)", pa.int64(): "NUMBER(19, 0)",
                  pa.float64(): "FLOAT", pa.date32(): "DATE", pa.timestamp("us", tz="UTC"): "TIMESTAMP_TZ"},
}


def sql_type(t: pa.DataType, dialect: str) -> str:
    """The dialect's type for an Arrow type of the schema module (a type it does not know is an error)."""
    if pa.types.is_list(t):
        if dialect == "snowflake":
            return "ARRAY"
        inner = sql_type(t.value_type, dialect)
        return f"ARRAY<{inner}>" if dialect != "athena" else f"array<{inner}>"
    if pa.types.is_struct(t):
        if dialect == "snowflake":
            return "OBJECT"
        if dialect == "bigquery":
            return "STRUCT<" + ", ".join(f"{f.name} {sql_type(f.type, dialect)}" for f in t) + ">"
        sep = ":" if dialect == "athena" else ": "
        word = "struct" if dialect == "athena" else "STRUCT"
        return f"{word}<" + ", ".join(f"{f.name}{sep}{sql_type(f.type, dialect)}" for f in t) + ">"
    try:
        return _SCALARS[dialect][t]
    except KeyError:
        raise ValueError(f"no {dialect} type for Arrow type {t}") from None


def _q(s: str) -> str:
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _plain(doc: str) -> str:
    return doc.replace("`", "").replace("\\n", "newline")


def _bigquery(name: str, cols: tuple[Column, ...], root: str) -> str:
    body = ",\n".join(f"  {c.name} {sql_type(c.type, 'bigquery')}" for c in cols if not c.partition)
    parts = ",\n".join(f"  {c.name} {sql_type(c.type, 'bigquery')}" for c in cols if c.partition)
    return (f"CREATE EXTERNAL TABLE `{name}` (\n{body}\n)\nWITH PARTITION COLUMNS (\n{parts}\n)\nOPTIONS (\n"
            f"  format = 'PARQUET',\n  uris = [{_q(root + '/*')}],\n  hive_partition_uri_prefix = {_q(root)},\n"
            f"  enable_list_inference = TRUE\n);\n")


def _athena(name: str, cols: tuple[Column, ...], root: str) -> str:
    def col(c: Column) -> str:
        return f"  `{c.name}` {sql_type(c.type, 'athena')} COMMENT {_q(_plain(c.doc))}"
    body = ",\n".join(col(c) for c in cols if not c.partition)
    parts = ", ".join(f"`{c.name}` {sql_type(c.type, 'athena')}" for c in cols if c.partition)
    return (f"CREATE EXTERNAL TABLE IF NOT EXISTS {name} (\n{body}\n)\nPARTITIONED BY ({parts})\nSTORED AS PARQUET\n"
            f"LOCATION {_q(root + '/')};\n\nMSCK REPAIR TABLE {name};\n")


def _spark(name: str, cols: tuple[Column, ...], root: str) -> str:
    body = ",\n".join(f"  `{c.name}` {sql_type(c.type, 'spark')} COMMENT {_q(_plain(c.doc))}" for c in cols)
    parts = ", ".join(f"`{c.name}`" for c in cols if c.partition)
    return (f"CREATE TABLE IF NOT EXISTS {name} (\n{body}\n)\nUSING PARQUET\nPARTITIONED BY ({parts})\n"
            f"LOCATION {_q(root)};\n\nALTER TABLE {name} RECOVER PARTITIONS;\n")


def _snowflake(name: str, cols: tuple[Column, ...], root: str) -> str:
    def col(c: Column) -> str:
        t = sql_type(c.type, "snowflake")
        if c.partition:
            value = f"SPLIT_PART(SPLIT_PART(METADATA$FILENAME, '{c.name}=', 2), '/', 1)"
            expr = f"TO_DATE({value})" if t == "DATE" else value
        else:
            expr = f"VALUE:{c.name}::{t}"
        return f"  {c.name} {t} AS ({expr})"
    parts = ", ".join(c.name for c in cols if c.partition)
    return (f"CREATE OR REPLACE EXTERNAL TABLE {name} (\n" + ",\n".join(col(c) for c in cols) + "\n)\n"
            f"PARTITION BY ({parts})\nLOCATION = {root}/\nFILE_FORMAT = (TYPE = PARQUET USE_LOGICAL_TYPE = TRUE)\n"
            f"AUTO_REFRESH = FALSE;\n")


def _arrow_name(t: pa.DataType) -> str:
    if pa.types.is_list(t):
        return f"list<{_arrow_name(t.value_type)}>"
    if pa.types.is_struct(t):
        return "struct<" + ", ".join(f"{f.name}: {_arrow_name(f.type)}" for f in t) + ">"
    if pa.types.is_timestamp(t):
        return f"timestamp[{t.unit}, {t.tz}]"
    return {pa.date32(): "date"}.get(t, str(t))


def markdown_table(table: str) -> str:
    """The schema table (docs/schema.md) of `table`: column, Arrow type, nullability, meaning."""
    rows = ["| column | type | null | meaning |", "|---|---|---|---|"]
    for c in TABLES[table]:
        t = _arrow_name(c.type).replace("<", "\\<").replace(">", "\\>")
        where = " (partition: in the path only)" if c.partition else ""
        rows.append(f"| `{c.name}` | {t} | {'yes' if c.nullable else 'no'} | {c.doc}{where} |")
    return "\n".join(rows) + "\n"


def ddl(dialect: str, table: str = "articles", output: str | None = None, name: str | None = None) -> str:
    """The statement(s) declaring `table` of the output at `output` (its root, not `articles/`) in `dialect`."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}; known: {', '.join(DIALECTS)}")
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}; known: {', '.join(TABLES)}")
    if dialect == "markdown":
        return markdown_table(table)
    root = (output or _DEFAULT_OUTPUT[dialect]).rstrip("/") + "/" + table
    name = name or table
    return {"bigquery": _bigquery, "athena": _athena, "spark": _spark, "snowflake": _snowflake}[dialect](
        name, TABLES[table], root)


_PLACEHOLDER_METADATA = "YOUR_CURRENT.metadata.json"


def iceberg_ddl(dialect: str, table: str = "articles", output: str | None = None, name: str | None = None,
                metadata: str | None = None, catalog_uri: str | None = None) -> str:
    """The statement(s) with which `dialect` reads `table` of an Iceberg output at `output`: `metadata` is the
    table's current metadata file (None: a placeholder under `output`); `catalog_uri` the embedded catalog's
    SQLite file (for Spark's JDBC catalog)."""
    if dialect not in DIALECTS or dialect == "markdown":
        raise ValueError(f"unknown dialect {dialect!r} for --format iceberg; known: "
                         f"{', '.join(d for d in DIALECTS if d != 'markdown')}")
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}; known: {', '.join(TABLES)}")
    root = (output or _DEFAULT_OUTPUT[dialect]).rstrip("/")
    name = name or table
    metadata = metadata or f"{root}/_catalog/{table}/metadata/{_PLACEHOLDER_METADATA}"
    if dialect == "bigquery":
        return ("-- BigLake Iceberg table over the table's current metadata file. It reads that snapshot: after a run,\n"
                "-- run `scrapeline ddl --format iceberg` again and this statement with the new file.\n"
                f"CREATE OR REPLACE EXTERNAL TABLE `{name}`\nWITH CONNECTION `YOUR_PROJECT.YOUR_REGION.YOUR_CONNECTION`\n"
                f"OPTIONS (\n  format = 'ICEBERG',\n  uris = [{_q(metadata)}]\n);\n")
    if dialect == "snowflake":
        bare = metadata[len("file://"):] if metadata.startswith("file://") and not root.startswith("file://") else metadata
        relative = bare[len(root) + 1:] if bare.startswith(root + "/") else metadata
        return ("-- An Iceberg table of an object-store catalog integration. YOUR_EXTERNAL_VOLUME's storage location is\n"
                f"-- the output's root ({root}); METADATA_FILE_PATH is relative to it.\n"
                "CREATE CATALOG INTEGRATION IF NOT EXISTS scrapeline_files\n  CATALOG_SOURCE = OBJECT_STORE\n"
                "  TABLE_FORMAT = ICEBERG\n  ENABLED = TRUE;\n\n"
                f"CREATE OR REPLACE ICEBERG TABLE {name}\n  EXTERNAL_VOLUME = 'YOUR_EXTERNAL_VOLUME'\n"
                f"  CATALOG = 'scrapeline_files'\n  METADATA_FILE_PATH = {_q(relative)};\n\n"
                "-- after a later run, with the metadata file `scrapeline ddl --format iceberg` prints then:\n"
                f"-- ALTER ICEBERG TABLE {name} REFRESH 'NEW_METADATA_FILE_PATH';\n")
    if dialect == "athena":
        return ("-- Athena reads the Iceberg tables of the AWS Glue Data Catalog. Run scrapeline with pyiceberg's Glue\n"
                "-- catalog (PYICEBERG_CATALOG__GLUE__TYPE=glue, --catalog glue): each run commits to Glue, and Athena\n"
                "-- reads the table with no DDL, each commit as soon as it is made:\n"
                f"SELECT count(*) FROM \"scrapeline\".\"{table}\";\n")
    uri = catalog_uri or "/path/to/out/_catalog/catalog.db"
    return ("-- Spark reads the catalog the run committed to, and sees each commit. With the embedded catalog: Iceberg's\n"
            "-- Spark runtime (Spark 4.1) and the SQLite JDBC driver on the classpath, and a JDBC catalog named `scrapeline`\n"
            "-- (the name the tables are registered under), read-only (open_mode=1):\n"
            "--   --packages org.apache.iceberg:iceberg-spark-runtime-4.1_2.13:1.12.0,org.xerial:sqlite-jdbc:3.50.3.0\n"
            "--   --conf spark.sql.extensions=org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions\n"
            "--   --conf spark.sql.catalog.scrapeline=org.apache.iceberg.spark.SparkCatalog\n"
            "--   --conf spark.sql.catalog.scrapeline.type=jdbc\n"
            f"--   --conf spark.sql.catalog.scrapeline.uri=jdbc:sqlite:{uri}?open_mode=1\n"
            f"--   --conf spark.sql.catalog.scrapeline.warehouse={root}\n"
            f"SELECT count(*) FROM scrapeline.scrapeline.{table};\n")
