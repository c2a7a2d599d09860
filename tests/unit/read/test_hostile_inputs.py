"""Issue 7: real-world and hostile inputs never fail a run, lose a good record, or make a garbage row.

Each test here failed on version 0.1 (the defect it names is in the test's docstring). They call the pure
functions under the DoFns (`read_dump`, `extract_page`) on files written to tmp_path.
"""

from __future__ import annotations

import dataclasses

import bz2
import datetime as dt
import gzip
import io
import json
import tracemalloc
import zlib
from pathlib import Path

import pyarrow as pa
import pytest
import zstandard

from tests.support.paths import FETCHED_AT
from tests.support.warc_builder import build_warc, html_page
from scrapeline.transforms.read.containers import looks_binary
from scrapeline.transforms.extract.articles import extract_page, first_sentence
from scrapeline.transforms.extract.html import split_html_page
from scrapeline.transforms.extract.metadata import parse_published, published_time
from scrapeline.transforms.read.dumps import CorruptInput, iter_decompressed, read_dump, resolve_fetched_at
from scrapeline.transforms.read.containers import decode_text
from scrapeline.pipeline.config import load_config
from scrapeline.transforms.core.records import (
    ARTICLE_SCHEMA,
    DEAD_LETTER_SCHEMA,
    Article,
    DeadLetter,
    Page,
    record_to_row,
)

UTC = dt.timezone.utc
REPO = Path(__file__).resolve().parents[3]
BODY = " ".join(f"Sentence {i} of the story tells what the council decided about the bridge." for i in range(12))
MB = 1 << 20


def _read(path: Path, max_bytes: int = 10 * MB, fetched_at=FETCHED_AT) -> tuple[list[Page], list[DeadLetter]]:
    out = list(read_dump(str(path), 0.0, dataclasses.replace(load_config().read_settings(fetched_at), max_file_bytes=max_bytes, excerpt_chars=200)))
    return [o for o in out if isinstance(o, Page)], [o for o in out if isinstance(o, DeadLetter)]


def _extract(page: Page, config) -> tuple[list[Article], list[DeadLetter]]:
    out = list(extract_page(page, config, None, FETCHED_AT, "test"))
    return [o for o in out if isinstance(o, Article)], [o for o in out if isinstance(o, DeadLetter)]


def _arrow_ok(records) -> None:
    """Rows Arrow (and so Parquet and every warehouse) accepts: the check that failed whole runs."""
    for r in records:
        schema = ARTICLE_SCHEMA if isinstance(r, Article) else DEAD_LETTER_SCHEMA
        pa.Table.from_pylist([record_to_row(r)], schema=schema)


def _html(title: str, body: str = BODY, head: str = "", ld: dict | None = None, charset: str = "utf-8") -> str:
    script = f'<script type="application/ld+json">{json.dumps(ld)}</script>' if ld is not None else ""
    return (f'<html><head><meta charset="{charset}"><title>{title}</title>{head}{script}</head>'
            f"<body><article><h1>{title}</h1><p>{body}</p></article></body></html>")


# 1. Lone surrogates --------------------------------------------------------------------------------------------

def test_lone_surrogates_in_jsonl_fields_are_replaced_not_fatal(tmp_path, config):
    """A JSONL text, url or source field with a "\\ud800" escape failed the whole run."""
    good = {"text": "Good title\n" + BODY, "url": "https://ex.org/good", "source": "Good Times"}
    bad = {"text": "Bad \ud800 title\n" + BODY + " \udfff", "url": "https://ex.org/\ud800", "source": "Bad \udc80"}
    (tmp_path / "x.jsonl").write_text(json.dumps(bad) + "\n" + json.dumps(good) + "\n")
    pages, dead = _read(tmp_path / "x.jsonl")
    assert dead == [] and len(pages) == 2
    assert "\ufffd" in pages[0].text and pages[0].url == "https://ex.org/\ufffd" and pages[0].site == "Bad \ufffd"
    arts = [a for p in pages for a in _extract(p, config)[0]]
    assert len(arts) == 2
    _arrow_ok(arts)


def test_lone_surrogates_in_json_ld_headline_author_publisher(config):
    ld = {"@type": "NewsArticle", "headline": "Head \ud800 line", "author": {"name": "Ann \udfff Lee"},
          "publisher": {"name": "Pub \ud801"}, "datePublished": "2025-08-01T10:00:00Z"}
    page = Page("/in/p.html", 0, _html("Other", ld=ld), FETCHED_AT, "cli", "html", "html")
    arts, dead = _extract(page, config)
    assert dead == [] and len(arts) == 1
    assert arts[0].author == "Ann \ufffd Lee"
    _arrow_ok(arts)


