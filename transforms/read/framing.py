"""Record boundaries in WARC and ARC files: where each record starts and ends, and where reading starts again
after one that is malformed. No record is parsed here (containers.py hands each framed record to warcio).

Why our own framing: warcio reads a file as one stream, and the first record it cannot parse (a response
without WARC-Target-URI, a bad Content-Length, a truncated gzip member) ends the stream; every record after it
was lost, 231 good pages in one real file. Here each record's fate is its own:

- WARC: a version line (`WARC/1.x`), header lines up to a blank line, Content-Length bytes, then the blank
  lines that end a record. ARC: one header line (URL IP date type ... length, at least 5 fields, length last),
  then that many bytes.
- A malformed record (a header line without a colon, no WARC-Type, a missing or non-numeric Content-Length,
  a response without WARC-Target-URI, an ARC header with too few fields, a Content-Length that does not end
  where the record ends) is a `Bad` with its byte offset, and reading resumes at the next record boundary: the
  next line starting `WARC/1.` (or an ARC header line), found by scanning forward.
- gzip: each member is decompressed on its own (WARC's record-by-record gzip). A corrupt or truncated member
  is a `Bad` at its offset, and reading resumes at the next gzip member header that decompresses.
- Bytes that are no record (garbage between records) are one `Bad` (`not_a_record`) per run of them.

Memory: at most one record (bounded by `max_record_bytes`; a larger one is skipped in chunks) is held.
Every byte of the file (or byte range) is walked: `Framer.raw_reached` is where reading ended, which the read
accounting compares with the file's size (a reader that stopped early shows as bytes never read).
"""

from __future__ import annotations

import bisect
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["Bad", "Frame", "Framer", "gzip_member_chunks", "plain_chunks", "stream_chunks"]

_CHUNK = 1 << 16
_MAX_LINE = 1 << 16
"""A header line longer than this is malformed (real WARC headers are under a few KiB)."""
_MAX_HEADER = 1 << 18
_WARC_LINE = re.compile(rb"WARC/1\.\d\r?\n")
_ARC_LINE = re.compile(rb"[a-z][a-z0-9+.-]*:\S* \S+ \d{14} ")
_ARC_START = re.compile(rb"\n[a-z][a-z0-9+.-]*:\S* \S+ \d{14} ")
_ARC_FIELDS = 5
_NEEDS_URI = frozenset({"response", "request", "revisit", "resource"})
_GZIP_MAGIC = b"\x1f\x8b\x08"
_URL = re.compile(rb"[a-z][a-z0-9+.-]*://")


@dataclass(frozen=True)
class Frame:
    """One well-framed record: its header block and content bytes, and where it starts in the file."""

    offset: int
    """Byte offset in the file: of the gzip member it starts (record-gzipped), else of its first byte."""
    kind: str  # warc | arc
    header: bytes
    content: bytes
    seekable: bool
    """Reading may start at `offset` (the start of a gzip member, or any record of an uncompressed file)."""


@dataclass(frozen=True)
class Bad:
    """Bytes that are no good record: a malformed or cut record, a corrupt gzip member, garbage."""

    offset: int
    reason: str
    error: str
    excerpt: bytes = b""


@dataclass(frozen=True)
class _Data:
    data: bytes
    raw: int | None
    """Offset in the file of the gzip member these bytes come from (uncompressed: of these bytes); None when
    the stream cannot say (bzip2, zstd: offsets are then positions in the decompressed stream)."""
    member_start: bool


@dataclass(frozen=True)
class _Break:
    raw: int | None
    reason: str
    error: str


@dataclass(frozen=True)
class _End:
    raw: int


# --- byte sources: uncompressed, gzip member by member, any other decompressed stream -------------------------


def plain_chunks(f, start: int = 0) -> Iterator[_Data | _End]:
    """An uncompressed file from `start` (already seeked to) to its end, read as it is needed."""
    pos = start
    while True:
        chunk = f.read(_CHUNK)
        if not chunk:
            break
        yield _Data(chunk, pos, True)
        pos += len(chunk)
    yield _End(pos)


def _good_member_header(data: bytes) -> bool:
    return len(data) >= 4 and data[:3] == _GZIP_MAGIC and not data[3] & 0xE0


_CANDIDATE_HOLD = 64 << 20
"""While looking for the next member after a bad one, a candidate's output is held until its end marker (up to
this many bytes): random bytes that look like a gzip header and inflate a little must not become data."""


