"""Rebuild the WARC golden inputs (run from the repo root: .venv/bin/python tests/cases/warc/make_cases.py).

crawl.warc.gz: warcinfo, request, an HTML response, a revisit of it, a metadata record, a PNG response, a
second HTML response, and a third HTML response cut 120 bytes short (its Content-Length promises more).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # the repo root, for tests.support.warc_builder

from tests.support.warc_builder import build_warc, html_page  # noqa: E402

HERE = Path(__file__).parent / "revisit-and-truncated"

FERRY = html_page("Night ferry returns after eight years", [
    "The overnight ferry between the two island ports will return in June after an eight-year gap, the "
    "regional operator said, with a refitted ship and cabins for 300 passengers.",
    "Tickets go on sale next month; the operator expects the route to carry 90,000 passengers a year.",
], site="Harbour Post", published="2025-04-30T06:00:00+02:00")
MARKET = html_page("Covered market reopens with forty stalls", [
    "The covered market reopened on Saturday after a two-year restoration of its iron roof, with forty "
    "stalls selling local produce, bread and fish, and a new cafe on the upper gallery.",
], site="Harbour Post", published="2025-04-29T17:30:00Z")
CUT = html_page("Budget vote delayed again", [" ".join(f"w{i * 7919 % 10007}" for i in range(400))],
                site="Harbour Post")

if __name__ == "__main__":
    blob = build_warc([
        ("warcinfo", None, b"", ""),
        ("request", "https://harbourpost.example/ferry", b"", ""),
        ("response", "https://harbourpost.example/ferry", FERRY, "text/html; charset=utf-8"),
        ("revisit", "https://harbourpost.example/ferry", b"", "text/html"),
        ("metadata", "https://harbourpost.example/ferry", b'{"crawler": "tests"}', ""),
        ("response", "https://harbourpost.example/logo.png", b"\x89PNG\r\n\x1a\n", "image/png"),
        ("response", "https://harbourpost.example/market", MARKET, "text/html"),
        ("response", "https://harbourpost.example/budget", CUT, "text/html"),
    ])
    (HERE / "crawl.warc.gz").write_bytes(blob[:-120])
