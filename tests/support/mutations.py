"""Mutations of real inputs, for the fuzz test (tests/e2e/test_fuzz.py) and the long fuzz run (benchmarks/fuzz.py).

Seeds are the real inputs shipped in the repo (the reference sample, the golden HTML pages, the golden WARC) plus
a JSONL built from them; each mutation is what a real crawl does to a file: truncation, byte flips, random bytes,
lone surrogates (JSON escapes, UTF-7), huge lines, deep nesting, compression bombs, binaries under text names,
odd charsets, absurd dates, re-encoding, stray node types (comments, PIs, CDATA, entities), and compression over
all of it. `mutate(seed, rng)` is deterministic in the Random it is given, so a failing case is replayed from its
seed number.
"""

from __future__ import annotations

import bz2
import gzip
import json
import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import zstandard

REPO = Path(__file__).resolve().parents[2]
MB = 1 << 20


@dataclass(frozen=True)
class Seed:
    name: str  # file name, extension included (it steers container detection, as in a crawl)
    data: bytes


@dataclass(frozen=True)
class Case:
    name: str
    data: bytes
    mutations: tuple[str, ...]
    binary: bool = False
    """Not text at all: no row may come from it."""


def seeds() -> list[Seed]:
    out = [Seed("sample.txt", (REPO / "samples" / "000_8208ed624176e593.txt").read_bytes())]
    for p in sorted((REPO / "tests" / "cases" / "text").glob("*/input.txt")):
        out.append(Seed(f"{p.parent.name}.txt", p.read_bytes()))
    pages = sorted((REPO / "tests" / "cases" / "html").glob("*/page.html"))
    for p in pages:
        out.append(Seed(f"{p.parent.name}.html", p.read_bytes()))
    out.append(Seed("crawl.warc", _gunzip_members((REPO / "tests/cases/warc/revisit-and-truncated/crawl.warc.gz")
                                                  .read_bytes())))
    lines = [json.dumps({"html": p.read_bytes().decode("utf-8", "replace"), "url": f"https://ex.org/{p.parent.name}",
                         "fetched_at": "2025-05-01T10:00:00Z"}) for p in pages]
    lines.append(json.dumps({"text": out[0].data.decode("utf-8"), "source": "Daily8"}))
    out.append(Seed("records.jsonl", "\n".join(lines).encode("utf-8")))
    return out


def _gunzip_members(data: bytes) -> bytes:
    """Every gzip member's content, up to the cut one (the golden WARC's last record is cut on purpose)."""
    out = []
    while data:
        d = zlib.decompressobj(wbits=31)
        out.append(d.decompress(data))
        if not d.eof:
            break
        data = d.unused_data
    return b"".join(out)


def _truncate(d: bytes, r: random.Random) -> bytes:
    return d[: r.randrange(0, max(1, len(d)))]


def _flip(d: bytes, r: random.Random) -> bytes:
    b = bytearray(d)
    for _ in range(r.randint(1, 50)):
        if b:
            b[r.randrange(len(b))] = r.randrange(256)
    return bytes(b)


def _random_bytes(d: bytes, r: random.Random) -> bytes:
    pos = r.randrange(len(d) + 1)
    return d[:pos] + r.randbytes(r.randint(1, 4000)) + d[pos:]


def _surrogates(d: bytes, r: random.Random) -> bytes:
    esc = r.choice([b"\\ud800", b"\\udfff", b"\\udc80x", b"\\ud83d"])
    s = d.replace(b'": "', b'": "' + esc, r.randint(1, 5))  # JSON strings (JSONL fields, JSON-LD)
    if s == d:
        s = d.replace(b"<head>", b'<head><script type="application/ld+json">{"@type": "NewsArticle", '
                      b'"headline": "H' + esc + b'", "author": {"name": "A' + esc + b'"}}</script>', 1)
    if r.random() < 0.5:
        s = s.replace(b"charset=utf-8", b"charset=utf-7").replace(b'charset="utf-8"', b'charset="utf-7"')
        s = s.replace(b"<title>", b"<title>+2AA-", 1)
    return s


