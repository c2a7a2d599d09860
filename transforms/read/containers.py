"""Record readers for each container: a file's bytes -> records (pages to extract) or record errors.

- text: the whole file is one page of text.
- html: the whole file is one HTML page.
- jsonl: one JSON object a line; field names come from the config (`jsonl:` in configs/default.yaml); a record
  with HTML goes to HTML extraction, one with only text to the text-dump path. A bad line is a record error
  (with its line number); the next line goes on.
- warc: WARC and ARC, framed record by record by framing.py (which finds where each record starts and ends,
  and where reading resumes after a malformed one), each record then parsed by warcio (`parse_frame`):
  `response` (and ARC) records with an HTML body become pages (url = WARC-Target-URI, fetched_at = WARC-Date);
  `request`, `metadata`, `revisit`, `warcinfo` and non-HTML responses are skipped and counted; a payload larger
  than the limit (after its HTTP Content-Encoding) is `too_large`; a payload that is not text is `binary`; HTTP
  headers with binary bytes are `malformed_http_headers`; whatever warcio cannot parse is `malformed_record`.
  Every record error carries its byte offset and costs that record only.

warcio over FastWARC: FastWARC parses ~5x faster but reads no ARC and needs a C++ wheel on every worker;
warcio reads both, is pure Python (installs anywhere Beam runs) and is not the bottleneck here (HTML parsing
and extraction cost ~30 ms a page, reading a record well under 1 ms).

Bytes are decoded with the declared charset (HTTP header, then <meta charset>), else the one charset-normalizer
detects; undecodable bytes are replaced and counted, never fatal. Pure generators: the same in batch and
streaming.
"""

from __future__ import annotations


import codecs
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from scrapeline.transforms.read.framing import Bad, Frame, Framer
from scrapeline.transforms.read.settings import JsonlFields


def decode_text(data: bytes) -> tuple[str, str, int]:
    """(text, encoding, replaced characters).

    UTF-8 first. Bytes that are mostly valid UTF-8 stay UTF-8 with the few bad sequences replaced and counted:
    five stray bytes in a UTF-8 dump once steered charset detection to cp932 and garbled the whole file. Only
    text whose invalid sequences outnumber its valid multi-byte ones goes to charset-normalizer's detection.
    """
    try:
        return data.decode("utf-8-sig"), "utf-8", 0
    except UnicodeDecodeError:
        pass
    lenient = data.decode("utf-8-sig", errors="replace")
    replaced = lenient.count("\ufffd") - data.count("\xef\xbf\xbd".encode("latin-1"))
    valid_multibyte = sum(1 for ch in lenient if ch > "\x7f") - lenient.count("\ufffd")
    if valid_multibyte >= replaced:
        return lenient, "utf-8", replaced
    from charset_normalizer import from_bytes  # detection only for the files that need it

    best = from_bytes(data).best()
    if best is not None and best.encoding:
        try:
            return data.decode(best.encoding), best.encoding, 0
        except (UnicodeDecodeError, LookupError):
            pass
    return lenient, "utf-8", replaced

__all__ = ["Record", "RecordError", "Skipped", "decode_html", "iter_framed", "iter_jsonl", "iter_warc", "looks_binary", "one_page"]

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.I)


@dataclass(frozen=True)
class Record:
    """One page found in a container."""

    record_index: int
    """Line number (jsonl), byte offset (warc), 0 (text, html)."""
    format: str  # text | html
    content: str
    url: str | None = None
    fetched_at: str | None = None
    site: str | None = None
    encoding: str = "utf-8"
    replaced_chars: int = 0
    content_language: str | None = None
    """The HTTP Content-Language header (WARC responses)."""


@dataclass(frozen=True)
class RecordError:
    record_index: int
    reason: str
    error: str
    excerpt: bytes


@dataclass(frozen=True)
class Skipped:
    """A record that is not a page (request, metadata, revisit, non-HTML...), counted by kind."""

    kind: str
    container: str = ""


