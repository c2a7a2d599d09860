"""Card or article: the teaser rule (transforms/link.py, `teasers:` in configs/default.yaml) against blocks
labelled by hand, and a sweep of its thresholds.

    .venv/bin/python benchmarks/teaser_quality.py --labels benchmarks/labels/teasers-a [--dev-dir DIR]

DIR holds `related_tune.jsonl` and `related_holdout.jsonl`: one object per related block of the WCXB dev-set pages
({"page", "position", "url", "title", "label": "card" | "article" | "other", ...}), labelled by reading each block.
For each page the HTML splitter's related blocks are found again (with a rule that keeps every block, so the
features can be measured: words, paragraphs, link density, JSON-LD or `<article>`, whether it is the page's own
story again), joined to the labels by (page, url), and classified as the splitter does: dropped when it is the
main story again, else card or article by the configured rule. Prints, per split: precision and recall of "article" (a
block the rule keeps as an article should be one) and of "card" ("other" blocks count as not-articles), the
confusion table, and, on the tune split, the sweep of each threshold with the others at their configured value.
Asserts nothing.
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
from scrapeline.pipeline.config import load_config  # noqa: E402
from scrapeline.transforms.core.keys import body_shingles
from scrapeline.transforms.extract.settings import CardRules
from scrapeline.transforms.extract.cards import block_role

KEEP_ALL = CardRules(article_min_words=0, article_min_paragraphs=0, max_link_density=1.0)


def blocks(dev: Path, gold: dict, pid: str) -> list[dict]:
    """Every related block of a page, with its features."""
    html = gzip.decompress((dev / "html" / f"{pid}.html.gz").read_bytes()).decode("utf-8", "replace")
    tree = H._parse(html)
    from bs4 import BeautifulSoup

    head = BeautifulSoup(H._head_document(html), "lxml")
    meta, ld = H.page_metadata(head, tree, gold[pid]["url"])
    features = []  # block_role's arguments, block by block; every block is kept (as a teaser) to be measured
    real = H.block_role
    H.block_role = lambda *args: features.append(args[:4]) or "teaser"
    try:
        tags = H._related_from_article_tags(tree, meta.url, meta.title, KEEP_ALL)
        main_text = "\n".join(H.split_html_page(html, gold[pid]["url"], ("en",), None, KEEP_ALL).articles[0].body_lines)
        main_shingles = body_shingles(main_text, H._SHINGLE_WORDS)[0]
    finally:
        H.block_role = real
    out = []
    for r, (words, paragraphs, density, linked) in zip(tags, features):
        out.append({"url": r.url, "title": r.title, "words": words, "paragraphs": paragraphs, "link_density": density,
                    "heading_linked": linked, "kind": "article_tag",
                    "same_story": H._same_story(r.body_lines, main_shingles)})
    for r in H._related_from_jsonld(ld, meta.url, KEEP_ALL):
        body = [o for o in ld if (o.get("headline") or o.get("name")) == r.title]
        full = body[0].get("articleBody") if body and isinstance(body[0].get("articleBody"), str) else ""
        out.append({"url": r.url, "title": r.title, "words": len(full.split()), "paragraphs": 99 if full else 0,
                    "link_density": 0.0, "heading_linked": True, "kind": "jsonld",
                    "same_story": H._same_story(r.body_lines, main_shingles)})
    return out


def classify(b: dict, rules: CardRules) -> str:
    """What the splitter makes of a block: dropped (the page's own story again), card, or article."""
    role = block_role(b["words"], b["paragraphs"], b["link_density"], b["heading_linked"], rules)
    if role is None or b["same_story"]:
        return "dropped"
    return "card" if role == "teaser" else "article"


def report(name: str, rows: list[dict], rules: CardRules) -> None:
    conf = Counter((r["label"], classify(r, rules)) for r in rows)
    kept = sum(v for (lab, got), v in conf.items() if got == "article")
    true_articles = sum(v for (lab, _), v in conf.items() if lab == "article")
    tp = conf[("article", "article")]
    cards_got = sum(v for (lab, got), v in conf.items() if got != "article")
    not_articles = len(rows) - true_articles
    card_tp = sum(v for (lab, got), v in conf.items() if got != "article" and lab != "article")
    p = tp / kept if kept else float("nan")
    r = tp / true_articles if true_articles else float("nan")
    print(f"{name}: {len(rows)} blocks ({dict(Counter(x['label'] for x in rows))})")
    print(f"  article: precision {p:.3f} ({tp}/{kept})  recall {r:.3f} ({tp}/{true_articles})")
    print(f"  not an article (card, or dropped as the main story again): precision {card_tp / cards_got if cards_got else float('nan'):.3f} "
          f"({card_tp}/{cards_got})  recall {card_tp / not_articles if not_articles else float('nan'):.3f} "
          f"({card_tp}/{not_articles})")
    print("  confusion (label -> rule): " + ", ".join(f"{a}->{b} {v}" for (a, b), v in sorted(conf.items())))
    wrong = [x for x in rows if (x["label"] == "article") != (classify(x, rules) == "article")]
    for x in wrong[:12]:
        print(f"    {x['page']} {x['label']:7s} rule={classify(x, rules):7s} w={x['words']:4d} p={x['paragraphs']:2d} "
              f"ld={x['link_density']:.2f} {x['kind']:11s} {x['title'][:60]!r}")


def errors(rows: list[dict], rules: CardRules) -> int:
    return sum(1 for x in rows if (x["label"] == "article") != (classify(x, rules) == "article"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--labels", required=True)
    ap.add_argument("--dev-dir", default=str(REPO.parent / "shared" / "data" / "wcxb-dev-articles"))
    args = ap.parse_args()
    dev = Path(args.dev_dir)
    gold = json.loads((dev / "ground-truth.json").read_text())
    rules = load_config().cards
    print(f"configured rule: {rules}")
    splits = {}
    for split in ("tune", "holdout"):
        labels = [json.loads(line) for line in (Path(args.labels) / f"related_{split}.jsonl").read_text().splitlines()
                  if line.strip()]
        by_page: dict[str, list[dict]] = {}
        for lab in labels:
            by_page.setdefault(lab["page"], []).append(lab)
        rows, missing = [], 0
        for pid, labs in sorted(by_page.items()):
            found = {(b["url"], b["title"]): b for b in blocks(dev, gold, pid)}
            by_url = {b["url"]: b for b in found.values()}
            for lab in labs:
                b = found.get((lab["url"], lab["title"])) or by_url.get(lab["url"])
                if b is None:
                    missing += 1
                    continue
                rows.append({**b, "page": pid, "label": lab["label"]})
        if missing:
            print(f"{split}: {missing} labelled blocks not found again (left out)")
        splits[split] = rows
        report(split, rows, rules)
    tune = splits["tune"]
    print("\nsweep on tune (errors = articles called cards + cards/other called articles):")
    for w in (50, 80, 100, 120, 150, 200, 250, 300):
        print(f"  article_min_words={w}: {errors(tune, CardRules(w, rules.article_min_paragraphs, rules.max_link_density))}"
              f"  (holdout {errors(splits['holdout'], CardRules(w, rules.article_min_paragraphs, rules.max_link_density))})")
    for p in (1, 2, 3, 4):
        print(f"  article_min_paragraphs={p}: {errors(tune, CardRules(rules.article_min_words, p, rules.max_link_density))}")
    for d in (0.2, 0.3, 0.4, 0.5, 0.7, 1.0):
        print(f"  max_link_density={d}: {errors(tune, CardRules(rules.article_min_words, rules.article_min_paragraphs, d))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
