"""Build small WARC files for tests with warcio (the same library the product reads them with)."""

from __future__ import annotations

import io

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.support.stories import META_OPEN_SOURCE, NVIDIA_CHIPS, TARIFF_OIL


def html_page(title: str, paragraphs: list[str], site: str = "Test Gazette", published: str | None = None) -> bytes:
    meta = f'<meta property="article:published_time" content="{published}">' if published else ""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title} | {site}</title>"
        f"<meta property='og:site_name' content='{site}'>{meta}</head>"
        f"<body><nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        f"<article><h1>{title}</h1>{body}</article><footer>© {site}</footer></body></html>"
    ).encode("utf-8")


def build_warc(records: list[tuple], gzip: bool = True) -> bytes:
    """records: (kind, url, payload bytes, content type) with kind response|request|revisit|metadata|warcinfo."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=gzip)
    for kind, url, payload, ctype in records:
        if kind == "warcinfo":
            rec = writer.create_warcinfo_record("test.warc.gz", {"software": "tests"})
        elif kind == "response":
            http = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
            rec = writer.create_warc_record(url, "response", payload=io.BytesIO(payload), http_headers=http,
                                            warc_headers_dict={"WARC-Date": "2025-05-01T10:00:00Z"})
        elif kind == "request":
            http = StatusAndHeaders("GET / HTTP/1.1", [("Host", "example.org")], is_http_request=True)
            rec = writer.create_warc_record(url, "request", http_headers=http)
        elif kind == "revisit":
            http = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
            rec = writer.create_revisit_record(url, digest="sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                               refers_to_uri=url, refers_to_date="2025-04-01T00:00:00Z",
                                               http_headers=http)
        else:
            rec = writer.create_warc_record(url, "metadata", payload=io.BytesIO(payload),
                                            warc_content_type="application/json")
        writer.write_record(rec)
    return out.getvalue()


def news_records(n: int) -> list[tuple]:
    """n distinct news pages as WARC response records (with a request record every fourth), for range tests."""
    recs = []
    bodies = [META_OPEN_SOURCE, NVIDIA_CHIPS, TARIFF_OIL]
    for i in range(n):
        page = html_page(f"Story {i}", [f"Item {i}.", *bodies[i % 3].split("\n")])
        recs.append(("response", f"https://news.example/{i}", page, "text/html"))
        if i % 4 == 0:
            recs.append(("request", f"https://news.example/{i}", b"GET / HTTP/1.1\r\n\r\n", "application/http"))
    return recs