@pytest.mark.parametrize("where", ["meta", "warc"])
def test_utf7_charset_is_refused_and_yields_valid_text(tmp_path, config, where):
    """A `<meta charset="utf-7">` page or a WARC `charset=utf-7` decoded into lone surrogates."""
    raw = _html("Title +2AA- here").encode("ascii")
    if where == "meta":
        (tmp_path / "p.html").write_bytes(raw.replace(b'charset="utf-8"', b'charset="utf-7"'))
        pages, dead = _read(tmp_path / "p.html")
    else:
        (tmp_path / "p.warc").write_bytes(build_warc([("response", "https://ex.org/a", raw, "text/html; charset=utf-7")],
                                                     gzip=False))
        pages, dead = _read(tmp_path / "p.warc")
    assert dead == [] and len(pages) == 1 and pages[0].text.encode("utf-8")
    arts, _ = _extract(pages[0], config)
    assert arts and "+2AA-" in arts[0].title
    _arrow_ok(arts)


def test_dead_letter_with_surrogates_is_valid():
    d = DeadLetter("read", "bad_json", "/in/\udc80.jsonl", 3, None, "error \ud800", "excerpt \udfff", FETCHED_AT)
    assert "\ud800" not in d.error and d.input_uri == "/in/\ufffd.jsonl"
    _arrow_ok([d])


# 3. Bombs: every decompressor streams with the limit enforced while reading -------------------------------------

def _compressed_zeros(kind: str, n_mb: int) -> bytes:
    chunk = b"\0" * MB
    c = {"bzip2": lambda: bz2.BZ2Compressor(9), "gzip": lambda: zlib.compressobj(9, zlib.DEFLATED, 31),
         "zstd": lambda: zstandard.ZstdCompressor().compressobj()}[kind]()
    return b"".join(c.compress(chunk) for _ in range(n_mb)) + c.flush()


@pytest.mark.parametrize("kind,n_mb", [("bzip2", 100), ("zstd", 1024), ("gzip", 200)])
def test_bombs_are_refused_within_the_limit(kind, n_mb):
    """A 1 GB bz2 bomb of 812 bytes took 2.2 GB; a 10 GB zstd frame went past 7 GB."""
    blob = _compressed_zeros(kind, n_mb)
    tracemalloc.start()
    with pytest.raises(CorruptInput) as e:
        for _ in iter_decompressed(io.BytesIO(blob), kind, 4 * MB):
            pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert e.value.reason == "too_large"
    assert peak < 24 * MB, f"{kind}: peak {peak / MB:.0f} MB for a 4 MB limit"


def _warc_bomb(member_gzip: bool, n_mb: int) -> bytes:
    """A WARC with one huge response (a gzip member of its own, or HTTP Content-Encoding: gzip) between two
    good pages."""
    good = html_page("Good page", [BODY])
    payload = _compressed_zeros("gzip", n_mb)
    if member_gzip:
        return build_warc([("response", "https://ex.org/1", good, "text/html")]) + _big_record_member(n_mb) + \
            build_warc([("response", "https://ex.org/3", good, "text/html")])
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    out = io.BytesIO()
    w = WARCWriter(out, gzip=True)
    for url, body, enc in (("https://ex.org/1", good, None), ("https://ex.org/2", payload, "gzip"),
                           ("https://ex.org/3", good, None)):
        headers = [("Content-Type", "text/html")] + ([("Content-Encoding", enc)] if enc else [])
        http = StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")
        w.write_record(w.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http,
                                            warc_headers_dict={"WARC-Date": "2025-05-01T10:00:00Z"}))
    return out.getvalue()


def _big_record_member(n_mb: int) -> bytes:
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"
    length = len(http) + n_mb * MB
    head = (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: https://ex.org/2\r\n"
            f"WARC-Date: 2025-05-01T10:00:00Z\r\nWARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-000000000002>\r\n"
            f"Content-Type: application/http; msgtype=response\r\nContent-Length: {length}\r\n\r\n").encode()
    c = zlib.compressobj(1, zlib.DEFLATED, 31)
    parts = [c.compress(head + http)] + [c.compress(b"<" * MB) for _ in range(n_mb)] + [c.compress(b"\r\n\r\n"),
                                                                                       c.flush()]
    return b"".join(parts)


