"""Should scrapeline repair mojibake ("Copyright Â© 2008") with ftfy? Measured on the WCXB dev-set pages, as issue 7 asks:
keep it only if it fixes more than it breaks.

    .venv/bin/python benchmarks/mojibake.py [--dev-dir ../shared/data/wcxb-dev-articles] [--limit N]

1. Real pages: every page through the pipeline's pure functions (decode, extract_page); how many titles and
   bodies ftfy (encoding fixes only: quotes, widths, ligatures and line breaks are left alone) would change,
   the AEB F1 and exact-title score with and without it, and examples of each change.
2. Made mojibake: each gold body encoded as UTF-8 and decoded as cp1252 or latin-1 (what a wrong charset
   does): how many ftfy restores exactly.
3. Cost: ms per body.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import logging
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.aeb_metric import corpus_score  # noqa: E402


def fix(text: str) -> str:
    import ftfy

    return ftfy.fix_text(text, ftfy.TextFixerConfig(
        unescape_html=False, remove_terminal_escapes=False, fix_latin_ligatures=False, fix_character_width=False,
        uncurl_quotes=False, fix_line_breaks=False, remove_control_chars=False, normalization=None, explain=False))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dev-dir", default=str(REPO.parent / "shared" / "data" / "wcxb-dev-articles"))
    ap.add_argument("--limit", type=int, default=0)
    a = ap.parse_args()
    logging.disable(logging.WARNING)
    from scrapeline.pipeline.config import load_config
    from scrapeline.transforms.read.containers import decode_html
    from scrapeline.transforms.extract.articles import extract_page
    from scrapeline.transforms.core.records import Article, Page

    dev = Path(a.dev_dir)
    gold = json.loads((dev / "ground-truth.json").read_text())
    ids = sorted(gold)[: a.limit or None]
    config = load_config()
    now = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    preds, fixed_preds, golds = [], [], []
    titles = {"plain": 0, "fixed": 0, "n": 0}
    changed_bodies, changed_titles, examples = 0, 0, []
    fix_time, n_fixed_calls = 0.0, 0
    for pid in ids:
        html, _, _ = decode_html(gzip.decompress((dev / "html" / f"{pid}.html.gz").read_bytes()))
        page = Page(f"/dev/{pid}.html", 0, html, now, "cli", "html", "html", gold[pid].get("url"))
        main_art = next((o for o in extract_page(page, config, None, now, "bench")
                         if isinstance(o, Article) and o.position == 0), None)
        body = main_art.body if main_art else ""
        title = main_art.title if main_art else ""
        t = time.perf_counter()
        fbody, ftitle = fix(body), fix(title)
        fix_time += time.perf_counter() - t
        n_fixed_calls += 1
        if fbody != body:
            changed_bodies += 1
            diff = next(((x, y) for x, y in zip(body.split(), fbody.split()) if x != y), ("", ""))
            examples.append(f"body {pid}: {diff[0]!r} -> {diff[1]!r}")
        if ftitle != title:
            changed_titles += 1
            examples.append(f"title {pid}: {title!r} -> {ftitle!r}")
        preds.append(body)
        fixed_preds.append(fbody)
        golds.append(gold[pid].get("articleBody") or "")
        if gold[pid].get("title"):
            titles["n"] += 1
            g = " ".join(gold[pid]["title"].split())
            titles["plain"] += " ".join(title.split()) == g
            titles["fixed"] += " ".join(ftitle.split()) == g
    s0, s1 = corpus_score(list(zip(preds, golds))), corpus_score(list(zip(fixed_preds, golds)))
    p0, r0, f0, p1, r1, f1 = s0.precision, s0.recall, s0.f1, s1.precision, s1.recall, s1.f1
    print(f"real pages: {len(ids)}; ftfy changes {changed_bodies} bodies and {changed_titles} titles")
    print(f"  AEB F1 without {f0:.4f} (P {p0:.4f} R {r0:.4f}), with {f1:.4f} (P {p1:.4f} R {r1:.4f})")
    print(f"  exact titles without {titles['plain']}/{titles['n']}, with {titles['fixed']}/{titles['n']}")
    for e in examples[:20]:
        print("   ", e)
    restored = broken = total = 0
    for g in golds:
        if not g or g.isascii():
            continue
        for enc in ("cp1252", "latin-1"):
            bad = g.encode("utf-8").decode(enc, errors="replace")
            if bad == g:
                continue
            total += 1
            out = fix(bad)
            restored += out == g
    for g in golds:  # clean text must come out unchanged
        broken += fix(g) != g
    print(f"made mojibake: {restored}/{total} bodies restored exactly; clean gold bodies changed: {broken}/{len(golds)}")
    print(f"cost: {1000 * fix_time / max(n_fixed_calls, 1):.2f} ms per page (title + body)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
