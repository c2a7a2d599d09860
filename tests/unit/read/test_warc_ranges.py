"""A large WARC is read in byte ranges (plan_ranges) so that its pages never cross a shuffle: reading it by ranges
must give exactly the pages, record indices, skips and dead letters of reading it whole."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support.stories import META_OPEN_SOURCE
from tests.support.warc_builder import build_warc, news_records
from scrapeline.transforms.read.dumps import plan_ranges, read_dump
from scrapeline.transforms.core.records import DeadLetter, Page
from scrapeline.pipeline.config import load_config

S = load_config().read_settings(dt.datetime(2025, 8, 6, tzinfo=dt.timezone.utc))


def _outcomes(path, byte_range=None):
    out = []
    for x in read_dump(str(path), None, S, byte_range):
        if isinstance(x, Page):
            out.append(("page", x.record_index, x.url, x.text))
        elif isinstance(x, DeadLetter):
            out.append(("dead", x.record_index, x.reason))
        else:
            out.append(("skip", x.kind))
    return out


@pytest.mark.parametrize("gzip", [True, False])
def test_reading_by_ranges_gives_what_reading_whole_gives(tmp_path, gzip):
    path = tmp_path / ("big.warc.gz" if gzip else "big.warc")
    path.write_bytes(build_warc(news_records(40), gzip=gzip))
    ranges = plan_ranges(str(path), records_per_range=7, min_bytes=1)
    assert ranges is not None and len(ranges) == 8  # 50 records (40 responses, 10 requests), 7 a range
    assert ranges[0][0] == 0 and ranges[-1][1] is None
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
    whole = _outcomes(path)
    by_range = [o for r in ranges for o in _outcomes(path, r)]
    assert by_range == whole and sum(o[0] == "page" for o in whole) == 40


def test_small_files_and_other_containers_are_read_whole(tmp_path):
    small = tmp_path / "small.warc.gz"
    small.write_bytes(build_warc(news_records(10)))
    assert plan_ranges(str(small), 7, min_bytes=10 << 20) is None  # under the size that pays for a plan
    assert plan_ranges(str(small), 100, min_bytes=1) is None  # fewer records than one range
    text = tmp_path / "dump.txt"
    text.write_text("Title\n" + META_OPEN_SOURCE * 50)
    assert plan_ranges(str(text), 7, min_bytes=1) is None
    assert plan_ranges(str(tmp_path / "missing.warc"), 7, min_bytes=1) is None  # the read reports it


def test_a_corrupt_record_inside_a_range_is_a_dead_letter_and_the_other_ranges_read_on(tmp_path):
    path = tmp_path / "big.warc"
    data = bytearray(build_warc(news_records(30), gzip=False))
    first = data.index(b"WARC/1.0", len(data) // 2)
    i = data.index(b"Content-Length: ", first)
    data[i + 16:i + 17] = b"9"  # a wrong Content-Length in the middle of the file
    path.write_bytes(bytes(data))
    ranges = plan_ranges(str(path), records_per_range=5, min_bytes=1)  # planned on the damaged file, as in a run
    assert ranges is not None
    whole = _outcomes(path)
    by_range = [o for r in ranges for o in _outcomes(path, r)]
    assert [o[1:] for o in whole if o[0] == "dead"] == [(first, "bad_content_length")]
    assert sum(o[0] == "page" for o in whole) == 29  # every other record of the file
    assert by_range == whole  # the same dead letter, the same pages after it


def test_planning_a_warc_with_a_huge_record_stays_bounded_in_memory(tmp_path):
    """The planning pass decompresses the whole file: a 64 MB record (64 KB gzipped) must cost it max_record_bytes
    of memory at most, not its size, and the records after it are still planned."""
    import tracemalloc

    recs = news_records(12)
    recs.insert(8, ("response", "https://news.example/huge", b"<html><body>" + b" " * (64 << 20) + b"</body></html>",
                    "text/html"))
    path = tmp_path / "huge.warc.gz"
    path.write_bytes(build_warc(recs))
    assert path.stat().st_size < 2 << 20
    tracemalloc.start()
    try:
        ranges = plan_ranges(str(path), records_per_range=4, min_bytes=1, max_record_bytes=1 << 20)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, f"planning held {peak / 2**20:.0f} MB"
    assert ranges is not None and len(ranges) == 4  # 16 records (12 responses, 3 requests, the huge one), 4 a range
    by_range = [o for r in ranges for o in _outcomes(path, r)]
    assert by_range == _outcomes(path)
    urls = [o[2] for o in by_range if o[0] == "page"]
    assert "https://news.example/huge" in urls and urls[-1] == "https://news.example/11"  # the read's own limit
