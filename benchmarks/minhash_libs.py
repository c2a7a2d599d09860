"""MinHash signatures of news-article shingle sets: our numpy code (transforms.neardup) against datasketch and rensa.

    .venv/bin/python benchmarks/minhash_libs.py

Needs `datasketch` and `rensa` in the venv (they are not project dependencies: `pip install datasketch rensa`
into .venv to rerun). One process, one core (RAYON_NUM_THREADS=1 keeps rensa's batch API single-threaded),
about two minutes. Prints figures; asserts nothing.

Corpus: the 709 article bodies of /work/shared/data/wcxb-dev-articles/ground-truth.json. Shingles are 5-word
windows over `transforms.hashing.normalise_words(body)`. Our code hashes them to sorted distinct uint64
(`neardup.body_shingles`); the libraries take the window strings " ".join(words[i:i+5]) (bytes for datasketch,
whose default hash is SHA-1 over bytes; str for rensa), as each would be used.

Reported per implementation, at num_perm 64 and 128 (CPU microseconds per article, median of 3 repeats of the corpus
total; within a repeat every article goes through all implementations in turn, so drifts in machine load hit all):
- (a) end to end: body text -> words -> shingles -> signature;
- (b) the signature alone, from precomputed shingles (uint64 array for ours, window strings for the libraries).
Accuracy at num_perm 64: mean absolute error (and mean signed error) of the signature estimate of Jaccard
similarity against the true Jaccard similarity of the shingle sets, on 300 (article, the article with the last
half of its paragraphs dropped) pairs and 300 random pairs of different articles.
Install weight: bytes listed in each distribution's RECORD, and the import time of each library.
Stability: the versions and algorithm identifiers, and a fingerprint of all 709 signatures at num_perm 64, so a
later run shows whether an upgrade changed the values (band keys derived from them are persisted).
"""

from __future__ import annotations

import os

os.environ.setdefault("RAYON_NUM_THREADS", "1")  # before rensa is imported: its batch API would use every core

import gc
import importlib.metadata as md
import json
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import xxhash

from scrapeline.transforms.dedup import near as neardup
from scrapeline.transforms.core.keys import normalise_words

t0 = time.perf_counter()
import datasketch  # noqa: E402  (timed: it imports scipy)

DATASKETCH_IMPORT_S = time.perf_counter() - t0
t0 = time.perf_counter()
import rensa  # noqa: E402

RENSA_IMPORT_S = time.perf_counter() - t0

CORPUS = Path("/work/shared/data/wcxb-dev-articles/ground-truth.json")
K = 5
REPEATS = 3
NUM_PERMS = (64, 128)
RENSA_SEED = 42
PAIRS = 300


def windows(words: list[str]) -> list[str]:
    """The k-word window strings (one window when the body is shorter than k), as the libraries take them."""
    k = min(K, len(words))
    return [" ".join(words[i : i + k]) for i in range(len(words) - k + 1)] if words else []


# --- the implementations: (a) body -> signature, (b) precomputed shingles -> signature ------------------------------


def ours_body(body: str, n: int):
    sh, _ = neardup.body_shingles(body, K)
    return neardup.minhash(sh, n)


def ours_sig(sh: np.ndarray, n: int):
    return neardup.minhash(sh, n)


def ds_body(body: str, n: int):
    m = datasketch.MinHash(num_perm=n)
    m.update_batch([s.encode("utf-8") for s in windows(normalise_words(body))])
    return m.digest()


def ds_sig(shingle_bytes: list[bytes], n: int):
    m = datasketch.MinHash(num_perm=n)
    m.update_batch(shingle_bytes)
    return m.digest()


def rensa_r_body(body: str, n: int):
    m = rensa.RMinHash(n, RENSA_SEED)
    m.update(windows(normalise_words(body)))
    return m.digest()


def rensa_r_sig(shingle_strs: list[str], n: int):
    m = rensa.RMinHash(n, RENSA_SEED)
    m.update(shingle_strs)
    return m.digest()


def rensa_c_body(body: str, n: int):
    m = rensa.CMinHash(n, RENSA_SEED)
    m.update(windows(normalise_words(body)))
    return m.digest()


def rensa_c_sig(shingle_strs: list[str], n: int):
    m = rensa.CMinHash(n, RENSA_SEED)
    m.update(shingle_strs)
    return m.digest()


def _rensa_prehashed(sh: np.ndarray, n: int):
    offsets = np.array([0, len(sh)], dtype=np.uint64)
    return rensa.RMinHash.digest_matrix_from_flat_token_hashes(sh, offsets, n, RENSA_SEED).to_rows()[0]


def rensa_pre_body(body: str, n: int):
    sh, _ = neardup.body_shingles(body, K)
    return _rensa_prehashed(sh, n)


