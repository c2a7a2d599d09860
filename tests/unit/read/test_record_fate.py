"""Every record has its own fate: a malformed record, in any container, is one dead letter with its offset, and
the records after it are read. Each hostile case sits in a file with good records before and after it."""

from __future__ import annotations

import dataclasses
import gzip
import io
import json
import random
import re

import pytest

from tests.support.paths import FETCHED_AT
from tests.support.warc_builder import build_warc, html_page
from scrapeline.pipeline.config import load_config
from scrapeline.transforms.core.records import DeadLetter, Page
from scrapeline.transforms.read.containers import Record, RecordError, iter_warc
from scrapeline.transforms.read.dumps import plan_ranges, read_dump

BODY = " ".join(f"Sentence {i} of the story tells what the council decided about the bridge." for i in range(12))
N = 6
TRIALS = 150
BAD = 2  # the index of the record a case damages


def _records(ids: dict[int, int] | None = None) -> list[bytes]:
    """N good response records, one WARC record each (uncompressed). Record i's WARC-Record-ID is made from
    ids.get(i, i), not drawn at random, so that the damage a case does is the same in every run."""
    ids = ids or {}
    return [_with_id(build_warc([("response", f"https://ex.org/{i}", html_page(f"Page {i}", [BODY]), "text/html")],
                                gzip=False), ids.get(i, i)) for i in range(N)]


def _with_id(record: bytes, n: int) -> bytes:
    return re.sub(rb"<urn:uuid:[0-9a-f-]+>", b"<urn:uuid:00000000-0000-4000-8000-%012d>" % n, record, count=1)


def _gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)  # no clock in the bytes


def _with_length(record: bytes, block: bytes) -> bytes:
    """`record`'s WARC header with `block` as its content (Content-Length made right)."""
    head = record[: record.index(b"\r\n\r\n") + 4]
    head = re.sub(rb"Content-Length: \d+", b"Content-Length: %d" % len(block), head)
    return head + block + b"\r\n\r\n"


def _block(record: bytes) -> bytes:
    start = record.index(b"\r\n\r\n") + 4
    return record[start:-4]


def _no_uri(r: bytes) -> bytes:
    return re.sub(rb"WARC-Target-URI: [^\r]*\r\n", b"", r)


def _length_too_big(r: bytes) -> bytes:
    return re.sub(rb"Content-Length: (\d+)", lambda m: b"Content-Length: %d" % (int(m.group(1)) * 50), r)


