"""The streaming transforms under TestStream: dedup state, windows, triggers, settling, deterministic.

Early (processing-time) firings are configured for Dataflow/Flink but not exercised here: on Beam 2.77's
DirectRunner, TestStream.advance_processing_time with an early trigger and allowed lateness spins without end.
"""

from __future__ import annotations

import dataclasses

import apache_beam as beam
import pyarrow.dataset as ds
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.test_stream import TestStream
from apache_beam.testing.util import assert_that, equal_to, equal_to_per_window
from apache_beam.transforms import window
from apache_beam.transforms.window import TimestampedValue

from scrapeline.pipeline.graph import article_partition
from tests.support.factories import article, existing, words
from scrapeline.transforms.core.records import ARTICLE_SCHEMA
from scrapeline.transforms.streaming import DedupStream, WriteWindowedParquet, _SettledOnceFn
from scrapeline.pipeline.config import load_config


def _streaming():
    opts = PipelineOptions()
    opts.view_as(StandardOptions).streaming = True
    return TestPipeline(options=opts)


FULL = words(60, "story") + " and the final sentence"
CUT = words(60, "story")


def test_dedup_state_spans_windows_and_the_stored_output():
    first_cut = article(CUT, "cut copy first", position=1)
    full_later = article(FULL, "full copy later", position=2)
    other = article(words(50, "other"), "another story", position=3)
    stored = article(words(45, "stored"), "stored story")
    stored_copy = article(words(45, "stored"), "copy of a stored story", position=4)
    stream = (TestStream(coder=beam.coders.PickleCoder())
              .add_elements([TimestampedValue(first_cut, 1), TimestampedValue(stored_copy, 2)])
              .advance_watermark_to(10)
              .add_elements([TimestampedValue(full_later, 12), TimestampedValue(other, 13)])
              .advance_watermark_to_infinity())
    with _streaming() as p:
        side = p | "Stored" >> beam.Create([(stored.story_key, existing(stored))])
        out = p | stream | DedupStream(40, side)
        titles = out.unique | beam.Map(lambda a: a.title) | beam.WindowInto(window.FixedWindows(10))
        assert_that(titles, equal_to_per_window({
            window.IntervalWindow(0, 10): ["cut copy first"],
            window.IntervalWindow(10, 20): ["another story"],
        }), label="unique per window")
        assert_that(out.late_duplicates | beam.Map(lambda ld: (ld.article_id, ld.titles)),
                    equal_to([(first_cut.article_id, ("full copy later",)),
                              (stored.article_id, ("copy of a stored story",))]), label="late")


def test_windowed_writer_commits_on_time_and_late_panes(tmp_path):
    out = str(tmp_path / "out")
    a = [article(words(50, f"s{i}"), f"t{i}", source="src") for i in range(5)]
    stream = (TestStream(coder=beam.coders.PickleCoder())
              .add_elements([TimestampedValue(a[0], 1), TimestampedValue(a[1], 2)])
              .add_elements([TimestampedValue(a[2], 3), TimestampedValue(a[3], 14)])
              .advance_watermark_to(25)  # on-time panes of [0, 10) and [10, 20)
              .add_elements([TimestampedValue(a[4], 5)])  # behind the watermark: a late pane, not dropped
              .advance_watermark_to_infinity())
    with _streaming() as p:
        manifest = p | stream | WriteWindowedParquet(out, "articles", ARTICLE_SCHEMA, article_partition,
                                                         ("article_id",), 10)
        assert_that(manifest | beam.Map(lambda m: (m["window_start"], m["rows"])),
                    equal_to([(0.0, 3), (10.0, 1), (0.0, 1)]))
    files = sorted((tmp_path / "out" / "articles").rglob("*.parquet"))
    assert sorted(tuple(f.name.split("-")[1:3]) for f in files) == [("w0", "p0"), ("w0", "p1"), ("w10", "p0")]
    table = ds.dataset(str(tmp_path / "out" / "articles"), format="parquet", partitioning="hive").to_table()
    assert sorted(table["title"].to_pylist()) == ["t0", "t1", "t2", "t3", "t4"]
    assert not list((tmp_path / "out" / "_temporary").iterdir())


