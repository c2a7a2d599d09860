"""The second extractor's rule (transforms/extract/html.py `_main_text`: rs-trafilatura where trafilatura's text is
thin against the page's <p> words), per page, in the pipeline's own path: every page is split with and without it,
and both main articles are scored against gold (AEB shingle F1, benchmarks/aeb_metric.py).

    .venv/bin/python benchmarks/second_extractor.py DIR [DIR ...]

Each DIR has `html/<id>.html.gz` and `ground-truth.json` (`articleBody`, `url`), as the WCXB dev pages, the legacy
set and AEB. Prints, per set (the WCXB pages by split: `dev` and `holdout`, as benchmarks/metadata_quality.py splits
them), how many pages asked rs-trafilatura and kept its text, how many pages got better or worse by more than
0.005 F1, the mean page F1 without and with it, and the pages that got worse. Asserts nothing.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import scrapeline.transforms.extract.html as H  # noqa: E402
from benchmarks.metadata_quality import split_of  # noqa: E402
from benchmarks.second_opinion import f1  # noqa: E402 - a page's AEB F1, as the second opinion's rule is scored
from scrapeline.pipeline.config import load_config  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dirs", nargs="+", type=Path)
    args = ap.parse_args()
    cfg = load_config().extract
    real_rs, real_count = H._rs_main_text, H.count
    counts: Counter = Counter()

    def counting(name: str, n: int = 1) -> None:  # the pass with the second extractor only
        counts.update({name: n})

    for d in args.dirs:
        gold = json.loads((d / "ground-truth.json").read_text())
        groups: dict[str, list[tuple[str, float, float]]] = {}
        counts.clear()
        for pid, g in sorted(gold.items()):
            html = gzip.decompress((d / "html" / f"{pid}.html.gz").read_bytes()).decode("utf-8", "replace")
            texts = []
            for rs, counter in ((lambda tree: None, lambda name, n=1: None), (real_rs, counting)):
                H._rs_main_text, H.count = rs, counter
                H._SEEN_PAGES.clear()
                split = H.split_html_page(html, g.get("url"), cfg.date_languages, None, cfg.cards)
                texts.append("\n".join(split.articles[0].body_lines))
            group = split_of(pid) if "wcxb" in d.name else d.name
            groups.setdefault(group, []).append((pid, f1(texts[0], g["articleBody"]), f1(texts[1], g["articleBody"])))
        H._rs_main_text = real_rs
        print(f"{d.name}: rs-trafilatura asked on {counts['extract.rs.asked']} pages, kept on "
              f"{counts['extract.rs.used']} (too deep {counts['extract.rs.too_deep']}, too large "
              f"{counts['extract.rs.too_large']}, failed {counts['extract.rs.failed']})")
        for group, rows in sorted(groups.items()):
            better = sum(new - old > 0.005 for _, old, new in rows)
            worse = [(pid, old, new) for pid, old, new in rows if old - new > 0.005]
            print(f"  {group}: {len(rows)} pages, {better} better, {len(worse)} worse; mean page F1 "
                  f"{sum(o for _, o, _ in rows) / len(rows):.4f} -> {sum(n for _, _, n in rows) / len(rows):.4f}")
            for pid, old, new in worse:
                print(f"    worse: {pid} {old:.3f} -> {new:.3f}")
    H.count = real_count


if __name__ == "__main__":
    main()
