"""Content normalisation and the keys that make dedup a hash join.

Two keys per body, both xxh3-128 hex of the normalised word sequence:
- `article_id` hashes the whole body: equal ids <=> equal bodies after normalisation.
- `story_key` hashes only the first `lead_words` words (the whole body when it is shorter). A copy cut short
  after at least `lead_words` words shares its story_key with the full copy, so grouping by story_key brings
  every truncation candidate together without comparing all pairs; `is_truncation_of` then verifies.

xxh3-128 was chosen by measurement (benchmarks/hashing.py): ~0.15 us per 3 KB body against ~3.7 us for
blake2b-128 and ~2 us for sha1; 128 bits keep accidental collisions out of reach at any realistic corpus size,
and xxh3's output is specified and identical on every platform, so ids are stable across runs and machines.

Pure functions: the same in batch and streaming.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit

import numpy as np
import xxhash

__all__ = ["article_id", "article_link_keys", "body_shingles", "completeness", "content_keys", "is_truncation_of",
           "LEAD_WORDS", "normalise_url", "normalise_words", "page_id", "shingles", "story_key", "teaser_id",
           "teaser_link_keys", "url_key"]

_WORD = re.compile(r"\w+")


def normalise_words(text: str) -> list[str]:
    """Words of `text` after NFKC and case folding; punctuation and whitespace only separate words.

    So "U.S. chips’ sales" and "u s chips' SALES" normalise alike: typographic quotes, dashes, ellipses and line
    breaks never make two copies of a story differ.
    """
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def _hash_words(words: list[str]) -> str:
    return xxhash.xxh3_128_hexdigest(" ".join(words).encode("utf-8"))


def article_id(words: list[str]) -> str:
    return _hash_words(words)


def story_key(words: list[str], lead_words: int) -> str:
    return _hash_words(words[:lead_words])


def content_keys(text: str, lead_words: int) -> tuple[str, str]:
    """(article_id, story_key) of a body."""
    words = normalise_words(text)
    return article_id(words), story_key(words, lead_words)


def is_truncation_of(short: list[str], long: list[str], lead_words: int) -> bool:
    """True when `short` is `long` cut short: equal, or a word-prefix of at least `lead_words` words.

    The last word of `short` may itself be cut ("dominan" for "dominance"): cut-short copies are cut by byte or
    character budgets, not at word boundaries.
    """
    n = len(short)
    if n > len(long):
        return False
    if short == long:
        return True
    if n < lead_words or n == 0:
        return False
    return short[:-1] == long[: n - 1] and long[n - 1].startswith(short[-1])


def completeness(words: list[str]) -> tuple[int, int]:
    """How complete a copy is: words, then characters (a copy cut mid-word has as many words, fewer characters)."""
    return len(words), sum(map(len, words))


_POLY = np.uint64(0x9E3779B97F4A7C15)  # odd multiplier combining the words of a window


def shingles(words: list[str], k: int) -> np.ndarray:
    """The sorted, distinct 64-bit hashes of the k-word windows of `words` (one window when shorter than k)."""
    if not words:
        return np.empty(0, dtype=np.uint64)
    h = np.fromiter((xxhash.xxh3_64_intdigest(w.encode("utf-8")) for w in words), dtype=np.uint64, count=len(words))
    k = min(k, len(h))
    n = len(h) - k + 1
    acc = h[:n].copy()
    with np.errstate(over="ignore"):
        for j in range(1, k):
            acc = acc * _POLY + h[j : j + n]
    return np.unique(acc)


def body_shingles(body: str, k: int) -> tuple[np.ndarray, int]:
    """(shingle hashes, word count) of an article body."""
    words = normalise_words(body)
    return shingles(words, k), len(words)


LEAD_WORDS = 8
"""Words of a dek (or a paragraph) that make its lead key: 8 words in the same order are not a coincidence."""


_LEAD_PARAGRAPHS = 3


# Only parameters that never name the content: `cid`, `src`, `ref` or `id` pick the article on many legacy sites
_TRACKING = re.compile(r"^(utm_.*|fbclid|gclid|dclid|msclkid|ocid|cmpid|icid|ito|mc_[a-z]+|smid|_ga|yclid)$", re.I)


def normalise_url(url: str | None) -> str | None:
    """A url as two links to one article both spell it: no scheme, no `www.`, no fragment, no tracking
    parameters, no trailing slash, host in lower case. None for what is not an http(s) url."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                             if not _TRACKING.match(k)))
    path = parts.path.rstrip("/") or "/"
    return host.removeprefix("www.") + path + (f"?{query}" if query else "")


def _lead_key(text: str) -> str | None:
    words = normalise_words(text)[:LEAD_WORDS]
    if len(words) < LEAD_WORDS:
        return None
    return "d:" + xxhash.xxh3_64_hexdigest(" ".join(words).encode("utf-8"))


def url_key(url: str | None) -> str | None:
    n = normalise_url(url)
    return "u:" + n if n else None


def article_link_keys(url: str | None, body: str) -> tuple[str, ...]:
    """What a teaser of this article may carry: its url, the leads of its first paragraphs."""
    paragraphs = [p for p in body.split("\n") if p.strip()][:_LEAD_PARAGRAPHS]
    keys = [url_key(url), *(_lead_key(p) for p in paragraphs)]
    return tuple(dict.fromkeys(k for k in keys if k))


def teaser_link_keys(url: str | None, dek: str) -> tuple[str, ...]:
    keys = [url_key(url), _lead_key(dek)]
    return tuple(k for k in keys if k)


def teaser_id(page_id: str, url: str | None, title: str) -> str:
    """The same card on the same page has the same id in every run."""
    return xxhash.xxh3_64_hexdigest(f"{page_id}\x1f{normalise_url(url) or url or title}".encode("utf-8"))


def page_id(input_uri: str, record_index: int) -> str:
    """A stable id of one page of one input: xxh3-64 hex of its lineage."""
    return xxhash.xxh3_64_hexdigest(f"{input_uri}#{record_index}".encode("utf-8"))