def _huge_line(d: bytes, r: random.Random) -> bytes:
    pos = r.randrange(len(d) + 1)
    line = (r.choice([b"word ", b"x", b"\xc3\xa9", b"<b>"]) * (r.randint(1, 3) * MB // 4))
    return d[:pos] + b"\n" + line + b"\n" + d[pos:]


def _deep(d: bytes, r: random.Random) -> bytes:
    n = r.choice([1000, 20_000, 100_000])
    opener, closer = r.choice([(b"<div>", b"</div>"), (b"[", b"]"), (b"{\"a\":", b"}"), (b"<b><i>", b"")])
    pos = r.randrange(len(d) + 1)
    return d[:pos] + opener * n + closer * n + d[pos:]


def _bomb(kind: str, n_mb: int) -> bytes:
    chunk = b"\0" * MB if kind != "zstd" else b"a" * MB
    c = {"gzip": lambda: zlib.compressobj(9, zlib.DEFLATED, 31), "bzip2": lambda: bz2.BZ2Compressor(9),
         "zstd": lambda: zstandard.ZstdCompressor().compressobj()}[kind]()
    return b"".join(c.compress(chunk) for _ in range(n_mb)) + c.flush()


_BOMBS: dict[tuple[str, int], bytes] = {}


def bomb(kind: str, n_mb: int) -> bytes:
    if (kind, n_mb) not in _BOMBS:
        _BOMBS[(kind, n_mb)] = _bomb(kind, n_mb)
    return _BOMBS[(kind, n_mb)]


_BINARIES = [
    b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 64,
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 64,
    b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)) * 16,
    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + bytes(range(256)) * 16,
    bytes((i * 131 + 7) % 256 for i in range(30_000)),
]


def _charset(d: bytes, r: random.Random) -> bytes:
    label = r.choice([b"utf-7", b"base64", b"rot13", b"utf-16", b"x-no-such", b"zlib", b"cp1252", b"shift_jis"])
    return d.replace(b"utf-8", label, 2)


def _dates(d: bytes, r: random.Random) -> bytes:
    value = r.choice([b"9999-12-31T00:00:00Z", b"0001-01-01T00:00:00+05:00", b"0001-01-01T00:00:00Z", b"1970-01-01",
                      b"2025-13-45", b"99999-01-01"])
    meta = b'<meta property="article:published_time" content="' + value + b'">'
    d = d.replace(b"</head>", meta + b"</head>", 1)
    return d.replace(b'"fetched_at": "2025-05-01T10:00:00Z"', b'"fetched_at": "' + value + b'"', 1)


def _reencode(d: bytes, r: random.Random) -> bytes:
    text = d.decode("utf-8", "replace")
    enc = r.choice(["cp1252", "latin-1", "utf-16", "shift_jis"])
    return text.encode(enc, "replace")


def _bad_utf8(d: bytes, r: random.Random) -> bytes:
    b = bytearray(d)
    for _ in range(r.randint(1, 8)):
        b[r.randrange(len(b) + 1):0] = r.choice([b"\xff", b"\xc3(", b"\x80", b"\xed\xa0\x80"])
    return bytes(b)


_NODES = (b"<!-- c -->", b"<!---->", b"<!-- <p>x</p> -->", b"<?pi x?>", b"<?xml version='1.0'?>",
          b"<![CDATA[ z ]]>", b"<!DOCTYPE x>", b"&#0;", b"&#xD800;", b"&bogus;", b"&amp;&lt;", b"<!", b"<?", b"-->",
          b"<!--[if IE]><p>x</p><![endif]-->")


def _nodes(d: bytes, r: random.Random) -> bytes:
    """Node types where elements or text were expected: comments, processing instructions, CDATA, doctypes and
    entities, before tags and inside text (a comment followed by "(c) 2008 ..." once crashed the split)."""
    b = bytearray(d)
    for _ in range(r.randint(1, 40)):
        at = r.randrange(len(b) + 1)
        lt = b.find(b"<", at)
        gt = b.find(b">", at)
        at = r.choice([i for i in (at, lt, gt + 1 if gt >= 0 else -1) if i >= 0])
        b[at:at] = r.choice(_NODES) + (r.choice([b"(c) 2008 Gazette", b"\xc2\xa9 Ltd", b"By Ann Lee", b""]))
    return bytes(b)