# Magic numbers of payloads that are never text (a crawl holds executables, images, archives, fonts, media).
_BINARY_MAGIC = (
    (b"\x7fELF", "ELF executable"), (b"MZ\x90\x00", "Windows executable"), (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"), (b"GIF87a", "GIF image"), (b"GIF89a", "GIF image"), (b"PK\x03\x04", "ZIP archive"),
    (b"PK\x05\x06", "ZIP archive"), (b"%PDF-", "PDF document"), (b"\x00asm", "WebAssembly"), (b"7z\xbc\xaf\x27\x1c", "7z archive"),
    (b"Rar!\x1a\x07", "RAR archive"), (b"\xca\xfe\xba\xbe", "Mach-O/Java class"), (b"\xcf\xfa\xed\xfe", "Mach-O executable"),
    (b"SQLite format 3\x00", "SQLite database"), (b"wOFF", "WOFF font"), (b"wOF2", "WOFF2 font"), (b"OggS", "Ogg media"),
    (b"ID3", "MP3 audio"), (b"\x1aE\xdf\xa3", "Matroska/WebM media"), (b"RIFF", "RIFF media"), (b"\x00\x00\x01\x00", "icon"),
    (b"BZh", "bzip2 data"), (b"\x1f\x8b", "gzip data"), (b"\x28\xb5\x2f\xfd", "zstd data"), (b"\xfd7zXZ\x00", "xz data"),
)
_CONTROL = bytes(b for b in range(32) if b not in b"\t\n\r\x0c\x1b")
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def looks_binary(head: bytes) -> str | None:
    """What non-text payload `head` (the first few KB) is, or None for text.

    Known magic numbers first (a bomb or archive inside a dump included), then the share of control bytes: text
    in any 8-bit or UTF-8 encoding has almost none, binaries have many. A text dump with a few stray control
    bytes passes (the threshold is 10 % of the head); UTF-16 text (a BOM, or NULs on every other byte with
    printable bytes between) is text.
    """
    if not head or head.startswith(_BOMS):
        return None
    for magic, what in _BINARY_MAGIC:
        if head.startswith(magic):
            return what
    if head[4:8] == b"ftyp":
        return "MP4/QuickTime media"
    sample = head[:8192]
    controls = len(sample) - len(sample.translate(None, _CONTROL))
    if controls * 10 <= len(sample):
        return None
    even, odd = sample[0::2], sample[1::2]
    for nuls, other in ((even, odd), (odd, even)):
        if nuls.count(0) >= 0.9 * len(nuls) and other.count(0) <= 0.1 * len(other):
            return None  # UTF-16 without a BOM
    return f"{controls} control bytes in the first {len(sample)}"


def _codec(name: str | None) -> str | None:
    """The Python codec of a declared charset, or None when it is unknown or unusable for a page: bytes-to-bytes
    codecs (`base64`, `rot13`, `zlib`...) are not text encodings, and UTF-7 is refused as browsers refuse it
    (the WHATWG encoding standard has no UTF-7; it smuggles markup and lone surrogates)."""
    if not name:
        return None
    try:
        info = codecs.lookup(name.strip().strip("\"'"))
    except (LookupError, ValueError):
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name == "utf-7":
        return None
    return info.name


def decode_html(data: bytes, declared: str | None = None) -> tuple[str, str, int]:
    """(text, encoding, replaced characters): declared charset, <meta charset>, UTF-8, then detection."""
    candidates = [_codec(declared)]
    m = _META_CHARSET.search(data[:4096])
    candidates.append(_codec(m.group(1).decode("ascii", "ignore")) if m else None)
    for enc in dict.fromkeys(c for c in candidates if c):
        try:
            return data.decode(enc), enc, 0
        except (UnicodeDecodeError, LookupError):
            continue

    return decode_text(data)


def one_page(data: bytes, fmt: str) -> Iterator[Record]:
    if fmt == "html":
        text, enc, replaced = decode_html(data)
    else:

        text, enc, replaced = decode_text(data)
    yield Record(0, fmt, text, encoding=enc, replaced_chars=replaced)


def _first_field(obj: dict, names: tuple[str, ...]) -> str | None:
    for name in names:
        v = obj.get(name)
        if isinstance(v, (str, int, float)) and str(v).strip():
            return str(v)
    return None


def _excerpt(line: str) -> bytes:
    return line[:2000].encode("utf-8", errors="replace")


def iter_jsonl(data: bytes, fields: JsonlFields) -> Iterator[Record | RecordError]:

    text, enc, replaced = decode_text(data)
    for n, line in enumerate(text.splitlines()):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as e:
            yield RecordError(n, "bad_json", f"line {n + 1}: {e}", _excerpt(line))
            continue
        except RecursionError:  # nested deeper than the parser's stack: this line only, the next one goes on
            yield RecordError(n, "bad_json", f"line {n + 1}: JSON nested too deeply", _excerpt(line))
            continue
        if not isinstance(obj, dict):
            yield RecordError(n, "bad_json", f"line {n + 1}: not a JSON object", _excerpt(line))
            continue
        html = _first_field(obj, fields.html)
        body = html if html is not None else _first_field(obj, fields.text)
        if body is None:
            yield RecordError(
                n, "no_content", f"line {n + 1}: none of the fields {list(fields.html + fields.text)} holds text",
                _excerpt(line),
            )
            continue
        yield Record(
            n, "html" if html is not None else "text", body, url=_first_field(obj, fields.url),
            fetched_at=_first_field(obj, fields.fetched_at), site=_first_field(obj, fields.source),
            encoding=enc, replaced_chars=replaced if n == 0 else 0,
        )


def _drain(stream) -> None:
    """Read a record's rest in chunks (never whole: a record may be gigabytes)."""
    while stream.read(1 << 16):
        pass


def _page_skip_reason(rec) -> str | None:
    """Why a response/resource record is not a page (its HTTP status or content type), or None."""
    if rec.http_headers is not None:
        ctype = rec.http_headers.get_header("Content-Type") or ""
        status = rec.http_headers.get_statuscode()
        if status and not str(status).startswith("2"):
            return f"http_{status}"
    else:
        ctype = rec.rec_headers.get_header("Content-Type") or ""
    if ctype and "html" not in ctype.lower():
        return "non_html"
    return None


def parse_frame(frame: Frame, max_record_bytes: int) -> Record | RecordError | Skipped:
    """One framed WARC or ARC record -> a page, a record error, or a Skipped marker. warcio parses the record
    (HTTP headers, chunked transfer, Content-Encoding; ARC converted to WARC); whatever it raises is this record's
    error only (framing.py already found where the next record starts)."""
    from warcio.archiveiterator import ArchiveIterator

    offset = frame.offset
    kind = "record"
    try:
        it = ArchiveIterator(io.BytesIO(frame.header + frame.content + (b"\r\n\r\n" if frame.kind == "warc" else b"\n")),
                             arc2warc=True)
        it.INC_RECORD = ""  # warcio's own stderr warning; a record error says it instead
        rec = next(iter(it), None)
        if rec is None:
            return RecordError(offset, "malformed_record", f"record at byte {offset}: warcio finds no record in it",
                               frame.header[:2000])
        kind = rec.rec_type or kind
        page = kind in ("response", "resource")
        if page and rec.http_headers is not None:
            bad = _bad_http_headers(rec.http_headers)
            if bad:
                return RecordError(offset, "malformed_http_headers", f"{kind} record at byte {offset}: {bad}",
                                   frame.content[:2000])
        skip = _page_skip_reason(rec) if page else kind
        if skip is not None:
            return Skipped(skip)
        # at most one byte past the limit is read (HTTP Content-Encoding and chunking undone as it streams)
        payload = rec.content_stream().read(max_record_bytes + 1)
    except Exception as e:  # noqa: BLE001 - warcio raises many types for a malformed record
        return RecordError(offset, "malformed_record", f"{kind} record at byte {offset}: {type(e).__name__}: {e}",
                           (frame.header + frame.content)[:2000])
    if len(payload) > max_record_bytes:
        return RecordError(offset, "too_large", f"{kind} record at byte {offset}: payload larger than "
                           f"read.max_file_bytes={max_record_bytes}", payload[:2000])
    binary = looks_binary(payload[:8192])
    if binary:
        return RecordError(offset, "binary", f"{kind} record at byte {offset} declared as HTML: {binary}",
                           payload[:2000])
    headers = rec.http_headers if rec.http_headers is not None else rec.rec_headers
    m = _HEADER_CHARSET.search(headers.get_header("Content-Type") or "")
    text, enc, replaced = decode_html(payload, m.group(1) if m else None)
    return Record(offset, "html", text, url=rec.rec_headers.get_header("WARC-Target-URI"),
                  fetched_at=rec.rec_headers.get_header("WARC-Date"), encoding=enc, replaced_chars=replaced,
                  content_language=rec.http_headers.get_header("Content-Language") if rec.http_headers else None)


_HEADER_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _bad_http_headers(http) -> str | None:
    """Why a record's HTTP header block is unusable (binary bytes, no HTTP status line), or None."""
    status = http.protocol + " " + http.statusline if http.protocol else http.statusline
    if not status.startswith("HTTP/") and not http.protocol.startswith("HTTP/"):
        return f"its HTTP status line is not HTTP: {status[:60]!r}"
    for name, value in [("", status), *http.headers]:
        if _HEADER_CONTROL.search(name) or _HEADER_CONTROL.search(value):
            return f"its HTTP headers hold binary bytes: {(name + ': ' + value)[:60]!r}"
    return None


def iter_framed(framer: Framer, max_record_bytes: int) -> Iterator[Record | RecordError | Skipped]:
    """Every record of a WARC or ARC stream, each with its own fate (see framing.py for the boundaries)."""
    for frame in framer.frames():
        if isinstance(frame, Bad):
            yield RecordError(frame.offset, frame.reason, frame.error, frame.excerpt)
        else:
            yield parse_frame(frame, max_record_bytes)


def iter_warc(stream: BinaryIO, max_record_bytes: int = 256 * 1024 * 1024) -> Iterator[Record | RecordError | Skipped]:
    """Every record of a seekable WARC or ARC stream, uncompressed or gzipped (member by member)."""
    from scrapeline.transforms.read.framing import gzip_member_chunks, plain_chunks

    start = stream.tell()
    gz = stream.read(2) == b"\x1f\x8b"
    stream.seek(start)
    chunks = gzip_member_chunks(stream, start) if gz else plain_chunks(stream, start)
    yield from iter_framed(Framer(chunks, max_record_bytes, "member" if gz else "any"), max_record_bytes)
