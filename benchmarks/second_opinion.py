"""The second opinion's rule (transforms/extract/html.py `_second_opinion`), per page, in the pipeline's own path:
every page whose main text is thin enough to ask is split with and without it, and both main articles are scored
against gold (AEB shingle F1, benchmarks/aeb_metric.py).

    .venv/bin/python benchmarks/second_opinion.py DIR [DIR ...] [--threshold 50]

Each DIR has `html/<id>.html.gz` and `ground-truth.json` (`articleBody`), as the dev pages, the legacy set and
AEB. `--threshold`: the word count under which to ask (the shipped value is html._THIN_WORDS). Prints, per set, how
many pages asked, used the second opinion, and were better or worse for it. Asserts nothing.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import scrapeline.transforms.extract.html as H  # noqa: E402
from benchmarks.aeb_metric import page_scores  # noqa: E402
from scrapeline.pipeline.config import load_config  # noqa: E402


def f1(pred: str, gold: str) -> float:
    p, r = page_scores(pred, gold) if pred else (None, 0.0)
    return 0.0 if not p or not r else 2 * p * r / (p + r)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dirs", nargs="+", type=Path)
    ap.add_argument("--threshold", type=int, default=H._THIN_WORDS)
    args = ap.parse_args()
    H._THIN_WORDS = args.threshold
    cfg = load_config().extract
    real = H._second_opinion
    for d in args.dirs:
        gold = json.loads((d / "ground-truth.json").read_text())
        asked = used = better = worse = 0
        for pid, g in sorted(gold.items()):
            html = gzip.decompress((d / "html" / f"{pid}.html.gz").read_bytes()).decode("utf-8", "replace")
            seen = {}

            def spy(h, first, seen=seen):
                seen["first"], seen["out"] = first, real(h, first)
                return seen["out"]

            H._second_opinion = spy
            with_it = "\n".join(H.split_html_page(html, None, cfg.date_languages, None, cfg.cards).articles[0].body_lines)
            if "first" not in seen:
                continue
            asked += 1
            if seen["out"] == seen["first"]:
                continue
            used += 1
            H._second_opinion = lambda h, first: first
            without = "\n".join(H.split_html_page(html, None, cfg.date_languages, None, cfg.cards).articles[0].body_lines)
            a, b = f1(with_it, g["articleBody"]), f1(without, g["articleBody"])
            better += a > b + 0.01
            worse += a < b - 0.01
            print(f"  {d.name}/{pid}: F1 {b:.3f} -> {a:.3f}")
        H._second_opinion = real
        print(f"{d}: {len(gold)} pages, asked {asked}, used {used}, better {better}, worse {worse}")


if __name__ == "__main__":
    main()
