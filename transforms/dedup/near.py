"""Near-duplicate and contained copies: shingles, MinHash signatures, LSH band keys, verification, clusters.

The second dedup stage, over what the exact stage (dedup.py: equal bodies, word-prefix truncations) leaves.
Pure functions, the same in batch, in `watch` and in streaming; the Beam wiring is in dedup.py.

- **Shingles**: the set of `shingle_words`-word windows over `hashing.normalise_words(body)`, each a 64-bit
  hash (xxh3-64 of every word, combined by a polynomial over the window: one numpy pass).
- **MinHash**: `num_perm = bands * rows` minima of multiply-shift hashes of the shingle hashes, in numpy.
  Chosen by measurement (benchmarks/minhash_libs.py, 709 dev articles, CPU time per article at 64 permutations,
  body to signature): ours 1.12 ms, rensa 0.80 ms, datasketch 2.49 ms; the three estimate Jaccard equally well
  (mean error 0.044-0.049). rensa's signature alone is 6x faster, but normalising and shingling dominate, so
  end to end it saves 0.3 ms an article (~3 s per 10k). Ours adds no dependency (datasketch brings scipy,
  +144 MB) and its values are specified here: both libraries changed their signature values in their latest
  release (datasketch 2.0's `affine32` scheme, rensa 0.5's algorithm version 2), and these values are
  persisted as band keys in the output's index (`_index/bands/`), so a library upgrade would silently make
  later runs miss every stored story.
- **Band keys**: `bands` keys per article, each the xxh3-64 of (band number, its `rows` signature values).
  Two articles share a band key with probability 1 - (1 - J^rows)^bands, J their Jaccard similarity. These
  keys are Beam keys: articles group by band key, and only those that share one are compared.
- **Containment-aware**, as LSH Ensemble (Zhu et al., VLDB 2016) is: a copy cut down to a third of a story
  shares almost all its shingles with the story, yet their Jaccard similarity is low: containment c of the
  smaller set in one `max_size_ratio` times larger means J >= c / (max_size_ratio + 1 - c). LSH Ensemble picks
  (bands, rows) per size partition from that bound; here the pairs a run may merge are capped at
  `max_size_ratio`, so one partition's parameters serve every pair and an article needs one set of band keys
  (`optimal_bands` computes them, benchmarks/neardup_quality.py measures them).
- **Verification** on the actual shingle sets (never on the signatures): a pair matches as `near_duplicate`
  when its Jaccard similarity reaches `jaccard`, or as `contained` when at least `containment` of the smaller
  copy's shingles are in the larger one. The smaller copy needs `min_words` words either way: two short
  articles of one site share its template lines, and that must not make them one story.
- **Clusters**: the verified pairs are edges; connected components (union-find) are the stories. The result
  depends only on the set of articles, not on their order or on how many workers found the edges.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import xxhash

from scrapeline.transforms.core.keys import body_shingles
from scrapeline.transforms.dedup.settings import NearDupSettings

__all__ = ["band_keys", "clusters", "compare", "Match", "minhash", "optimal_bands", "shingle_band_keys", "signed"]

_MASK = np.uint64(0xFFFFFFFFFFFFFFFF)
_SEED = 20261204


_PERMS: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _splitmix64(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return x ^ (x >> 31)


def _perms(n: int) -> tuple[np.ndarray, np.ndarray]:
    """n (a, b) pairs of the multiply-shift family (a odd), from splitmix64 of fixed integers: plain integer
    arithmetic, so they are the same on every worker, platform and numpy version (numpy's generators promise
    that only within one build, and these values end up persisted as band keys)."""
    if n not in _PERMS:
        a = np.array([_splitmix64(_SEED * 1_000_003 + 2 * i) | 1 for i in range(n)], dtype=np.uint64)
        b = np.array([_splitmix64(_SEED * 1_000_003 + 2 * i + 1) for i in range(n)], dtype=np.uint64)
        _PERMS[n] = (a, b)
    return _PERMS[n]


def minhash(sh: np.ndarray, num_perm: int) -> np.ndarray:
    """MinHash signature (uint32 x num_perm) of a shingle set: per permutation, the minimum of the high 32 bits
    of a*x + b (mod 2^64) over the set. An empty set gets the all-ones signature."""
    if len(sh) == 0:
        return np.full(num_perm, 0xFFFFFFFF, dtype=np.uint32)
    a, b = _perms(num_perm)
    out = np.empty(num_perm, dtype=np.uint64)
    with np.errstate(over="ignore"):
        # chunks of shingles keep the temporary (num_perm x chunk) small for very long bodies
        step = 4096
        out[:] = _MASK
        for i in range(0, len(sh), step):
            block = (np.outer(a, sh[i : i + step]) + b[:, None]) >> np.uint64(32)
            np.minimum(out, block.min(axis=1), out=out)
    return out.astype(np.uint32)


def signed(u: int) -> int:
    """A uint64 as the int64 with the same bits (Parquet readers without unsigned types read it alike)."""
    return u - (1 << 64) if u >= (1 << 63) else u


def band_keys(signature: np.ndarray, bands: int, rows: int) -> list[int]:
    """`bands` int64 keys, one per band of `rows` signature values (band number included: band 1 of one article
    never meets band 2 of another)."""
    sig = np.ascontiguousarray(signature[: bands * rows], dtype="<u4")
    raw = sig.tobytes()
    width = rows * 4
    return [signed(xxhash.xxh3_64_intdigest(raw[i * width : (i + 1) * width], seed=i)) for i in range(bands)]


def shingle_band_keys(sh: np.ndarray, n_words: int, s: NearDupSettings) -> list[int]:
    """The band keys of a body's shingle set; none for bodies under `min_words`, which never take part in a
    near-duplicate match."""
    if n_words < s.min_words:
        return []
    return band_keys(minhash(sh, s.num_perm), s.bands, s.rows)


def article_band_keys(body: str, s: NearDupSettings) -> tuple[list[int], int, int]:
    """(band keys, shingle count, word count) of a body."""
    sh, n_words = body_shingles(body, s.shingle_words)
    return shingle_band_keys(sh, n_words, s), len(sh), n_words


@dataclass(frozen=True)
class Match:
    kind: str  # near_duplicate | contained
    similarity: float  # Jaccard for near_duplicate; containment of the smaller copy for contained
    jaccard: float
    containment: float


def size_compatible(a: int, b: int, s: NearDupSettings) -> bool:
    """Can two copies with a and b shingles match at all? Both long enough, sizes within max_size_ratio."""
    lo, hi = min(a, b), max(a, b)
    return lo > 0 and hi <= lo * s.max_size_ratio


def compare(a: np.ndarray, a_words: int, b: np.ndarray, b_words: int, s: NearDupSettings) -> Match | None:
    """Verify a candidate pair on its actual shingle sets (sorted distinct hashes). None when it does not match."""
    if min(a_words, b_words) < s.min_words or not size_compatible(len(a), len(b), s):
        return None
    inter = len(np.intersect1d(a, b, assume_unique=True))
    jac = inter / (len(a) + len(b) - inter)
    con = inter / min(len(a), len(b))
    if jac >= s.jaccard:
        return Match("near_duplicate", round(jac, 4), round(jac, 4), round(con, 4))
    if con >= s.containment:
        return Match("contained", round(con, 4), round(jac, 4), round(con, 4))
    return None


def clusters(ids: Iterable[str], edges: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Connected components: id -> the smallest id of its component (order-independent union-find)."""
    parent: dict[str, str] = {i: i for i in ids}

    def find(x: str) -> str:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    for a, b in edges:
        parent.setdefault(a, a)
        parent.setdefault(b, b)
        ra, rb = find(a), find(b)
        if ra != rb:
            lo, hi = (ra, rb) if ra < rb else (rb, ra)
            parent[hi] = lo
    return {i: find(i) for i in parent}


