"""Build a near-duplicate dev set from the real dev pages: same-story copies as different sites would publish them.

    .venv/bin/python benchmarks/neardup_set.py --out /tmp/neardup-tune --split tune
        [--dev-dir ../shared/data/wcxb-dev-articles] [--limit N] [--seed 0]

Deterministic for a given (dev set, split, limit, seed); no network. Writes OUT/html/*.html and OUT/manifest.json.

Split: a page id is "tune" when blake2b(id) mod 10 < 7, else "holdout" (`all`: both); a dev page whose gold body
is mostly another's (3035, a second fetch of 0463) is left out of every split. The eligible stories of the
split (gold body >= 150 words), shuffled with the seed (`--limit N`: the first N of them), are divided into
  - positives (75 %): each story is written as its original real page (`<id>-orig.html`) plus 2-4 variants
    (`<id>-v<k>-<template>.html`): the gold body's lines as <p> elements in a synthetic site template (one of six,
    each its own domain, header/nav, sidebar, related-stories list and footer), each variant with one or two
    transformations drawn by the seeded RNG (TRANSFORMATIONS below) and recorded in the manifest. Every pair of
    files of one story is a positive pair (should be folded into one row);
  - a negative pool (25 %), each story used once, so no negative shares text with any positive:
      * neg_same_site: groups of 3 different stories in the same template, all with the same 2-3 template lines
        leaked into the body container;
      * neg_short: groups of 3 different short articles (a gold body cut to 40-90 words; the WCXB dev-set pages whose
        whole gold body is 40-149 words join this pool) in the same template with the same leaked line(s);
Further negatives: neg_scores / neg_stocks, groups of 3 synthetic pages of one site listing 15-25 football scores
or share prices with the same names and different numbers under a one-sentence intro; and same_domain_real,
pairs of original pages of different stories from the same real domain (e.g. three www.pcworld.com pages).

manifest.json: {"split", "seed", "limit", "files": [{file, story_id, kind, group, template, transformations,
source_page, words}], "positive_pairs": [[a, b], ...], "negative_pairs": [{"a", "b", "kind"}, ...]} (words: the
words put into a synthetic page's article container; null for the original pages). Every file has a
story id (negatives their own, distinct); any two files of different story ids are a negative too, the listed
negative pairs are the hard ones.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import hashlib
import html
import itertools
import json
import random
import re
import shutil
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DEV_DIR = REPO.parent / "shared" / "data" / "wcxb-dev-articles"

MIN_STORY_WORDS = 150
NEGATIVE_POOL_FRACTION = 0.25
GROUP_SIZE = 3  # files per negative group: every pair inside a group is a listed negative pair
LAST_DATE = "2026-03-31"  # the benchmark runs with --fetched-at 2026-04-01: no page may claim a later date


# ---------------------------------------------------------------------------------------------- split & stories

def split_of(page_id: str) -> str:
    h = int.from_bytes(hashlib.blake2b(page_id.encode(), digest_size=8).digest(), "big")
    return "tune" if h % 10 < 7 else "holdout"


def lines_of(body: str) -> list[str]:
    """The gold body as lines (blank-line paragraphs and the single-newline lines inside them): one <p> each.
    A line over 150 words (a few gold bodies are one 4,000-word line) is cut into paragraphs of whole sentences
    of about 80 words."""
    out = []
    for line in (ln.strip() for ln in body.split("\n")):
        if len(line.split()) <= 150:
            out += [line] if line else []
            continue
        chunk: list[str] = []
        for sentence in re.split(r"(?<=[.!?])\s+", line):
            chunk.append(sentence)
            if len(" ".join(chunk).split()) >= 80:
                out.append(" ".join(chunk))
                chunk = []
        out += [" ".join(chunk)] if chunk else []
    return out


def dev_duplicates(gold: dict[str, dict]) -> set[str]:
    """Dev pages whose gold body lies mostly (>= 80 % of its 5-word shingles) in a lower-id page's body: left out
    of every split, as they are the same story (0463 and 3035 are one Public Domain Review page fetched twice)."""
    shingles = {}
    for i, g in gold.items():
        w = re.findall(r"\w+", g["articleBody"].lower())
        shingles[i] = {" ".join(w[k:k + 5]) for k in range(len(w) - 4)}
    index = defaultdict(list)
    for i in sorted(shingles):
        for s in shingles[i]:
            index[s].append(i)
    shared: dict[tuple[str, str], int] = defaultdict(int)
    for holders in index.values():
        if 1 < len(holders) <= 30:  # a shingle on many pages is boilerplate, and costs a quadratic loop
            for a, b in itertools.combinations(holders, 2):
                shared[a, b] += 1
    return {b for (a, b), n in shared.items() if n >= 0.8 * min(len(shingles[a]), len(shingles[b]))}


def n_words(lines: list[str]) -> int:
    return sum(len(ln.split()) for ln in lines)


def slug(text: str, max_words: int = 8) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", text.lower())[:max_words]) or "story"


def first_sentence(text: str, max_words: int = 18) -> str:
    sentence = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    words = sentence.split()
    return " ".join(words[:max_words]) + (" ..." if len(words) > max_words else "")


# ---------------------------------------------------------------------------------------------------- templates

@dataclass(frozen=True)
class Template:
    key: str
    site: str
    domain: str
    section: str
    slogan: str
    nav: tuple[str, ...]
    sidebar_title: str
    sidebar_links: tuple[str, ...]
    leaks: tuple[str, ...]  # template lines that end up inside the article container on a bad day
    title_sep: str = " - "
    body_tag: str = "div"
    body_attr: str = 'class="article-body"'
    wrapper: str = "article"  # element around h1 + byline + body
    related_first: bool = False  # related list before the sidebar


TEMPLATES = [
    Template(
        "harbor", "The Harbor Gazette", "www.harborgazette.com", "news",
        "Your community, your news since 1921",
        ("Home", "Local", "Business", "Sports", "Opinion", "Obituaries", "Contact"),
        "Most read", ("Ferry schedule changes this weekend", "Council approves new marina budget",
                      "High school rowing team wins regional title", "Weather: storm watch for the coast"),
        ("Please support local business!", "NEWS > Local", "© 2026 The Harbor Gazette. All rights reserved.",
         "Advertisement Links"),
    ),
    Template(
        "metrowire", "Metro Wire 24", "www.metrowire24.net", "world",
        "Breaking news around the clock",
        ("World", "US", "Politics", "Tech", "Markets", "Sport", "Video"),
        "Trending now", ("Markets close mixed after a volatile week", "Five things to know this morning",
                         "The week in pictures", "Live updates: the latest headlines"),
        ("WORLD > Sport", "Advertisement", "© 2026 Metro Wire 24 Media Group. All rights reserved.",
         "Sign up for our morning newsletter"),
        title_sep=" | ", body_tag="section", body_attr='class="story-content"', wrapper="div",
    ),
    Template(
        "valley", "Valley Ledger", "www.valleyledger.org", "stories",
        "Independent journalism for the valley",
        ("Front page", "Community", "Schools", "Arts", "Outdoors", "Events"),
        "Popular this week", ("Farmers market returns to Main Street", "Library extends weekend hours",
                              "Trail closures announced for spring", "Letters to the editor"),
        ("Support independent journalism - become a member today.", "COMMUNITY > Around Town",
         "Copyright © 2026 Valley Ledger", "Advertisement Links"),
        body_tag="div", body_attr='class="entry-content"', wrapper="article", related_first=True,
    ),
    Template(
        "coastal", "Coastal Daily Report", "www.coastaldailyreport.com", "article",
        "Fair. Fast. Local.",
        ("Latest", "Region", "Business", "Health", "Science", "Travel", "Podcasts"),
        "Editor's picks", ("How the new tide gauges work", "Inside the region's busiest port",
                           "A weekend guide to the islands", "The best coffee on the boardwalk"),
        ("Advertisement", "LATEST > Region", "© 2026 Coastal Daily Report. All rights reserved.",
         "Thank you for reading the Coastal Daily Report."),
        title_sep=" — ", body_tag="div", body_attr='id="story-body"', wrapper="div",
    ),
    Template(
        "plains", "The Plains Observer", "www.plainsobserver.com", "2026",
        "Covering the heartland",
        ("News", "Agriculture", "Energy", "Sports", "Weather", "Classifieds"),
        "Related links", ("Crop report: yields up across the county", "Wind farm hearing set for May",
                          "Prep basketball scores", "Community calendar"),
        ("Please support local business!", "NEWS > Agriculture", "© 2026 The Plains Observer, LLC.",
         "Share this: Facebook Twitter Email"),
        body_tag="div", body_attr='class="td-post-content"', wrapper="article", related_first=True,
    ),
    Template(
        "newsbeat", "NewsBeat Central", "www.newsbeatcentral.com", "story",
        "The stories that matter, every day",
        ("Top stories", "Nation", "Entertainment", "Lifestyle", "Tech", "Money"),
        "More from NewsBeat", ("Celebrities react to the awards", "Ten gadgets worth buying this spring",
                               "What the new tax rules mean for you", "Recipes for a quick weeknight dinner"),
        ("Advertisement Links", "NATION > Top stories", "© 2026 NewsBeat Central. All rights reserved.",
         "Comments are closed."),
        title_sep=" :: ", body_tag="div", body_attr='itemprop="articleBody"', wrapper="main",
    ),
]
TEMPLATE_BY_KEY = {t.key: t for t in TEMPLATES}


def esc(s: str) -> str:
    return html.escape(s, quote=True)


def render_page(t: Template, *, page_key: str, title: str, date: str, author: str | None,
                lines: list[str], related: list[tuple[str, str]], body_html: str | None = None) -> str:
    """A page of template `t`: `lines` become the <p> elements of the article container (or `body_html`)."""
    y, m, d = date.split("-")
    url = f"https://{t.domain}/{t.section}/{y}/{m}/{d}/{slug(title)}-{page_key}"
    nav = "".join(f'<li><a href="https://{t.domain}/{slug(n)}">{esc(n)}</a></li>' for n in t.nav)
    sidebar = "".join(f'<li><a href="https://{t.domain}/{t.section}/{slug(s)}">{esc(s)}</a></li>'
                      for s in t.sidebar_links)
    rel = "".join(
        f'<li><a href="https://{t.domain}/{t.section}/{slug(rt)}-{i}">{esc(rt)}</a>'
        f'<span class="dek">{esc(dek)}</span></li>' for i, (rt, dek) in enumerate(related))
    body = body_html if body_html is not None else "\n".join(f"<p>{esc(ln)}</p>" for ln in lines)
    byline = f'<p class="byline">By <span class="author">{esc(author)}</span></p>' if author else ""
    related_html = f'<aside class="related-stories"><h3>Related stories</h3><ul>{rel}</ul></aside>'
    sidebar_html = f'<aside class="sidebar"><h3>{esc(t.sidebar_title)}</h3><ul>{sidebar}</ul></aside>'
    asides = related_html + sidebar_html if t.related_first else sidebar_html + related_html
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{esc(title)}{esc(t.title_sep)}{esc(t.site)}</title>
<link rel="canonical" href="{url}">
<meta property="og:url" content="{url}">
<meta property="og:site_name" content="{esc(t.site)}">
<meta property="og:title" content="{esc(title)}">
<meta property="og:type" content="article">
<meta property="article:published_time" content="{date}T09:00:00Z">
</head>
<body>
<header class="site-header">
<a class="logo" href="https://{t.domain}/">{esc(t.site)}</a>
<p class="slogan">{esc(t.slogan)}</p>
<nav><ul>{nav}</ul></nav>
</header>
<div class="page">
<{t.wrapper} class="story">
<h1>{esc(title)}</h1>
{byline}
<time datetime="{date}T09:00:00Z">{date}</time>
<{t.body_tag} {t.body_attr}>
{body}
</{t.body_tag}>
</{t.wrapper}>
{asides}
</div>
<footer class="site-footer">
<p>© 2026 {esc(t.site)}. All rights reserved.</p>
<ul><li><a href="https://{t.domain}/about">About us</a></li><li><a href="https://{t.domain}/privacy">Privacy</a></li>
<li><a href="https://{t.domain}/terms">Terms of use</a></li></ul>
</footer>
</body>
</html>
"""


