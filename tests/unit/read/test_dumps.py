import bz2
import datetime as dt
import gzip

import pytest
import zstandard

from scrapeline.transforms.read.dumps import (
    CorruptInput,
    container_of,
    decompress,
    detect_compression,
    is_dump_path,
    resolve_fetched_at,
)
from scrapeline.transforms.read.containers import decode_text

UTC = dt.timezone.utc
DATA = ("Title\nSome body text. " * 200).encode()


@pytest.mark.parametrize(
    "kind,blob",
    [("gzip", gzip.compress(DATA, mtime=0)), ("bzip2", bz2.compress(DATA)), ("zstd", zstandard.ZstdCompressor().compress(DATA))],
    ids=["gzip", "bzip2", "zstd"],  # stable ids: every pytest-xdist process must collect the same tests
)
def test_compression_detected_by_magic_whatever_the_name(kind, blob):
    assert detect_compression("dump.txt", blob[:4]) == kind
    assert decompress(blob, kind, 10**6) == DATA


def test_extension_used_when_magic_says_nothing():
    assert detect_compression("x.txt.gz", b"abcd") == "gzip"
    assert detect_compression("x.txt", b"abcd") is None


def test_multi_member_gzip_is_read_whole():
    assert decompress(gzip.compress(b"one ") + gzip.compress(b"two"), "gzip", 100) == b"one two"


@pytest.mark.parametrize(
    "kind,blob",
    [("gzip", gzip.compress(DATA, mtime=0)), ("bzip2", bz2.compress(DATA)), ("zstd", zstandard.ZstdCompressor().compress(DATA))],
    ids=["gzip", "bzip2", "zstd"],  # stable ids: every pytest-xdist process must collect the same tests
)
def test_truncated_streams_are_corrupt_input(kind, blob):
    with pytest.raises(CorruptInput) as e:
        decompress(blob[: len(blob) // 2], kind, 10**6)
    assert e.value.reason == "corrupt_compression"


def test_garbage_after_gzip_magic_is_corrupt_input():
    with pytest.raises(CorruptInput):
        decompress(b"\x1f\x8b" + b"garbage" * 10, "gzip", 10**6)


def test_decompression_is_bounded():
    with pytest.raises(CorruptInput) as e:
        decompress(gzip.compress(b"\0" * 10_000), "gzip", 1000)
    assert e.value.reason == "too_large"


def test_decode_utf8_bom_legacy_and_garbage():
    assert decode_text("\ufeffcafé".encode("utf-8")) == ("café", "utf-8", 0)
    text, enc, replaced = decode_text("Der Bürgermeister sagte, dass die Straße gesperrt wird. Grüße aus Köln.".encode("cp1252"))
    assert "Bürgermeister" in text and replaced == 0 and enc != "utf-8"
    _, _, replaced = decode_text(b"\xff\xfe\xfa" * 3 + b"\x80abc")
    assert replaced >= 0  # never raises


def test_fetched_at_order_record_sidecar_cli_mtime():
    cli = dt.datetime(2025, 1, 3, tzinfo=UTC)
    assert resolve_fetched_at("2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z", cli, 0.0) == (
        dt.datetime(2025, 1, 1, tzinfo=UTC), "record")
    mtime = dt.datetime(2025, 1, 4, 9, 30, tzinfo=UTC).timestamp()
    assert resolve_fetched_at(None, "2025-01-02T00:00:00Z", cli, mtime) == (
        dt.datetime(2025, 1, 2, tzinfo=UTC), "sidecar")
    assert resolve_fetched_at(None, None, cli, mtime) == (cli, "cli")
    assert resolve_fetched_at(None, None, None, mtime) == (dt.datetime(2025, 1, 4, 9, 30, tzinfo=UTC), "mtime")
    with pytest.raises(ValueError):
        resolve_fetched_at(None, None, None, None)


def test_a_record_or_sidecar_time_outside_1990_to_tomorrow_is_passed_over():
    mtime = dt.datetime(2025, 1, 4, tzinfo=UTC).timestamp()
    tomorrow_and_more = (dt.datetime.now(UTC) + dt.timedelta(days=2)).isoformat()
    for bad in ("1970-01-02T00:00:00Z", "1989-12-31T23:59:59Z", tomorrow_and_more):
        assert resolve_fetched_at(bad, None, None, mtime) == (dt.datetime(2025, 1, 4, tzinfo=UTC), "mtime")
        assert resolve_fetched_at(None, bad, None, mtime) == (dt.datetime(2025, 1, 4, tzinfo=UTC), "mtime")
    assert resolve_fetched_at("1990-01-01T00:00:00Z", None, None, mtime) == (
        dt.datetime(1990, 1, 1, tzinfo=UTC), "record")  # the bound itself is a plausible time


def test_an_implausible_mtime_is_passed_over_for_the_time_of_reading():
    """A file whose modification time is 1970 (or next year) is not dated by it: no partition before 1990."""
    before = dt.datetime.now(UTC)
    for mtime in (86400.0, (before + dt.timedelta(days=3)).timestamp()):
        t, origin = resolve_fetched_at(None, None, None, mtime)
        assert origin == "ingested" and before <= t <= dt.datetime.now(UTC)
    good = dt.datetime(2025, 8, 6, tzinfo=UTC)
    assert resolve_fetched_at(None, None, None, good.timestamp()) == (good, "mtime")


def test_dump_paths_and_containers():
    assert is_dump_path("/d/a.txt") and is_dump_path("gs://b/a.txt.gz")
    assert not is_dump_path("/d/a.txt.meta.json") and not is_dump_path("/d/.hidden") and not is_dump_path("/d/_SUCCESS")
    assert container_of("a.html.gz", b"") == "html"
    assert container_of("a.warc.gz", b"") == "warc"
    assert container_of("a.dump", b"  <!DOCTYPE html><html>") == "html"
    assert container_of("a.txt", b"Title\nBody") == "text"