def gzip_member_chunks(f, start: int = 0) -> Iterator[_Data | _Break | _End]:
    """A gzip file member by member, from `start` (seeked to), decompressed as it is needed.

    A member that does not decompress (corrupt, or cut by the end of the file) is a break at its offset. The
    next member is then found by scanning on from the byte after the bad member's start (`f` must be seekable)
    for a gzip header whose member inflates to its end marker; candidates that fail during the scan are part of
    the same bad stretch, not new breaks. Zero padding after the last member is ignored.
    """
    buf = b""  # raw bytes read but not yet decompressed; buf[0] is at file offset `pos`
    pos = start
    eof = False
    scanning = False  # looking for the next member after a bad one

    def more() -> bool:
        nonlocal buf, eof
        chunk = b"" if eof else f.read(_CHUNK)
        if not chunk:
            eof = True
            return False
        buf += chunk
        return True

    while True:
        while len(buf) < 4 and more():
            pass
        if not buf:
            break
        if not _good_member_header(buf):
            if not buf.strip(b"\x00"):  # zero padding (tape and block writers leave it)
                pos += len(buf)
                buf = b""
                continue
            if not scanning:
                yield _Break(pos, "corrupt_gzip_member", f"the bytes at byte {pos} are no gzip member")
                scanning = True
            i = buf.find(_GZIP_MAGIC, 1)
            drop = i if i > 0 else max(len(buf) - 3, 1) if not eof else len(buf)
            pos += drop
            buf = buf[drop:]
            if i < 0:
                more()
            continue
        member_at = pos
        d = zlib.decompressobj(wbits=31)
        data_in, buf = buf, b""
        given = len(data_in)
        held: list[bytes] = []  # a candidate's output, while scanning
        held_size = 0
        first = True
        failed = None
        while True:
            try:
                out = d.decompress(data_in, _CHUNK)
            except zlib.error as e:
                failed = ("corrupt_gzip_member", f"gzip member at byte {member_at} is corrupt: {e}")
                break
            if out:
                if scanning and held_size < _CANDIDATE_HOLD:
                    held.append(out)
                    held_size += len(out)
                else:
                    if held:
                        for h in held:
                            yield _Data(h, member_at, first)
                            first = False
                        held = []
                    scanning = False
                    yield _Data(out, member_at, first)
                    first = False
            if d.eof:
                break
            if d.unconsumed_tail:
                data_in = d.unconsumed_tail
                continue
            data_in = b"" if eof else f.read(_CHUNK)
            if not data_in:
                eof = True
                failed = ("truncated_gzip_member",
                          f"gzip member at byte {member_at} is cut: the file ends before its end marker")
                break
            given += len(data_in)
        if failed is not None:
            if not scanning:
                yield _Break(member_at, *failed)
                scanning = True
            f.seek(member_at + 1)  # scan on from the byte after this member's start
            pos, buf, eof = member_at + 1, b"", False
            continue
        if held:
            for h in held:
                yield _Data(h, member_at, first)
                first = False
        scanning = False
        buf = d.unused_data
        pos = member_at + given - len(buf)
    yield _End(pos)


def stream_chunks(chunks: Iterator[bytes], size: int) -> Iterator[_Data | _Break | _End]:
    """Any decompressed stream (bzip2, zstd): no member offsets; a corrupt stream ends it with a break."""
    logical = 0
    try:
        for chunk in chunks:
            yield _Data(chunk, None, logical == 0)
            logical += len(chunk)
    except Exception as e:  # noqa: BLE001 - CorruptInput from the decompressor
        yield _Break(None, getattr(e, "reason", "corrupt_compression"), str(e))
    yield _End(size)


# --- the framer ---------------------------------------------------------------------------------------------------