_MUTATIONS: dict[str, Callable[[bytes, random.Random], bytes]] = {
    "truncate": _truncate, "flip": _flip, "random_bytes": _random_bytes, "surrogates": _surrogates,
    "huge_line": _huge_line, "deep": _deep, "charset": _charset, "dates": _dates, "reencode": _reencode,
    "bad_utf8": _bad_utf8, "nodes": _nodes,
}
_WEIGHTS = {"huge_line": 0.3, "deep": 0.5}  # the expensive ones, a little rarer


def mutate(seed: Seed, r: random.Random, limit_mb: int = 8) -> Case:
    """One mutated case of `seed`. `limit_mb`: the run's read.max_file_bytes, for bombs that exceed it."""
    roll = r.random()
    if roll < 0.06:
        kind = r.choice(["gzip", "bzip2", "zstd"])
        ext = {"gzip": ".gz", "bzip2": ".bz2", "zstd": ".zst"}[kind]
        return Case(seed.name + ext, bomb(kind, limit_mb * 2), (f"bomb_{kind}",), binary=True)
    if roll < 0.12:
        blob = r.choice(_BINARIES)
        name = r.choice([seed.name, "x.bin", "page.html", "dump.txt", "a.jsonl"])
        return Case(name, blob, ("binary",), binary=True)
    names = list(_MUTATIONS)
    weights = [_WEIGHTS.get(n, 1.0) for n in names]
    chosen = tuple(r.choices(names, weights, k=r.randint(1, 3)))
    data = seed.data
    for m in chosen:
        data = _MUTATIONS[m](data, r)
    name = seed.name
    if r.random() < 0.25:
        kind = r.choice(["gzip", "bzip2", "zstd"])
        data = {"gzip": gzip.compress, "bzip2": bz2.compress,
                "zstd": zstandard.ZstdCompressor().compress}[kind](data)
        if r.random() < 0.3:
            data = data[: r.randrange(1, len(data) + 1)]
            chosen += ("cut_compressed",)
        name += {"gzip": ".gz", "bzip2": ".bz2", "zstd": ".zst"}[kind]
        chosen += (f"compress_{kind}",)
    return Case(name, data, chosen)


def check_case(path: Path, case: Case, config, settings) -> dict:
    """Read and extract one mutated file with the pipeline's pure functions, and check what must hold for any
    input: nothing raises, every record is one Arrow accepts (valid Unicode, schema types), nothing from a binary
    becomes a page, and every page is accounted for. Returns counts of what came out."""
    import datetime as dt

    import pyarrow as pa

    from scrapeline.transforms.read.containers import Skipped
    from scrapeline.transforms.extract.articles import extract_page
    from scrapeline.transforms.read.dumps import read_dump
    from scrapeline.transforms.core.records import (
        ARTICLE_SCHEMA,
        DEAD_LETTER_SCHEMA,
        TEASER_SCHEMA,
        Article,
        DeadLetter,
        Page,
        Teaser,
        record_to_row,
    )

    ingested = dt.datetime(2025, 8, 6, 12, tzinfo=dt.timezone.utc)
    pages = articles = teasers = dead = skipped = 0
    rows_a, rows_d, rows_t = [], [], []
    for out in read_dump(str(path), 0.0, settings):
        if isinstance(out, Skipped):
            skipped += 1
            continue
        if isinstance(out, DeadLetter):
            dead += 1
            rows_d.append(record_to_row(out))
            continue
        assert isinstance(out, Page), out
        assert not case.binary, f"{case.mutations}: a page came out of a binary"
        pages += 1
        for rec in extract_page(out, config, None, ingested, "fuzz"):
            if isinstance(rec, Article):
                articles += 1
                assert rec.title and rec.body, rec
                rows_a.append(record_to_row(rec))
            elif isinstance(rec, Teaser):
                teasers += 1
                assert rec.title, rec
                rows_t.append(record_to_row(rec))
            else:
                assert isinstance(rec, DeadLetter), rec
                dead += 1
                rows_d.append(record_to_row(rec))
    pa.Table.from_pylist(rows_a, schema=ARTICLE_SCHEMA)
    pa.Table.from_pylist(rows_d, schema=DEAD_LETTER_SCHEMA)
    pa.Table.from_pylist(rows_t, schema=TEASER_SCHEMA)
    assert pages + dead + skipped > 0, f"{case.mutations}: the file left no trace"
    return {"pages": pages, "articles": articles, "teasers": teasers, "dead_letters": dead, "skipped": skipped}