@pytest.mark.parametrize("member_gzip", [True, False], ids=["gzip-member", "content-encoding"])
def test_a_huge_warc_record_is_too_large_and_the_next_record_goes_on(tmp_path, member_gzip):
    """One 10 GB WARC record (gzip member or HTTP Content-Encoding: gzip) went past 7 GB. Now memory does
    not grow with the record: twice the record, the same peak (warcio inflates one 16 KB block at a time), and
    under 100 MB for a record of 120 MB (kept whole, it alone would pass that)."""
    peaks = []
    for n_mb in (60, 120):
        (tmp_path / "x.warc.gz").write_bytes(_warc_bomb(member_gzip, n_mb))
        tracemalloc.start()
        pages, dead = _read(tmp_path / "x.warc.gz", max_bytes=2 * MB)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert [p.url for p in pages] == ["https://ex.org/1", "https://ex.org/3"]
        assert [d.reason for d in dead] == ["too_large"]
    assert max(peaks) < 100 * MB and peaks[1] < peaks[0] * 1.2 + MB, [p // MB for p in peaks]


def test_bz2_and_zstd_compressed_warc_are_streamed(tmp_path):
    warc = build_warc([("response", f"https://ex.org/{i}", html_page(f"Page {i}", [BODY]), "text/html")
                       for i in range(3)], gzip=False)
    (tmp_path / "a.warc.bz2").write_bytes(bz2.compress(warc))
    (tmp_path / "b.warc.zst").write_bytes(zstandard.ZstdCompressor().compress(warc))
    for name in ("a.warc.bz2", "b.warc.zst"):
        pages, dead = _read(tmp_path / name, max_bytes=len(warc) // 2)  # the file is larger than the limit
        assert dead == [] and len(pages) == 3, name


# 5. Every record gets its own fate ------------------------------------------------------------------------------

def test_a_deeply_nested_json_line_costs_only_itself(tmp_path):
    """A JSON line nested 100k deep (RecursionError) made the whole file one unexpected_error."""
    lines = ["[" * 100_000 + "]" * 100_000]
    lines += [json.dumps({"text": f"Title {i}\n{BODY}"}) for i in range(25)]
    (tmp_path / "x.jsonl").write_text("\n".join(lines))
    pages, dead = _read(tmp_path / "x.jsonl")
    assert len(pages) == 25 and [d.reason for d in dead] == ["bad_json"] and dead[0].record_index == 0


def test_an_overflowing_fetch_time_falls_to_the_next_source(tmp_path):
    """A fetched time like 0001-01-01T00:00:00+05:00 (OverflowError) lost the rest of the file."""
    lines = [json.dumps({"text": f"Title {i}\n{BODY}", "fetched_at": "0001-01-01T00:00:00+05:00" if i == 0 else
                         "9999-12-31T23:59:59Z" if i == 1 else "2025-01-02T03:04:05Z"}) for i in range(5)]
    (tmp_path / "x.jsonl").write_text("\n".join(lines))
    pages, dead = _read(tmp_path / "x.jsonl")
    assert dead == [] and len(pages) == 5
    assert [p.fetched_at_origin for p in pages] == ["cli", "cli", "record", "record", "record"]
    assert pages[0].fetched_at == FETCHED_AT


def test_resolve_fetched_at_passes_over_unusable_record_and_sidecar_times():
    assert resolve_fetched_at("0001-01-01T00:00:00+05:00", "1980-01-01", FETCHED_AT, 0.0) == (FETCHED_AT, "cli")
    assert resolve_fetched_at("garbage", "2024-01-01T00:00:00Z", None, 0.0)[1] == "sidecar"


def test_an_article_whose_date_overflows_is_kept_undated(config):
    page = Page("/in/a.txt", 0, "", FETCHED_AT, "cli", "text")
    assert parse_published("0001-01-01T00:00:00+05:00", FETCHED_AT) is None
    from scrapeline.transforms.extract.articles import build_article
    from scrapeline.transforms.core.records import RawArticle

    raw = RawArticle("main", 0, "Title", (BODY,), "Src", "0001-01-01T00:00:00+05:00")
    art = build_article(page, raw, None, config.cleaning, config, FETCHED_AT, "test")
    assert isinstance(art, Article) and art.published_at is None and art.date_source == "fetched"


# 6. Dates outside reality -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("value,why", [("9999-12-31T00:00:00Z", "after_fetch"), ("0001-01-01", "before_1990"),
                                       ("1989-12-31T23:00:00Z", "before_1990"), ("2025-08-20", "after_fetch")])