def test_a_replayed_stream_writes_no_row_twice(tmp_path):
    """What Flink does after restoring a checkpoint: the panes written since are computed and written again. The
    second run of the same stream (plus one new article, and a copy repeated inside a pane) adds only the new row."""
    out = str(tmp_path / "out")
    a = [article(words(50, f"s{i}"), f"t{i}", source="src") for i in range(4)]

    def run(elements):
        stream = TestStream(coder=beam.coders.PickleCoder()).add_elements(
            [TimestampedValue(e, n) for n, e in enumerate(elements)]).advance_watermark_to_infinity()
        with _streaming() as p:
            _ = p | stream | WriteWindowedParquet(out, "articles", ARTICLE_SCHEMA, article_partition,
                                                  ("article_id",), 10)

    run(a[:3])
    run([a[0], a[1], a[2], a[3], a[3]])
    table = ds.dataset(str(tmp_path / "out" / "articles"), format="parquet", partitioning="hive").to_table()
    assert sorted(table["title"].to_pylist()) == ["t0", "t1", "t2", "t3"]
    assert len(list((tmp_path / "out" / "articles").rglob("*.parquet"))) == 2


def test_new_rows_drops_stored_and_repeated_keys():
    from scrapeline.transforms.streaming import new_rows

    rows = [{"band": 1, "article_id": "a"}, {"band": 2, "article_id": "a"}, {"band": 1, "article_id": "a"},
            {"band": 1, "article_id": "b"}]
    assert new_rows(rows, {(1, "b")}, ("band", "article_id")) == rows[:2]
    assert new_rows(rows, set(), ("band", "article_id")) == [rows[0], rows[1], rows[3]]


def test_a_file_is_emitted_once_when_settled_and_again_when_changed():
    polls = [("/d/a.txt", (10, 100.0)), ("/d/a.txt", (10, 100.0)), ("/d/a.txt", (10, 100.0)),
             ("/d/b.txt", (5, 50.0)), ("/d/a.txt", (12, 101.0)), ("/d/a.txt", (12, 101.0))]
    stream = TestStream(coder=beam.coders.PickleCoder())
    for n, poll in enumerate(polls):
        stream = stream.add_elements([TimestampedValue(poll, n)])
    stream = stream.advance_watermark_to_infinity()
    with _streaming() as p:
        out = p | stream | beam.ParDo(_SettledOnceFn())
        assert_that(out, equal_to([("/d/a.txt", 100.0), ("/d/a.txt", 101.0)]))