# Per-article implementations: name -> (body fn, signature fn, which precomputed input the signature fn takes).
PER_ARTICLE = {
    "ours (numpy, transforms.neardup)": (ours_body, ours_sig, "u64"),
    "datasketch MinHash.update_batch": (ds_body, ds_sig, "bytes"),
    "rensa RMinHash.update": (rensa_r_body, rensa_r_sig, "str"),
    "rensa CMinHash.update": (rensa_c_body, rensa_c_sig, "str"),
    "rensa RMinHash on our uint64 hashes": (rensa_pre_body, _rensa_prehashed, "u64"),
}

# Whole-corpus calls (their time is divided by the number of articles): the libraries' bulk APIs.
BULK_NAMES = (
    "datasketch MinHash.bulk",
    "datasketch MinHash.generator",
    "rensa RMinHash.digests_from_token_sets",
)
# datasketch's bulk and generator run update_batch per article (bulk is list(generator)): their (a) is their (b)
# plus update_batch's front end, so (a) is timed for rensa's batch call only, to keep the run short.
BULK_WITH_A = ("rensa RMinHash.digests_from_token_sets",)


def bulk_sig(name: str, inputs: dict, n: int) -> list:
    if name == "datasketch MinHash.bulk":
        return [m.digest() for m in datasketch.MinHash.bulk(inputs["bytes"], num_perm=n)]
    if name == "datasketch MinHash.generator":
        return [m.digest() for m in datasketch.MinHash.generator(inputs["bytes"], num_perm=n)]
    return rensa.RMinHash.digests_from_token_sets(inputs["str"], n, RENSA_SEED)


def bulk_body(name: str, bodies: list[str], n: int) -> list:
    strs = [windows(normalise_words(b)) for b in bodies]
    if name.startswith("datasketch"):
        return bulk_sig(name, {"bytes": [[s.encode("utf-8") for s in w] for w in strs]}, n)
    return bulk_sig(name, {"str": strs}, n)


# CPU time of this process, not wall time: the machine is shared, and time spent descheduled would land on whichever
# implementation happened to be running. (rensa's batch call, single-threaded by RAYON_NUM_THREADS=1, may run on a
# worker thread: process time counts it.)
CLOCK = time.process_time


def clock_overhead() -> float:
    """What one interval between two consecutive CLOCK() calls reads when nothing runs in it (subtracted)."""
    xs = []
    for _ in range(5):
        t = CLOCK()
        for _ in range(20000):
            CLOCK()
        xs.append((CLOCK() - t) / 20001)
    return min(xs)


def timed(fn) -> float:
    gc.collect()
    t = CLOCK()
    fn()
    return CLOCK() - t


def measure_speed(bodies: list[str], inputs: dict) -> dict[tuple[str, int, str], float]:
    """(name, num_perm, 'a'|'b') -> median over REPEATS runs of the corpus total, per article.

    Interleaved per article: each article goes through every implementation in turn (the order rotating from one
    article to the next) before the next article, so load from other processes on this shared machine falls on
    all of them alike. The garbage collector is off while timing. Bulk calls cover the corpus in one call each.
    """
    n_art = len(bodies)
    per_article = [
        (name, n, f_body, f_sig, kind) for n in NUM_PERMS for name, (f_body, f_sig, kind) in PER_ARTICLE.items()
    ]
    runs: dict[tuple[str, int, str], list[float]] = {}
    clock = CLOCK
    overhead = clock_overhead()
    for rep in range(REPEATS):
        total = {(name, n, m): 0.0 for name, n, *_ in per_article for m in "ab"}
        gc.collect()
        gc.disable()
        try:
            for i, body in enumerate(bodies):
                k = (i + rep) % len(per_article)
                for name, n, f_body, f_sig, kind in per_article[k:] + per_article[:k]:
                    x = inputs[kind][i]
                    t = clock()
                    f_body(body, n)
                    t1 = clock()
                    f_sig(x, n)
                    t2 = clock()
                    total[(name, n, "a")] += t1 - t
                    total[(name, n, "b")] += t2 - t1
        finally:
            gc.enable()
        for key, v in total.items():
            runs.setdefault(key, []).append(v / n_art - overhead)
        for n in NUM_PERMS:
            for name in BULK_NAMES:
                if name in BULK_WITH_A:
                    runs.setdefault((name, n, "a"), []).append(timed(lambda: bulk_body(name, bodies, n)) / n_art)
                runs.setdefault((name, n, "b"), []).append(timed(lambda: bulk_sig(name, inputs, n)) / n_art)
        print(f"  repeat {rep + 1}/{REPEATS} done", file=sys.stderr, flush=True)
    return {key: statistics.median(v) for key, v in runs.items()}