def test_iso_dates_outside_reality_are_refused(value, why):
    assert published_time(value, FETCHED_AT) == (None, why)


def test_no_article_with_an_empty_title_even_when_any_body_length_is_allowed(config):
    # filter.min_body_words: 0 let a body of debris through, and no sentence of it could stand in for a title
    cfg = dataclasses.replace(config.extract, min_body_words=0)
    html = "<html><body><article><p>&gt; &gt; * * — | ·</p><p>&gt;&gt;&gt; * *</p></article></body></html>"
    outs = list(extract_page(Page("/in/a.html", 0, html, FETCHED_AT, "cli", "html", "html"), cfg, None, FETCHED_AT, "t"))
    assert [type(o).__name__ for o in outs] == ["DeadLetter"] and outs[0].reason == "too_short"


def test_a_date_text_too_long_to_be_a_date_is_refused_without_dateparser(monkeypatch):
    # a fuzzed page put a 500 KB line in a date's meta tag: dateparser took 21 s over it
    from scrapeline.transforms.extract import metadata

    monkeypatch.setattr(metadata, "_dateparse", lambda *a: pytest.fail("dateparser was asked"))
    assert published_time("March 3, 2024 " + "x" * 500_000, FETCHED_AT) == (None, "too_long")
    assert published_time("Published on " + "very " * 30 + "late", FETCHED_AT) == (None, "too_long")


def test_a_date_spread_by_a_template_s_spaces_is_still_read():
    # JSON-LD and <time datetime> values are not folded before they arrive: 115 characters, 25 once folded
    t, why = published_time("January 16, 2025\n" + " " * 90 + "11:15 AM", FETCHED_AT)
    assert why is None and (t.year, t.month, t.day, t.hour, t.minute) == (2025, 1, 16, 11, 15)


def test_implausible_metadata_dates_fall_to_the_next_source():
    """`article:published_time` of 9999-12-31 made a date=9999-12-31 partition; a JSON-LD 0001-01-01
    placeholder a date=0001-01-01 one."""
    ld = {"@type": "NewsArticle", "headline": "Story", "datePublished": "0001-01-01T00:00:00Z"}
    head = '<meta property="article:published_time" content="9999-12-31T00:00:00Z">'
    html = _html("Story", head=head, ld=ld).replace("<p>", '<p><time datetime="2025-08-01T09:00:00Z">1 Aug</time>')
    split = split_html_page(html, "https://ex.org/story", ("en",), FETCHED_AT, load_config().cards)
    assert split.meta.published == "2025-08-01T09:00:00Z"


# 7. Binaries ----------------------------------------------------------------------------------------------------

