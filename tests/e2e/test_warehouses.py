"""Warehouses reading a real output: DuckDB, pyarrow, Polars and Spark (pyspark, local mode), beside a file written
before 0.3 (which carries `source` in the file as well as in the path), and the `scrapeline ddl --dialect spark`
statements run by Spark itself.

The output is one run of the shipped sample plus two partitions written here: an old-layout file, and a publisher
whose slug is all digits (`source=123`), which Spark's partition discovery would type as an int. As plain folders
first; then the same files adopted into Iceberg tables (`scrapeline adopt`), read with no option by DuckDB and
Polars (through pyiceberg) and by Spark (Iceberg's Spark runtime, a JDBC catalog on the embedded SQLite file, as
`scrapeline ddl --dialect spark --format iceberg` prints it).
"""

from __future__ import annotations

import datetime as dt
import os

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from scrapeline.pipeline import api
from scrapeline.pipeline.ddl import ddl
from scrapeline.transforms.core.records import ARTICLE_SCHEMA, TABLES

FETCHED = "2025-08-06T12:00:00Z"
OLD_ID = "0" * 32
DIGIT_ID = "1" * 32
# as the README says to read it with pyarrow: `partitioning="hive"` alone infers `date` as a string, `source=123`
# as an int
PARTITIONING = ds.partitioning(pa.schema([("source", pa.string()), ("date", pa.date32())]), flavor="hive")


@pytest.fixture(scope="module")
def output(tmp_path_factory):
    out = tmp_path_factory.mktemp("wh") / "out"
    summary = api.run(output=str(out), run_id="wh-1", fetched_at=FETCHED, options={"runner": "FnApiRunner"},
                      table_format="hive")
    assert summary.articles_written > 0
    new = ds.dataset(out / "articles", format="parquet", partitioning=PARTITIONING).to_table()
    one = new.slice(0, 1).select(ARTICLE_SCHEMA.names)  # file columns only

    # a file as 0.1 wrote it: `source` stored in the file too, no title_source / duplicate_matches yet
    old = one.drop_columns(["title_source", "duplicate_matches"]).set_column(
        0, "article_id", pa.array([OLD_ID])).append_column("source", pa.array(["legacy-wire"]))
    old_dir = out / "articles" / "source=legacy-wire" / "date=2024-01-31"
    old_dir.mkdir(parents=True)
    pq.write_table(old, old_dir / "part-old-0.parquet")

    digits = one.set_column(0, "article_id", pa.array([DIGIT_ID]))
    digit_dir = out / "articles" / "source=123" / "date=2024-02-01"
    digit_dir.mkdir(parents=True)
    pq.write_table(digits, digit_dir / "part-digits-0.parquet")
    return {"root": out, "new": new, "rows": new.num_rows + 2}


ICEBERG_JARS = ("org.apache.iceberg:iceberg-spark-runtime-4.1_2.13:1.12.0", "org.xerial:sqlite-jdbc:3.50.3.0")
"""Iceberg's Spark runtime (for Spark 4.1: the newest Spark it is built for; 4.2+ changed the catalog interfaces it
implements) and the SQLite JDBC driver, from Maven Central (61 MB), fetched when missing."""


@pytest.fixture(scope="module")
def iceberg_jars():
    from tests.support.servers import maven_jar

    return [maven_jar(c) for c in ICEBERG_JARS]


