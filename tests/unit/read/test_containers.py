import io
import json

import dataclasses

from tests.support.warc_builder import build_warc, html_page
from scrapeline.transforms.read.containers import Record, RecordError, Skipped, decode_html, iter_jsonl, iter_warc
from scrapeline.pipeline.config import load_config

PAGE = html_page("Alpha story", ["word " * 30])
GOOD = [
    ("warcinfo", None, b"", ""),
    ("request", "https://ex.org/a", b"", ""),
    ("response", "https://ex.org/a", PAGE, "text/html; charset=utf-8"),
    ("revisit", "https://ex.org/a", b"", "text/html"),
    ("metadata", "https://ex.org/a", b'{"x": 1}', ""),
    ("response", "https://ex.org/logo.png", b"\x89PNG\r\n", "image/png"),
    ("response", "https://ex.org/b", html_page("Beta story", ["other " * 30]), "text/html"),
]


def _kinds(items):
    return [(type(r).__name__, getattr(r, "kind", None) or getattr(r, "url", None) or getattr(r, "reason", None))
            for r in items]


def test_warc_pages_and_skipped_records():
    for gz in (True, False):
        out = list(iter_warc(io.BytesIO(build_warc(GOOD, gzip=gz))))
        assert _kinds(out) == [
            ("Skipped", "warcinfo"), ("Skipped", "request"), ("Record", "https://ex.org/a"), ("Skipped", "revisit"),
            ("Skipped", "metadata"), ("Skipped", "non_html"), ("Record", "https://ex.org/b"),
        ]
        a = out[2]
        assert a.format == "html" and "Alpha story" in a.content and a.fetched_at == "2025-05-01T10:00:00Z"
        assert a.record_index > 0 and a.record_index < out[6].record_index  # byte offsets, in order


def test_truncated_warc_record_is_an_error_after_the_good_ones():
    for gz in (True, False):
        words = " ".join(f"w{i * 7919 % 10007}" for i in range(600))  # compresses badly: the cut lands inside
        blob = build_warc(GOOD + [("response", "https://ex.org/c", html_page("Gamma", [words]), "text/html")], gzip=gz)
        out = list(iter_warc(io.BytesIO(blob[:-100])))
        assert [r.url for r in out if isinstance(r, Record)] == ["https://ex.org/a", "https://ex.org/b"]
        # gzipped, the record's member is cut: one dead letter says both
        assert isinstance(out[-1], RecordError) and out[-1].reason == ("truncated_gzip_member" if gz else
                                                                       "truncated_record")
        assert "bytes are missing" in out[-1].error and out[-1].record_index > out[-2].record_index


def test_garbage_is_a_corrupt_record_not_a_crash():
    out = list(iter_warc(io.BytesIO(b"WARC/1.0\r\nthis is not a warc at all\r\n\r\n" * 3)))
    assert all(isinstance(r, (RecordError, Skipped)) for r in out) and isinstance(out[-1], RecordError)


def test_jsonl_records_html_text_and_bad_lines():
    lines = [
        json.dumps({"url": "https://ex.org/1", "html": "<html><body><p>x</p></body></html>", "timestamp": "2025-01-01T00:00:00Z"}),
        "{not json",
        json.dumps({"link": "https://ex.org/2", "content": "Title\nBody text", "site": "Ex"}),
        json.dumps(["a list"]),
        "",
        json.dumps({"url": "https://ex.org/3"}),
    ]
    out = list(iter_jsonl("\n".join(lines).encode(), load_config().jsonl))
    assert [(type(r).__name__, r.record_index) for r in out] == [
        ("Record", 0), ("RecordError", 1), ("Record", 2), ("RecordError", 3), ("RecordError", 5)]
    assert out[0].format == "html" and out[0].url == "https://ex.org/1" and out[0].fetched_at == "2025-01-01T00:00:00Z"
    assert out[2].format == "text" and out[2].url == "https://ex.org/2" and out[2].site == "Ex"
    assert out[1].reason == "bad_json" and "line 2" in out[1].error
    assert out[4].reason == "no_content"


def test_jsonl_field_names_are_configurable():
    out = list(iter_jsonl(b'{"page": "<p>x</p>", "where": "https://ex.org"}', dataclasses.replace(load_config().jsonl, url=("where",), html=("page",))))
    assert out[0].format == "html" and out[0].url == "https://ex.org"


def test_decode_html_declared_meta_and_detected():
    text = "<html><head><meta charset='windows-1252'></head><body>Straße – „Köln“</body></html>"
    assert decode_html(text.encode("cp1252"))[0] == text
    assert decode_html(text.encode("cp1252"), "windows-1252")[0] == text  # from the HTTP header
    latin = ("<html><body><p>Le gâteau était délicieux, et la crème brûlée aussi. Nous sommes allés à la fête "
             "près du théâtre, où l'on a goûté des spécialités régionales. Les élèves ont présenté leurs créations: "
             "une façade en trompe-l'oeil, très réussie. À bientôt, chère amie!</p></body></html>")
    decoded, enc, replaced = decode_html(latin.encode("latin-1"))  # nothing declared: detected
    assert decoded == latin and replaced == 0
    assert decode_html("<meta charset=utf-8>é".encode())[0].endswith("é")
    assert decode_html(b"<meta charset=no-such-codec>\xff\xfeabc")[2] >= 0  # bogus declaration: never raises
