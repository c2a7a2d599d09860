"""Legacy pages (table layouts, no metadata, often no url): extraction, title and publisher, with trafilatura's
options beside, in the same run.

    .venv/bin/python benchmarks/legacy_set.py /tmp/legacy   # builds the set from three sdists (pip download)
    .venv/bin/python benchmarks/legacy_quality.py --dev-dir /tmp/legacy [--split tune|holdout|all] [Beam options]

DIR has the layout of the WCXB dev set (`html/<id>.html.gz`, `ground-truth.json` with `articleBody`, `title`,
`publisher`, and `split`). The real pipeline runs end to end on the loose files with no url (as a scrape without
one), joined back by file name, scored with the AEB shingle metric (benchmarks/aeb_metric.py); title exact after
whitespace normalisation; publisher right when the row's `source_name` and the gold publisher contain one
another (case-folded, `www.` and a `.com`-like suffix ignored); `source=unknown` share. Beside it, on the same
pages: trafilatura.extract defaults, `favor_precision`, `favor_recall`, `include_tables=False`, readability-lxml
when installed (a second opinion; not a dependency), and our own
extraction with the layout-table unwrapping off (an ablation). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.dataset as ds

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.aeb_metric import corpus_score  # noqa: E402
from benchmarks.extraction_quality import _norm, copy_loose, predictions, run_pipeline  # noqa: E402
from scrapeline.pipeline.config import load_config  # noqa: E402
from scrapeline.transforms.read.containers import decode_html  # noqa: E402

CFG = load_config()

_SUFFIX = re.compile(r"\.(?:com|co\.uk|org|net|co|ie|au|nz|ca|in)(?:\.\w\w)?$")


def _pub(s: str | None) -> str:
    s = (s or "").casefold().strip().removeprefix("www.")
    return _SUFFIX.sub("", s)


def _row(name: str, pairs, seconds: float, n: int, extra: str = "") -> None:
    s = corpus_score(pairs)
    print(f"{name:44s} P {s.precision:.3f}  R {s.recall:.3f}  F1 {s.f1:.3f}  {extra} ({n / seconds:5.1f} pages/s)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dev-dir", required=True)
    ap.add_argument("--split", default="all", choices=["tune", "holdout", "all"])
    args, beam_args = ap.parse_known_args()
    beam_args = beam_args or ["--runner=FnApiRunner"]
    dev = Path(args.dev_dir)
    gold = json.loads((dev / "ground-truth.json").read_text())
    ids = sorted(i for i in gold if args.split == "all" or gold[i].get("split") == args.split)
    raw = {i: gzip.decompress((dev / "html" / f"{i}.html.gz").read_bytes()) for i in ids}
    text = {i: decode_html(raw[i])[0] for i in ids}  # as the pipeline decodes them
    print(f"{len(ids)} legacy pages ({args.split}); pipeline: {' '.join(beam_args)}")

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        loose = copy_loose(dev, ids, tmp / "in")
        seconds = run_pipeline(loose, tmp / "out", beam_args + ["--fetched-at", "2008-02-01T00:00:00Z"])
        preds = predictions(tmp / "out", lambda uri, rec, url: Path(uri).name.split(".")[0])
        rows = ds.dataset(str(tmp / "out" / "articles"), format="parquet", partitioning="hive").to_table(
            columns=["source"]).to_pylist()
    title = sum(1 for i in ids if i in preds and _norm(preds[i]["title"]) == _norm(gold[i].get("title")))
    with_pub = [i for i in ids if gold[i].get("publisher")]
    pub = sum(1 for i in with_pub if i in preds and _pub(preds[i]["source_name"]) and (
        _pub(preds[i]["source_name"]) in _pub(gold[i]["publisher"]) or _pub(gold[i]["publisher"]) in _pub(
            preds[i]["source_name"])))
    unknown = sum(1 for r in rows if r["source"] == "unknown")
    _row("scrapeline (pipeline, no url)", [((preds.get(i) or {}).get("body") or "", gold[i]["articleBody"]) for i in ids],
         seconds, len(ids), f"| title {title / len(ids):.3f}  publisher {pub}/{len(with_pub)}  "
         f"source=unknown {unknown}/{len(rows)} rows")
    misses = [(i, (preds.get(i) or {}).get("title"), gold[i].get("title")) for i in ids
              if i not in preds or _norm(preds[i]["title"]) != _norm(gold[i].get("title"))]
    for i, got, want in misses[:10]:
        print(f"    title miss {i}: {got!r} | gold {want!r}")
    pub_misses = [(i, (preds.get(i) or {}).get("source_name"), gold[i]["publisher"]) for i in with_pub
                  if i not in preds or not (_pub(preds[i]["source_name"]) and (
                      _pub(preds[i]["source_name"]) in _pub(gold[i]["publisher"])
                      or _pub(gold[i]["publisher"]) in _pub(preds[i]["source_name"])))]
    for i, got, want in pub_misses[:10]:
        print(f"    publisher miss {i}: {got!r} | gold {want!r}")

    import trafilatura

    import scrapeline.transforms.extract.html as H

    for name, kw in (("trafilatura defaults", {}), ("trafilatura favor_precision", {"favor_precision": True}),
                     ("trafilatura favor_recall", {"favor_recall": True}),
                     ("trafilatura include_tables=False", {"include_tables": False})):
        t = time.perf_counter()
        pairs = [(trafilatura.extract(raw[i], **kw) or "", gold[i]["articleBody"]) for i in ids]
        _row(name, pairs, time.perf_counter() - t, len(ids))

    try:  # a second opinion, if installed (`pip install readability-lxml`; not a dependency of the project)
        from lxml import html as lxml_html
        from readability import Document

        def readability_text(html: str) -> str:
            summary = lxml_html.fromstring(Document(html).summary(html_partial=True))
            blocks = summary.xpath("//p | //li | //h1 | //h2 | //h3 | //h4 | //pre | //td")
            text = [" ".join(b.text_content().split()) for b in blocks] or [summary.text_content()]
            return "\n".join(t for t in text if t)

        t = time.perf_counter()
        pairs = [(readability_text(text[i]), gold[i]["articleBody"]) for i in ids]
        _row("readability-lxml Document.summary", pairs, time.perf_counter() - t, len(ids))
    except ImportError:
        print("readability-lxml not installed: skipped")

    real = H.unwrap_layout_tables
    H.unwrap_layout_tables = lambda tree: 0
    try:
        t = time.perf_counter()
        pairs = []
        for i in ids:
            split = H.split_html_page(text[i], None, CFG.date_languages, None, CFG.cards)
            pairs.append(("\n".join(split.articles[0].body_lines), gold[i]["articleBody"]))
        _row("ours, layout tables not unwrapped (uncleaned)", pairs, time.perf_counter() - t, len(ids))
    finally:
        H.unwrap_layout_tables = real
    t = time.perf_counter()
    pairs = [("\n".join(H.split_html_page(text[i], None, CFG.date_languages, None, CFG.cards).articles[0].body_lines),
              gold[i]["articleBody"]) for i in ids]
    _row("ours, as configured (uncleaned)", pairs, time.perf_counter() - t, len(ids))
    return 0


if __name__ == "__main__":
    sys.exit(main())
