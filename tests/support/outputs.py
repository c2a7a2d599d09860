"""Reading an output as its readers do: the current snapshot of an Iceberg output's table (pyiceberg), or every
Parquet file of plain Hive folders (pyarrow). Globbing the files of an Iceberg output would also find the old
versions of rewritten files (docs/tables.md)."""

from __future__ import annotations

from pathlib import Path

import pyarrow.dataset as ds

from scrapeline.pipeline.tables import is_iceberg


def table_rows(out, table: str = "articles", partitioning="hive") -> list[dict]:
    """The rows of `table`. Partition values come as a Hive reader with `partitioning` gives them: with "hive",
    `date` as text (pyarrow infers no date type from a path); with a typed partitioning, as those types."""
    out = Path(out)
    if is_iceberg(str(out)):
        from scrapeline.pipeline import api

        rows = api.read(str(out), table).to_pylist()
        if partitioning == "hive":
            rows = [{**r, "date": None if r.get("date") is None else r["date"].isoformat()} for r in rows]
        return rows
    root = out / table
    if not root.exists():
        return []
    return ds.dataset(str(root), format="parquet", partitioning=partitioning).to_table().to_pylist()
