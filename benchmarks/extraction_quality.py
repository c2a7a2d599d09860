"""Extraction quality and speed of the real pipeline on the WCXB dev-set pages, side by side with trafilatura.

    .venv/bin/python benchmarks/extraction_quality.py [--dev-dir ../shared/data/wcxb-dev-articles]
        [--limit N] [Beam options, e.g. --env multiprocess]

The 709 pages go through the pipeline twice, as loose `.html.gz` files and as one WARC (response records with
the page url as WARC-Target-URI), each run end to end on DirectRunner (pages in, Parquet out). The main article
(position 0) of each page is joined back to its gold record (by file name, resp. url; a page whose article was
merged into another page's row as a duplicate is scored with that row), and scored with the AEB shingle metric
(benchmarks/aeb_metric.py). Title, author and date are exact matches after whitespace normalisation (dates as
YYYY-MM-DD), on pages whose gold has them. In the same run, `trafilatura.extract(html)` with default settings
is scored and timed on the same pages. Then, for the loose run: where each title and date miss comes from
(the title's `title_source`; a date missing, or equal to the page's `updated_at`, or else wrong), the rows per
page by role, teasers per page, and the share of rows with `source=unknown`. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import io
import json
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pyarrow.dataset as ds

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.aeb_metric import corpus_score  # noqa: E402
from scrapeline.pipeline.cli import main as cli_main  # noqa: E402

_WS = re.compile(r"\s+")
# When the WCXB dev-set pages were fetched, as far as they tell: after their newest gold date (2026-03-12). A fetch time
# before a page's date makes the pipeline refuse that date (a page is not published after it was fetched).
FETCHED_AT = "2026-04-01T00:00:00Z"


def _norm(s: str | None) -> str:
    return _WS.sub(" ", s or "").strip()


def write_warc(path: Path, pages: dict[str, bytes], urls: dict[str, str]) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=True)
        for pid, html in pages.items():
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
            rec = writer.create_warc_record(
                urls[pid], "response", payload=io.BytesIO(html), http_headers=headers,
                warc_headers_dict={"WARC-Date": FETCHED_AT},
            )
            writer.write_record(rec)


def copy_loose(dev: Path, ids: list[str], dest: Path) -> Path:
    """The pages `ids` of a dev set as loose `.html.gz` files in `dest` (the pipeline's input)."""
    dest.mkdir()
    for i in ids:
        (dest / f"{i}.html.gz").write_bytes((dev / "html" / f"{i}.html.gz").read_bytes())
    return dest


def run_pipeline(inp: Path, out: Path, beam_args: list[str]) -> float:
    t = time.perf_counter()
    code = cli_main(["run", str(inp), "--output", str(out), *beam_args])
    if code != 0:
        raise SystemExit(f"pipeline exited {code}")
    return time.perf_counter() - t


def predictions(out: Path, key_of) -> dict[str, dict]:
    """page key -> its main-article row (a page whose copy was dropped as a duplicate gets the kept row)."""
    rows = ds.dataset(str(out / "articles"), format="parquet", partitioning="hive").to_table().to_pylist()
    by_page: dict[str, dict] = {}
    for r in rows:
        if r["position"] == 0:
            by_page.setdefault(key_of(r["input_uri"], r["record_index"], r["url"]), r)
    for r in rows:
        for loc in r["duplicate_locations"]:
            uri, rest = loc.rsplit("#", 1)
            record, position = rest.split("/")
            if position == "0":
                by_page.setdefault(key_of(uri, int(record), None), r)
    return by_page


def _day(ts) -> str | None:
    return ts.astimezone(dt.timezone.utc).date().isoformat() if ts else None


def misses(preds: dict[str, dict], gold: dict[str, dict]) -> None:
    """Where the title and date misses come from."""
    title_miss, date_miss, updated_ok = Counter(), Counter(), 0
    for i, g in gold.items():
        r = preds.get(i)
        if g.get("title") and (r is None or _norm(r["title"]) != _norm(g["title"])):
            title_miss["no row" if r is None else f"title_source={r.get('title_source')}"] += 1
        if g.get("publish_date"):
            got, upd = (_day(r["published_at"]), _day(r.get("updated_at"))) if r else (None, None)
            if upd == g["publish_date"]:
                updated_ok += 1
            if got != g["publish_date"]:
                why = ("no row" if r is None else "no date found" if got is None
                       else "gold is the updated date (updated_at matches)" if upd == g["publish_date"]
                       else "updated_at also wrong or absent")
                date_miss[why] += 1
    have_dates = sum(1 for g in gold.values() if g.get("publish_date"))
    print(f"  title misses: {dict(title_miss.most_common())}")
    print(f"  date misses: {dict(date_miss.most_common())}")
    print(f"  updated_at equals the gold date on {updated_ok} of {have_dates} pages")


def fidelity(out: Path, pages: int) -> None:
    """Rows per page by role, teasers per page, `source=unknown` share."""
    rows = ds.dataset(str(out / "articles"), format="parquet", partitioning="hive").to_table(
        columns=["role", "source", "word_count"]).to_pylist()
    roles = Counter(r["role"] for r in rows)
    teasers = []
    if (out / "teasers").exists():
        teasers = ds.dataset(str(out / "teasers"), format="parquet", partitioning="hive").to_table(
            columns=["source", "article_id"]).to_pylist()
    unknown = sum(1 for r in rows if r["source"] == "unknown")
    short = sum(1 for r in rows if r["role"] == "related" and r["word_count"] < 50)
    print(f"  rows {len(rows)} over {pages} pages: " + ", ".join(f"{k} {v} ({v / pages:.2f}/page)"
                                                                 for k, v in sorted(roles.items()))
          + f"; related rows under 50 words: {short}")
    print(f"  teasers {len(teasers)} ({len(teasers) / pages:.2f}/page), linked to an article: "
          f"{sum(1 for t in teasers if t['article_id'])}")
    print(f"  source=unknown: {unknown} of {len(rows)} rows ({unknown / max(len(rows), 1):.1%}); teasers: "
          f"{sum(1 for t in teasers if t['source'] == 'unknown')} of {len(teasers)}")


def score(name: str, preds: dict[str, dict], gold: dict[str, dict], seconds: float, metadata: bool = True) -> None:
    ids = sorted(gold)
    s = corpus_score([((preds.get(i) or {}).get("body") or "", gold[i]["articleBody"]) for i in ids])

    def exact(field, value_of):
        have = [i for i in ids if gold[i].get(field)]
        ok = sum(1 for i in have if i in preds and _norm(value_of(preds[i])) == _norm(gold[i][field]))
        return ok / len(have) if have else float("nan"), len(have)

    title, nt = exact("title", lambda r: r["title"])
    author, na = exact("author", lambda r: r["author"])
    date, nd = exact("publish_date", lambda r: _day(r["published_at"]))
    meta = (f"title {title:.3f} ({nt})  author {author:.3f} ({na})  date {date:.3f} ({nd})" if metadata
            else f"{'(text only)':40s}")
    print(f"{name:34s} P {s.precision:.3f}  R {s.recall:.3f}  F1 {s.f1:.3f}  | {meta}  | {len(ids) / seconds:5.1f} pages/s "
          f"({seconds:.1f} s, {len(preds)}/{len(ids)} pages with a row)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dev-dir", default=str(REPO.parent / "shared" / "data" / "wcxb-dev-articles"))
    ap.add_argument("--limit", type=int, default=0)
    args, beam_args = ap.parse_known_args()
    beam_args = beam_args or ["--runner=FnApiRunner"]
    dev = Path(args.dev_dir)
    gold = json.loads((dev / "ground-truth.json").read_text())
    ids = sorted(gold)[: args.limit or None]
    gold = {i: gold[i] for i in ids}
    raw = {i: gzip.decompress((dev / "html" / f"{i}.html.gz").read_bytes()) for i in ids}
    urls = {i: gold[i]["url"] for i in ids}
    by_url = {u: i for i, u in urls.items()}
    print(f"{len(ids)} dev pages, {sum(map(len, raw.values())) / 2**20:.0f} MiB of HTML; pipeline: {' '.join(beam_args)}")

    import trafilatura

    t = time.perf_counter()
    traf = {i: {"body": trafilatura.extract(raw[i]) or "", "title": None, "author": None, "published_at": None}
            for i in ids}
    traf_s = time.perf_counter() - t

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        loose = copy_loose(dev, ids, tmp / "loose")
        warc_dir = tmp / "warc"
        warc_dir.mkdir()
        write_warc(warc_dir / "dev.warc.gz", raw, urls)
        loose_s = run_pipeline(loose, tmp / "out-loose", beam_args)
        warc_s = run_pipeline(warc_dir, tmp / "out-warc", beam_args)
        loose_preds = predictions(tmp / "out-loose", lambda uri, rec, url: Path(uri).name.split(".")[0])
        print()
        print("loose run:")
        misses(loose_preds, gold)
        fidelity(tmp / "out-loose", len(ids))
        warc_preds = predictions(tmp / "out-warc", lambda uri, rec, url: by_url.get(url) or f"{uri}#{rec}")
        if any(k.startswith("/") for k in warc_preds):  # dropped copies are keyed by lineage: map via offsets
            offsets = {}
            rows = ds.dataset(str(tmp / "out-warc" / "articles"), format="parquet").to_table(
                columns=["input_uri", "record_index", "url", "position"]).to_pylist()
            for r in rows:
                if r["position"] == 0 and r["url"] in by_url:
                    offsets[f"{r['input_uri']}#{r['record_index']}"] = by_url[r["url"]]
            warc_preds = {offsets.get(k, k): v for k, v in warc_preds.items()}

    print()
    score("scrapeline, loose .html.gz files", loose_preds, gold, loose_s)
    score("scrapeline, one .warc.gz", warc_preds, gold, warc_s)
    score("trafilatura.extract (defaults)", traf, gold, traf_s, metadata=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