class Framer:
    """Frames over a chunk source; `frames()` yields Frame and Bad until the source ends.

    `seek_points`: where reading may start again (what the range planner may use): "any" record start
    (uncompressed), "member" starts only (gzip), or "none" (a bzip2/zstd stream). `end`: the file offset of the
    next byte range (a record start, by the plan); framing stops at the first record starting there. The source
    runs on past it, so a record whose wrong Content-Length reaches into the next range frames as in a read of
    the whole file.
    """

    def __init__(self, source: Iterator[_Data | _Break | _End], max_record_bytes: int, seek_points: str = "any",
                 end: int | None = None):
        self._src = source
        self._end = end
        self._max = max_record_bytes
        self._seek_points = seek_points
        self._buf = bytearray()
        self._base = 0  # logical offset (in the decompressed stream) of _buf[0]
        self._off = 0  # read position in _buf
        self._at: list[int] = []  # logical offset where each member / chunk starts
        self._raw_at: list[int | None] = []  # and its offset in the file
        self._break: tuple[int, _Break] | None = None  # a break after the buffered bytes: (logical, break)
        self._done = False
        self._kind: str | None = None  # warc | arc, from the first record
        self.raw_reached: int | None = None
        """Where reading ended in the file (set when the source is exhausted)."""

    # -- the buffer: the current record's bytes, and what was read ahead -------------------------------------------

    def _pull(self) -> bool:
        if self._done or self._break is not None:
            return False
        item = next(self._src, None)
        if item is None or isinstance(item, _End):
            self._done = True
            self.raw_reached = item.raw if item is not None else None
            return False
        logical = self._base + len(self._buf)
        if isinstance(item, _Break):
            self._break = (logical, item)
            return False
        if item.member_start or not self._at:
            self._at.append(logical)
            self._raw_at.append(item.raw)
        self._buf += item.data
        return True

    def _avail(self) -> int:
        return len(self._buf) - self._off

    def _fill(self, n: int) -> bool:
        while self._avail() < n:
            if not self._pull():
                return False
        return True

    @property
    def _pos(self) -> int:
        return self._base + self._off

    def _seek(self, logical: int) -> None:
        self._off = logical - self._base

    def _release(self, keep: int = 0) -> None:
        """Forget the bytes before the read position (but the last `keep` of them)."""
        drop = max(self._off - keep, 0)
        if drop:
            del self._buf[:drop]
            self._base += drop
            self._off -= drop
        i = bisect.bisect_right(self._at, self._base) - 1
        if i > 0:
            del self._at[:i], self._raw_at[:i]

    def _read(self, n: int) -> bytes:
        self._fill(n)
        data = bytes(self._buf[self._off: self._off + n])
        self._off += len(data)
        return data

    def _skip(self, n: int) -> int:
        """Pass n bytes without holding them; returns how many there were."""
        left = n
        while left and (self._avail() or self._pull()):
            step = min(left, self._avail())
            self._off += step
            left -= step
            self._release()
        return n - left

    def _readline(self) -> bytes:
        """Up to and including the next newline, at most _MAX_LINE bytes (short at a break or the end)."""
        scan = self._off
        while True:
            i = self._buf.find(b"\n", scan, self._off + _MAX_LINE)
            if i >= 0:
                line = bytes(self._buf[self._off: i + 1])
                self._off = i + 1
                return line
            scan = len(self._buf)
            if self._avail() >= _MAX_LINE or not self._pull():
                line = bytes(self._buf[self._off: self._off + _MAX_LINE])
                self._off += len(line)
                return line

    def _raw(self, logical: int) -> tuple[int, bool]:
        """(offset in the file, whether reading may start there) of a logical position."""
        i = bisect.bisect_right(self._at, logical) - 1
        if i < 0:
            return logical, False
        at, raw = self._at[i], self._raw_at[i]
        if raw is None:
            return logical, False
        return raw + (logical - at), self._seek_points == "any" or (self._seek_points == "member" and logical == at)

    def _past_end(self, raw: int | None) -> bool:
        if self._end is None or raw is None or raw < self._end:
            return False
        self.raw_reached = raw
        return True

    def _take_break(self) -> _Break:
        logical, brk = self._break  # type: ignore[misc]
        self._seek(max(self._pos, logical))
        self._release()
        self._break = None
        return brk

    def _cut(self, raw: int, what: str, missing: str, excerpt: bytes) -> Bad:
        """A record cut short: by a bad gzip member (one dead letter for both) or by the end of the file."""
        if self._break is not None and self._avail() == 0:
            brk = self._take_break()
            return Bad(raw, brk.reason, f"{what}: {missing}, cut by a bad gzip member: {brk.error}", excerpt)
        return Bad(raw, "truncated_record", f"{what}: {missing} (the file ends)", excerpt)

    def _resync(self) -> int:
        """Move to the next record start after the read position (a `WARC/1.x` line, or an ARC header line, after
        a newline), or to the next break or the end. Returns the bytes passed over."""
        start = self._pos
        self._fill(16)
        while True:
            # A WARC version line anywhere (the blank lines before it may be what was damaged), an ARC header line
            # after a newline, or a gzip member that starts a record: the first of them.
            if self._kind == "arc":
                m = _ARC_START.search(self._buf, max(self._off - 1, 0))
                at = m.start() + 1 if m else None
            else:
                m = _WARC_LINE.search(self._buf, self._off)
                at = m.start() if m else None
            for member in self._at:
                i = member - self._base
                if i > self._off and (at is None or i < at) and (
                        _WARC_LINE.match(self._buf, i) or _ARC_LINE.match(self._buf, i)):
                    at = i
                    break
            if at is not None:
                self._off = at
                return self._pos - start
            self._off = max(self._off, len(self._buf) - 256)  # a boundary may straddle two chunks
            self._release(keep=1)
            if not self._pull():
                self._off = len(self._buf)
                passed = self._pos - start
                self._release()
                return passed

    def _record_ends(self) -> bool:
        """After a record's content: the blank lines that end a record (CRLF CRLF), or at least one line end
        followed by the next record, a break or the end of the stream. Garbage after a proper CRLF CRLF is the
        next thing's problem (`not_a_record`), not this record's."""
        self._fill(4)
        if self._buf[self._off: self._off + 4] == b"\r\n\r\n":
            self._off += 4
            return True
        j = self._off
        while True:
            if j >= len(self._buf) and not self._pull():
                self._off = j
                return True
            if self._buf[j] in b"\r\n" and j - self._off < 8:
                j += 1
                continue
            break
        if j == self._off:
            return False
        self._fill(j - self._off + 200)
        nxt = bytes(self._buf[j: j + 200])
        if nxt.startswith((b"WARC/", b"filedesc://")) or (self._kind == "arc" and _URL.match(nxt)):
            self._off = j
            return True
        return False

    # -- records ----------------------------------------------------------------------------------------------------

    def frames(self) -> Iterator[Frame | Bad]:
        while True:
            self._release()
            while self._fill(1) and self._buf[self._off] in b"\r\n":  # line ends between records
                self._off += 1
            if not self._avail():
                if self._break is None:
                    return
                if self._past_end(self._break[1].raw):
                    return
                brk = self._take_break()
                yield Bad(brk.raw if brk.raw is not None else self._pos, brk.reason, brk.error)
                continue
            start = self._pos
            raw, seekable = self._raw(start)
            if self._past_end(raw):
                return
            line = self._readline()
            if line.startswith(b"WARC/"):
                self._kind = self._kind or "warc"
                items = self._warc(raw, seekable, line)
            elif _ARC_LINE.match(line) or line.startswith(b"filedesc://") or (
                    self._kind == "arc" and _URL.match(line)):
                self._kind = self._kind or "arc"
                items = self._arc(raw, seekable, line)
            else:
                self._seek(start)
                passed = self._resync()
                items = iter([Bad(raw, "not_a_record", f"{passed} bytes at byte {raw} are no WARC or ARC record "
                                  f"(they start {line[:40]!r})", line[:2000])])
            for item in items:
                yield self._with_break(item) if isinstance(item, Bad) else item

    def _with_break(self, bad: Bad) -> Bad:
        """One dead letter for a record and the bad gzip member it sits in.

        A cut or corrupt member may inflate to garbage for a while before zlib notices (a cut stream followed by
        the next member's bytes, read as more of the same stream). The record it held then looks malformed, and
        the member's break comes right after it. When nothing is left before the break, and the broken member
        starts where the record does (a member a record, as crawlers write them), the break is this record's cause:
        it is taken here, not counted again. A record further into a member of many keeps its own dead letter: its
        fault may be its own (a bad Content-Length in a member whose trailer alone is cut).
        """
        if self._break is None or self._avail():
            return bad
        brk = self._break[1]
        if brk.raw != bad.offset:
            return bad
        self._take_break()
        return Bad(bad.offset, brk.reason, f"{bad.error}; {brk.error}", bad.excerpt)

    def _warc(self, raw: int, seekable: bool, first: bytes) -> Iterator[Frame | Bad]:
        lines = [first]
        size = len(first)
        while True:
            line = self._readline()
            if not line.endswith(b"\n"):
                if len(line) < _MAX_LINE and not self._avail() and (self._break is not None or self._done):
                    yield self._cut(raw, f"WARC record at byte {raw}", "its header is cut", b"".join(lines)[:2000])
                    return
                self._resync()
                yield Bad(raw, "malformed_header", f"WARC record at byte {raw}: a header line longer than "
                          f"{_MAX_LINE} bytes", b"".join(lines)[:2000])
                return
            lines.append(line)
            size += len(line)
            if line in (b"\r\n", b"\n"):
                break
            if size > _MAX_HEADER:
                self._resync()
                yield Bad(raw, "malformed_header", f"WARC record at byte {raw}: a header longer than {_MAX_HEADER} "
                          "bytes", b"".join(lines)[:2000])
                return
        header = b"".join(lines)
        fields: dict[str, str] = {}
        problem = None
        for line in lines[1:-1]:
            if line[:1] in (b" ", b"\t"):
                continue  # a folded continuation of the line before
            name, colon, value = line.partition(b":")
            if not colon or not name.strip() or b" " in name.strip():
                problem = f"a header line without a name and colon: {line[:80]!r}"
                break
            fields[name.strip().decode("latin-1").lower()] = value.strip().decode("latin-1")
        kind = fields.get("warc-type", "")
        length_text = fields.get("content-length")
        reason = "malformed_header"
        if problem is None:
            if not kind:
                problem = "no WARC-Type"
            elif length_text is None or not length_text.isdigit():
                reason = "bad_content_length"
                problem = "no Content-Length" if length_text is None else \
                    f"Content-Length {length_text[:40]!r} is not a number"
            elif kind in _NEEDS_URI and not fields.get("warc-target-uri"):
                problem = f"a {kind} record without WARC-Target-URI"
        if problem is None:
            yield from self._content(raw, seekable, "warc", header, int(length_text))  # type: ignore[arg-type]
            return
        # A usable Content-Length still says where the record ends: go there when a record follows it.
        body_at = self._pos
        if length_text is not None and length_text.isdigit() and int(length_text) <= self._max:
            self._read(int(length_text))
            if not self._record_ends():
                self._seek(body_at)
                self._resync()
        else:
            self._resync()
        yield Bad(raw, reason, f"WARC record at byte {raw}: {problem}", header[:2000])

    def _arc(self, raw: int, seekable: bool, line: bytes) -> Iterator[Frame | Bad]:
        parts = line.split()
        if len(parts) < _ARC_FIELDS or not parts[-1].isdigit():
            self._resync()
            yield Bad(raw, "malformed_header", f"ARC record at byte {raw}: a header line of {len(parts)} fields, "
                      f"at least {_ARC_FIELDS} expected (URL IP date type ... length)", line[:2000])
            return
        yield from self._content(raw, seekable, "arc", line, int(parts[-1]))

    def _content(self, raw: int, seekable: bool, kind: str, header: bytes, length: int) -> Iterator[Frame | Bad]:
        what = f"{kind.upper()} record at byte {raw}"
        if length > self._max:
            got = self._skip(length)
            if got < length:
                yield self._cut(raw, what, f"{length - got} of its {length} bytes are missing", header[:2000])
            elif not self._record_ends():
                passed = self._resync()
                yield Bad(raw, "bad_content_length", f"{what}: Content-Length {length} does not end where the "
                          f"record ends ({passed} more bytes to the next record)", header[:2000])
            else:
                yield Bad(raw, "too_large", f"{what}: payload larger than read.max_file_bytes={self._max}",
                          header[:2000])
            return
        body_at = self._pos
        content = self._read(length)
        if len(content) == length and self._record_ends():
            yield Frame(raw, kind, header, content, seekable)
            return
        # Not where Content-Length says: look for the next record from the start of the content on (inside what
        # the length claims when it is too large, after it when too small).
        excerpt = (header + content)[:2000]
        self._seek(body_at)
        passed = self._resync()
        if self._avail() or (self._break is None and not self._done):
            yield Bad(raw, "bad_content_length", f"{what}: Content-Length {length}, but the next record starts "
                      f"{passed} bytes after the header", excerpt)
        elif len(content) < length:
            yield self._cut(raw, what, f"{length - len(content)} of its {length} bytes are missing", excerpt)
        else:
            yield Bad(raw, "bad_content_length", f"{what}: Content-Length {length} is not followed by the end of "
                      "a record", excerpt)
