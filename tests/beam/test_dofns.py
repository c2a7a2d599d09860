import dataclasses
"""DoFns called directly: setup(), process(), and what goes to which output."""

import datetime as dt
import gzip
import json

from apache_beam.pvalue import TaggedOutput

from tests.support.paths import FETCHED_AT
from scrapeline.transforms.extract.articles import _ExtractFn
from scrapeline.pipeline.config import load_config
from scrapeline.transforms.read.dumps import _ReadDumpFn
from scrapeline.transforms.core.records import Article, DeadLetter, Page


def _split(outputs):
    main = [o for o in outputs if not isinstance(o, TaggedOutput)]
    dead = [o.value for o in outputs if isinstance(o, TaggedOutput)]
    return main, dead


def _read(path, fetched_at=FETCHED_AT, mtime=0.0):
    fn = _ReadDumpFn(dataclasses.replace(load_config().read_settings(fetched_at), max_file_bytes=10**7, excerpt_chars=200))
    fn.setup()
    return _split(list(fn.process((str(path), mtime))))


def test_read_plain_and_gzip_text(tmp_path, sample_text):
    (tmp_path / "a.txt").write_text(sample_text)
    (tmp_path / "b.dump").write_bytes(gzip.compress(sample_text.encode()))  # gzip found by magic
    for name in ("a.txt", "b.dump"):
        pages, dead = _read(tmp_path / name)
        assert dead == [] and len(pages) == 1
        assert pages[0].text == sample_text and pages[0].fetched_at == FETCHED_AT and pages[0].fetched_at_origin == "cli"


def test_sidecar_wins_over_cli_fetch_time(tmp_path):
    (tmp_path / "a.txt.gz").write_bytes(gzip.compress(b"Title\nBody"))
    (tmp_path / "a.txt.meta.json").write_text(json.dumps({"fetched_at": "2024-01-01T00:00:00Z", "url": "https://x.org/a"}))
    pages, _ = _read(tmp_path / "a.txt.gz")
    assert pages[0].fetched_at == dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    assert pages[0].fetched_at_origin == "sidecar" and pages[0].url == "https://x.org/a"


def test_mtime_is_the_last_resort(tmp_path):
    (tmp_path / "a.txt").write_text("Title\nBody")
    mtime = dt.datetime(2025, 3, 2, 8, 15, tzinfo=dt.timezone.utc)
    pages, _ = _read(tmp_path / "a.txt", fetched_at=None, mtime=mtime.timestamp())
    assert pages[0].fetched_at_origin == "mtime" and pages[0].fetched_at == mtime


def test_bad_inputs_become_dead_letters(tmp_path):
    (tmp_path / "trunc.txt.gz").write_bytes(gzip.compress(b"Title\nBody " * 500)[:40])
    (tmp_path / "empty.txt").write_text("  \n")
    (tmp_path / "bad.txt").write_text("Title\nBody")
    (tmp_path / "bad.txt.meta.json").write_text("{not json")
    expected = {"trunc.txt.gz": "corrupt_compression", "empty.txt": "empty", "bad.txt": "bad_sidecar",
                "missing.txt": "unreadable"}
    for name, reason in expected.items():
        pages, dead = _read(tmp_path / name)
        assert pages == [] and len(dead) == 1, name
        d = dead[0]
        assert isinstance(d, DeadLetter) and d.stage == "read" and d.reason == reason, (name, d)
        assert d.input_uri.endswith(name) and d.error


def _page(text, uri="/in/x.txt"):
    return Page(uri, 0, text, FETCHED_AT, "cli", "text")


def test_extract_fn_on_the_sample(sample_text, config):
    fn = _ExtractFn(config, None, FETCHED_AT, "test")
    fn.setup()
    arts, dead = _split(list(fn.process(_page(sample_text))))
    assert dead == [] and len(arts) == 4 and all(isinstance(a, Article) for a in arts)
    assert [a.source for a in arts] == ["daily8"] + ["south-china-morning-post"] * 3
    assert arts[1].story_key == arts[2].story_key and arts[1].article_id != arts[2].article_id


def test_extract_fn_filters_short_articles_and_dead_letters_bad_blocks(config):
    fn = _ExtractFn(config, "aggregator-related", FETCHED_AT, "test")
    text = ("Main\n" + "word " * 50 + "\nComments\nRelated Articles\nnot a head\n"
            "Reuters\n1 hour ago\nShort one\ntoo short\n")
    arts, dead = _split(list(fn.process(_page(text))))
    assert [a.title for a in arts] == ["Main"]
    assert sorted((d.stage, d.reason) for d in dead) == [("filter", "too_short"), ("split", "unrecognised_block")]
    short = next(d for d in dead if d.reason == "too_short")
    assert short.position == 1 and "Short one" in short.excerpt