# --- accuracy ----------------------------------------------------------------------------------------------------


def first_half(body: str) -> str:
    """The body with the last half of its paragraphs (non-empty lines) dropped: the first n // 2 are kept."""
    paras = [p for p in body.split("\n") if p.strip()]
    return "\n".join(paras[: len(paras) // 2])


def estimate(name: str, a: str, b: str, n: int) -> float:
    """Signature estimate of the Jaccard similarity of two bodies: the share of equal signature positions."""
    if name == "rensa CMinHash.update":  # its own estimator (it compares 64-bit slots, digest() gives 32)
        ma, mb = rensa.CMinHash(n, RENSA_SEED), rensa.CMinHash(n, RENSA_SEED)
        ma.update(windows(normalise_words(a)))
        mb.update(windows(normalise_words(b)))
        return ma.jaccard(mb)
    f_body = PER_ARTICLE[name][0]
    return float(np.mean(np.asarray(f_body(a, n), dtype=np.uint64) == np.asarray(f_body(b, n), dtype=np.uint64)))


def true_jaccard(a: str, b: str) -> float:
    sa, sb = set(windows(normalise_words(a))), set(windows(normalise_words(b)))
    return len(sa & sb) / len(sa | sb)


def measure_accuracy(bodies: list[str], n: int = 64):
    rng = random.Random(20261204)
    eligible = [b for b in bodies if len([p for p in b.split("\n") if p.strip()]) >= 2]
    halves = [(b, first_half(b)) for b in rng.sample(eligible, PAIRS)]
    randoms = []
    while len(randoms) < PAIRS:
        i, j = rng.sample(range(len(bodies)), 2)
        if bodies[i] != bodies[j]:
            randoms.append((bodies[i], bodies[j]))
    out = {}
    for label, pairs in (("half", halves), ("random", randoms)):
        truth = np.array([true_jaccard(a, b) for a, b in pairs])
        out[(label, "truth")] = float(truth.mean())
        out[(label, "truth_max")] = float(truth.max())
        for name in PER_ARTICLE:
            est = np.array([estimate(name, a, b, n) for a, b in pairs])
            out[(label, name)] = (float(np.abs(est - truth).mean()), float((est - truth).mean()))
    return out


# --- weight and stability ----------------------------------------------------------------------------------------


def installed_bytes(dist: str) -> int:
    files = md.distribution(dist).files or []
    total = 0
    for f in files:
        p = f.locate()
        total += p.stat().st_size if p.exists() else 0
    return total


def fingerprint(sigs: list) -> str:
    h = xxhash.xxh3_64()
    for s in sigs:
        h.update(np.asarray(s, dtype="<u8").tobytes())
    return h.hexdigest()


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)
    start = time.perf_counter()
    articles = json.loads(CORPUS.read_text(encoding="utf-8"))
    bodies = [a["articleBody"] for a in articles.values()]
    words = [normalise_words(b) for b in bodies]
    strs = [windows(w) for w in words]
    inputs = {
        "u64": [neardup.shingles(w, K) for w in words],
        "str": strs,
        "bytes": [[s.encode("utf-8") for s in w] for w in strs],
    }
    n_words = sorted(len(w) for w in words)
    n_sh = sorted(len(s) for s in inputs["u64"])
    print(
        f"corpus: {len(bodies)} articles; words median {statistics.median(n_words):.0f} (min {n_words[0]}, max "
        f"{n_words[-1]}); distinct {K}-word shingles median {statistics.median(n_sh):.0f}, mean "
        f"{statistics.mean(n_sh):.0f}"
    )
    print(
        f"versions: datasketch {md.version('datasketch')}, rensa {md.version('rensa')} "
        f"(RMinHash/CMinHash ALGORITHM_VERSION {rensa.RMinHash.ALGORITHM_VERSION}/"
        f"{rensa.CMinHash.ALGORITHM_VERSION}), numpy {np.__version__}, python {sys.version.split()[0]}"
    )
    # warm-up: permutation tables, SIMD dispatch, caches
    for n in NUM_PERMS:
        for f_body, _, _ in PER_ARTICLE.values():
            f_body(bodies[0], n)

    speed = measure_speed(bodies, inputs)
    names = list(PER_ARTICLE) + list(BULK_NAMES)
    print()
    print(f"CPU time per article, us (median of {REPEATS}); (a) body -> signature, (b) signature from shingles")
    head = "".join(f"  {'(a) np=' + str(n):>11s}  {'(b) np=' + str(n):>11s}" for n in NUM_PERMS)
    print(f"  {'implementation':42s}{head}")
    for name in names:
        row = "".join(
            f"  {speed[(name, n, 'a')] * 1e6 if (name, n, 'a') in speed else float('nan'):11.1f}"
            f"  {speed[(name, n, 'b')] * 1e6:11.1f}"
            for n in NUM_PERMS
        )
        print(f"  {name:42s}{row}")
    # the shared front end, for reading (a) - (b)
    t_norm = statistics.median(timed(lambda: [normalise_words(b) for b in bodies]) for _ in range(REPEATS))
    t_win = statistics.median(timed(lambda: [windows(w) for w in words]) for _ in range(REPEATS))
    t_sh = statistics.median(timed(lambda: [neardup.shingles(w, K) for w in words]) for _ in range(REPEATS))
    n_art = len(bodies)
    print(
        f"  (parts of (a): normalise_words {t_norm / n_art * 1e6:.1f} us; window strings {t_win / n_art * 1e6:.1f} us;"
        f" neardup.shingles (xxh3 + numpy) {t_sh / n_art * 1e6:.1f} us)"
    )
    print("  bulk rows: one call over all articles, divided by their number (rensa's single-threaded);")
    print("  nan: not timed (datasketch's bulk calls update_batch per article: (a) = (b) + its front end)")

    print(f"  [speed done at {time.perf_counter() - start:.0f} s]", file=sys.stderr, flush=True)
    acc = measure_accuracy(bodies)
    print(f"  [accuracy done at {time.perf_counter() - start:.0f} s]", file=sys.stderr, flush=True)
    print()
    print(f"accuracy at num_perm=64: |estimate - true Jaccard|, mean (mean signed error), {PAIRS} pairs each")
    print(
        f"  true Jaccard, mean: half-article pairs {acc[('half', 'truth')]:.3f}, "
        f"random pairs {acc[('random', 'truth')]:.5f} (max {acc[('random', 'truth_max')]:.4f})"
    )
    print(f"  {'implementation':42s}  {'half-article pairs':>22s}  {'random pairs':>22s}")
    for name in PER_ARTICLE:
        (h_mae, h_bias), (r_mae, r_bias) = acc[("half", name)], acc[("random", name)]
        print(f"  {name:42s}  {h_mae:9.4f} ({h_bias:+.4f})   {r_mae:9.5f} ({r_bias:+.5f})")
    print("  (datasketch bulk/generator give the update_batch values; rensa's batch call gives RMinHash.update's:")
    same_ds = all(
        np.array_equal(a, b)
        for a, b in zip(bulk_sig("datasketch MinHash.bulk", inputs, 64), [ds_sig(x, 64) for x in inputs["bytes"]])
    )
    same_rs = all(
        list(a) == list(b)
        for a, b in zip(
            bulk_sig("rensa RMinHash.digests_from_token_sets", inputs, 64), [rensa_r_sig(x, 64) for x in strs]
        )
    )
    print(f"   checked on all articles: datasketch {same_ds}, rensa {same_rs})")

    print()
    print("install weight (bytes in each distribution's RECORD) and first-import time")
    sizes = {d: installed_bytes(d) for d in ("numpy", "xxhash", "scipy", "datasketch", "rensa")}
    mb = {d: s / 1e6 for d, s in sizes.items()}
    print(
        f"  ours        numpy {mb['numpy']:.1f} MB + xxhash {mb['xxhash']:.1f} MB: both already required "
        f"(numpy by apache-beam, xxhash by us): +0 MB"
    )
    print(
        f"  datasketch  {mb['datasketch']:.1f} MB + scipy {mb['scipy']:.1f} MB (+ numpy): "
        f"+{mb['datasketch'] + mb['scipy']:.1f} MB; `import datasketch` {DATASKETCH_IMPORT_S * 1e3:.0f} ms "
        f"(imports scipy)"
    )
    print(
        f"  rensa       {mb['rensa']:.1f} MB, no dependencies: +{mb['rensa']:.1f} MB; `import rensa` "
        f"{RENSA_IMPORT_S * 1e3:.0f} ms"
    )

    print()
    print("signature fingerprints (xxh3-64 over all 709 signatures at num_perm=64; a change = band keys change)")
    for name, (_, f_sig, kind) in PER_ARTICLE.items():
        print(f"  {name:42s}  {fingerprint([f_sig(x, 64) for x in inputs[kind]])}")
    print(
        "  algorithm identifiers: datasketch scheme "
        f"{datasketch.MinHash(num_perm=8).scheme!r} (default since 2.0.0; 'legacy' before), rensa "
        f"ALGORITHM_VERSION {rensa.RMinHash.ALGORITHM_VERSION} (0.5.0 rejects sketches of earlier versions)"
    )


if __name__ == "__main__":
    main()
