"""The article-extraction metric of the field (scrapinghub article-extraction-benchmark, "AEB").

tokens = \\w+ (case kept); a page's shingles = the multiset of 4-token windows; per page
precision = tp / (tp + fp), recall = tp / (tp + fn) over those multisets (1 when there is nothing to miss);
corpus precision = mean over pages with a non-empty prediction, corpus recall = mean over pages with
non-empty gold, F1 = 2PR / (P + R) of the two means. See ../shared/notes/extraction-metric.md.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

_TOKEN = re.compile(r"\w+")


def shingles(text: str, n: int = 4) -> Counter:
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i : i + n]) for i in range(max(len(tokens) - n + 1, 0)))


def page_scores(predicted: str, gold: str) -> tuple[float | None, float | None]:
    """(precision, recall) of one page; None where the page does not count (empty prediction / empty gold)."""
    p, g = shingles(predicted), shingles(gold)
    tp = sum((p & g).values())
    fp = sum(p.values()) - tp
    fn = sum(g.values()) - tp
    precision = (tp / (tp + fp) if tp + fp else 1.0) if p else None
    recall = (tp / (tp + fn) if tp + fn else 1.0) if g else None
    return precision, recall


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    f1: float
    pages: int


def corpus_score(pairs: list[tuple[str, str]]) -> Score:
    """Score (predicted, gold) pairs; a missing prediction is the empty string."""
    ps, rs = [], []
    for predicted, gold in pairs:
        p, r = page_scores(predicted, gold)
        if p is not None:
            ps.append(p)
        if r is not None:
            rs.append(r)
    P = sum(ps) / len(ps) if ps else 0.0
    R = sum(rs) / len(rs) if rs else 0.0
    return Score(P, R, 2 * P * R / (P + R) if P + R else 0.0, len(pairs))