@pytest.fixture(scope="module")
def spark(iceberg_jars):
    from pyspark.sql import SparkSession

    from tests.support.servers import SHORT_LIVED_JVM

    os.environ.setdefault("PYSPARK_PYTHON", os.sys.executable)
    builder = SparkSession.builder
    if all(iceberg_jars):  # on the classpath from the start: a JVM takes jars only when it starts
        builder = (builder.config("spark.jars", ",".join(str(j) for j in iceberg_jars))
                   .config("spark.sql.extensions", "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions"))
    session = (builder.master("local[1]").appName("scrapeline-test")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.ui.enabled", "false")
               .config("spark.driver.extraJavaOptions", SHORT_LIVED_JVM)
               .config("spark.sql.shuffle.partitions", "1")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _naive_utc(ts):
    return None if ts is None else ts.astimezone(dt.timezone.utc).replace(tzinfo=None)


def test_duckdb_and_pyarrow_read_old_and_new_files_together(output):
    articles = str(output["root"] / "articles")
    con = duckdb.connect()
    scan = f"read_parquet('{articles}/**/*.parquet', hive_partitioning = true, union_by_name = true)"
    types = {name: str(t) for name, t, *_ in con.execute(f"describe select * from {scan}").fetchall()}
    assert (types["date"], types["source"], types["published_at"]) == ("DATE", "VARCHAR", "TIMESTAMP WITH TIME ZONE")
    assert con.execute(f"select count(*) from {scan}").fetchone()[0] == output["rows"]
    old = con.execute(f"select source, date, title_source from {scan} where article_id = '{OLD_ID}'").fetchall()
    assert old == [("legacy-wire", dt.date(2024, 1, 31), None)]

    table = ds.dataset(articles, format="parquet", partitioning=PARTITIONING).to_table()
    assert table.num_rows == output["rows"]
    assert table.schema.field("date").type == pa.date32() and table.schema.field("source").type == pa.string()
    assert pc.count_distinct(table["source"]).as_py() == len(set(output["new"]["source"].to_pylist())) + 2


def test_spark_discovers_partitions_with_utc_timestamps_and_dates(output, spark):
    from pyspark.sql import types as T

    df = spark.read.option("mergeSchema", "true").parquet(str(output["root"] / "articles"))
    fields = {f.name: f.dataType for f in df.schema.fields}
    assert isinstance(fields["date"], T.DateType)
    assert isinstance(fields["published_at"], T.TimestampType) and isinstance(fields["fetched_at"], T.TimestampType)
    assert isinstance(fields["captions"], T.ArrayType) and isinstance(fields["duplicate_matches"], T.ArrayType)
    assert isinstance(fields["source"], T.StringType)
    # discovery types a partition column from its values: where every slug read is all digits, it is a number
    # (why `scrapeline ddl --dialect spark` declares the types)
    only_digits = spark.read.option("basePath", str(output["root"] / "articles")).parquet(
        str(output["root"] / "articles" / "source=123"))
    assert isinstance(only_digits.schema["source"].dataType, T.IntegerType)
    assert df.count() == output["rows"]

    rows = {r["article_id"]: r for r in df.collect()}
    assert rows[OLD_ID]["title_source"] is None and rows[OLD_ID]["date"] == dt.date(2024, 1, 31)
    for new in output["new"].to_pylist():  # every value as pyarrow reads it; timestamps the same instant in UTC
        got = rows[new["article_id"]]
        assert (got["source"], got["date"], got["title"]) == (new["source"], new["date"], new["title"])
        assert got["published_at"] == _naive_utc(new["published_at"])
        assert got["fetched_at"] == _naive_utc(new["fetched_at"]) == dt.datetime(2025, 8, 6, 12)


def test_spark_runs_the_generated_ddl(output, spark):
    from pyspark.sql import types as T

    text = ddl("spark", output=str(output["root"]), name="scrapeline_articles")
    statements = [s.strip() for s in text.split(";\n")]  # comments hold `;` too
    create, recover = [s for s in statements if s]
    spark.sql("DROP TABLE IF EXISTS scrapeline_articles")
    spark.sql(create)
    assert spark.table("scrapeline_articles").count() == 0  # partitions are not known until recovered
    spark.sql(recover)
    table = spark.table("scrapeline_articles")
    assert table.count() == output["rows"]
    assert [f.name for f in table.schema.fields] == [c.name for c in TABLES["articles"]]
    fields = {f.name: f.dataType for f in table.schema.fields}
    assert isinstance(fields["source"], T.StringType) and isinstance(fields["date"], T.DateType)
    assert isinstance(fields["position"], T.IntegerType) and isinstance(fields["record_index"], T.LongType)
    got = {r["article_id"]: (r["source"], r["date"]) for r in table.select("article_id", "source", "date").collect()}
    assert got[DIGIT_ID] == ("123", dt.date(2024, 2, 1)) and got[OLD_ID] == ("legacy-wire", dt.date(2024, 1, 31))
    spark.sql("DROP TABLE scrapeline_articles")


def test_polars_reads_with_hive_partitioning(output):
    import polars as pl

    articles = output["root"] / "articles"
    # missing_columns="insert": a file written before a column existed (here title_source) reads as null there
    frame = pl.scan_parquet(f"{articles}/**/*.parquet", hive_partitioning=True, missing_columns="insert").collect()
    assert frame.height == output["rows"]
    assert frame.schema["date"] == pl.Date and frame.schema["published_at"] == pl.Datetime("us", "UTC")
    old = frame.filter(pl.col("article_id") == OLD_ID).select("source", "date").rows()
    assert old == [("legacy-wire", dt.date(2024, 1, 31))]


# --- the same files as Iceberg tables ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tables(output, tmp_path_factory):
    """The folders of `output` (old-layout and all-digit partitions included) adopted into Iceberg tables."""
    import shutil

    from scrapeline.pipeline.cli import main
    from scrapeline.pipeline.tables import open_catalog

    out = tmp_path_factory.mktemp("wh-ice") / "out"
    shutil.copytree(output["root"], out, ignore=shutil.ignore_patterns("_lock.json"))
    assert main(["adopt", str(out)]) == 0
    return {"root": out, "articles": open_catalog(str(out)).load_table("scrapeline.articles")}


def test_duckdb_reads_the_iceberg_table_with_no_option(output, tables):
    con = duckdb.connect()
    tables["articles"].scan().to_duckdb("articles", connection=con)
    assert con.sql("select count(*) from articles").fetchall()[0][0] == output["rows"]
    types = dict(con.sql("select column_name, column_type from (describe articles)").fetchall())
    assert (types["source"], types["date"], types["published_at"]) == ("VARCHAR", "DATE", "TIMESTAMP WITH TIME ZONE")
    assert types["duplicate_matches"].startswith("STRUCT(") and types["captions"] == "VARCHAR[]"
    old = con.sql(f"select source, date, title_source from articles where article_id = '{OLD_ID}'").fetchall()
    assert old == [("legacy-wire", dt.date(2024, 1, 31), None)]  # a column the file predates reads as null
    digits = con.sql(f"select source from articles where article_id = '{DIGIT_ID}'").fetchall()
    assert digits == [("123",)]  # a partition value typed by the table, not guessed from the path


def test_polars_reads_the_iceberg_table_with_no_option(output, tables):
    import polars as pl

    frame = pl.scan_iceberg(tables["articles"]).collect()
    assert frame.height == output["rows"]
    assert frame.schema["date"] == pl.Date and frame.schema["published_at"] == pl.Datetime("us", "UTC")
    assert frame.schema["source"] == pl.String
    old = frame.filter(pl.col("article_id") == OLD_ID).select("source", "date", "title_source").rows()
    assert old == [("legacy-wire", dt.date(2024, 1, 31), None)]


def test_spark_reads_the_iceberg_table_through_the_catalog_ddl_names(output, tables, spark, iceberg_jars, capsys):
    """The JDBC catalog `scrapeline ddl --dialect spark --format iceberg` prints, set on a live session: Spark reads
    the table the runs committed (partition columns typed by the table), its snapshots, and nothing else."""
    from pyspark.sql import types as T

    from scrapeline.pipeline.cli import main

    if not all(iceberg_jars):
        pytest.skip(f"no Maven to fetch {', '.join(ICEBERG_JARS)}")
    assert main(["ddl", "--dialect", "spark", "--format", "iceberg", "--output", str(tables["root"])]) == 0
    text = capsys.readouterr().out
    confs = dict(line.split("--conf ", 1)[1].split("=", 1) for line in text.splitlines() if "--conf " in line)
    for key, value in confs.items():
        if spark.conf.get(key, None) != value:  # spark.sql.extensions is static: the session was started with it
            spark.conf.set(key, value)
    query = [line for line in text.splitlines() if line and not line.startswith("--")]
    assert spark.sql(query[0].rstrip(";")).collect()[0][0] == output["rows"]
    table = spark.table("scrapeline.scrapeline.articles")
    fields = {f.name: f.dataType for f in table.schema.fields}
    assert isinstance(fields["source"], T.StringType) and isinstance(fields["date"], T.DateType)
    assert isinstance(fields["published_at"], T.TimestampType) and isinstance(fields["record_index"], T.LongType)
    rows = {r["article_id"]: r for r in table.collect()}
    assert (rows[DIGIT_ID]["source"], rows[OLD_ID]["date"]) == ("123", dt.date(2024, 1, 31))
    assert rows[OLD_ID]["title_source"] is None
    for new in output["new"].to_pylist():
        got = rows[new["article_id"]]
        assert (got["source"], got["date"], got["title"]) == (new["source"], new["date"], new["title"])
        assert got["published_at"] == _naive_utc(new["published_at"])
    snapshots = spark.sql("select operation, summary['scrapeline.run_id'] from scrapeline.scrapeline.articles.snapshots")
    assert [tuple(r) for r in snapshots.collect()] == [("append", "adopted")]