def candidate_probability(j: float, bands: int, rows: int) -> float:
    """Probability that two sets of Jaccard similarity j share at least one band key."""
    return 1.0 - (1.0 - j**rows) ** bands


def lowest_jaccard(containment: float, max_size_ratio: float) -> float:
    """The lowest Jaccard similarity of a pair whose smaller set is `containment`-contained in a set at most
    `max_size_ratio` times its size: the threshold LSH Ensemble tunes a size partition for."""
    return containment / (max_size_ratio + 1.0 - containment)


def optimal_bands(threshold: float, num_perm: int, fp_weight: float = 0.5) -> tuple[int, int]:
    """(bands, rows) with bands*rows <= num_perm minimising the weighted area of false candidates below
    `threshold` and missed pairs above it (the criterion of LSH Ensemble and of datasketch's LSH)."""

    def area(f, lo: float, hi: float, n: int = 200) -> float:
        step = (hi - lo) / n
        return sum(f(lo + (i + 0.5) * step) for i in range(n)) * step

    best, best_cost = (1, 1), math.inf
    for rows in range(1, num_perm + 1):
        for bands in range(1, num_perm // rows + 1):
            fp = area(lambda j, b=bands, r=rows: candidate_probability(j, b, r), 0.0, threshold)
            fn = area(lambda j, b=bands, r=rows: 1 - candidate_probability(j, b, r), threshold, 1.0)
            cost = fp_weight * fp + (1 - fp_weight) * fn
            if cost < best_cost:
                best, best_cost = (bands, rows), cost
    return best
