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

import xxhash

__all__ = ["article_id", "completeness", "content_keys", "is_truncation_of", "normalise_words", "story_key"]

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
