"""Title, date, author, language and publisher of the main article, against gold, on the WCXB dev-set pages, with
where each miss comes from. Runs the pipeline's per-page function (`extract_page`: split, metadata, cleaning;
the same code the Beam stage runs) on every page, in two processes.

    .venv/bin/python benchmarks/metadata_quality.py [--dev-dir ../shared/data/wcxb-dev-articles]
        [--split dev|holdout|all] [--misses title,date,author] [--no-url]

The pages are split once by a hash of their id: 4 in 5 are `dev` (look at them, tune on them), 1 in 5 is
`holdout` (a final check only). Comparisons:
- title: exact (whitespace normalised) and normalised (NFKC, quotes, dashes, case, spacing, a trailing period);
- date: the published day (the page's own calendar day: the row's `published_at` in the offset the page gave,
  see `published_day`) against gold `publish_date`; also "published or updated" (either day matches);
- author: normalised like titles; `authors` (all of them) also counted when gold lists several;
- language: the row's `language` against the page's (gold has none: every dev page is English, by its
  `<html lang>` where present and by reading);
- publisher: the share of rows with `source=unknown`, with and without the page url (`--no-url` drops it, as a
  scrape without urls).
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import gzip
import json
import re
import sys
import unicodedata
import xxhash
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

FETCHED_AT = dt.datetime(2026, 4, 1, tzinfo=dt.timezone.utc)  # after the newest gold date (see extraction_quality)

_QUOTES = str.maketrans({c: "'" for c in "\u2018\u2019\u201a\u201b\u2032\u00b4`"} |
                        {c: '"' for c in "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb"} |
                        {c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"})


def norm(s: str | None) -> str:
    s = unicodedata.normalize("NFKC", s or "").translate(_QUOTES).casefold()
    s = re.sub(r"\s+", " ", s).strip()
    return s.rstrip(" .")


def exact(s: str | None) -> str:
    return re.sub(r"\s+", " ", s or "").strip()


def _names_key(names: list[str]) -> frozenset:
    """The words of a list of names, without "and" and punctuation: "A and B" = ["A", "B"] = "A, B"."""
    return frozenset(w for n in names for w in norm(n).replace(",", " ").replace("&", " ").replace(";", " ").split()
                     if w not in ("and",))


def _person(gold_author: str) -> bool:
    try:
        from scrapeline.transforms.extract.people import clean_authors
    except ImportError:  # scoring a version before people.py
        return True

    return bool(clean_authors([gold_author]))


def split_of(pid: str) -> str:
    return "holdout" if xxhash.xxh3_64_intdigest(pid.encode()) % 5 == 0 else "dev"


def _one(args):
    pid, path, url = args
    from scrapeline.pipeline.config import load_config
    from scrapeline.transforms.core.records import Article, DeadLetter, Page
    from scrapeline.transforms.extract.articles import extract_page

    if not hasattr(_one, "cfg"):
        _one.cfg = load_config().extract
    cfg = _one.cfg
    html = gzip.decompress(Path(path).read_bytes()).decode("utf-8", "replace")
    page = Page(input_uri=path, record_index=0, text=html, fetched_at=FETCHED_AT, fetched_at_origin="run",
                container="html", format="html", url=url)
    row, dead = None, []
    for out in extract_page(page, cfg, None, FETCHED_AT, "bench"):
        if isinstance(out, Article) and out.position == 0:
            row = out
        elif isinstance(out, DeadLetter):
            dead.append(f"{out.stage}.{out.reason}")
    if row is None:
        return pid, None, dead
    return pid, {
        "title_candidates": _title_candidates(html),
        "title": row.title, "title_source": row.title_source, "author": row.author,
        "authors": list(getattr(row, "authors", ()) or ()), "language": getattr(row, "language", None),
        "published_day": published_day(row), "updated_day": row.updated_at.date().isoformat() if row.updated_at else None,
        "published_utc_day": row.published_at.astimezone(dt.timezone.utc).date().isoformat() if row.published_at else None,
        "source_name": row.source_name, "date_source": row.date_source,
    }, dead


def _title_candidates(html: str) -> dict[str, str]:
    """The page's title sources (h1s, JSON-LD headline, og/twitter title, <title> and it with the site cut), to
    say where a title miss comes from."""
    from html import unescape

    from bs4 import BeautifulSoup

    from scrapeline.transforms.extract import html as H

    tree, head = H._parse(html), BeautifulSoup(H._head_document(html), "lxml")
    meta = H._meta_index(head)
    lds = [o for o in H._jsonld_objects(head) if H._types(o) & H._ARTICLE_TYPES]
    site = H._first(meta, "og:site_name", "application-name", "publisher")
    title = head.find("title")
    title = H._text(title.get_text()) if title else None
    out = {f"h1_{i}": H._tree_text(h) for i, h in enumerate(tree.xpath("//h1")[:4] if tree is not None else [])}
    headline = lds[0].get("headline") if lds else None
    out.update({"ld": H._text(unescape(headline)) if isinstance(headline, str) else None,
                "og": H._first(meta, "og:title"), "twitter": H._first(meta, "twitter:title"), "title": title,
                "title_stripped": H._strip_site(title, site) if title else None})
    return {k: v for k, v in out.items() if v}


def _title_miss(row: dict, gold: str) -> str:
    hits = [k for k, v in row["title_candidates"].items() if norm(v) == norm(gold)]
    if not hits:
        return "gold is none of the page's title sources"
    if row["title_source"] == "h1" and not any(k.startswith("h1") for k in hits):
        return "gold is the meta title, the page's h1 differs (h1 kept)"
    return f"gold is another source ({'/'.join(sorted(hits))}), chosen {row['title_source']}"


def _days_apart(a: str | None, b: str) -> int | None:
    try:
        return abs((dt.date.fromisoformat(a) - dt.date.fromisoformat(b)).days) if a else None
    except ValueError:  # a gold date of month precision ("2003-11")
        return None


def _written_forms(day: str) -> list[str]:
    """Ways a page may write a gold day: ISO, "March 5, 2025", "Mar. 5 2025", "5 March 2025", "5th March 2025",
    "03/05/2025", "5.3.2025", "2025/03/05" and the like (lower case)."""
    parts = day.split("-")
    if len(parts) != 3:
        return [day]
    y, mo, d = parts
    m, dd = int(mo), int(d)
    names = (calendar.month_name[m], calendar.month_abbr[m], calendar.month_abbr[m] + ".")
    days = (str(dd), d, f"{dd}{'th' if 10 < dd < 14 else {1: 'st', 2: 'nd', 3: 'rd'}.get(dd % 10, 'th')}")
    out = [day, f"{y}/{mo}/{d}", f"{y}{mo}{d}"]
    out += [f"{n} {x}{c} {y}" for n in names for x in days for c in (",", "")]
    out += [f"{x} {n} {y}" for n in names for x in days]
    out += [f"{a}{s}{b}{s}{y}" for s in "/.-" for a, b in ((d, mo), (mo, d), (str(dd), str(m)), (str(m), str(dd)))]
    return [f.lower() for f in out]


def _day_on_page(path: str, day: str) -> bool:
    html = gzip.decompress(Path(path).read_bytes()).decode("utf-8", "replace").lower()
    return any(f in html for f in _written_forms(day))


def published_day(row) -> str | None:
    """The calendar day of publication as the page gave it: the day in the page's own offset (what the `date`
    partition takes)."""
    return row.partition_date.isoformat() if row.published_at is not None else None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dev-dir", default=str(REPO.parent / "shared" / "data" / "wcxb-dev-articles"))
    ap.add_argument("--split", default="dev", choices=["dev", "holdout", "all"])
    ap.add_argument("--misses", default="", help="comma-separated fields whose misses to print one by one")
    ap.add_argument("--no-url", action="store_true", help="give the pipeline no page url (a scrape without urls)")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--dump", type=Path, help="write each page's row (the fields scored) to this JSON file")
    args = ap.parse_args()
    d = Path(args.dev_dir)
    gold = json.loads((d / "ground-truth.json").read_text())
    ids = [p for p in sorted(gold) if args.split == "all" or split_of(p) == args.split]
    if args.limit:
        ids = ids[: args.limit]
    jobs = [(p, str(d / "html" / f"{p}.html.gz"), None if args.no_url else gold[p].get("url")) for p in ids]
    with ProcessPoolExecutor(2) as ex:
        results = {pid: (row, dead) for pid, row, dead in ex.map(_one, jobs, chunksize=8)}
    pages = dict((p, path) for p, path, _ in jobs)
    for p, (row, _) in results.items():
        if row is not None:
            row["id"] = p
    if args.dump:
        args.dump.write_text(json.dumps({p: r for p, (r, _) in results.items()}, default=str))
    show = set(filter(None, args.misses.split(",")))
    n = len(ids)
    print(f"{n} pages ({args.split}{', no urls' if args.no_url else ''})")
    no_row = [p for p in ids if results[p][0] is None]
    print(f"  no row: {len(no_row)} {Counter(x for p in no_row for x in results[p][1]).most_common()}")

    def score(field, get_gold, get_row, compare, why=None):
        hits = total = 0
        reasons = Counter()
        for p in ids:
            g = get_gold(gold[p])
            if not g:
                continue
            total += 1
            row = results[p][0]
            got = get_row(row) if row else None
            if compare(got, g, row):
                hits += 1
                continue
            reasons["no row" if row is None else (why(row, g) if why else "wrong")] += 1
            if field in show:
                print(f"    {field} miss {p}: gold {g!r} got {got!r} ({why(row, g) if why and row else ''})")
        return hits, total, reasons

    t_exact = score("title", lambda g: g.get("title"), lambda r: r["title"], lambda a, b, r: exact(a) == exact(b))
    t_norm = score("title", lambda g: g.get("title"), lambda r: r["title"], lambda a, b, r: norm(a) == norm(b),
                   _title_miss)
    d_pub = score("date", lambda g: g.get("publish_date"), lambda r: r["published_day"], lambda a, b, r: a == b,
                  lambda r, g: "no date" if r["published_day"] is None else
                  "one day off" if _days_apart(r["published_day"], g) == 1 else
                  "gold is the updated day" if r["updated_day"] == g else "wrong")
    # the page's evidence bounds the date scores: a gold day written nowhere in the page is out of reach
    d_any = score("date_any", lambda g: g.get("publish_date"), lambda r: r["published_day"],
                  lambda a, b, r: a == b or (r is not None and r["updated_day"] == b),
                  lambda r, g: "wrong" if _day_on_page(pages[r["id"]], g) else "gold's day is nowhere on the page")
    d_utc = score("date_utc", lambda g: g.get("publish_date"), lambda r: r["published_utc_day"], lambda a, b, r: a == b)
    a_norm = score("author", lambda g: g.get("author"), lambda r: r["authors"] or ([r["author"]] if r["author"] else []),
                   lambda a, b, r: bool(a) and (norm(a[0]) == norm(b) or _names_key(a) == _names_key([b])),
                   lambda r, g: "gold names no person by our rule (site, staff, user name)" if not _person(g) else
                   "no author" if not r["author"] else
                   "first of several right" if r["authors"] and norm(r["authors"][0]) in norm(g) else "wrong")
    a_first = score("author_first", lambda g: g.get("author"), lambda r: r["author"],
                    lambda a, b, r: bool(a) and _names_key([a]) <= _names_key([b]) and bool(_names_key([a])))
    lang = score("language", lambda g: "en", lambda r: r["language"], lambda a, b, r: a == b,
                 lambda r, g: f"got {r['language']}")
    for name, (h, t, reasons) in [("title exact", t_exact), ("title normalised", t_norm), ("date (published day)", d_pub),
                                  ("date (published or updated)", d_any), ("date (UTC day)", d_utc),
                                  ("author normalised", a_norm), ("author: the first is one of gold's", a_first),
                                  ("language", lang)]:
        print(f"  {name:30} {h / max(t, 1):.3f} ({h}/{t})  misses: {dict(reasons.most_common())}")
    h, t, reasons = a_norm
    not_people = reasons.get("gold names no person by our rule (site, staff, user name)", 0)
    print(f"  {'author, gold names a person':30} {h / max(t - not_people, 1):.3f} ({h}/{t - not_people})")
    named = [p for p in ids if results[p][0] and results[p][0]["authors"] and gold[p].get("author")]
    extra = sum(1 for p in named if any(not _names_key([a]) <= _names_key([gold[p]["author"]])
                                        for a in results[p][0]["authors"]))
    print(f"  {'authors naming one gold does not':30} {extra / max(len(named), 1):.3f} ({extra}/{len(named)})  "
          "(lower is better: a wrong author, or a job title or outlet taken for one)")
    undated = [p for p in ids if results[p][0] and not gold[p].get("publish_date")]
    dated = sum(1 for p in undated if results[p][0]["published_day"])
    print(f"  {'a date where gold has none':30} {dated / max(len(undated), 1):.3f} ({dated}/{len(undated)})  "
          "(lower is better)")
    rows = [results[p][0] for p in ids if results[p][0]]
    unknown = sum(1 for r in rows if r["source_name"] == "unknown")
    print(f"  source=unknown: {unknown / max(len(rows), 1):.3f} ({unknown}/{len(rows)})")


if __name__ == "__main__":
    main()