def _length_too_small(r: bytes) -> bytes:
    return re.sub(rb"Content-Length: (\d+)", lambda m: b"Content-Length: %d" % (int(m.group(1)) // 2), r)


def _length_not_a_number(r: bytes) -> bytes:
    return re.sub(rb"Content-Length: \d+", b"Content-Length: 12ab", r)


def _header_without_colon(r: bytes) -> bytes:
    return r.replace(b"WARC-Date: ", b"WARC-Date ", 1)


def _binary_http_headers(r: bytes) -> bytes:
    block = _block(r)
    return _with_length(r, block.replace(b"\r\n", b"\r\nX-\x00\x01\xff\xfe: \x02\x03\x80\r\n", 1))


def _binary_status_line(r: bytes) -> bytes:
    block = _block(r)
    return _with_length(r, b"\x00\xff\xfe\x01\x80\x81" + block[block.index(b"\r\n"):])


WARC_CASES = {
    "no_uri": (_no_uri, "malformed_header"),
    "length_too_big": (_length_too_big, "bad_content_length"),
    "length_too_small": (_length_too_small, "bad_content_length"),
    "length_not_a_number": (_length_not_a_number, "bad_content_length"),
    "header_without_colon": (_header_without_colon, "malformed_header"),
    "binary_http_headers": (_binary_http_headers, "malformed_http_headers"),
    "binary_status_line": (_binary_status_line, "malformed_http_headers"),
}


def _settings(max_bytes: int = 10 << 20):
    return dataclasses.replace(load_config().read_settings(FETCHED_AT), max_file_bytes=max_bytes, excerpt_chars=200)


def _read(path, byte_range=None) -> tuple[list[Page], list[DeadLetter]]:
    out = list(read_dump(str(path), 0.0, _settings(), byte_range))
    return [o for o in out if isinstance(o, Page)], [o for o in out if isinstance(o, DeadLetter)]


def _urls(pages) -> list[str]:
    return [p.url for p in pages]


GOOD_URLS = [f"https://ex.org/{i}" for i in range(N) if i != BAD]


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("case", sorted(WARC_CASES))
def test_a_malformed_warc_record_is_one_dead_letter_and_the_records_after_it_are_read(tmp_path, case, gz):
    damage, reason = WARC_CASES[case]
    records = _records()
    records[BAD] = damage(records[BAD])
    parts = [_gz(r) for r in records] if gz else records
    path = tmp_path / ("crawl.warc.gz" if gz else "crawl.warc")
    path.write_bytes(b"".join(parts))
    pages, dead = _read(path)
    assert _urls(pages) == GOOD_URLS
    assert [d.reason for d in dead] == [reason]
    offset = sum(len(p) for p in parts[:BAD])
    assert dead[0].record_index == offset and f"at byte {offset}" in dead[0].error


def _damaged_members(members: list[bytes], i: int):
    """(name, file bytes) with member i cut in half, then with 40 bytes of its deflate stream zeroed."""
    for name, damaged in (("cut", members[i][: len(members[i]) // 2]),
                          ("corrupt", members[i][:12] + b"\x00" * 40 + members[i][52:])):
        yield name, b"".join([*members[:i], damaged, *members[i + 1:]])


def test_a_cut_member_that_inflates_on_into_the_next_member_is_one_dead_letter(tmp_path):
    # With this record id, the cut half of member BAD does not fail at once: zlib reads the next member's bytes as
    # more of the same stream and inflates garbage to the end of the file, which frames as a malformed header.
    # The record and its broken member are one dead letter (two, both at its offset, before; about 1 run in 200
    # of the test below, with random record ids).
    members = [_gz(r) for r in _records({BAD: 8009})]
    name, data = next(_damaged_members(members, BAD))
    path = tmp_path / "cut.warc.gz"
    path.write_bytes(data)
    pages, dead = _read(path)
    assert _urls(pages) == GOOD_URLS
    offset = sum(map(len, members[:BAD]))
    assert [(d.reason, d.record_index) for d in dead] == [("truncated_gzip_member", offset)]
    assert "a header line without a name and colon" in dead[0].error and "is cut" in dead[0].error


def test_a_bad_record_in_a_member_of_many_keeps_its_own_dead_letter_beside_the_members(tmp_path):
    # three records in one gzip member, the last with a Content-Length that is no number, and only the member's
    # trailer cut: the record's fault is its own, the member's break another dead letter
    records = _records()[:3]
    records[2] = _length_not_a_number(records[2])
    member = _gz(b"".join(records))[:-8]
    path = tmp_path / "one-member.warc.gz"
    path.write_bytes(member)
    pages, dead = _read(path)
    assert _urls(pages) == ["https://ex.org/0", "https://ex.org/1"]
    assert sorted((d.reason, d.record_index) for d in dead) == [
        ("bad_content_length", sum(map(len, records[:2]))), ("truncated_gzip_member", 0)]


@pytest.mark.parametrize("where", ["middle", "last"])
def test_a_truncated_or_corrupt_gzip_member_costs_its_record_only(tmp_path, where):
    records = [_gz(r) for r in _records()]
    i = BAD if where == "middle" else N - 1
    offset = sum(len(p) for p in records[:i])
    for name, data in _damaged_members(records, i):
        path = tmp_path / f"{name}-{where}.warc.gz"
        path.write_bytes(data)
        pages, dead = _read(path)
        assert _urls(pages) == [f"https://ex.org/{k}" for k in range(N) if k != i], name
        assert [d.record_index for d in dead] == [offset], name
        assert dead[0].reason in ("corrupt_gzip_member", "truncated_gzip_member"), name


def test_garbage_between_records_is_one_dead_letter_and_both_neighbours_are_read(tmp_path):
    records = _records()
    path = tmp_path / "crawl.warc"
    garbage = b"\x00\x01 not a record \r\n" * 40
    path.write_bytes(b"".join(records[:BAD]) + garbage + b"".join(records[BAD:]))
    pages, dead = _read(path)
    assert len(pages) == N
    assert [(d.reason, d.record_index) for d in dead] == [("not_a_record", sum(map(len, records[:BAD])))]


def _arc(records: list[tuple[str, bytes]]) -> bytes:
    """An ARC v1 file: its filedesc record, then one record per (url, HTML)."""
    version = b"1 0 tests\nURL IP-address Archive-date Content-type Archive-length\n"
    out = [b"filedesc://tests.arc 0.0.0.0 20080101000000 text/plain %d\n" % len(version) + version + b"\n"]
    for url, html in records:
        block = b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n" + html
        out.append(b"%s 10.0.0.1 20080101120000 text/html %d\n" % (url.encode(), len(block)) + block + b"\n")
    return b"".join(out)


def test_an_arc_header_with_too_few_fields_is_one_dead_letter_and_the_records_after_it_are_read(tmp_path):
    pages = [(f"http://old.example/{i}", html_page(f"Old {i}", [BODY])) for i in range(N)]
    arc = _arc(pages)
    bad_line = arc.index(b"http://old.example/2 ")
    end = arc.index(b"\n", bad_line)
    fields = arc[bad_line:end].split()
    damaged = arc[:bad_line] + b" ".join([fields[0], fields[2], fields[-1]]) + arc[end:]  # 3 fields of 5
    for name, data in (("plain.arc", damaged), ("records.arc.gz", None)):
        path = tmp_path / name
        if data is None:  # gzipped record by record, as Heritrix writes ARC
            parts = re.split(rb"(?=\nhttp://old\.example/)", damaged)
            data = b"".join(_gz(p.lstrip(b"\n") + b"\n") for p in parts)
        path.write_bytes(data)
        got, dead = _read(path)
        assert _urls(got) == [f"http://old.example/{i}" for i in range(N) if i != BAD], name
        assert [d.reason for d in dead] == ["malformed_header"] and "3 fields" in dead[0].error, name


def test_a_corrupt_gzip_member_in_jsonl_costs_its_lines_only(tmp_path):
    lines = [json.dumps({"url": f"https://ex.org/{i}", "html": html_page(f"Page {i}", [BODY]).decode()}) + "\n"
             for i in range(N)]
    members = [_gz(line.encode()) for line in lines]
    for name, data in _damaged_members(members, BAD):
        path = tmp_path / f"{name}.jsonl.gz"
        path.write_bytes(data)
        pages, dead = _read(path)
        assert _urls(pages) == GOOD_URLS, name
        assert [d.reason for d in dead if d.reason.endswith("gzip_member")], name
        assert dead[-1].record_index == sum(map(len, members[:BAD])), name


def test_a_jsonl_gzip_cut_short_keeps_the_lines_before_the_cut(tmp_path):
    lines = "".join(json.dumps({"url": f"https://ex.org/{i}", "html": html_page(f"Page {i}", [BODY]).decode()}) + "\n"
                    for i in range(N))
    data = _gz(lines.encode())
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: int(len(data) * 0.8)])
    pages, dead = _read(path)
    assert 0 < len(pages) < N and _urls(pages) == [f"https://ex.org/{i}" for i in range(len(pages))]
    assert "truncated_gzip_member" in [d.reason for d in dead]


def test_ranges_are_planned_past_a_malformed_record_and_read_as_the_whole_file_is(tmp_path):
    records = _records() * 4
    records = [r.replace(b"https://ex.org/", b"https://ex.org/%d-" % k) for k, r in enumerate(records)]
    for k in (3, 9, 14):
        records[k] = _no_uri(records[k]) if k == 3 else _length_too_big(records[k]) if k == 9 else \
            _binary_http_headers(records[k])
    for gz in (False, True):
        parts = [_gz(r) for r in records] if gz else records
        path = tmp_path / ("big.warc.gz" if gz else "big.warc")
        path.write_bytes(b"".join(parts))
        ranges = plan_ranges(str(path), records_per_range=4, min_bytes=1)
        assert ranges is not None and len(ranges) >= 5  # the plan went on past the bad records
        whole_pages, whole_dead = _read(path)
        by_range = [_read(path, r) for r in ranges]
        assert len(whole_pages) == len(records) - 3 and len(whole_dead) == 3
        assert _urls(p for got, _ in by_range for p in got) == _urls(whole_pages)
        assert [d.record_index for _, dead in by_range for d in dead] == [d.record_index for d in whole_dead]


def test_random_damage_never_costs_a_record_it_did_not_touch():
    """Property: whatever bytes are overwritten, inserted or deleted inside one record, every other record is
    read (uncompressed and gzipped), and each record is a page, a dead letter or passed-over bytes, once."""
    rng = random.Random(7)
    records = _records()
    for trial in range(TRIALS):
        gz = trial % 2 == 1
        i = rng.randrange(N)
        r = bytearray(records[i])
        op = rng.choice(["overwrite", "insert", "delete"])
        at = rng.randrange(len(r))
        n = rng.randint(1, 64)
        junk = bytes(rng.randrange(256) for _ in range(n))
        if op == "overwrite":
            r[at: at + n] = junk[: len(r) - at]
        elif op == "insert":
            r[at:at] = junk
        else:
            del r[at: at + n]
        parts = list(records)
        parts[i] = bytes(r)
        data = b"".join(_gz(p) for p in parts) if gz else b"".join(parts)
        out = list(iter_warc(io.BytesIO(data), 10 << 20))
        urls = [o.url for o in out if isinstance(o, Record)]
        others = [f"https://ex.org/{k}" for k in range(N) if k != i]
        assert [u for u in urls if u in others] == others, (trial, op, at, n, gz, out)
        assert len([o for o in out if isinstance(o, RecordError)]) <= 2, (trial, op, at, n, gz)


def test_a_warc_response_s_content_language_is_the_page_s_last_language_claim(tmp_path):
    """`Content-Language: fr` on a response whose page claims nothing: the article's language is French when the
    body is too short to judge, and the body's when it is long enough to overrule a wrong header."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    from scrapeline.pipeline.config import load_config
    from scrapeline.transforms.core.records import Article
    from scrapeline.transforms.extract.articles import extract_page

    out = io.BytesIO()
    writer = WARCWriter(out, gzip=False)
    english = " ".join(f"Sentence {i} of the story tells what the council decided about the bridge." for i in range(12))
    for i, body in enumerate(["Le conseil a voté.", english]):
        page = (f"<html><head><title>Story {i}</title></head><body><article><h1>Story {i}</h1><p>{body}</p>"
                f"</article></body></html>").encode()
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html"), ("Content-Language", "fr-FR")],
                                protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(f"https://ex.org/{i}", "response", payload=io.BytesIO(page),
                                                      http_headers=http))
    path = tmp_path / "lang.warc"
    path.write_bytes(out.getvalue())
    pages, dead = _read(path)
    assert not dead and [p.content_language for p in pages] == ["fr-FR", "fr-FR"]
    cfg = load_config().extract
    cfg = dataclasses.replace(cfg, min_body_words=1)
    langs = [next(o for o in extract_page(p, cfg, None, FETCHED_AT, "t") if isinstance(o, Article)).language
             for p in pages]
    assert langs == ["fr", "en"]
