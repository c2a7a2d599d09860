"""The batch graph's shape (pipeline/graph.py): what it reads of the stored output, and on which local runner."""

from __future__ import annotations

import datetime as dt

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from scrapeline.pipeline.config import load_config
from scrapeline.pipeline.graph import RunSpec, build_pipeline
from scrapeline.pipeline.run import _local_runner

NOW = dt.datetime(2025, 8, 6, tzinfo=dt.timezone.utc)
READERS = ("Glob", "Match", "Known", "ReadStoredBands", "ReadColliding", "ReadStoredIds", "ReadStoredTeasers",
           "ReadStoredUrls")


def _labels(tmp_path, stored) -> list[str]:
    spec = RunSpec((str(tmp_path / "in" / "**"),), str(tmp_path / "out"), "r1", NOW, "test", stored=stored)
    p = beam.Pipeline(options=PipelineOptions([]))
    build_pipeline(p, spec, load_config())
    labels: list[str] = []

    class Visit(beam.pipeline.PipelineVisitor):
        def visit_transform(self, node):
            labels.append(node.full_label)

    p.visit(Visit())
    return labels


def _readers(labels: list[str]) -> set[str]:
    """The steps reading stored data (ReadDumps reads the inputs: not counted)."""
    segments = [label.split("/") for label in labels if not label.startswith("ReadDumps/")]
    return {r for r in READERS for parts in segments if any(part.startswith(r) for part in parts[1:])}


def test_an_empty_iceberg_output_is_not_read_and_its_graph_is_smaller(tmp_path):
    empty = _labels(tmp_path, {"articles": frozenset(), "teasers": frozenset(), "dead_letters": frozenset()})
    hive = _labels(tmp_path, None)
    assert _readers(empty) == set()
    assert _readers(hive) >= {"Glob", "Match", "ReadStoredBands", "ReadColliding", "ReadStoredIds"}
    assert len(empty) < 0.75 * len(hive)


def test_stored_files_are_read_from_the_tables_list_without_listing_the_store(tmp_path):
    out = tmp_path / "out"
    stored = {"articles": frozenset({f"{out}/articles/source=a/date=2025-08-06/part-1.parquet"}),
              "teasers": frozenset(), "dead_letters": frozenset({f"{out}/dead_letters/stage=read/x.parquet"})}
    readers = _readers(_labels(tmp_path, stored))
    assert {"Known", "ReadStoredBands", "ReadColliding", "ReadStoredUrls", "ReadStoredIds"} <= readers
    assert "ReadStoredTeasers" not in readers  # the teasers table is empty
    # the band index is not a table: it alone is listed
    assert sorted({label.split("/Glob/")[0] for label in _labels(tmp_path, stored) if "/Glob/" in label}) == [
        "DedupNearDuplicates/ReadStoredBands/CommittedFiles"]


def test_the_default_runner_is_the_in_process_one_without_a_prism_attempt():
    from contextlib import ExitStack

    from apache_beam.runners.portability.fn_api_runner import FnApiRunner

    with ExitStack() as stack:
        assert type(_local_runner({}, stack)) is FnApiRunner
        assert type(_local_runner({"runner": "DirectRunner", "direct_num_workers": 2}, stack)) is FnApiRunner
        assert type(_local_runner({"runner": "direct"}, stack)) is FnApiRunner
        assert _local_runner({"runner": "PortableRunner"}, stack) is None
        assert _local_runner({"runner": "apache_beam.runners.dataflow.DataflowRunner"}, stack) is None
