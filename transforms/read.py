"""ReadDumps: file patterns -> decoded pages (+ dead letters), through Beam's FileSystems (local, gs://, s3://).

How a file is read:
- compression is detected from the magic bytes first (gzip 1f8b, bzip2 "BZh", zstd 28b52ffd), else the file
  extension; decompression is bounded by `max_file_bytes`, and a truncated or corrupt stream is a dead letter
  (stage read, reason corrupt_compression), never a crash;
- bytes are decoded as UTF-8 (BOM allowed), else with the charset charset-normalizer detects, else as UTF-8 with
  replacement characters (counted under `decode.replaced_chars`);
- the container (text, html, jsonl, warc/arc) is known by extension, else by sniffing the first bytes, and
  its records are read by transforms/containers.py; WARC is streamed record by record, not loaded whole;
- `fetched_at` comes from, in order: the record's own metadata (JSONL field, WARC-Date), a sidecar file
  `<dump>.meta.json` (or `<dump without .gz/.bz2/.zst>.meta.json`) with `fetched_at` (and optionally `url`,
  `site`), the run's `--fetched-at`, the file's modification time.

In batch the patterns are matched once; in streaming (next issues) the same `_ReadDumpFn` reads files as a
watcher discovers them.
"""

from __future__ import annotations

import bz2
import datetime as dt
import io
import json
import posixpath
import zlib
from collections.abc import Iterable

import apache_beam as beam
from apache_beam.io import fileio
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from pipeline.config import JsonlFields
from transforms.containers import Record, RecordError, Skipped, iter_jsonl, iter_warc, one_page
from transforms.metadata import parse_timestamp
from transforms.metrics import count, make_dead_letter
from transforms.records import Page

__all__ = [
    "CorruptInput",
    "ReadDumps",
    "container_of",
    "decode_text",
    "decompress",
    "detect_compression",
    "is_dump_path",
    "resolve_fetched_at",
]

DEAD = "dead_letters"
SIDECAR_SUFFIX = ".meta.json"
_COMPRESSION_EXT = {".gz": "gzip", ".gzip": "gzip", ".bz2": "bzip2", ".zst": "zstd", ".zstd": "zstd"}
_CONTAINER_EXT = {
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".warc": "warc",
    ".arc": "warc",
}