def test_binaries_are_dead_letters_decided_by_content(tmp_path):
    """/bin/ls, a PNG and a ZIP were written as rows (title `ELF>…`)."""
    import zipfile

    (tmp_path / "ls.html").write_bytes(Path("/bin/ls").read_bytes()[:200_000])
    (tmp_path / "img.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 400)
    with zipfile.ZipFile(tmp_path / "a.jsonl", "w") as z:
        z.writestr("x.txt", BODY * 50)
    (tmp_path / "noise.dat").write_bytes(bytes((i * 37 + 11) % 256 for i in range(20_000)))
    for name in ("ls.html", "img.txt", "a.jsonl", "noise.dat"):
        pages, dead = _read(tmp_path / name)
        assert pages == [] and [(d.stage, d.reason) for d in dead] == [("read", "binary")], name


def test_text_with_a_few_control_bytes_still_passes(tmp_path, config):
    text = "Council votes\n" + BODY.replace("bridge.", "bridge.\x0c", 3) + "\x00\x07 end.\n"
    (tmp_path / "a.txt").write_text(text)
    pages, dead = _read(tmp_path / "a.txt")
    assert dead == [] and len(pages) == 1
    assert looks_binary("Grüße aus Köln".encode("utf-16")) is None
    assert looks_binary("Grüße aus Köln, sagte er. ".encode("utf-16-le") * 20) is None


# 8. One bad byte sequence must not mis-decode a whole file -------------------------------------------------------

def test_mostly_utf8_stays_utf8_with_the_bad_bytes_counted():
    """Five invalid sequences steered detection to cp932: "…" became "窶ｦ" throughout."""
    text = ("Les élèves… ont répondu « oui » à 93 % — c’était prévu… " * 40).encode("utf-8")
    data = text[:500] + b"\xff\xfe\x80\xc3\x28" + text[500:]  # four invalid sequences ("\xc3(" is one)
    decoded, enc, replaced = decode_text(data)
    assert enc == "utf-8" and replaced == 4 and decoded.count("…") == 80 and "窶" not in decoded


def test_legacy_single_byte_text_is_still_detected():
    decoded, enc, _ = decode_text("Der Bürgermeister sagte, dass die Straße gesperrt wird. Grüße aus Köln.".encode("cp1252"))
    assert "Bürgermeister" in decoded and enc != "utf-8"


# 9. No article is dropped for missing metadata --------------------------------------------------------------------

def test_a_page_without_any_title_keeps_its_article(config):
    """45 of 621 real 2008 articles were filtered as no_title although their bodies were extracted."""
    html = f"<html><body><table><tr><td><p>{BODY}</p></td></tr></table></body></html>"
    arts, dead = _extract(Page("/in/p.html", 0, html, FETCHED_AT, "cli", "html", "html"), config)
    assert dead == [] and len(arts) == 1
    assert arts[0].title_source == "first_sentence" and arts[0].title.startswith("Sentence 0 of the story")


def test_title_fallbacks_title_tag_then_heading(config):
    no_head_title = f"<html><body><title>Legacy story - The Age</title><p>{BODY}</p></body></html>"
    with_h2 = f"<html><body><h2>Second-level headline</h2><p>{BODY}</p></body></html>"
    a = _extract(Page("/in/a.html", 0, no_head_title, FETCHED_AT, "cli", "html", "html"), config)[0][0]
    b = _extract(Page("/in/b.html", 0, with_h2, FETCHED_AT, "cli", "html", "html"), config)[0][0]
    assert (a.title_source, b.title_source) == ("title_tag", "heading")
    assert b.title == "Second-level headline"


def test_first_sentence_is_cut_at_a_word():
    assert first_sentence("One short sentence. Another one.") == "One short sentence."
    long = "word " * 100
    cut = first_sentence(long)
    assert len(cut) <= 160 and cut.endswith("…") and "wor…" not in cut


def test_first_sentence_skips_lines_of_markup_debris():
    # a fuzzed page whose body opened with ">" (a broken tag's end) got an empty title
    assert first_sentence(">\n© Ltdle>Straßenbahn nach Köln fährt wieder\nmore") == "© Ltdle>Straßenbahn nach Köln fährt wieder"
    assert first_sentence("* * *\n... Second line here. And more.") == "Second line here."
    assert first_sentence(". . .\n") == ". . ."  # nothing better: the first non-empty part


# 11. Smaller ones ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("charset", ["base64", "rot13", "zlib", "no-such-charset"])
def test_a_non_text_declared_charset_falls_back_to_detection(tmp_path, charset):
    (tmp_path / "p.html").write_bytes(_html("Café story", charset=charset).encode("utf-8"))
    pages, dead = _read(tmp_path / "p.html")
    assert dead == [] and len(pages) == 1 and "Café story" in pages[0].text


def test_deep_json_ld_loses_only_the_metadata(config):
    deep = '<script type="application/ld+json">' + "[" * 100_000 + "]" * 100_000 + "</script>"
    html = _html("Deep page").replace("</head>", deep + "</head>")
    arts, dead = _extract(Page("/in/p.html", 0, html, FETCHED_AT, "cli", "html", "html"), config)
    assert dead == [] and len(arts) == 1 and arts[0].title == "Deep page"


@pytest.mark.parametrize("content", [b"", b"W", b"WA", b"WAR"])
def test_tiny_warc_files_get_a_dead_letter(tmp_path, content):
    (tmp_path / "x.warc").write_bytes(content)
    pages, dead = _read(tmp_path / "x.warc")
    assert pages == [] and len(dead) == 1 and dead[0].stage == "read"


def test_a_text_node_over_10_mb_is_not_lost(config):
    words = ("Longform " + "reporting " * 1_200_000)  # ~13 MB in one text node
    html = f"<html><head><title>Very long</title></head><body><article><h1>Very long</h1><p>{words}</p></article></body></html>"
    arts, dead = _extract(Page("/in/p.html", 0, html, FETCHED_AT, "cli", "html", "html"), config)
    assert [d.reason for d in dead] == [] and len(arts) == 1 and arts[0].word_count > 1_000_000


def test_a_warc_gzipped_whole_is_read_like_one_gzipped_record_by_record(tmp_path):
    """`gzip crawl.warc` makes one member of many records, which warcio refuses after the first record."""
    warc = build_warc([("response", f"https://ex.org/{i}", html_page(f"Page {i}", [BODY]), "text/html")
                       for i in range(3)], gzip=False)
    (tmp_path / "whole.warc.gz").write_bytes(gzip.compress(warc))
    (tmp_path / "records.warc.gz").write_bytes(build_warc(
        [("response", f"https://ex.org/{i}", html_page(f"Page {i}", [BODY]), "text/html") for i in range(3)]))
    for name in ("whole.warc.gz", "records.warc.gz"):
        pages, dead = _read(tmp_path / name)
        assert dead == [] and [p.url for p in pages] == [f"https://ex.org/{i}" for i in range(3)], name


def test_a_warc_record_with_a_wrong_length_is_said_not_silently_lost(tmp_path):
    warc = build_warc([("response", f"https://ex.org/{i}", html_page(f"Page {i}", [BODY]), "text/html")
                       for i in range(3)], gzip=False)
    cut = warc.index(b"Page 1")
    (tmp_path / "x.warc").write_bytes(warc[:cut] + b"INSERTED BYTES " * 20 + warc[cut:])
    pages, dead = _read(tmp_path / "x.warc")
    # the record that holds the inserted bytes is the one lost, with its reason; the record after it is read
    assert [p.url for p in pages] == ["https://ex.org/0", "https://ex.org/2"]
    assert [d.reason for d in dead] == ["bad_content_length"] and "Content-Length" in dead[0].error


def test_mojibake_in_the_source_is_repaired_and_clean_text_left_alone(config):
    """Real 2008 pages carry "Copyright Â© 2008"; ftfy repairs it (benchmarks/mojibake.py measured it)."""
    from scrapeline.transforms.extract.articles import repair_mojibake

    assert repair_mojibake("Copyright Â© 2008 The Age") == "Copyright © 2008 The Age"
    assert repair_mojibake("It isnâ€™t over") == "It isn’t over"
    clean = "São Paulo à la carte — “quotes”, naïve café, 5 € … Ärger"
    assert repair_mojibake(clean) == clean
    page = Page("/in/a.txt", 0, "", FETCHED_AT, "cli", "text")
    from scrapeline.transforms.extract.articles import build_article
    from scrapeline.transforms.core.records import RawArticle

    art = build_article(page, RawArticle("main", 0, "Itâ€™s back", (BODY + " Copyright Â© 2008",), "Src"), None,
                        config.cleaning, config, FETCHED_AT, "test")
    assert art.title == "It’s back" and art.body.endswith("Copyright © 2008")


@pytest.mark.parametrize("where", ["canonical", "fetch_url", "card_link", "jsonld_related"])
def test_a_url_that_does_not_parse_costs_no_page(config, where):
    """A template's placeholder for a host ("https://[domain]/story") makes urlsplit raise ("Invalid IPv6 URL"). In a
    canonical link, the fetch url, a card's link or a JSON-LD related story's url, it cost the whole page
    (`split.unexpected_error`); the page is now a row, without that url where it was a link's."""
    bad = "https://[domain]/story"
    head = f'<link rel="canonical" href="{bad}">' if where == "canonical" else ""
    ld = None
    if where == "jsonld_related":
        ld = [{"@type": "NewsArticle", "headline": "Council decides on the bridge", "articleBody": BODY},
              {"@type": "NewsArticle", "headline": "Another story", "url": bad, "description": "teaser"}]
    html = _html("Council decides on the bridge", head=head, ld=ld)
    if where == "card_link":  # other <article>s with a heading and a link: teasers
        cards = "".join(f'<article><h3><a href="{bad}-{i}">Story number {i} about the town</a></h3>'
                        f"<p>A teaser for story {i}.</p></article>" for i in range(4))
        html = html.replace("</article>", f"</article>{cards}", 1)
    url = {"fetch_url": bad, "canonical": None}.get(where, "https://news.example.org/2024/05/06/bridge")
    page = Page(input_uri="p.html", record_index=0, text=html, fetched_at=FETCHED_AT, fetched_at_origin="run",
                container="html", format="html", url=url)
    articles, dead = _extract(page, config)
    assert not dead, [d.reason for d in dead]
    assert [a.title for a in articles if a.position == 0] == ["Council decides on the bridge"]
    _arrow_ok(articles)
