import dataclasses
"""Composite transforms on TestPipeline, asserted with assert_that; the writer as a write-then-read round trip."""

import datetime as dt
import gzip

import apache_beam as beam
import pyarrow.dataset as ds
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from scrapeline.pipeline.graph import article_partition
from tests.support.paths import FETCHED_AT
from tests.support.factories import article, existing, words
from scrapeline.transforms.dedup.exact import DedupByContentHash
from scrapeline.transforms.extract.articles import ExtractArticles
from scrapeline.transforms.read.dumps import ReadDumps
from scrapeline.transforms.core.records import ARTICLE_SCHEMA
from scrapeline.transforms.output.write import ReadExistingStories, WritePartitionedParquet
from scrapeline.pipeline.config import load_config


def _opts():
    return {"options": beam.options.pipeline_options.PipelineOptions(["--runner=FnApiRunner"])}


def test_read_dumps_reads_each_file_once_and_dead_letters_the_corrupt_one(tmp_path, sample_text):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.txt").write_text(sample_text)
    (tmp_path / "sub" / "b.txt.gz").write_bytes(gzip.compress(b"Title\n" + b"word " * 30))
    (tmp_path / "sub" / "c.txt.gz").write_bytes(gzip.compress(b"Title\n" + b"word " * 300)[:30])
    with TestPipeline(**_opts()) as p:
        out = p | ReadDumps([str(tmp_path / "**"), str(tmp_path / "a.txt")], load_config().read_settings(FETCHED_AT))
        assert_that(out.pages | "U" >> beam.Map(lambda pg: pg.input_uri.rsplit("/", 1)[1]),
                    equal_to(["a.txt", "b.txt.gz"]), label="pages")
        assert_that(out.dead_letters | "R" >> beam.Map(lambda d: (d.input_uri.rsplit("/", 1)[1], d.reason)),
                    equal_to([("c.txt.gz", "corrupt_compression")]), label="dead")


def test_extract_and_dedup_the_sample(sample_path, config):
    with TestPipeline(**_opts()) as p:
        pages = p | ReadDumps([str(sample_path)], load_config().read_settings(FETCHED_AT))
        arts = pages.pages | ExtractArticles(config, FETCHED_AT, "test")
        unique = (arts.articles | DedupByContentHash(config.lead_words)).unique
        assert_that(
            unique | beam.Map(lambda a: (a.position, a.duplicate_count, a.duplicate_titles[-1][:30])),
            equal_to([(0, 0, "Meta changes course on open-so"), (1, 1, "US charges 2 Chinese nationals"),
                      (3, 0, "Trump tariff threats loom over")]),
        )


def test_dedup_against_existing_stories(config):
    old = article(words(60), "old")
    new_copy, new_story = article(words(60), "copy"), article(words(70, "n"), "new")
    with TestPipeline(**_opts()) as p:
        existing_pc = p | "E" >> beam.Create([(old.story_key, existing(old))])
        out = p | "N" >> beam.Create([new_copy, new_story]) | DedupByContentHash(40, existing_pc)
        assert_that(out.unique | beam.Map(lambda a: a.title), equal_to(["new"]))
        assert_that(out.late_duplicates | beam.Map(lambda ld: (ld.article_id, ld.titles)),
                    equal_to([(old.article_id, ("copy",))]), label="late")


def test_write_then_read_round_trip_is_hive_partitioned_and_atomic(tmp_path):
    out = str(tmp_path / "out")
    t1 = dt.datetime(2025, 8, 6, 11, 25, tzinfo=dt.timezone.utc)
    rows = [article(words(50, f"s{i}"), f"t{i}", source="a" if i % 2 else "b", published_at=t1 if i < 3 else None)
            for i in range(7)]
    with TestPipeline(**_opts()) as p:
        manifest = (p | beam.Create(rows)
                    | WritePartitionedParquet(out, "articles", ARTICLE_SCHEMA, article_partition, "r1", max_rows_per_file=2))
        assert_that(manifest | beam.Map(lambda m: m["rows"]) | beam.CombineGlobally(sum), equal_to([7]))
    assert not list((tmp_path / "out" / "_temporary").iterdir())
    table = ds.dataset(str(tmp_path / "out" / "articles"), format="parquet", partitioning="hive").to_table()
    assert table.num_rows == 7
    got = sorted(zip(table["title"].to_pylist(), table["source"].to_pylist(), table["date"].to_pylist()))
    assert got == sorted((r.title, r.source, r.partition_date.isoformat()) for r in rows)
    files = sorted(p.name for p in (tmp_path / "out" / "articles").rglob("*.parquet"))
    assert len(files) == 4 and all(f.startswith("part-r1-") for f in files)  # source a: 3 rows, b: 4; cut at 2 rows
    # and the stories read back for cross-run dedup: all of them, or only those a run may collide with
    with TestPipeline(**_opts()) as p:
        back = p | ReadExistingStories(out) | beam.Map(lambda kv: kv[1].article_id)
        assert_that(back, equal_to([r.article_id for r in rows]))
        keys = p | "Keys" >> beam.Create([rows[2].story_key, rows[2].story_key, "no-such-key"])
        some = p | "Colliding" >> ReadExistingStories(out, keys) | "Ids" >> beam.Map(lambda kv: kv[1].article_id)
        assert_that(some, equal_to([rows[2].article_id]), label="colliding only")


def test_read_existing_of_an_empty_output_is_empty(tmp_path):
    with TestPipeline(**_opts()) as p:
        assert_that(p | ReadExistingStories(str(tmp_path / "nothing")), equal_to([]))


@pytest.mark.parametrize("bad", [dict(table="_x"), dict(table="a/b"), dict(max_rows_per_file=0), dict(output="")])
def test_writer_checks_its_arguments(bad):
    args = dict(output="/tmp/x", table="articles", schema=ARTICLE_SCHEMA, partition_fn=article_partition,
                run_id="r", max_rows_per_file=10)
    args.update(bad)
    with pytest.raises(ValueError):
        WritePartitionedParquet(**args)


def test_read_dumps_reads_a_large_warc_by_ranges_and_other_files_whole(tmp_path):
    from tests.support.warc_builder import news_records
    from tests.support.warc_builder import build_warc

    (tmp_path / "big.warc.gz").write_bytes(build_warc(news_records(40)))
    (tmp_path / "a.jsonl").write_text('{"url": "https://x.example/1", "text": "Title\\nBody words here"}\n'
                                      '{"url": "https://x.example/2", "text": "Title two\\nMore body words"}\n')
    with TestPipeline(**_opts()) as p:
        out = p | ReadDumps([str(tmp_path / "**")], dataclasses.replace(
            load_config().read_settings(FETCHED_AT), warc_records_per_range=7, warc_range_min_bytes=1))
        assert_that(out.pages | "Whole" >> beam.Map(lambda pg: pg.url), equal_to(["https://x.example/1",
                                                                                   "https://x.example/2"]),
                    label="whole")
        assert_that(out.ranged_pages | "Ranged" >> beam.Map(lambda pg: pg.url),
                    equal_to([f"https://news.example/{i}" for i in range(40)]), label="ranged")
