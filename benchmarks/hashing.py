"""Which hash for content ids: time per body for the candidates, on article-sized inputs. Prints figures.

    .venv/bin/python benchmarks/hashing.py
"""

import hashlib
import time

import xxhash

from scrapeline.transforms.core.keys import normalise_words

BODY = open(__file__.replace("benchmarks/hashing.py", "samples/000_8208ed624176e593.txt"), encoding="utf-8").read()
CANDIDATES = {
    "xxh3_128 (xxhash)": lambda b: xxhash.xxh3_128_hexdigest(b),
    "xxh64 (xxhash)": lambda b: xxhash.xxh64_hexdigest(b),
    "blake2b-128 (hashlib)": lambda b: hashlib.blake2b(b, digest_size=16).hexdigest(),
    "sha1 (hashlib)": lambda b: hashlib.sha1(b).hexdigest(),
    "md5 (hashlib)": lambda b: hashlib.md5(b).hexdigest(),
}


def main(rounds: int = 20000) -> None:
    data = " ".join(normalise_words(BODY)).encode()
    print(f"input: the normalised sample page, {len(data)} bytes; {rounds} rounds each")
    for name, fn in CANDIDATES.items():
        t = time.perf_counter()
        for _ in range(rounds):
            fn(data)
        print(f"  {name:24s} {(time.perf_counter() - t) / rounds * 1e6:7.2f} us/hash")
    t = time.perf_counter()
    for _ in range(2000):
        normalise_words(BODY)
    print(f"  (normalise_words itself  {(time.perf_counter() - t) / 2000 * 1e6:7.2f} us/page)")


if __name__ == "__main__":
    main()
