"""The `language` column's rule (transforms/extract/language.py) on labelled pages: accuracy of the page's claim
alone, of the detector alone, and of the rule (the claim checked by the detector), with every overruled claim.

    .venv/bin/python benchmarks/language_quality.py SET.jsonl [--snippets 10,20,40]

SET.jsonl: one page a line, `{"lang_label": "de", "claim": "en" | null, "text": "..."}` (the main text of the
page, its claimed language, and the language it is written in, read by a person where claim and detectors
disagreed). The sets used for docs/benchmarks.md (1,351 pages, then a rebuilt one of 1,451 pages, 39 languages,
from the HTML test pages of trafilatura, htmldate, newspaper4k and goose3) are third-party text and not in this
repository. `--snippets`: also
score the first N words of each text without a claim (teasers, short pages). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from scrapeline.transforms.extract.language import article_language, detect, normalise_language  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("set", type=Path)
    ap.add_argument("--snippets", default="10,20,40")
    args = ap.parse_args()
    pages = [json.loads(line) for line in args.set.read_text().splitlines() if line.strip()]
    labels = Counter(p["lang_label"] for p in pages)
    print(f"{len(pages)} pages, {len(labels)} languages: {dict(labels.most_common(12))} ...")
    claim_ok = detector_ok = rule_ok = answered = 0
    how = Counter()
    overruled = []
    t0 = time.perf_counter()
    for p in pages:
        claim = normalise_language(p.get("claim"))
        got, decided = article_language(claim, p["text"])
        how[decided] += 1
        answered += got is not None
        rule_ok += got == p["lang_label"]
        claim_ok += claim == p["lang_label"]
        detector_ok += detect(p["text"])[0] == p["lang_label"]
        if decided == "claim_overruled":
            overruled.append((claim, got, p["lang_label"]))
    per = (time.perf_counter() - t0) / len(pages) * 1000
    n = len(pages)
    print(f"  claim alone      {claim_ok / n:.3f} ({claim_ok}/{n})")
    print(f"  detector alone   {detector_ok / n:.3f} ({detector_ok}/{n})")
    print(f"  rule             {rule_ok / n:.3f} ({rule_ok}/{n}), answered {answered}/{n}; how: {dict(how)}")
    wrong = [o for o in overruled if o[1] != o[2]]
    print(f"  claims overruled {len(overruled)}, of which wrongly {len(wrong)}: {wrong[:10]}")
    print(f"  {per:.2f} ms a page (rule and both checks)")
    for k in [int(x) for x in args.snippets.split(",") if x]:
        ok = ans = 0
        for p in pages:
            got, _ = article_language(None, " ".join(p["text"].split()[:k]))
            ans += got is not None
            ok += got == p["lang_label"]
        wrong_answers = ans - ok
        print(f"  first {k:>2} words, no claim: right {ok / n:.3f}, answered {ans / n:.3f}, wrong answers {wrong_answers}")


if __name__ == "__main__":
    main()
