"""ReadDumps: file patterns -> decoded pages (+ dead letters), through Beam's FileSystems (local, gs://, s3://).

How a file is read:
- compression is detected from the magic bytes first (gzip 1f8b, bzip2 "BZh", zstd 28b52ffd), else the file
  extension; decompression is bounded by `max_file_bytes`, and a truncated or corrupt stream is a dead letter
  (stage read, reason corrupt_compression), never a crash;
- bytes are decoded as UTF-8 (BOM allowed), else with the charset charset-normalizer detects, else as UTF-8 with
  replacement characters (counted under `decode.replaced_chars`);
- `fetched_at` comes from, in order: the record's own metadata (JSONL/WARC, next issue), a sidecar file
  `<dump>.meta.json` (or `<dump without .gz/.bz2/.zst>.meta.json`) with `fetched_at` (and optionally `url`,
  `site`), the run's `--fetched-at`, the file's modification time.

In batch the patterns are matched once; in streaming (next issues) the same `_ReadDumpFn` reads files as a
watcher discovers them.
"""

from __future__ import annotations

import bz2
import datetime as dt
import json
import posixpath
import zlib
from collections.abc import Iterable

import apache_beam as beam
from apache_beam.io import fileio
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from transforms.metadata import parse_timestamp
from transforms.metrics import count, make_dead_letter
from transforms.records import DeadLetter, Page

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
    except (OSError, EOFError, zlib.error, ValueError) as e:
        raise CorruptInput("corrupt_compression", f"corrupt {kind} stream: {e}") from None
    except Exception as e:  # zstandard.ZstdError has no common base we can import lazily
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
    if start.startswith((b"<!doctype html", b"<html")):
        return "html"
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


def _read_all(path: str, limit: int) -> bytes:
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
        data = f.read(limit + 1)
    return data


def _read_sidecar(path: str) -> dict | None:
    for candidate in dict.fromkeys([path + SIDECAR_SUFFIX, _strip_compression_ext(path) + SIDECAR_SUFFIX]):
        if FileSystems.exists(candidate):
            with FileSystems.open(candidate, compression_type=CompressionTypes.UNCOMPRESSED) as f:
                meta = json.loads(f.read().decode("utf-8"))
            if not isinstance(meta, dict):
                raise ValueError(f"{candidate}: expected a JSON object")
            return meta
    return None


class _ReadDumpFn(beam.DoFn):
    """(path, mtime) -> Page, or a DeadLetter on the `dead_letters` output. Nothing escapes process()."""

    def __init__(self, fetched_at: dt.datetime | None, max_file_bytes: int, excerpt_chars: int):
        self._fetched_at = fetched_at
        self._max = max_file_bytes
        self._excerpt = excerpt_chars

    def _dead(self, reason: str, path: str, error, excerpt=b"", stage: str = "read"):
        return beam.pvalue.TaggedOutput(
            DEAD, make_dead_letter(stage, reason, path, None, error, excerpt, excerpt_chars=self._excerpt)
        )

    def process(self, element: tuple[str, float | None]) -> Iterable[Page | beam.pvalue.TaggedOutput]:
        path, mtime = element
        try:
            raw = _read_all(path, self._max)
        except Exception as e:  # permissions, vanished file, remote errors
            yield self._dead("unreadable", path, e)
            return
        count("files_read")
        count("bytes_read", len(raw))
        try:
            data = decompress(raw, detect_compression(path, raw[:4]), self._max)
        except CorruptInput as e:
            yield self._dead(e.reason, path, e, raw[: self._excerpt])
            return
        if not data.strip():
            yield self._dead("empty", path, "the file holds no text", raw[: self._excerpt])
            return
        try:
            sidecar = _read_sidecar(path)
            fetched_at, origin = resolve_fetched_at(
                None, (sidecar or {}).get("fetched_at"), self._fetched_at, mtime
            )
        except Exception as e:
            yield self._dead("bad_sidecar", path, e, data[: self._excerpt])
            return
        container = container_of(path, data[:512])
        if container != "text":
            # HTML, JSONL and WARC containers are the next issue; until then they are recorded, not lost.
            yield self._dead(
                "unsupported_container", path, f"{container} dumps are not supported yet", data[: self._excerpt]
            )
            return
        text, encoding, replaced = decode_text(data)
        count(f"decode.encoding.{encoding.lower()}")
        count("decode.replaced_chars", replaced)
        count(f"fetched_at.{origin}")
        yield Page(
            input_uri=path,
            record_index=0,
            text=text,
            fetched_at=fetched_at,
            fetched_at_origin=origin,
            container=container,
            url=(sidecar or {}).get("url"),
            site=(sidecar or {}).get("site"),
        )


class ReadDumps(beam.PTransform):
    """File patterns (already validated to match something) -> pages, with a `dead_letters` output.

    Overlapping patterns read each file once. A Reshuffle spreads files over workers before the reads.
    """

    def __init__(
        self,
        patterns: list[str],
        fetched_at: dt.datetime | None = None,
        max_file_bytes: int = 256 * 1024 * 1024,
        excerpt_chars: int = 500,
    ):
        super().__init__()
        if not patterns:
            raise ValueError("ReadDumps needs at least one file pattern")
        if fetched_at is not None and fetched_at.tzinfo is None:
            raise ValueError("fetched_at must be timezone-aware")
        self._patterns = list(patterns)
        self._fn = _ReadDumpFn(fetched_at, max_file_bytes, excerpt_chars)

    def expand(self, pbegin):
        return (
            pbegin
            | "Patterns" >> beam.Create(self._patterns)
            | "Match" >> fileio.MatchAll(fileio.EmptyMatchTreatment.ALLOW)
            | "DumpsOnly" >> beam.Filter(lambda m: is_dump_path(m.path))
            | "PathAndMtime" >> beam.Map(lambda m: (m.path, getattr(m, "last_updated_in_seconds", None)))
            | "OncePerFile" >> beam.Distinct()
            | "Spread" >> beam.Reshuffle()
            | "Read" >> beam.ParDo(self._fn).with_outputs(DEAD, main="pages")
        )