def test_near_duplicate_stream_folds_the_same_copies_as_batch():
    """The same articles, streamed in two windows and resolved in batch: the same stories, each holding the same
    copies (the stream keeps the first copy as the row, batch the most complete; the grouping is what must agree)."""
    from tests.support.stories import META_OPEN_SOURCE, NVIDIA_CHIPS, TARIFF_OIL
    from scrapeline.transforms.dedup.exact import DedupNearDuplicates

    s = load_config().near
    chips = NVIDIA_CHIPS.split()
    arts = [
        article("WASHINGTON (AP) - " + " ".join(chips[:100]), "cut", input_uri="/in/1", position=0),
        article(META_OPEN_SOURCE, "meta", input_uri="/in/2", position=0),
        article("WORLD > Business\n" + NVIDIA_CHIPS.replace("licences", "licenses"), "leak", input_uri="/in/3",
                position=0),
        article(TARIFF_OIL, "oil", input_uri="/in/4", position=0),
        article(NVIDIA_CHIPS + "\nReporting by Jane Doe", "full", input_uri="/in/5", position=0),
        article("(Reuters) - " + META_OPEN_SOURCE.replace("praised", "lauded"), "meta copy", input_uri="/in/6",
                position=0),
    ]
    stored = article(TARIFF_OIL + "\nCopyright 2025 Example News", "stored oil", input_uri="/old/1", position=0)
    stream = (TestStream(coder=beam.coders.PickleCoder())
              .add_elements([TimestampedValue(a, i) for i, a in enumerate(arts[:3])])
              .advance_watermark_to(10)
              .add_elements([TimestampedValue(a, 10 + i) for i, a in enumerate(arts[3:])])
              .advance_watermark_to_infinity())
    with _streaming() as p:
        side = p | "Stored" >> beam.Create([(stored.story_key, dataclasses.replace(
            existing(stored), path="/out/x.parquet", location=stored.location))])
        out = p | stream | DedupStream(40, side, s)
        assert_that(out.unique | "Titles" >> beam.Map(lambda a: a.title), equal_to(["cut", "meta"]), label="rows")
        assert_that(out.late_duplicates | beam.Map(lambda ld: (ld.article_id, sorted(ld.locations))),
                    equal_to([(arts[0].article_id, ["/in/3#0/0"]), (arts[0].article_id, ["/in/5#0/0"]),
                              (arts[1].article_id, ["/in/6#0/0"]), (stored.article_id, ["/in/4#0/0"])]),
                    label="late")
    # batch on the same articles (and the same stored story): the same groups of copies
    with TestPipeline() as p:
        res = p | beam.Create(arts) | DedupNearDuplicates(s)
        groups = res["unique"] | beam.Map(lambda a: sorted([a.location, *a.duplicate_locations]))
        assert_that(groups, equal_to([["/in/1#0/0", "/in/3#0/0", "/in/5#0/0"], ["/in/2#0/0", "/in/6#0/0"],
                                      ["/in/4#0/0"]]))


def test_on_iceberg_a_pane_never_committed_is_written_again_and_a_replayed_commit_is_skipped(tmp_path):
    """Streaming into Iceberg tables: a pane whose file was written but never committed (the worker died between)
    does not count as stored, so the replayed pane writes its rows again and commits them; committing the same
    pane's file twice (a replayed commit) makes one snapshot."""
    from scrapeline.pipeline.graph import _CommitPaneFn
    from scrapeline.pipeline.tables import CommitPaneFn, CommittedIn, history, open_catalog, open_tables

    out = str(tmp_path / "out")
    tables = open_tables(open_catalog(out), out)
    a = [article(words(50, f"s{i}"), f"t{i}", source="src") for i in range(4)]

    def run(elements, commit: bool):
        stream = TestStream(coder=beam.coders.PickleCoder()).add_elements(
            [TimestampedValue(e, n) for n, e in enumerate(elements)]).advance_watermark_to_infinity()
        with _streaming() as p:
            files = p | stream | WriteWindowedParquet(out, "articles", ARTICLE_SCHEMA, article_partition,
                                                      ("article_id",), 10, committed=CommittedIn(out, None, "articles"))
            if commit:
                _ = files | beam.ParDo(_CommitPaneFn(out, None, "articles", "stream-1"))

    run(a[:3], commit=False)  # written, never committed
    assert tables["articles"].current_snapshot() is None
    run(a, commit=True)
    tables["articles"].refresh()
    assert sorted(tables["articles"].scan().to_arrow()["title"].to_pylist()) == ["t0", "t1", "t2", "t3"]
    assert len(list((tmp_path / "out" / "articles").rglob("*.parquet"))) == 2  # the uncommitted one stays on disk
    run(a, commit=True)  # the stream replayed: nothing new
    commits = [r for r in history(open_tables(open_catalog(out), out)) if r["table"] == "articles"]
    assert len(commits) == 1 and commits[0]["run_id"].startswith("stream-1/part-w")
    file = tables["articles"].scan().plan_files()[0].file.file_path[len("file://"):]
    element = {"partition": "source=src/date=" + file.split("date=")[1].split("/")[0], "path": file, "rows": 4}
    committer = CommitPaneFn(out, None, "articles", "stream-1")
    assert committer.commit(element) == committer.commit(element) == commits[0]["snapshot_id"]