class CorruptInput(ValueError):
    """An input whose bytes cannot be turned into text: truncated or corrupt compression, too large."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def is_dump_path(path: str) -> bool:
    """Whether a matched file is a dump to ingest (not a sidecar, not hidden, not a Spark/Hadoop marker)."""
    name = posixpath.basename(path.rstrip("/"))
    return bool(name) and not name.startswith((".", "_")) and not name.endswith(SIDECAR_SUFFIX)


def _strip_compression_ext(path: str) -> str:
    root, ext = posixpath.splitext(path)
    return root if ext.lower() in _COMPRESSION_EXT else path


def detect_compression(path: str, head: bytes) -> str | None:
    """gzip | bzip2 | zstd | None, by magic bytes first (extensions lie), else by extension."""
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:3] == b"BZh":
        return "bzip2"
    if head[:4] == b"\x28\xb5\x2f\xfd":
        return "zstd"
    ext = posixpath.splitext(path)[1].lower()
    return _COMPRESSION_EXT.get(ext)


def decompress(data: bytes, kind: str | None, max_bytes: int) -> bytes:
    """Decompress a whole (possibly multi-member) stream, at most `max_bytes` out. Raises CorruptInput."""
    if kind is None:
        if len(data) > max_bytes:
            raise CorruptInput("too_large", f"{len(data)} bytes, more than read.max_file_bytes={max_bytes}")
        return data
    out = bytearray()
    rest = data
    try:
        while rest:
            if kind == "gzip":
                d = zlib.decompressobj(wbits=31)
            elif kind == "bzip2":
                d = bz2.BZ2Decompressor()
            else:
                import zstandard

                d = zstandard.ZstdDecompressor().decompressobj()
            if kind == "gzip":
                out += d.decompress(rest, max_bytes + 1 - len(out))
                if d.unconsumed_tail:
                    raise CorruptInput("too_large", f"decompresses to more than read.max_file_bytes={max_bytes}")
            else:
                out += d.decompress(rest)
            if len(out) > max_bytes:
                raise CorruptInput("too_large", f"decompresses to more than read.max_file_bytes={max_bytes}")
            if not d.eof:
                raise CorruptInput("corrupt_compression", f"truncated {kind} stream: ended before its end marker")
            rest = d.unused_data
            # Trailing zero padding after the last member is common (tape/block writers); ignore it.
            if rest and not rest.strip(b"\x00"):
                break
    except CorruptInput:
        raise
    except Exception as e:  # zlib.error, OSError, EOFError, ValueError, zstandard.ZstdError (no common base)
        raise CorruptInput("corrupt_compression", f"corrupt {kind} stream: {e}") from None
    return bytes(out)


def decode_text(data: bytes) -> tuple[str, str, int]:
    """(text, encoding, replaced characters). UTF-8 first; else detected; else UTF-8 with replacements."""
    try:
        return data.decode("utf-8-sig"), "utf-8", 0
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes  # detection only for the files that need it

    best = from_bytes(data).best()
    if best is not None and best.encoding:
        try:
            return data.decode(best.encoding), best.encoding, 0
        except (UnicodeDecodeError, LookupError):
            pass
    text = data.decode("utf-8", errors="replace")
    return text, "utf-8", text.count("\ufffd")


def container_of(path: str, head: bytes) -> str:
    """text | html | jsonl | warc: by extension (compression suffix removed), else by sniffing the content."""
    ext = posixpath.splitext(_strip_compression_ext(path))[1].lower()
    if ext in _CONTAINER_EXT:
        return _CONTAINER_EXT[ext]
    start = head.lstrip()[:64].lower()
    if start.startswith((b"warc/", b"filedesc://")):
        return "warc"
    if start.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<html" in head[:1024].lower():
        return "html"
    if start.startswith(b"{"):
        return "jsonl"
    return "text"


def resolve_fetched_at(
    record: str | None, sidecar: str | None, cli: dt.datetime | None, mtime: float | None
) -> tuple[dt.datetime, str]:
    """(fetched_at, where it came from): record metadata, then sidecar, then --fetched-at, then mtime."""
    if record:
        return parse_timestamp(record), "record"
    if sidecar:
        return parse_timestamp(sidecar), "sidecar"
    if cli is not None:
        return cli.astimezone(dt.timezone.utc), "cli"
    if mtime is not None:
        return dt.datetime.fromtimestamp(mtime, dt.timezone.utc), "mtime"
    raise ValueError("no fetch time: no record metadata, sidecar, --fetched-at or modification time")


def _read_sidecar(path: str) -> dict | None:
    for candidate in dict.fromkeys([path + SIDECAR_SUFFIX, _strip_compression_ext(path) + SIDECAR_SUFFIX]):
        if FileSystems.exists(candidate):
            with FileSystems.open(candidate, compression_type=CompressionTypes.UNCOMPRESSED) as f:
                meta = json.loads(f.read().decode("utf-8"))
            if not isinstance(meta, dict):
                raise ValueError(f"{candidate}: expected a JSON object")
            return meta
    return None


def _sniff(head: bytes, compression: str | None) -> bytes:
    """The first decompressed bytes of a file, best effort, to recognise its container."""
    try:
        if compression == "gzip":
            return zlib.decompressobj(wbits=31).decompress(head, 1024)
        if compression == "bzip2":
            return bz2.BZ2Decompressor().decompress(head)[:1024]
        if compression == "zstd":
            import zstandard

            return zstandard.ZstdDecompressor().decompressobj().decompress(head)[:1024]
    except Exception:  # a corrupt head is reported when the whole file is read
        return b""
    return head


class _ReadDumpFn(beam.DoFn):
    """(path, mtime) -> Page per record, or a DeadLetter on the `dead_letters` output. Nothing escapes process()."""

    def __init__(self, fetched_at: dt.datetime | None, max_file_bytes: int, excerpt_chars: int,
                 jsonl_fields: JsonlFields | None = None):
        self._fetched_at = fetched_at
        self._max = max_file_bytes
        self._excerpt = excerpt_chars
        self._jsonl = jsonl_fields or JsonlFields()

    def _dead(self, reason: str, path: str, error, excerpt=b"", record_index: int | None = None):
        return beam.pvalue.TaggedOutput(
            DEAD, make_dead_letter("read", reason, path, record_index, error, excerpt, excerpt_chars=self._excerpt)
        )

    def process(self, element: tuple[str, float | None]) -> Iterable[Page | beam.pvalue.TaggedOutput]:
        path, mtime = element
        try:
            yield from self._process(path, mtime)
        except Exception as e:  # last line of defence: one bad file never fails the bundle
            yield self._dead("unexpected_error", path, e)

    def _process(self, path: str, mtime: float | None) -> Iterable[Page | beam.pvalue.TaggedOutput]:
        try:
            sidecar = _read_sidecar(path) or {}
        except Exception as e:
            yield self._dead("bad_sidecar", path, e)
            return
        try:
            with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
                head = f.read(4096)
                compression = detect_compression(path, head[:4])
                container = container_of(path, _sniff(head, compression))
                if container == "warc" and compression in (None, "gzip"):
                    # warcio reads plain and record-gzipped WARC/ARC as a stream: never the whole file in memory
                    f.seek(0)
                    count("files_read")
                    count(f"container.{container}")
                    for rec in self._warc_records(f):
                        yield from self._emit(rec, path, container, sidecar, mtime)
                    return
                raw = head + f.read(self._max + 1 - len(head))
        except Exception as e:  # permissions, vanished file, remote errors
            yield self._dead("unreadable", path, e)
            return
        count("files_read")
        count("bytes_read", len(raw))
        try:
            data = decompress(raw, compression, self._max)
        except CorruptInput as e:
            yield self._dead(e.reason, path, e, raw[: self._excerpt])
            return
        if not data.strip():
            yield self._dead("empty", path, "the file holds no text", raw[: self._excerpt])
            return
        count(f"container.{container}")
        if container == "warc":
            records = self._warc_records(io.BytesIO(data))
        elif container == "jsonl":
            records = iter_jsonl(data, self._jsonl)
        else:
            records = one_page(data, container)
        for rec in records:
            yield from self._emit(rec, path, container, sidecar, mtime)

    def _emit(self, rec, path: str, container: str, sidecar: dict, mtime: float | None):
        if isinstance(rec, Skipped):
            count(f"skipped.{container}.{rec.kind}")
            return
        if isinstance(rec, RecordError):
            yield self._dead(rec.reason, path, rec.error, rec.excerpt, rec.record_index)
            return
        try:
            fetched_at, origin = resolve_fetched_at(rec.fetched_at, sidecar.get("fetched_at"), self._fetched_at, mtime)
        except ValueError as e:
            yield self._dead("bad_fetched_at", path, e, rec.content[: self._excerpt].encode(), rec.record_index)
            return
        count("records")
        count(f"decode.encoding.{rec.encoding.lower()}")
        count("decode.replaced_chars", rec.replaced_chars)
        count(f"fetched_at.{origin}")
        yield Page(
            input_uri=path,
            record_index=rec.record_index,
            text=rec.content,
            fetched_at=fetched_at,
            fetched_at_origin=origin,
            container=container,
            format=rec.format,
            url=rec.url or sidecar.get("url"),
            site=rec.site or sidecar.get("site"),
        )

    def _warc_records(self, stream) -> Iterable:
        for rec in iter_warc(stream):
            if isinstance(rec, Record):
                if len(rec.content) > self._max:
                    yield RecordError(rec.record_index, "too_large", f"record of {len(rec.content)} characters", b"")
                    continue
            yield rec


class ReadDumps(beam.PTransform):
    """File patterns (already validated to match something) -> pages, with a `dead_letters` output.

    Applied to the pipeline it matches `patterns` once (batch); applied to a PCollection of (path, mtime) it
    reads those files as they arrive (streaming, after DiscoverDumps). Overlapping patterns read each file
    once. A Reshuffle spreads files over workers before the reads.
    """

    def __init__(
        self,
        patterns: list[str] | None = None,
        fetched_at: dt.datetime | None = None,
        max_file_bytes: int = 256 * 1024 * 1024,
        excerpt_chars: int = 500,
        jsonl_fields: JsonlFields | None = None,
    ):
        super().__init__()
        if patterns is not None and not patterns:
            raise ValueError("ReadDumps needs at least one file pattern")
        if fetched_at is not None and fetched_at.tzinfo is None:
            raise ValueError("fetched_at must be timezone-aware")
        self._patterns = list(patterns) if patterns is not None else None
        self._fn = _ReadDumpFn(fetched_at, max_file_bytes, excerpt_chars, jsonl_fields)

    def expand(self, pbegin_or_files):
        if isinstance(pbegin_or_files, beam.pvalue.PBegin):
            if self._patterns is None:
                raise ValueError("ReadDumps applied to a pipeline needs patterns")
            files = (
                pbegin_or_files
                | "Patterns" >> beam.Create(self._patterns)
                | "Match" >> fileio.MatchAll(fileio.EmptyMatchTreatment.ALLOW)
                | "DumpsOnly" >> beam.Filter(lambda m: is_dump_path(m.path))
                | "PathAndMtime" >> beam.Map(lambda m: (m.path, getattr(m, "last_updated_in_seconds", None)))
                | "OncePerFile" >> beam.Distinct()
            )
        else:
            files = pbegin_or_files
        return (
            files
            | "Spread" >> beam.Reshuffle()
            | "Read" >> beam.ParDo(self._fn).with_outputs(DEAD, main="pages")
        )