# ----------------------------------------------------------------------------------------------- transformations

DATELINES = ["LAS VEGAS --(Business Wire)--", "WASHINGTON (AP) —", "(Reuters) -", "NEW YORK --(BUSINESS WIRE)--",
             "LONDON, March 3 (Reuters) -", "SAN FRANCISCO (AP) —"]
WIRE_FOOTERS = ["Reporting by Jane Doe; Editing by John Roe", "(Reporting by Jane Doe in London; Editing by John Roe)",
                "The Associated Press contributed to this report."]
BYLINE_TIMES = ["1 hour, 40 minutes ago", "42 minutes ago", "3 hours ago", "Updated 2 hours, 5 minutes ago"]
SPELLINGS = {"behaviour": "behavior", "colour": "color", "practising": "practicing", "organise": "organize",
             "centre": "center", "favourite": "favorite", "labour": "labor", "analyse": "analyze"}

# category -> the transformation names it may record
TRANSFORMATIONS = {
    "leak": ("leak_start", "leak_end"),
    "wire": ("dateline", "wire_footer"),
    "byline_time": ("byline_time",),
    "spelling": ("spelling",),
    "cut_short": ("cut_short",),
    "para_edit": ("para_removed", "para_added"),
    "read_more": ("read_more",),
}


def spelling_variants(lines: list[str], rng: random.Random) -> list[str]:
    """® -> (R), curly quotes -> straight or '?', ... <-> . . ., British -> American, 's -> ' s, a few dropped letters."""
    quote_mode = rng.choice(["straight", "question"])

    def fix(s: str) -> str:
        s = s.replace("®", "(R)")
        if quote_mode == "straight":
            s = s.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
        else:
            s = re.sub("[\u2018\u2019\u201c\u201d]", "?", s)
        s = s.replace("...", "\x00").replace(". . .", "...").replace("\x00", ". . .").replace("…", "...")
        for uk, us in SPELLINGS.items():
            s = re.sub(uk, us, s)
            s = re.sub(uk.capitalize(), us.capitalize(), s)
        return re.sub(r"(\w)(['\u2019])s\b", r"\1\2 s", s)

    out = [fix(ln) for ln in lines]
    for _ in range(rng.randint(2, 4)):  # drop one letter inside a few random words
        i = rng.randrange(len(out))
        words = out[i].split(" ")
        long_ones = [k for k, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
        if long_ones:
            k = rng.choice(long_ones)
            j = rng.randrange(1, len(words[k]) - 1)
            words[k] = words[k][:j] + words[k][j + 1:]
            out[i] = " ".join(words)
    return out


def cut_short(lines: list[str], drop: float) -> list[str] | None:
    """Drop the last `drop` (0.3-0.6) of the lines, keeping >= 2 lines and >= 60 words; None when nothing is left
    to drop."""
    keep = max(2, round(len(lines) * (1 - drop)))
    while n_words(lines[:keep]) < 60 and keep < len(lines):
        keep += 1
    return lines[:keep] if keep < len(lines) else None


def feasible(category: str, lines: list[str]) -> bool:
    if category == "cut_short":
        return cut_short(lines, 0.6) is not None  # the deepest cut is the one most likely to leave something out
    if category in ("para_edit", "read_more"):
        return len(lines) >= 3
    return True


def make_variant(lines: list[str], template: Template, categories: list[str], rng: random.Random,
                 other_lines: list[str], other_title: str) -> tuple[list[str], list[str]]:
    """Apply the categories' transformations to the story's lines: (lines, transformation names)."""
    names: list[str] = []
    lines = list(lines)
    # content first (these change what the story is), then surface changes, then lines around it
    if "cut_short" in categories:
        lines = cut_short(lines, rng.uniform(0.3, 0.6)) or cut_short(lines, 0.6)
        names.append("cut_short")
    if "para_edit" in categories:
        if rng.random() < 0.5 and len(lines) >= 3:
            del lines[rng.randrange(1, len(lines) - 1)]
            names.append("para_removed")
        else:
            candidates = [ln for ln in other_lines if 15 <= len(ln.split()) <= 120] or other_lines
            lines.insert(rng.randrange(1, len(lines)), rng.choice(candidates))
            names.append("para_added")
    if "read_more" in categories:
        lines.insert(rng.randrange(1, len(lines)), f"READ MORE: {other_title}")
        names.append("read_more")
    if "spelling" in categories:
        lines = spelling_variants(lines, rng)
        names.append("spelling")
    if "wire" in categories:
        if rng.random() < 0.6:
            lines[0] = f"{rng.choice(DATELINES)} {lines[0]}"
            names.append("dateline")
        else:
            lines.append(rng.choice(WIRE_FOOTERS))
            names.append("wire_footer")
    if "byline_time" in categories:
        lines.insert(0, rng.choice(BYLINE_TIMES))
        names.append("byline_time")
    if "leak" in categories:
        leak = rng.choice(template.leaks)
        if rng.random() < 0.5:
            lines.insert(0, leak)
            names.append("leak_start")
        else:
            lines.append(leak)
            names.append("leak_end")
    return lines, names


# ----------------------------------------------------------------------------------------- synthetic tables

TEAMS = ["Arsenal", "Chelsea", "Liverpool", "Everton", "Tottenham", "Fulham", "Brentford", "Brighton",
         "Aston Villa", "Newcastle", "Wolves", "Burnley", "Leeds", "Sunderland", "Bournemouth", "West Ham",
         "Crystal Palace", "Nottingham Forest", "Manchester City", "Manchester United", "Leicester", "Southampton",
         "Ipswich", "Norwich", "Coventry", "Middlesbrough", "Watford", "Hull", "Stoke", "Sheffield United",
         "Sheffield Wednesday", "Derby", "Preston", "Millwall", "Swansea", "Cardiff", "Bristol City", "QPR",
         "Blackburn", "Luton", "Plymouth", "Portsmouth", "Oxford", "Wrexham", "Charlton", "Reading",
         "Bolton", "Wigan", "Barnsley", "Peterborough"]
TICKERS = ["AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "BRK.B", "JPM", "V", "XOM", "UNH", "JNJ",
           "WMT", "MA", "PG", "HD", "CVX", "KO", "PEP", "ABBV", "MRK", "COST", "AVGO", "ORCL", "CSCO", "INTC",
           "AMD", "NFLX", "DIS", "NKE", "BA"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def table_pages(kind: str, rng: random.Random) -> list[tuple[str, str, list[str]]]:
    """GROUP_SIZE (title, date, lines) pages of one site: same names in the same order, different numbers."""
    n = rng.randint(15, 25)
    if kind == "neg_scores":
        teams = rng.sample(TEAMS, min(2 * n, len(TEAMS)))
        names = [(teams[2 * i], teams[2 * i + 1]) for i in range(len(teams) // 2)]
    else:
        names = rng.sample(TICKERS, n)
    pages = []
    start_day = rng.randint(1, 20)
    for k in range(GROUP_SIZE):
        day = start_day + 2 * k
        date = f"2026-03-{day:02d}"
        weekday = DAYS[(day + 6) % 7]  # 2026-03-01 is a Sunday
        if kind == "neg_scores":
            title = f"Football results: {weekday}, March {day}"
            intro = f"Here are the full-time results from {weekday}'s fixtures."
            rows = [f"{a} {rng.randint(0, 4)} {b} {rng.randint(0, 4)}" for a, b in names]
        else:
            title = f"Stock market close: most active shares, March {day}"
            intro = f"Closing prices of the most actively traded shares on {weekday}."
            rows = []
            for t in names:
                price = rng.uniform(20, 900)
                change = rng.uniform(-0.04, 0.04) * price
                rows.append(f"{t} {price:.2f} {change:+.2f} ({100 * change / (price - change):.2f}%)")
        pages.append((title, date, [intro, *rows]))
    return pages


# ---------------------------------------------------------------------------------------------------- building

def shift_date(date: str | None, rng: random.Random) -> str:
    """The gold date (or a made-up one) plus 0-2 days of syndication delay, never after LAST_DATE."""
    m = re.match(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", date or "")
    if m:  # gold dates may be partial ("2003-11")
        base = dt.date(int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1))
    else:
        base = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randint(0, 60))
    return min((base + dt.timedelta(days=rng.randint(0, 2))).isoformat(), LAST_DATE)


def short_cut(lines: list[str], rng: random.Random) -> list[str]:
    """The first 40-90 words of a body, in whole sentences where they allow it, as two paragraphs."""
    target = rng.randint(40, 90)
    kept, n = [], 0
    for sentence in re.split(r"(?<=[.!?])\s+", " ".join(lines)):
        w = len(sentence.split())
        if n >= 40 and n + w > 90:
            break
        kept.append(sentence)
        n += w
        if n >= target:
            break
    if n > 90:  # one sentence longer than the room left: cut it
        return [" ".join(" ".join(kept).split()[:target])]
    half = max(1, len(kept) // 2)
    return [p for p in (" ".join(kept[:half]), " ".join(kept[half:])) if p]


def build(dev_dir: Path, out: Path, split: str, limit: int, seed: int) -> dict:
    gold = json.loads((dev_dir / "ground-truth.json").read_text())
    dropped = dev_duplicates(gold)
    ids = sorted(i for i in gold if (split == "all" or split_of(i) == split) and i not in dropped)
    body = {i: lines_of(gold[i]["articleBody"]) for i in ids}
    eligible = [i for i in ids if n_words(body[i]) >= MIN_STORY_WORDS]
    shorties = [i for i in ids if 40 <= n_words(body[i]) < MIN_STORY_WORDS]
    rng = random.Random(f"{seed}:{split}")
    rng.shuffle(eligible)
    if limit:
        eligible = eligible[:limit]
        shorties = shorties[: max(1, limit // 20)]
    n_pool = round(len(eligible) * NEGATIVE_POOL_FRACTION)
    positives, pool = sorted(eligible[n_pool:]), eligible[:n_pool]
    same_site_pool, short_pool = pool[: len(pool) // 2], pool[len(pool) // 2:] + shorties

    if out.exists():
        shutil.rmtree(out / "html", ignore_errors=True)
    (out / "html").mkdir(parents=True, exist_ok=True)
    files: list[dict] = []
    positive_pairs: list[list[str]] = []
    negative_pairs: list[dict] = []

    def related_for(r: random.Random, exclude: str) -> list[tuple[str, str]]:
        picks = r.sample([i for i in ids if i != exclude], r.randint(3, 4))
        return [(gold[i]["title"], first_sentence(body[i][0])) for i in picks]

    def write(name: str, text: str | bytes, **entry) -> str:
        path = out / "html" / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        files.append({"file": name, **entry})
        return name

    # positives: the original page and its variants
    for pid in positives:
        r = random.Random(f"{seed}:story:{pid}")
        g = gold[pid]
        names = [write(f"{pid}-orig.html", gzip.decompress((dev_dir / "html" / f"{pid}.html.gz").read_bytes()),
                       story_id=pid, kind="original", group=pid, template=None, transformations=[],
                       source_page=pid, words=None)]
        n_variants = r.choice([2, 3, 3, 3, 4])
        for k, template in enumerate(r.sample(TEMPLATES, n_variants), 1):
            cats = [c for c in TRANSFORMATIONS if feasible(c, body[pid])]
            chosen = r.sample(cats, r.choice([1, 2]))
            other = r.choice([i for i in ids if i != pid])
            lines, applied = make_variant(body[pid], template, chosen, r, body[other], gold[other]["title"])
            page = render_page(template, page_key=pid, title=g["title"], date=shift_date(g.get("publish_date"), r),
                               author=g.get("author"), lines=lines, related=related_for(r, pid))
            names.append(write(f"{pid}-v{k}-{template.key}.html", page, story_id=pid, kind="variant", group=pid,
                               template=template.key, transformations=applied, source_page=pid,
                               words=n_words(lines)))
        positive_pairs += [list(p) for p in itertools.combinations(names, 2)]

    def negative_group(kind: str, group: str, pages: list[tuple[str, str, str, list[str], str | None]],
                       template: Template, leaks: list[tuple[str, str]]) -> None:
        """pages: (story_id, source_page, title, lines, date); leaks: (line, 'start'|'end'), the same on every page."""
        r = random.Random(f"{seed}:{group}")
        names = []
        for story_id, source_page, title, lines, date in pages:
            lines = ([ln for ln, where in leaks if where == "start"] + lines
                     + [ln for ln, where in leaks if where == "end"])
            page = render_page(template, page_key=story_id, title=title, date=shift_date(date, r), author=None,
                               lines=lines, related=related_for(r, source_page or ""))
            names.append(write(f"{story_id}.html", page, story_id=story_id, kind=kind, group=group,
                               template=template.key, transformations=[f"leak_{w}" for _, w in leaks],
                               source_page=source_page, words=n_words(lines)))
        negative_pairs.extend({"a": a, "b": b, "kind": kind} for a, b in itertools.combinations(names, 2))

    def leak_lines(r: random.Random, template: Template, n: int) -> list[tuple[str, str]]:
        return [(ln, r.choice(["start", "end"])) for ln in r.sample(template.leaks, n)]

    for gi in range(len(same_site_pool) // GROUP_SIZE):
        members = same_site_pool[gi * GROUP_SIZE:(gi + 1) * GROUP_SIZE]
        group = f"negsite-{gi:03d}"
        r = random.Random(f"{seed}:{group}:setup")
        template = r.choice(TEMPLATES)
        negative_group("neg_same_site", group, [
            (f"{group}-{pid}", pid, gold[pid]["title"], body[pid], gold[pid].get("publish_date")) for pid in members
        ], template, leak_lines(r, template, r.randint(2, 3)))

    for gi in range(len(short_pool) // GROUP_SIZE):
        members = short_pool[gi * GROUP_SIZE:(gi + 1) * GROUP_SIZE]
        group = f"negshort-{gi:03d}"
        r = random.Random(f"{seed}:{group}:setup")
        template = r.choice(TEMPLATES)
        negative_group("neg_short", group, [
            (f"{group}-{pid}", pid, gold[pid]["title"], short_cut(body[pid], r), gold[pid].get("publish_date"))
            for pid in members
        ], template, leak_lines(r, template, r.randint(1, 2)))

    n_tables = max(2, round(len(positives) / 25))
    for kind in ("neg_scores", "neg_stocks"):
        for gi in range(n_tables):
            group = f"{kind.removeprefix('neg_')}-{split}-{gi:03d}"
            r = random.Random(f"{seed}:{group}:setup")
            template = r.choice(TEMPLATES)
            negative_group(kind, group, [(f"{group}-{k}", None, title, lines, date)
                                         for k, (title, date, lines) in enumerate(table_pages(kind, r))],
                           template, [])

    by_domain = defaultdict(list)
    for pid in positives:
        by_domain[urlsplit(gold[pid]["url"]).netloc].append(f"{pid}-orig.html")
    for domain, names in sorted(by_domain.items()):
        negative_pairs.extend({"a": a, "b": b, "kind": "same_domain_real"} for a, b in itertools.combinations(names, 2))

    manifest = {
        "split": split, "seed": seed, "limit": limit, "dev_dir": str(dev_dir),
        "stories": len(positives), "negative_pool_stories": len(pool) + len(shorties),
        "files": files, "positive_pairs": positive_pairs, "negative_pairs": negative_pairs,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
    return manifest


def describe(m: dict) -> str:
    kinds = defaultdict(int)
    for p in m["negative_pairs"]:
        kinds[p["kind"]] += 1
    return (f"split {m['split']}: {m['stories']} positive stories, {len(m['files'])} files, "
            f"{len(m['positive_pairs'])} positive pairs, {len(m['negative_pairs'])} listed negative pairs "
            f"({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dev-dir", default=str(DEFAULT_DEV_DIR))
    ap.add_argument("--out", required=True, help="Output directory (its html/ is replaced).")
    ap.add_argument("--split", choices=["tune", "holdout", "all"], default="tune")
    ap.add_argument("--limit", type=int, default=0, help="At most this many eligible stories (0: all).")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    m = build(Path(args.dev_dir), Path(args.out), args.split, args.limit, args.seed)
    print(describe(m))
    return 0


if __name__ == "__main__":
    sys.exit(main())
