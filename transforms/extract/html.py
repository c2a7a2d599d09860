"""HTML pages -> articles: page-level work with BeautifulSoup (metadata, splitting, teasers), main text by trafilatura.

How the main text is found was chosen by measurement on the 709 pages of the WCXB dev set (real articles with hand-reviewed gold; docs/benchmarks.md) (benchmarks/extraction_quality.py,
AEB shingle metric): trafilatura with `favor_recall=True, include_comments=False` scored F1 0.934 at ~47 pages/s
against 0.927 at ~28 pages/s for its defaults (which also append the page's comments) and 0.885 for
readability-lxml; its output then goes through the same cleaning rules as every other body (boilerplate lines,
captions, inline markers) and loses a first line that only repeats the title. Where trafilatura's text is thin
against the page's own <p> words, rs-trafilatura (a Rust extractor with other rules) is asked, and kept within
measured bounds (`_main_text`); a text still under 50 words gets trafilatura's baseline (`_second_opinion`).

Metadata, in order of trust: JSON-LD (`NewsArticle`/`Article`/`BlogPosting`..., inside `@graph` and lists
too), OpenGraph and `article:*` meta, other meta tags, `<time datetime>`, bylines in the page, the url.
Multi-article pages: several JSON-LD articles or `<article>` elements with their own heading and link become
related rows (position 1, 2, ...) with their own url; the main article is position 0.

Parsing, measured on the WCXB dev-set pages (avg 250 KB): a full BeautifulSoup parse costs ~25 ms a page, as much as the
whole of trafilatura's extraction, and even with a SoupStrainer ~9-13 ms (bs4 still handles every tag event).
So the page is parsed once by lxml (~1.5 ms), and that tree serves the body-level work (h1, <time>, teasers)
and trafilatura (which copies it); BeautifulSoup parses only the document head plus the JSON-LD scripts
(~2 ms), where the metadata lives. Pure functions: the same in batch and streaming.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
import re
from collections import Counter, OrderedDict
from functools import lru_cache
from html import unescape
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import numpy as np
import xxhash
from bs4 import BeautifulSoup
from lxml import etree
from lxml import html as lxml_html

from scrapeline.transforms.core.keys import body_shingles
from scrapeline.transforms.core.times import EARLIEST_DATE, parse_timestamp
from scrapeline.transforms.extract.language import claimed_language
from scrapeline.transforms.extract.metadata import published_time
from scrapeline.transforms.extract.people import MONTH, a_name, choose_authors, clean_authors
from scrapeline.transforms.core.metrics import count
from scrapeline.transforms.core.records import RawArticle
from scrapeline.transforms.extract.settings import CardRules
from scrapeline.transforms.extract.cards import block_role, is_card, link_density

__all__ = ["HtmlSplit", "PageMeta", "extract_main_text", "page_metadata", "split_html_page"]

_ARTICLE_TYPES = {
    "article", "newsarticle", "reportagenews", "analysisnewsarticle", "opinionnewsarticle", "blogposting",
    "backgroundnewsarticle", "reviewnewsarticle", "techarticle", "scholarlyarticle", "liveblogposting",
    "socialmediaposting", "report", "medicalwebpage",
}
_HEAD_END = re.compile(r"<body[\s>]|</head\s*>", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_LD_SCRIPT = re.compile(r"<script[^>]+ld\+json[^>]*>.*?</script\s*>", re.I | re.S)
_TITLE_SEPARATORS = re.compile(r"\s+(?:[|\-–—:•·»]|::)\s+")
_URL_DATE = re.compile(r"/(20\d\d|19\d\d)[/-](0?[1-9]|1[0-2])[/-](0?[1-9]|[12]\d|3[01])(?:/|$|[^\d])")
_WS = re.compile(r"\s+")


def _text(s: str | None) -> str:
    return _WS.sub(" ", s or "").strip()


@dataclass(frozen=True)
class PageMeta:
    title: str | None
    site: str | None
    url: str | None
    published: str | None
    """The first date of the chain that is a real publication date (see `page_metadata`)."""
    author: str | None
    title_source: str = ""
    updated: str | None = None
    """The last modification the page gives (JSON-LD dateModified, `article:modified_time`), if a real date."""
    authors: tuple[str, ...] = ()
    """Every author named (people.py); `author` is the first."""
    language: str | None = None
    """The language the page claims (`<html lang>`, `og:locale`, Content-Language), ISO 639-1; language.py checks
    it against the text."""


@dataclass(frozen=True)
class HtmlSplit:
    meta: PageMeta
    articles: tuple[RawArticle, ...]


def _jsonld_objects(soup: BeautifulSoup) -> list[dict]:
    """Every JSON object in ld+json scripts, flattened through @graph and lists; bad JSON is skipped."""
    out: list[dict] = []
    for script in soup.find_all("script", attrs={"type": re.compile(r"ld\+json", re.I)}):
        raw = script.string or script.get_text() or ""
        try:
            data = json.loads(raw.strip().rstrip(";"), strict=False)
        except (ValueError, RecursionError):  # bad or absurdly deep JSON-LD: only that script's metadata is lost
            count("metadata.bad_jsonld")
            continue
        stack = [data]
        while stack:
            x = stack.pop(0)
            if isinstance(x, list):
                stack[0:0] = x
            elif isinstance(x, dict):
                out.append(x)
                if isinstance(x.get("@graph"), list):
                    stack[0:0] = x["@graph"]
                if isinstance(x.get("itemListElement"), list):
                    stack.extend(
                        e.get("item") if isinstance(e, dict) and isinstance(e.get("item"), dict) else e
                        for e in x["itemListElement"]
                    )
    return out


def _types(obj: dict) -> set[str]:
    t = obj.get("@type")
    return {str(x).lower() for x in (t if isinstance(t, list) else [t]) if x}


def _names(value) -> list[str]:
    """Person/Organization names from a JSON-LD author/publisher value (string, object or list)."""
    items = value if isinstance(value, list) else [value]
    names = []
    for v in items:
        if isinstance(v, str):
            names.append(v)
        elif isinstance(v, dict) and isinstance(v.get("name"), str):
            names.append(v["name"])
    return [n for n in (_text(n) for n in names) if n and not n.lower().startswith("http")]


def _by_id(value, objs: list[dict]):
    """A JSON-LD reference ({"@id": ...} without a name, as Yoast's graphs give an article's author) -> the node of
    the page's graph with that @id; anything else as it is."""
    if isinstance(value, dict) and "name" not in value and isinstance(value.get("@id"), str):
        return next((o for o in objs if o.get("@id") == value["@id"] and o is not value), value)
    return value


def _meta_index(soup: BeautifulSoup) -> dict[str, str]:
    """<meta property|name|itemprop=key content=...> as {key (lower case): first non-empty content}."""
    index: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        content = _text(tag.get("content"))
        if not content:
            continue
        for attr in ("property", "name", "itemprop"):
            key = tag.get(attr)
            if isinstance(key, str) and key.strip():
                index.setdefault(key.strip().lower(), content)
    return index


def _first(index: dict[str, str], *keys: str) -> str | None:
    return next((index[k] for k in keys if k in index), None)


def _strip_site(title: str, site: str | None) -> str:
    """'Headline | Site Name' -> 'Headline' when a separator splits off the site name (or a short tail)."""
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    site_l = (site or "").lower()
    if site_l and (parts[-1].lower() == site_l or site_l in parts[-1].lower()):
        return _text(" - ".join(parts[:-1])) if len(parts) > 2 else parts[0]
    if site_l and parts[0].lower() == site_l:
        return _text(" - ".join(parts[1:]))
    # a site known by its host ("internet-law.de") and named in the title ("Internet-Law » Headline")
    site_k, first_k = _key(site), _key(parts[0])
    if site_k and first_k and len(parts) == 2 and "." in (site or "") and site_k.startswith(first_k):
        return _text(parts[1])
    return title


_SECOND_LEVEL = {"co", "com", "org", "net", "ac", "gov", "edu"}


def _folders(path: str) -> set[str]:
    """The folders of a url's path, in lower case, without the last segment (the page's own slug)."""
    return {f.lower() for f in [f for f in path.split("/") if f][:-1]}


def _names_section(part: str, folders: set[str]) -> bool:
    """A title's part of three words or fewer that is one of the url's folders ("Opinion" on /story/opinion/...)."""
    words = _key(part).split()
    return 0 < len(words) <= 3 and "-".join(words) in folders


def _strip_tail(title: str, site: str | None, url: str | None) -> str:
    """'Headline | Section | Site' -> 'Headline': trailing parts that name the site or the page's section, cut one
    at a time, as long as a headline of two words or more is left. A part names the site when it is a part of two
    words or more of the site's name ("White Coat Investor" of "The White Coat Investor - Investing & Personal
    Finance") or spells the url's domain ("UC Davis Children's Hospital" on ucdavis.edu); it names the section
    when it is a folder of the url's path, the last one excepted, which is the page's own ("Opinion" on
    /story/opinion/.../slug, "District" on /district/343604). A subtitle stays ("... | Top 19 Companies")."""
    try:
        parts = urlsplit(url or "")
    except ValueError:  # a page's hostile canonical ("http://[bad/..."): nothing known of its site or section
        return title
    labels = [x for x in (parts.hostname or "").lower().split(".") if x]
    domain = labels[-3] if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL else labels[-2] if len(labels) >= 2 else ""
    folders = _folders(parts.path)
    site_k = _key(site)
    while True:
        cut = list(_TITLE_SEPARATORS.finditer(title))
        if not cut:
            return title
        head, tail = title[:cut[-1].start()], _key(title[cut[-1].end():])
        if not tail or len(_key(head).split()) < 2:
            return title
        words = tail.split()
        names_site = len(words) >= 2 and bool(site_k) and f" {tail} " in f" {site_k} "
        spells_domain = len(domain) >= 5 and "".join(words).startswith(domain)
        names_section = _names_section(tail, folders)
        if not (names_site or spells_domain or names_section):
            return title
        title = head


def _key(s: str | None) -> str:
    return re.sub(r"\W+", " ", (s or "").replace("’", "'").casefold()).strip()


_H1_SHARE = 0.3  # measured on the dev pages: 0.3, 0.4 and 0.5 gave the same titles
_H1_NEAR = 0.8  # the share of title words an h1 and another source have in common, of the words of both
# what a headline's h1 may carry beside it: a date ("dec 18 2025", "july 1 2024") or a byline ("posted on ...")
_DATE_OR_BYLINE = re.compile(r"\b(?:posted|published|updated|written)\b|\b" + MONTH + r"\s+\d{1,2}\b|\b\d{1,2}\s+"
                             + MONTH + r"\s+\d{4}\b")


_STOPWORDS = {"the", "and", "for", "with", "from", "that", "this", "your", "you", "are", "how", "what", "why", "new",
              "our", "its", "into", "about", "not", "but", "all", "will", "can"}


def _title_words(s: str) -> set[str]:
    return {w for w in _key(s).split() if len(w) >= 3 and w not in _STOPWORDS}


def _choose_title(h1s: list[str], headline: str | None, og: str | None, title: str | None,
                  site: str | None, url: str | None = None) -> tuple[str | None, str]:
    """(the article's headline among the page's candidates, where it came from: h1 | metadata | title_tag).

    The visible <h1> is the best single source (right on 75 % of the WCXB dev-set pages, against 62 % for og:title and
    54 % for <title> with the site name cut off), but pages often carry several h1s, the first being the site
    logo or a section name: the h1 that another source (JSON-LD headline, og:title, <title>) also contains is
    preferred. An h1 in capitals (CSS text-transform written into the DOM) yields to a source that spells it
    the same in proper case.
    """
    sources = [(c, "metadata") for c in (headline, og) if c] + ([(title, "title_tag")] if title else [])
    others = [c for c, _ in sources]
    other_keys = [_key(c) for c in others]
    site_key = _key(site)
    # an h1 that is the site's name ("Filmmaker" on Filmmaker Magazine's pages) is the logo, not the headline
    h1s = [h for h in h1s if h and 3 <= len(h) <= 400 and not (site_key and site_key.startswith(_key(h)))]
    # an h1 that ends in a colon introduces something ("A message from John Furrier, co-founder of SiliconANGLE:"
    # over a promotion box): it is not a headline, when there is anything else to take
    leads_in = [h for h in h1s if h.rstrip().endswith((":", "\uff1a"))]
    if leads_in and (len(leads_in) < len(h1s) or others):
        h1s = [h for h in h1s if h not in leads_in]
    # an h1 another source contains, as most of it: "Discord" inside a 100-character og:title is a word of the
    # headline, and "Engora Data Blog" at the head of "Engora Data Blog: Small adventures..." is the site
    chosen = next(((h, "h1") for h in h1s if any(_key(h) and _key(h) in k and len(_key(h)) >= _H1_SHARE * len(
        _key(_strip_site(c, site))) for c, k in zip(others, other_keys))), None)
    if chosen is None:
        # an h1 that says what another source says, but for a word or two ("... Retirement Calculators in 2025"
        # against the og:title "... Retirement Calculators 2025 | White Coat Investor"): the h1
        other_words = [_title_words(_strip_tail(_strip_site(c, site), site, url)) for c in others]
        chosen = next(((h, "h1") for h in h1s for hw in [_title_words(h)] if len(hw) >= 4 and any(
            len(hw & w) >= _H1_NEAR * len(hw | w) for w in other_words)), None)
    if chosen is None:
        # an h1 that is a source plus a date or a byline ("Dec 18 2025 Preparing a transition in Debusine",
        # "Top Strategies ... Security Posted on July 1, 2024 by infuy"): the source, without them
        chosen = next(((_strip_site(c, site), o) for h in h1s for c, o in sources
                       if _key(_strip_site(c, site)) and _DATE_OR_BYLINE.search(
                           _key(h).replace(_key(_strip_site(c, site)), "", 1)) and
                       (_key(h).startswith(_key(_strip_site(c, site)) + " ") or
                        _key(h).endswith(" " + _key(_strip_site(c, site))))), None)
    if chosen is None and h1s and not others:
        chosen = (h1s[0], "h1")
    if chosen is None:
        # a lone h1 sharing no word with any other source of three words or more is a section or an ad ("M&A
        # Updates" over "Cybersecurity Sector Update-Fall 2025"), not the headline; a short <title> ("Chips" over
        # "Chip export rules tighten") says too little to overrule it
        long_others = [c for c in others if len(_key(c).split()) >= 3]
        lone = [(h, "h1") for h in (h1s[:1] if len(h1s) == 1 else []) if not long_others or _title_words(h) &
                set().union(*(_title_words(c) for c in long_others))]
        chosen = next((c for c in lone + sources if 3 <= len(c[0]) <= 400), None)
    if chosen is None:
        return None, ""
    text, origin = chosen
    if origin == "h1" and _LOST_CHARACTER.search(text):
        text = next((c for c in (_strip_site(c, site) for c in others) if _spells_out(text, c)), text)
    if text.isupper():
        text = next((_strip_site(c, site) for c in others if _key(_strip_site(c, site)) == _key(text)), text)
    text = _strip_tail(_strip_site(text, site), site, url)
    if _cut_short(text):  # "... We Help 4 Readers Find Solutions (Including": a source that goes on is the whole
        key = _key(text.rstrip(" .…"))
        longer = [t for t in (_strip_site(c, site) for c in others + h1s) if len(t) > len(text)
                  and _key(t).startswith(key + " ") and not _cut_short(t)]
        if key and longer:
            return min(longer, key=len), origin
    return text, origin


_LOST_CHARACTER = re.compile(r"\w[?\ufffd]\w|\w[?\ufffd] \w|\ufffd")
"""A character an encoding may have lost: "Beginner? Guide" (an apostrophe and its "s"), "Caf\ufffd". A real
question ("Why? Because ...") has the same shape: `_spells_out` tells them apart."""


LOST_CHARACTERS_MAX = 10
"""More lost characters than this in an h1 is not an encoding's slip but a garbled line: it is not repaired."""

_WRITTEN_OUT = re.compile(r"[^\x00-\x7f]|['\w]")
"""What a lost character's place holds in a source that kept it: a character beyond ASCII ("é", "’"), an
apostrophe or a letter ("'s"); not only punctuation, which a question mark's place may hold in a rewording."""


def _spells_out(lossy: str, other: str) -> bool:
    """`other` is `lossy` with its lost characters (a "?" inside a phrase, U+FFFD) written out, one to three each:
    the h1 "What Are The Basics Of Event Planning? Beginner? Guide" and the og:title "What Are The Basics Of Event
    Planning: Beginner's Guide". The same letters in the same case around them, no "?" in their places, and at
    least one place holding a character the encoding could have lost (`_WRITTEN_OUT`): "Why? Because it matters"
    is not "WHY? BECAUSE IT MATTERS", nor "Why: Because it matters". Read piece by piece, keeping every place in
    `other` that the pieces so far can end at, and whether one was written out: a regex of `.{1,3}` gaps
    backtracks without bound on a line of many question marks."""
    lossy, other = lossy.strip(), other.strip()
    if other == lossy:
        return False
    pieces = re.split("[?\ufffd]", lossy)
    if len(pieces) - 1 > LOST_CHARACTERS_MAX or not other.startswith(pieces[0]):
        return False
    ends = {(len(pieces[0]), False)}
    for piece in pieces[1:]:
        ends = {(at + gap + len(piece), seen or bool(_WRITTEN_OUT.search(other, at, at + gap)))
                for at, seen in ends for gap in (1, 2, 3)
                if other.startswith(piece, at + gap) and not any(c in "?\ufffd" for c in other[at:at + gap])}
        if not ends:
            return False
    return (len(other), True) in ends


def _cut_short(title: str) -> bool:
    """A title cut at a length limit: it ends in an ellipsis, or leaves a parenthesis open."""
    return title.rstrip().endswith(("…", "...")) or title.count("(") > title.count(")")


def _fallback_title(tree, site: str | None) -> tuple[str | None, str]:
    """When the head names no title: a `<title>` the head parse did not see (legacy pages put it in odd
    places), then the page's first h2/h3. The first sentence of the body comes after these (extract.py)."""
    if tree is None:
        return None, ""
    t = _tree_text(_first_xpath(tree, "//title"))
    if 3 <= len(t) <= 400:
        return _strip_site(t, site), "title_tag"
    for h in tree.xpath("//h2 | //h3")[:8]:
        text = _tree_text(h)
        if 3 <= len(text) <= 300 and _key(text) != _key(site):
            return text, "heading"
    return None, ""


_HEAD_MAX_TAGS = 5000
"""The most "<" of a head bs4 parses. Over it, the head's scripts, styles and comments are left out first, then
what is still over is cut. The largest head of the 709 dev pages has 561 "<" in all; a fuzzed page's head of
524,000 tags took 14 s in bs4 and 6 s more in the metadata's searches."""


def _without_scripts_and_comments(head: str) -> str:
    """`head` without its scripts, styles and comments, JSON-LD kept, through lxml's parser (C: a head of 500,000 tags in
    ~0.3 s, where bs4 took 14 s): nothing else in them is metadata, and a large inline script (minified JavaScript is
    full of "<") must not count as tags. lxml's tokenizer knows what a hand-written scan gets wrong: "<script" in a
    comment, a title or an attribute, a ">" in a quoted attribute, case that lowercasing shifts ("İ")."""
    doc = _parse(head)  # the page's own parse: an XML encoding declaration, which lxml refuses in a str, dropped
    if doc is None:  # nothing to parse: the cut below decides
        return head
    for el in [e for e in doc.iter("script", "style")
               if not (e.tag == "script" and "ld+json" in (e.get("type") or "").lower())]:
        el.drop_tree()  # its tail stays
    etree.strip_elements(doc, etree.Comment, etree.ProcessingInstruction, with_tail=False)
    return lxml_html.tostring(doc, encoding="unicode")


def _head_document(html: str) -> str:
    """The document head plus every JSON-LD script of the body: all bs4 needs to see for the metadata."""
    m = _HEAD_END.search(html, 0, 2_000_000)
    head = html[: m.start()] if m else html[:65536]
    scripts = "".join(_LD_SCRIPT.findall(html, len(head)))
    if head.count("<") > _HEAD_MAX_TAGS:
        head = _without_scripts_and_comments(head)
    if head.count("<") > _HEAD_MAX_TAGS:  # a hostile head: cut before its tag number _HEAD_MAX_TAGS + 1
        at = -1
        for _ in range(_HEAD_MAX_TAGS + 1):
            at = head.find("<", at + 1)
        # Where lxml could not parse the head, the cut may fall inside a script, a comment or an attribute, which
        # would swallow whatever follows it: the body's JSON-LD goes first, whole.
        return scripts + head[:at]
    return head + scripts


def _tree_text(el) -> str:
    """The text of `el`, spaces folded; a `<br>` is a space ("Top MBA Programs (US)<br>Your Guide" is not "(US)Your")."""
    if el is None:
        return ""
    if not el.xpath(".//br"):
        return _text(el.text_content())
    parts: list[str] = []

    def walk(node) -> None:
        if isinstance(node.tag, str):
            parts.append(" " if node.tag == "br" else node.text or "")
            for child in node:
                walk(child)
        parts.append(node.tail or "")

    walk(el)
    parts[-1] = ""  # the element's own tail is not its text
    return _text("".join(parts))


def _first_xpath(tree, path: str):
    found = tree.xpath(path) if tree is not None else []
    return found[0] if found else None




def _claimed_language(head: BeautifulSoup, meta: dict[str, str]) -> str | None:
    """What the page says its language is: `<html lang>` (or xml:lang), `og:locale`, a Content-Language meta."""
    root = head.find("html")
    lang = (root.get("lang") or root.get("xml:lang")) if root is not None else None
    equiv = head.find("meta", attrs={"http-equiv": re.compile(r"^content-language$", re.I)})
    return claimed_language(lang if isinstance(lang, str) else None, meta.get("og:locale"),
                            equiv.get("content") if equiv is not None else meta.get("content-language"))


def _bylines(found, boxes: bool = False) -> list[str]:
    """Byline texts of the elements `found` (`_marked_bylines`, `_by_label_elements`, `_author_links`), for
    people.choose_authors, in order, short ones only. Texts of separate elements are joined with a space ("Luke
    Kim</span><span>December 17" is not "KimDecember"). A label alone ("Written By", "Author:") takes the next text.
    A label followed by elements ("By <a>A. J. Neal</a> View In Digital Edition") gives the label with the first
    element and those joined to it by a comma or "and" ("By <a>A</a> and <a>B</a>"), then the whole line.
    `boxes`: an element too long to be a byline (an author box with the bio) gives its first short text."""
    out = []
    for el in found:
        before = _text_before(el)
        if _NOT_AUTHOR_ROLE.search(before) and not _WRITER_ROLE.search(before):
            continue  # the name after "Reviewed by": "<div>Reviewed by <a class=author-link>Robert Tschudi</a>"
        named = list(itertools.islice((d for d in el.iterdescendants() if isinstance(d.tag, str)
                                       and _NAME_CLASS.search(d.get("class") or "")), 20))
        # the innermost: "card-author-name-wrapper" holds the name and the role, "card-author-name" the name
        innermost = [d for d in named if not any(d in x.iterancestors() for x in named)
                     and not _NOT_AUTHOR_ROLE.search("".join(d.xpath("preceding::text()[normalize-space()][1]")))]
        if len(innermost) > 1:  # a list of authors, each with a name element: the names, not the list's text
            names = [n for n in (" ".join(_byline_parts(d)) for d in innermost) if 2 <= len(n) <= 60]
            if names:
                out.append(", ".join(names))
                continue
        if innermost:  # "<h4 class=author-box__name>Liz Kenny</h4><div class=bio>Former McKinsey ..."
            name = " ".join(_byline_parts(innermost[0]))
            if 2 <= len(name) <= 60:
                out.append(name)
        parts = _byline_parts(el)
        text = " ".join(parts)
        if len(text) <= 30 and _LABEL_ONLY.search(text):  # "Jun 2 Written By" + the name in the next element
            nxt = el.xpath("following::text()[normalize-space()][1]")
            text = f"{text} {_text(str(nxt[0]))}" if nxt else text
        lead = _text(el.text)
        first = next((c for c in el if isinstance(c.tag, str)), None)
        if lead and first is not None and len(text) <= 120 and _LABEL_ONLY.fullmatch(lead):  # a line, not a sentence
            names = _joined_names(first)
            if names and 2 <= len(names) <= 120:
                out.append(f"{lead} {names}")
        if 2 <= len(text) <= 120:
            out.append(text)
        if boxes and len(text) > 120:
            parts = parts[:3]
            while parts and (_LABEL_ONLY.search(parts[0]) or _ABOUT.match(parts[0])):
                parts = parts[1:]
            if parts and 2 <= len(parts[0]) <= 60:
                out.append(parts[0])
    return out


LABEL_NODES = 8
"""The most nodes a previous sibling may hold to be read as the label before a name."""


def _text_before(el, levels: int = 3) -> str:
    """The text just before `el` in reading order, looked for among its previous sibling (that sibling's tail, else
    its last text) and its parent's leading text, up to `levels` parents up: where a label before a name sits
    ("Reviewed by <a>Name</a>"). Cheaper than XPath's `preceding::text()`, which walks the whole page before it."""
    node = el
    for _ in range(levels):
        prev = node.getprevious()
        while prev is not None and not isinstance(prev.tag, str) and not _text(prev.tail):
            prev = prev.getprevious()  # a comment between the label and the name
        if prev is not None:
            tail = _text(prev.tail)
            if tail:
                return tail
            if not isinstance(prev.tag, str) or \
                    sum(1 for _ in itertools.islice(prev.iter(), LABEL_NODES + 1)) > LABEL_NODES:
                return ""  # a label is a few nodes, not a whole block (which would be read whole for each name)
            texts = [t for t in (_text(x) for x in prev.itertext()) if t]
            return texts[-1] if texts else ""
        parent = node.getparent()
        if parent is None:
            return ""
        if _text(parent.text):
            return _text(parent.text)
        node = parent
    return ""


# the label before a name that is not the author's: "Updated by <span class=byline-name>Jon Linkov</span>"
_NOT_AUTHOR_ROLE = re.compile(r"\b(?:updated|edited|reviewed|fact[- ]checked|photos?|illustrations?)\s+by\s*:?\s*$",
                              re.I)
_WRITER_ROLE = re.compile(r"\b(?:written|wrote|authored|author)\b", re.I)  # "Written and edited by": the writer
_NAME_CLASS = re.compile(r"(?:^|[-_\s])name(?:$|[-_\s])", re.I)  # "author-box__name", "author-name", not "username"
_NAME_JOINERS = {",", "and", "&", ", and", "und", "y", "et"}


def _joined_names(first) -> str:
    """The text of `first` and of the siblings joined to it by a comma or "and", as "A, B, C"; the names in one
    element's separate children ("<ul><li>A</li><li>B</li></ul>") are separate names too."""
    names, node = [], first
    while node is not None:
        names.append(", ".join(t for t in (_text(x) for x in node.itertext()) if t))
        sep, node = _text(node.tail).lower(), node.getnext()
        if node is None or not isinstance(node.tag, str) or sep not in _NAME_JOINERS or len(names) >= 6:
            break
    return ", ".join(n for n in names if n)


_ABOUT = re.compile(r"^(?:(?:about|meet)(?:\s+the)?\s+authors?|authors?\s+(?:spotlight|bio|profile))\s*:?$", re.I)

# elements marked as the byline: itemprop/rel=author, a byline or author class
_BYLINE_XPATH = (
    "//*[@itemprop='author'] | //*[@rel='author'] | "
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' byline ') or contains(@class, 'author') or "
    "contains(@class, 'Author')]"  # and a component's camel case: "styles_dateAndAuthorContainer__JAvHP"
    "[not(self::meta) and not(self::body) and not(self::html)]"
)
# last: a link to an author's page ("/author/jane-doe", not the list of authors "/authors/")
_AUTHOR_HREF = ("(contains(@href, '/author/') and substring-after(@href, '/author/') != '') or "
                "(contains(@href, '/authors/') and substring-after(@href, '/authors/') != '') or "
                "contains(@href, '?author=') or contains(@href, '_author=')")
_AUTHOR_LINK_XPATH = f"//body//a[{_AUTHOR_HREF}][normalize-space()]"
_IS_AUTHOR_LINK = etree.XPath(f"boolean(self::a[{_AUTHOR_HREF}])")
_SCANNED = 50
"""Elements of one kind looked at, at most, for the bylines kept (a page of 20,000 commenters' `author` spans costs
no more than one with 50)."""


# what an author box says about its author, not who: "dynamic-author-description" ("Licensed Q Arabica Grader")
_AUTHOR_ABOUT = re.compile(r"author[-_]*(?:description|desc|title|role|job|position)", re.I)


def _marked_bylines(tree, xpath: str, limit: int) -> list:
    """The first `limit` elements of `xpath` outside comment areas and buttons, but for an author box's description
    of its author (`_AUTHOR_ABOUT`)."""
    if tree is None:
        return []
    return [el for el in tree.xpath(xpath)[:_SCANNED]
            if not _AUTHOR_ABOUT.search(el.get("class") or "") and _outside_comments(el)][:limit]


# a visible "By Jane Doe" line when no element is marked as the byline: the element's own leading text (not its
# whole subtree's, which costs a walk of every nested div), tested in Python over the body's elements of these tags.
# An XPath of the labels as string predicates cost 10 ms a page with these 18 labels (4 ms with 6), the loop ~1 ms.
# Bounding the search to the 80 elements after the first h1 saved ~1 ms a page but lost 7 of the dev pages' authors.
_BY_TAGS = ("p", "div", "span", "li", "address", "small", "em", "strong", "b", "h2", "h3", "h4", "h5", "h6", "dd", "td")
_HEADINGS = {"h2", "h3", "h4", "h5", "h6"}
_BY_START = re.compile(r"\s*(?:this\s+(?:post|article|story)\s+was\s+written\s+by|"
                       r"(?:(?:written|posted|article|text|words|story)\s+)?by):?(?:\s|$)|"
                       r"\s*(?:authors?|contributors?):(?:\s|$)", re.I)
# a heading takes only a written-out label: "By Event Type" and "By Region" head a site's filters
_HEADING_START = re.compile(r"\s*(?:(?:written|posted|article|text|words|story)\s+by|authors?:|contributors?:)(?:\s|$)",
                            re.I)


# a form's consent line, not a byline: "By using HomeAdvisor, you agree to our Terms & Conditions"
_BY_CONSENT = re.compile(r"\s*by\s+(?:using|submitting|clicking|continuing|signing|subscribing|registering|entering|"
                         r"creating|providing|accessing|visiting|browsing|checking|joining|proceeding|tapping|"
                         r"selecting|opting|completing|sharing|downloading|purchasing|placing)\b", re.I)


def _by_label_elements(tree, limit: int) -> list:
    """Of the first `limit` elements whose own text starts with a byline label ("By", "Written by:", "Author:"),
    outside comment areas and buttons, those that are not a form's consent line ("By signing up, you agree"). A
    consent line still counts toward `limit`: dropping it must not reach further down the page, where related
    stories' cards carry their own bylines."""
    out = []
    if tree is None:
        return out
    seen = 0
    for el in tree.iter(*_BY_TAGS):
        text = el.text
        if text and (_HEADING_START if el.tag in _HEADINGS else _BY_START).match(text) and _outside_comments(el):
            seen += 1
            if not _BY_CONSENT.match(text):
                out.append(el)
            if seen >= limit:
                break
    return out


def _outside_comments(el) -> bool:
    """Not in a comment area (a class or id token that starts with "comment": "comment-author", "comments",
    "commentlist"; not "has-comments" or "commentary"), nor in a button, nor a menu's entry (the element or the two
    above it with a "menu" or "dropdown" class token: "By Company Size" heads a menu; only that near, and not <nav>:
    an unclosed <nav> or <li> of a menu makes the whole page its child). <body> and <html> are not looked at:
    themes put "no-comments" there."""
    for depth, a in enumerate(itertools.chain((el,), el.iterancestors())):
        if a.tag in ("body", "html"):
            return True
        if a.tag == "button" or _COMMENT_AREA.search(a.get("class") or "") or \
                _COMMENT_AREA.search(a.get("id") or "") or (depth <= 2 and _MENU.search(a.get("class") or "")):
            return False
    return True


# a visible "Published: January 3, 2024" / "Posted on 12/03/2024": the label in an element's own leading text, the
# date after it in the same element (its whole text, when the element is short: "Published <span>Apr 26, 2023</span>")
_DATE_LABEL = re.compile(r"\s*(?:(?:first\s+|originally\s+)?published|posted|date\s+published|publication\s+date)"
                         r"(?:\s+on)?\s*[:\-\u2013\u2014]?\s*(?P<rest>.*)$", re.I | re.S)
_DATE_LABEL_TAGS = ("p", "div", "span", "li", "small", "em", "strong", "b", "dd", "td", "time", "h5", "h6")
_DATE_SHAPE = re.compile(r"\b(?:1[0-9]|20)\d\d\b|\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b")
_DATE_END = re.compile(r"\s(?:\||\u00b7|\u2022|by\s|updated|last\s+updated|in\s)", re.I)


def _labelled_dates(tree, limit: int = 3) -> list[str]:
    """The first `limit` dates the page's text labels as the publication ("Published: January 3, 2024"), in page
    order and outside comment areas: the text after the label, cut at a separator ("|", "·", "by", "Updated")."""
    out: list[str] = []
    if tree is None:
        return out
    for el in tree.iter(*_DATE_LABEL_TAGS):
        m = _DATE_LABEL.match(el.text or "")
        if not m:
            continue
        rest = _text(m.group("rest"))
        if not _DATE_SHAPE.search(rest):
            whole = _tree_text(el)
            if len(whole) > 80:
                continue
            m = _DATE_LABEL.match(whole)
            rest = _text(m.group("rest")) if m else ""
        rest = _DATE_END.split(rest, 1)[0][:40].strip(" ,;:.")
        if _DATE_SHAPE.search(rest) and _outside_comments(el):
            out.append(rest)
            if len(out) >= limit:
                break
    return out


# a date shown by the headline, alone in its element: "Dec 30, 2013", "On 8 Oct 2022", "2024-11-06"
_SHOWN_DATE = re.compile(r"(?:(?:published|posted)(?:\s+on)?\s*:?\s*|on\s+)?(?P<date>" + MONTH +
                         r"\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}|\d{1,2}\s+" + MONTH + r",?\s+\d{4}|\d{4}-\d\d-\d\d)", re.I)
_SHOWN_UPDATED = re.compile(r"(?:last\s+)?updated", re.I)
# a reading time after a shown date: "February 4, 2025 - 11 minutes", "Updated Dec 18, 2025 · 12 min read"
_READING_TIME = re.compile(r"\s*[-–—·•|\u30fb\u2219]\s*\d{1,3}\s*(?:minutes?|mins?)\.?(?:\s+read)?$", re.I)
# a clock time after a shown date: "Nov 25, 2025 5:00 am PST", "March 3, 2024 at 17:30", "12 May 2023, 09:15 CET"
_CLOCK_TIME = re.compile(r"\s*(?:,|\bat\b|@|[-\u2013\u2014\u00b7\u2022|])?\s*\d{1,2}:\d\d(?::\d\d)?"
                         r"(?:\s*[ap]\.?\s?m\.?)?(?:\s+(?:(?-i:[A-Z]{2,5})|(?:UTC|GMT)\s*[+-]\s*\d{1,2}(?::?\d\d)?))?$", re.I)
SHOWN_DATE_REACH = (40, 10)
"""How many elements after and before the first <h1> `_shown_date` looks at (the article's header: byline, date,
share bar; a kicker or a title bar above the headline)."""


def _after(el):
    """The elements after `el` in document order (not its own descendants)."""
    while el is not None:
        for sib in el.itersiblings():
            yield from sib.iter()
        el = el.getparent()


def _before(el):
    """The elements before `el`, nearest first (not its ancestors): each preceding subtree walked backwards, lazily
    (a huge navigation block before the headline is not listed whole)."""
    while el is not None:
        for sib in el.itersiblings(preceding=True):
            node = sib
            while len(node):  # its last descendant first
                node = node[-1]
            while True:
                yield node
                if node is sib:
                    break
                prev = node.getprevious()
                if prev is None:
                    node = node.getparent()
                else:
                    node = prev
                    while len(node):
                        node = node[-1]
        el = el.getparent()


def _shown_date(tree) -> tuple[str | None, str | None]:
    """The dates the page shows by its headline, (published, updated): an element of under 4 children whose whole
    text is a full date ("Dec 30, 2013", "On 8 Oct 2022"), a reading time after it allowed, within
    `SHOWN_DATE_REACH` elements after the first <h1>, else before it. An "Updated ..." date met first ends that
    side's search for the publication (that header shows the update) and is the updated one. Measured on the dev
    pages (docs/benchmarks.md, "Dates shown under the headline")."""
    h1 = _first_xpath(tree, "//h1") if tree is not None else None
    if h1 is None:
        return None, None
    kind, after = _shown_date_in(_after(h1), SHOWN_DATE_REACH[0])
    if kind == "published":
        return after, None
    kind_before, before = _shown_date_in(_before(h1), SHOWN_DATE_REACH[1])
    return (before if kind_before == "published" else None,
            after if kind == "updated" else before if kind_before == "updated" else None)


SHOWN_DATE_NODES = 24
"""The most nodes (elements, comments) an element may hold to be read as a shown date: a date's element holds a
few. Without this bound, each of 40 nested wrappers around 50,000 comments was read whole (17 s for one page)."""


def _short_text(el, limit: int) -> str | None:
    """`el`'s text when it has at most `limit` characters and `SHOWN_DATE_NODES` nodes, else None: reading stops
    there (an element of few children may still hold a whole article, or a deep pile of empty ones)."""
    if sum(1 for _ in itertools.islice(el.iter(), SHOWN_DATE_NODES + 1)) > SHOWN_DATE_NODES:
        return None
    parts, size = [], 0
    for piece in el.itertext():
        size += len(piece.strip())  # the indentation around a piece does not count
        if size > limit:
            return None
        parts.append(piece)
    return "".join(parts)


def _within(elements, reach: int):
    """The first `reach` elements of `elements` that are not scripts, styles or comments, reading at most
    20 x `reach` nodes (comments and scripts count there): the article's header, bounded on a page that piles up
    comments before it."""
    seen = nodes = 0
    for el in elements:
        nodes += 1
        if nodes > 20 * reach:
            return
        if not isinstance(el.tag, str) or el.tag in ("script", "style", "noscript", "template"):
            continue
        seen += 1
        if seen > reach:
            return
        yield el


def _shown_date_in(elements, reach: int) -> tuple[str | None, str | None]:
    """The first shown date among `elements`: ("published", value) for a date alone, ("updated", value) for an
    "Updated ..." one, (None, None) when none is within `reach`."""
    for el in _within(elements, reach):
        if len(el) >= 4:
            continue
        text = _short_text(el, 80)
        text = _CLOCK_TIME.sub("", _READING_TIME.sub("", _text(text))).strip(" \u2022\u00b7|") if text else ""
        if not text or len(text) > 40 or not any(c.isdigit() for c in text):
            continue
        numeric = _NUMERIC_DAY.match(text)
        if numeric:  # "12.12.2025", "25/11/2025": a numeric date that reads one way only
            one = _one_reading(numeric)  # one that reads both ways ("02.12.2025") is the header's date all the same:
            if one is None:              # the search ends there, without it
                return None, None
            return "published", _exact_time(el, dt.date.fromisoformat(one)) or one
        m = _SHOWN_DATE.fullmatch(text)
        if m:
            day = _day(m.group("date"), None)
            if day is None:  # "Feb 30, 2024", "March 1, 9999": no day, look on
                continue
            return "published", _exact_time(el, day) or m.group("date")
        if _SHOWN_UPDATED.match(text):
            m = _SHOWN_DATE.search(text)
            if m:  # that header shows the update: the search ends there, with it when it is a day
                day = _day(m.group("date"), None)
                return ("updated", _exact_time(el, day) or m.group("date")) if day is not None else (None, None)
    return None, None


def _exact_time(el, day: dt.date) -> str | None:
    """A <time> in `el` that says `day` to the minute, with its offset: it says the same day better."""
    t = el if el.tag == "time" else _first_xpath(el, ".//time[@datetime]")
    exact = t.get("datetime") if t is not None else None
    return exact if exact and _day(exact, None) == day else None


HEADER_BYLINE_REACH = 40
"""How many elements after the first <h1> `_header_byline` looks at (the same header `SHOWN_DATE_REACH` reads)."""


BYLINE_NODES = 40
"""The most nodes an element may hold to be read as a byline under the headline."""
_BYLINE_MARK = re.compile(r"author|byline|(?:^|[-_\s])by(?:$|[-_\s])", re.I)


def _byline_marked(el) -> bool:
    """A "By ..." line that is a byline, not a heading or a phrase ("By Price Range", "By Public Transport"): the
    label is written out ("Written by", "Posted by", "Author:"), or the line holds a link (to its author), or it,
    an element in it or one of its two nearest ancestors has a class or id that says author or byline ("by-div",
    "author-link", "hero-information-author"). `el` is small (`BYLINE_NODES`)."""
    if _HEADING_START.match(el.text or "") or _first_xpath(el, ".//a") is not None:
        return True
    return any(isinstance(a.tag, str) and _BYLINE_MARK.search(f"{a.get('class') or ''} {a.get('id') or ''}")
               for a in itertools.chain(el.iter(), itertools.islice(el.iterancestors(), 2)))


def _links_to_its_name(el) -> bool:
    """`el` holds a link whose address carries its own text as a slug: a person's page ("Charles Patterson" ->
    "/charles-patterson/")."""
    for a in el.iter("a"):
        slug = re.sub(r"\W+", "-", _tree_text(a).casefold()).strip("-")
        if len(slug) >= 5 and slug in (a.get("href") or "").casefold():
            return True
    return False


def _header_byline(tree, declared: tuple[str, ...], site: str | None) -> tuple[str, ...]:
    """The metadata's authors (`declared`), unless a "By ..." line under the headline names other people: the
    writer a reader sees, where the metadata names the account that posted it (a guest post under "KatieS" or
    the site's editor). Within `HEADER_BYLINE_REACH` elements after the first <h1>, outside comment areas, a line
    marked as a byline (`_byline_marked`); not when it names one of the declared authors, nor when it gives only
    user names."""
    h1 = _first_xpath(tree, "//h1") if declared and tree is not None else None
    if h1 is None:
        return declared
    for el in _within(_after(h1), HEADER_BYLINE_REACH):
        text = el.text
        if el.tag not in _BY_TAGS or not text or not _BY_START.match(text):
            continue
        if sum(1 for _ in itertools.islice(el.iter(), BYLINE_NODES + 1)) > BYLINE_NODES:
            continue  # a byline holds a few nodes, not the article
        # a heading that starts with "By" heads a filter ("By Price Range") unless it is written out or links to
        # its person's page ("By <a href=/charles-patterson/>Charles Patterson</a>")
        if el.tag in _HEADINGS and not (_HEADING_START.match(text) or _links_to_its_name(el)):
            continue
        if not _byline_marked(el) or not _outside_comments(el):
            continue
        shown = choose_authors([[b] for b in _bylines([el])], site)
        if not shown:
            continue
        declared_keys = {_key(a) for a in declared}
        if any(_key(a) in declared_keys for a in shown) or all(len(a.split()) < 2 for a in shown):
            return declared  # the same people, or a user name ("By TurboTaxLisa" over "Lisa Greene-Lewis")
        count("authors.header_byline_over_metadata")
        return shown
    return declared


def _listed_with(tree, found: tuple[str, ...], site: str | None) -> tuple[str, ...]:
    """The one author `found`, or the authors the page lists with them: links to authors' pages side by side
    ("<a href=/author/ruima/>Rui Ma</a><span>, </span><a href=/author/heba/>Heba Ledwon</a>", or one link in each
    <li> of a list), the first of them the author found. Metadata often names only the first of several, and the
    author-link fallback takes one link. Not a list that starts with someone else (a site's list of its writers)."""
    if len(found) != 1 or tree is None:
        return found
    key = _key(found[0])
    for link in _marked_bylines(tree, _AUTHOR_LINK_XPATH, _SCANNED):
        if _key(link.text_content()) != key:
            continue
        if not _starts_its_list(link) or _in_side_block(link):
            return found  # a list of the site's writers, a related story's card: not this article's byline
        names = [_text(a.text_content()) for a in _author_links_beside(link)]
        listed = clean_authors(names, site) if len(names) > 1 else ()
        if len(listed) > 1 and _key(listed[0]) == key:
            count("authors.listed_with_the_first")
            return listed
        return found
    return found


def _writer_over_site_account(tree, found: tuple[str, ...], site: str | None) -> tuple[str, ...]:
    """The authors found, unless they are the site's own account ("Team Tiger Data" on "Tiger Data Blog") and a
    "Written by ..." or "by ..." line elsewhere on the page (the article's foot) names a person: then that person.
    Not a line in a related story's card or a quote (an attribution), nor on a site named after its author."""
    account = _account_key(site) if site else ""
    if len(found) != 1 or not account or _account_key(found[0]) != account \
            or _key(found[0]) == _key(site):  # a personal site named after its author ("Seth Godin")
        return found
    own = [el for el in _by_label_elements(tree, 5) if not _in_side_block(el) and not _in_quote(el)]
    for line in _bylines(own):
        shown = clean_authors([line], site)
        if shown and all(len(a.split()) >= 2 for a in shown) and not any(_account_key(a) == account for a in shown):
            count("authors.writer_over_site_account")
            return shown
    return found


_ACCOUNT_WORDS = {"team", "the", "editorial", "editors", "editor", "staff", "blog", "desk", "newsroom", "news"}


def _account_key(name: str) -> str:
    """A name without the words a site's account adds to the site's name ("Team", "Editorial", "Blog")."""
    return " ".join(w for w in _key(name).split() if w not in _ACCOUNT_WORDS)


_LIST_JOINERS = {",", "and", "&", ", and", "|", "·", "•"}
AUTHOR_LIST_MAX = 8


def _is_author_link(el) -> bool:
    """`el` is a link to an author's page, by `_AUTHOR_LINK_XPATH`'s own test of the href."""
    return el is not None and isinstance(el.tag, str) and bool(_IS_AUTHOR_LINK(el))


def _starts_its_list(link) -> bool:
    """No author link comes just before `link` in its list (the previous <li>'s, or the previous sibling, past a
    separator element)."""
    parent = link.getparent()
    if parent is not None and parent.tag == "li":
        prev = parent.getprevious()
        return not (prev is not None and prev.tag == "li" and any(_is_author_link(a) for a in prev.iter("a")))
    prev = link.getprevious()
    if prev is not None and isinstance(prev.tag, str) and prev.tag != "a" and \
            _text(prev.text_content()).lower() in _LIST_JOINERS:
        prev = prev.getprevious()
    return not _is_author_link(prev)


# (not "aside" or "sidebar": a report's own metadata may sit in a sidebar, its authors there, dev 4519)
_SIDE_BLOCK = re.compile(r"related|widget|footer|card|teaser|recommend|more-?stories|popular", re.I)


def _in_side_block(el, levels: int = 8) -> bool:
    """`el` is in a footer or a navigation, or in a block whose class or id names related stories, a widget, a
    card or a teaser, within `levels` ancestors."""
    for depth, a in enumerate(el.iterancestors()):
        if depth >= levels or a.tag in ("body", "html"):
            return False
        if a.tag in ("footer", "nav") or _SIDE_BLOCK.search(f"{a.get('class') or ''} {a.get('id') or ''}"):
            return True
    return False


def _in_quote(el, levels: int = 4) -> bool:
    """`el` is in a quote or a figure (an attribution, a photo credit), within `levels` ancestors."""
    return any(a.tag in ("blockquote", "q", "figure", "figcaption")
               for a in itertools.islice(el.iterancestors(), levels))


def _author_links_beside(link) -> list:
    """`link` and the author links that follow it in one list: siblings joined by a separator (a tail or an element
    holding only ", ", "and", "&"), or one link alone in each of the following <li>s of its list. At most
    AUTHOR_LIST_MAX."""
    parent = link.getparent()
    if parent is not None and parent.tag == "li" and _text(parent.text_content()) == _text(link.text_content()):
        out = [link]
        for li in parent.itersiblings():
            if not isinstance(li.tag, str) or li.tag != "li" or len(out) >= AUTHOR_LIST_MAX:
                break
            inner = [a for a in li.iter("a") if _is_author_link(a)]
            if len(inner) != 1 or _text(li.text_content()) != _text(inner[0].text_content()):
                break
            out.append(inner[0])
        return out
    out, node = [link], link
    while len(out) < AUTHOR_LIST_MAX:
        sep, nxt = _text(node.tail).lower(), node.getnext()
        if not sep and nxt is not None and isinstance(nxt.tag, str) and nxt.tag != "a" \
                and _text(nxt.text_content()).lower() in _LIST_JOINERS:  # "<span>, </span>" between the links
            if _text(nxt.tail):
                break
            sep, nxt = _text(nxt.text_content()).lower(), nxt.getnext()
        if sep not in _LIST_JOINERS or not _is_author_link(nxt):
            break
        out.append(nxt)
        node = nxt
    return out


# a comment area; also the widgets that list a site's latest comments: Joomla's "jcomments-latest", WordPress's
# "recentcomments", a theme's "latest-comments" (their names are commenters')
_COMMENT_AREA = re.compile(
    r"(?:^|[\s_])comment(?!ary)|(?:^|\s)(?:jcomments|recentcomments|(?:latest|recent)[-_]?comments)", re.I)
_MENU = re.compile(r"(?:^|\s)(?:sub-?|mega-?)?(?:menu|dropdown)", re.I)
# in a byline, what is not the name: an avatar's initials ("NB"), a photo, the author's job title, the story's
# tags and categories ("Lifestyle"), a label or badge beside the name ("Sponsored", class "super-content-mark")
# ("author-title", not "title-wrapper"; "content-mark", not "bookmark")
_NOT_NAME_CLASS = re.compile(r"avatar|initials|photo|image|thumb|(?:^|[-_\s])(?:job|role|position|tags?|category|"
                             r"description|categories|mark|badge|label)(?:$|[-_\s])|[-_]title(?:$|\s)", re.I)
_NOT_NAME_HREF = re.compile(r"/(?:tags?|category|categories|topics?)/", re.I)


def _byline_parts(el) -> list[str]:
    """The texts of a byline element, in order, without what is not the name (`_NOT_NAME_CLASS`, links to tags and
    categories)."""
    parts: list[str] = []

    def walk(node) -> None:
        if not isinstance(node.tag, str) or _NOT_NAME_CLASS.search(node.get("class") or "") or \
                (node.tag == "a" and _NOT_NAME_HREF.search(node.get("href") or "")):
            return
        parts.append(_text(node.text))
        for child in node:
            walk(child)
            parts.append(_text(child.tail))

    walk(el)
    return [p for p in parts if p]


_LABEL_ONLY = re.compile(r"(?:^|\s)(?:written\s+|posted\s+|article\s+)?by\s*:?\s*$|^(?:authors?|contributors?)\s*:?\s*$",
                         re.I)


_PUBLISHED_META = (
    "article:published_time", "og:article:published_time", "datepublished", "pubdate", "publishdate", "date",
    "dc.date", "dc.date.issued", "dcterms.created", "sailthru.date", "parsely-pub-date", "publish-date",
    "article.published", "cxenseparse:recs:publishtime",
)


_MODIFIED_META = ("article:modified_time", "og:updated_time", "og:article:modified_time", "datemodified",
                  "dcterms.modified", "last-modified", "parsely-updated-date")


_COPYRIGHT = re.compile(
    r"(?:(?:©|\(c\)|copyright)\s*)+(?:(?:19|20)\d\d(?:\s*[-–]\s*(?:19|20)?\d\d)?\s*,?\s*)?"
    r"(?:by\s+)?(?P<name>[A-Z][\w&.'’ -]{1,60}?)"
    r"(?=\s*(?:[.,;|]|all rights|(?:or|and) its\b|\(|$|(?:19|20)\d\d))", re.I)
_NOT_A_NAME = re.compile(r"^(?:the\s+)?(?:author|authors|owner|copyright|all|rights|respective|original|this|"
                         r"site|website|page|material|content|photo|image|cc|creative commons|gnu|some)s?\b", re.I)


_DATE_LIKE = re.compile(r"^[\d\s/.,:-]+$|^\d{1,2}\s+\w+\s+\d{4}$|^\w+\s+\d{1,2},?\s+\d{4}$")


def _name_like(s: str) -> bool:
    """Could be a publisher's name: has letters, is not a date or a number."""
    return any(c.isalpha() for c in s) and not _DATE_LIKE.match(s.strip())


def _title_affix(title: str, headlines: list[str]) -> str | None:
    """The site name glued to a `<title>`: "icScotland - More Britons in blood scandal", "Kemble quits - World -
    Sport - The Age". When one end of the title is the headline (another source says so), the other end, if it is
    name-sized and not longer than the headline. With no headline known, the clearly shorter end (at most 3
    words, against at least 2 more). Otherwise none: a wrong guess would name the publisher after a headline
    ("Fire destroys warehouse - Springfield Gazette Online") and cut the headline out of the title."""
    parts = [p.strip() for p in _TITLE_SEPARATORS.split(title) if p.strip()]
    if len(parts) < 2:
        return None
    whole = _key(title)
    keys = [k for k in (_key(h) for h in headlines if h and len(h) >= 3) if k and k != whole]
    first, last = parts[0], parts[-1]

    def is_headline(part: str) -> bool:
        k = _key(part)
        return bool(k) and any(k in h or h in k for h in keys)

    def name_sized(part: str) -> bool:
        return 2 <= len(part) <= 40 and len(part.split()) <= 5 and _name_like(part)

    first_h, last_h = is_headline(first), is_headline(last)
    if first_h != last_h:
        headline, other = (first, last) if first_h else (last, first)
        if name_sized(other) and len(other.split()) <= len(headline.split()) and not is_headline(other):
            return other
        return None
    if first_h and last_h:
        return None
    short, long_ = sorted((first, last), key=lambda p: len(p.split()))
    if name_sized(short) and len(short.split()) <= 3 and len(long_.split()) >= len(short.split()) + 2:
        return short
    return None


def _copyright_holder(tree) -> str | None:
    """The holder named in the page's copyright line ("Copyright © 2008 The Age Company Ltd.")."""
    if tree is None:
        return None
    for node in tree.xpath("//body//text()[contains(., '©') or contains(translate(., 'COPYRIGHT', 'copyright'), "
                           "'copyright') or contains(., '(c)') or contains(., '(C)')]")[-6:][::-1]:
        text = _text(str(node))
        parent = node.getparent()
        while parent is not None and not isinstance(parent.tag, str):
            # the tail of a comment or processing instruction: the line is its element's (a comment has no
            # text_content: lxml raised "Input object is not an XML element: HtmlComment" on a real 2008 page)
            parent = parent.getparent()
        if parent is not None and len(text) < 30:  # "©" alone in its own element: read the whole line
            text = _text(parent.text_content())
        for m in _COPYRIGHT.finditer(text[:300]):
            name = _text(m.group("name")).rstrip(" -")
            if 2 <= len(name) <= 60 and not _NOT_A_NAME.match(name) and len(name.split()) <= 7 \
                    and _name_like(name) and not name[0].islower():
                return name
    return None


def _publisher_without_metadata(title: str, headlines: list[str], tree, page_url: str | None, head) -> str | None:
    """The publisher of a page whose metadata names none, in order: the `<title>` affix, the copyright line, the
    host of the canonical (or `<base>`) url. Which one answered is counted (`publisher.from.<how>`)."""
    folders = _folders(urlsplit(page_url).path) if page_url else set()  # page_url parses (page_metadata)
    for how, found in (("title_affix", lambda: _title_affix(title, headlines) if title else None),
                       ("copyright", lambda: _copyright_holder(tree))):
        name = found()
        if name and how == "title_affix" and _names_section(name, folders):  # "| Opinion" on /opinion/...: a section
            count("publisher.refused.section")
            continue
        if name:
            count(f"publisher.from.{how}")
            return name
    base = head.find("base", href=True) if head is not None else None
    for how, candidate in (("url", page_url), ("url", base.get("href") if base else None),
                           ("feed", _feed_url(head)), ("search_form", _form_action(tree)),
                           ("links", _link_majority(tree))):
        host = _host(candidate)
        if host:
            count(f"publisher.from.{how}")
            return host
    count("publisher.unknown")
    return None


def _parses(url: str) -> bool:
    """Whether `url` splits into parts, its host included (urlsplit raises on "http://[domain]/x")."""
    try:
        urlsplit(url).hostname  # noqa: B018 - the host is parsed when read, and that may raise too
    except ValueError:
        return False
    return True


def _join(base: str | None, href: str | None) -> str | None:
    """`href` resolved against the page's url; None when it does not parse ("https://[domain]/story", a template's
    placeholder): that link is skipped, not the page."""
    try:
        url = urljoin(base or "", href or "")
        return url if _parses(url) else None
    except ValueError:
        return None


def _host(url: str | None) -> str:
    try:
        return (urlsplit(url).hostname or "").removeprefix("www.") if url and url.startswith(("http", "//")) else ""
    except ValueError:
        return ""


def _feed_url(head) -> str | None:
    """The site's own RSS/Atom feed (`<link rel=alternate type=application/rss+xml>`): on the site's host."""
    if head is None:
        return None
    for link in head.find_all("link", href=True)[:40]:
        kind = (link.get("type") or "").lower()
        if "rss" in kind or "atom" in kind:
            host = _host(link["href"])
            if host and not _THIRD_PARTY.search(host):
                return link["href"]
    return None


def _form_action(tree) -> str | None:
    """The site search form's absolute action url (legacy pages: `<form action="http://www.site.com/search">`)."""
    for action in (tree.xpath("//form[@action][.//input[@type='text' or @name='q' or @name='query' or "
                              "@name='search' or @name='s']]/@action")[:5] if tree is not None else []):
        if "search" in action.lower() and _host(action) and not _THIRD_PARTY.search(_host(action)):
            return action
    return None


_THIRD_PARTY = re.compile(
    r"(?:^|\.)(?:facebook|twitter|x|google|googleapis|googlesyndication|doubleclick|youtube|instagram|linkedin|"
    r"pinterest|reddit|addthis|sharethis|feedburner|wordpress|blogger|apple|microsoft|adobe|amazon|akamai|"
    r"cloudfront|gstatic|yahoo|bing|wikipedia|w3|creativecommons|digg|delicious|stumbleupon|technorati|"
    r"feedblitz|disqus|gravatar|flickr|tumblr|whatsapp|t)\.[a-z.]+$")


def _link_majority(tree) -> str | None:
    """The host most of the page's absolute links point to, when it clearly dominates (at least 5 links and 40 %
    of them, third-party hosts left out): a page links mostly to its own site."""
    if tree is None:
        return None
    hosts = Counter()
    for href in tree.xpath("//a/@href")[:2000]:
        host = _host(href)
        if host and not _THIRD_PARTY.search(host):
            hosts[host] += 1
    if not hosts:
        return None
    (host, n), total = hosts.most_common(1)[0], sum(hosts.values())
    return f"http://{host}/" if n >= 5 and n >= 0.4 * total else None


def _first_real_date(candidates: list, fetched_at: dt.datetime | None, languages: tuple[str, ...],
                     counter: str = "dates.refused") -> str | None:
    """The first candidate that is a real publication date (see page_metadata); refusals are counted."""
    when = fetched_at or dt.datetime.now(dt.timezone.utc)
    for value in candidates:
        if not isinstance(value, str) or not value.strip():
            continue
        t, why = published_time(value.strip(), when, languages)
        if t is not None:
            return value.strip()
        count(f"{counter}.{why}")
    return None


def _day(value: str | None, fetched_at: dt.datetime | None, languages: tuple[str, ...] = ("en",)) -> dt.date | None:
    """The calendar day of a published time as the page wrote it (None when it is none)."""
    t, _ = published_time(value, fetched_at or dt.datetime.now(dt.timezone.utc), languages) if value else (None, None)
    return t.date() if t is not None else None


_NUMERIC_DAY = re.compile(r"^\s*(\d{1,2})([-./])(\d{1,2})\2(\d{4})\s*$")
_ISO_DAY = re.compile(r"^\s*(\d{4}-\d\d-\d\d)")


def _day_first_if_the_page_says_so(value: str | None, others: list) -> str | None:
    """A numeric date that reads both ways ("02-12-2025": 12 February month first, as dateparser reads it for
    English, or 2 December day first) as the day the page's own ISO dates name: `<time datetime="02-12-2025">`
    beside `<time datetime="2025-12-02">December 02, 2025</time>`. Only when the page names the day-first reading
    and not the month-first one; then the day is written ISO ("2025-12-02"). Anything else is left as it is."""
    m = _NUMERIC_DAY.match(value) if value else None
    if m is None or not _reads_both_ways(m):
        return value
    first, second, year = int(m.group(1)), int(m.group(3)), int(m.group(4))
    days = {d.group(1) for d in (_ISO_DAY.match(o) for o in others if isinstance(o, str)) if d}
    day_first, month_first = f"{year:04d}-{second:02d}-{first:02d}", f"{year:04d}-{first:02d}-{second:02d}"
    if day_first in days and month_first not in days:
        count("dates.numeric_read_day_first")
        return day_first
    return value


def _reads_both_ways(m: re.Match) -> bool:
    """A `_NUMERIC_DAY` match that reads as two days ("02.12.2025"), not one (the day and month agree, or one of them
    is over 12)."""
    first, second = int(m.group(1)), int(m.group(3))
    return first != second and first <= 12 and second <= 12


def _one_reading(m: re.Match) -> str | None:
    """A `_NUMERIC_DAY` match that reads one way only ("12.12.2025", "25/11/2025") as an ISO day; None for a date
    that reads both ways ("02.12.2025"), or no day at all ("31.31.2025")."""
    if _reads_both_ways(m):
        return None
    first, second, year = int(m.group(1)), int(m.group(3)), int(m.group(4))
    day, month = (first, second) if first > 12 or first == second else (second, first)
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:  # "31.31.2025", "45/12/2025"
        return None


_UTC_TIME = re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]00:?00)$", re.I)


def _in_offset(value: str | None, others: list) -> str | None:
    """A time the page gives in UTC as the same instant in the page's own offset, whose calendar day is the page's
    (the `date` partition): the offset of another of the page's times for the same instant (within 5 minutes;
    "<time datetime=...T19:05:00-08:00>" beside WordPress's "...T03:05:00+00:00"). Only the same instant: an
    offset taken from another day of the year may be the other side of a daylight-saving change. The instant does
    not change; a time without an offset is left as written, and so is one the page gives nowhere else."""
    if value is None or not _UTC_TIME.match(value.strip()):
        return value
    try:
        when = parse_timestamp(value)
    except (ValueError, OverflowError):
        return value
    for v in others:
        if isinstance(v, str) and len(v) <= 40 and ("+" in v or v.count("-") > 2):
            try:
                t = parse_timestamp(v, keep_offset=True)
            except (ValueError, OverflowError):
                continue
            if t.utcoffset() and abs((t - when).total_seconds()) <= 300:
                return when.astimezone(t.tzinfo).isoformat()
    return value


def page_metadata(head: BeautifulSoup, tree, url: str | None, fetched_at: dt.datetime | None = None,
                  languages: tuple[str, ...] = ("en",)) -> tuple[PageMeta, list[dict]]:
    """The page's own metadata (head and JSON-LD via bs4; h1, <time>, bylines from the lxml body tree) and its
    JSON-LD article objects (the first is the main one).

    The published date is a date the text labels "Published", else the first of the chain (JSON-LD datePublished,
    dateCreated, `article:published_time` and other meta, `<time datetime>`, a date in the url, the JSON-LD
    WebPage's datePublished) that is a real publication date: one that parses, is not before 1990 and not more than
    a day after the fetch (`fetched_at`, else now). A refused one is counted (`dates.refused.<why>`) and the next is
    tried. A date shown by the headline (`_shown_date`, under the first <h1>, else above it) replaces the chain's
    when its day differs, unless it is the day the page says it was modified. htmldate comes last
    (split_html_page)."""
    objs = _jsonld_objects(head)
    meta = _meta_index(head)
    articles = [o for o in objs if _types(o) & _ARTICLE_TYPES]
    main_ld = articles[0] if articles else {}
    site = _first(meta, "og:site_name", "application-name", "publisher")
    if site and len(site.split()) >= 4 and _key(site) == _key(_first(meta, "og:title", "twitter:title")):
        site = None  # a theme that writes the page's title as its site name: "How to Design a Website ... | Clay"
    if not site:
        for o in objs:
            if {"organization", "newsmediaorganization", "website"} & _types(o) and isinstance(o.get("name"), str):
                site = _text(o["name"])
                break
    if not site and main_ld:
        site = next(iter(_names(main_ld.get("publisher"))), None)
    canonical = head.find("link", attrs={"rel": re.compile(r"^canonical$", re.I)})
    # the first url that parses: a template's placeholder ("https://[domain]/post") makes urlsplit raise
    page_url = next((u for u in (url, canonical.get("href") if canonical else None, _first(meta, "og:url"))
                     if u and _parses(u)), None)
    title_tag = head.find("title")
    tag_title = _text(title_tag.get_text()) if title_tag else None
    if site:
        count("publisher.from.metadata")
    else:
        site = _publisher_without_metadata(
            tag_title if title_tag else _tree_text(_first_xpath(tree, "//title")),
            [_tree_text(h) for h in (tree.xpath("//h1")[:4] if tree is not None else [])]
            + [c for c in (main_ld.get("headline"), _first(meta, "og:title", "twitter:title")) if isinstance(c, str)],
            tree, page_url, head)
    title, title_source = _choose_title(
        [_tree_text(h) for h in (tree.xpath("//h1")[:4] if tree is not None else [])],
        _text(unescape(main_ld["headline"])) if isinstance(main_ld.get("headline"), str) else None,
        _first(meta, "og:title", "twitter:title"),
        tag_title,
        site,
        page_url,
    )
    if not title:
        title, title_source = _fallback_title(tree, site)
    candidates = [main_ld.get("datePublished"), main_ld.get("dateCreated")]
    candidates += [meta.get(k) for k in _PUBLISHED_META]
    time_el = _first_xpath(tree, "//time[@datetime]")
    candidates.append(time_el.get("datetime") if time_el is not None else None)
    if page_url:
        m = _URL_DATE.search(urlsplit(page_url).path)
        if m:
            candidates.append(f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}")
    # last before htmldate: the JSON-LD WebPage's own datePublished (Yoast's graph dates the page, with no Article
    # object): dev +2 -1, held-out +1 against htmldate on the pages where it decided
    candidates += [o.get("datePublished") for o in objs if "webpage" in _types(o)][:1]
    # A date the page's text labels as the publication comes first: it is what a reader sees. Measured on the dev
    # pages against taking it only when no metadata has a date: 396 right days against 395 (JSON-LD said
    # "Aug 21, 2025" where the page said "Published Apr 26, 2023"), one lost to a day boundary; held-out unchanged.
    updated = _first_real_date([main_ld.get("dateModified")] + [meta.get(k) for k in _MODIFIED_META],
                               fetched_at, languages, "dates.refused_updated")
    published = _first_real_date(_labelled_dates(tree), fetched_at, languages)
    shown, shown_updated = _shown_date(tree)
    if published is None:
        published = _first_real_date(candidates, fetched_at, languages)
        # A date shown under the headline comes before the metadata's, which is often a migration's or a
        # template's. Not when it is the day the metadata says the page was modified (it shows the update), nor
        # when the metadata says the same day (to the minute).
        day = _day(shown, fetched_at, languages)
        if day is not None and day == _day(updated, fetched_at, languages):
            count("dates.shown_is_updated")
        elif day is not None and day != _day(published, fetched_at, languages):
            count("dates.shown_over_metadata")
            published = shown
    # An "Updated ..." date shown by the headline is the update a reader sees; the metadata's modified time is often
    # a rebuild's. Taken when it says another day, not one before the publication nor after the fetch; not the day
    # next to a modified time the metadata gives to the minute ("Updated Dec 18, 2025 at 9:00 p.m. ET" beside
    # "2025-12-19T02:00:00Z" is the same moment, which the metadata says better).
    day, published_day = _day(shown_updated, fetched_at, languages), _day(published, fetched_at, languages)
    modified_day = _day(updated, fetched_at, languages)
    if day is not None and day != modified_day and \
            (modified_day is None or abs((day - modified_day).days) > 1 or ":" not in updated) and \
            (published_day is None or day >= published_day) and \
            _first_real_date([shown_updated], fetched_at, languages, "dates.refused_updated"):
        count("dates.shown_updated_over_metadata")
        updated = shown_updated
    # the page's first <time datetime> values: the readings a numeric date may take, and the offsets of its instants
    times = [t.get("datetime") for t in (tree.xpath("//time[@datetime]")[:8] if tree is not None else [])]
    published = _day_first_if_the_page_says_so(published, candidates + times)
    if any(v is not None and _UTC_TIME.match(v.strip()) for v in (published, updated)):  # else nothing to do
        others = candidates + [main_ld.get("dateModified")] + [meta.get(k) for k in _MODIFIED_META] + times
        published, updated = _in_offset(published, others), _in_offset(updated, others)
    # JSON-LD, then meta, then the visible byline: the first that names a person (people.py cleans each)
    meta_authors = [a for a in (_first(meta, k) for k in ("author", "article:author", "dc.creator", "parsely-author",
                                                          "sailthru.author")) if a and not a.lower().startswith("http")]
    # Slack's unfurl labels, which Yoast and Ghost fill: twitter:label1 "Written by", twitter:data1 the name
    unfurl = [meta[f"twitter:data{i}"] for i in (1, 2, 3) if f"twitter:data{i}" in meta
                     and meta.get(f"twitter:label{i}", "").strip(" :").lower() in ("written by", "author", "by")]
    # a page whose JSON-LD has no article object may still name its author on its WebPage object
    author_ld = main_ld or next((o for o in objs if "webpage" in _types(o) and o.get("author")), None)
    ld_authors = author_ld.get("author") if author_ld else None
    ld_people = [_by_id(a, objs) for a in (ld_authors if isinstance(ld_authors, list) else [ld_authors])]
    ld_people = [a for a in ld_people
                 if not (isinstance(a, dict) and {"organization", "newsmediaorganization"} & _types(a))]
    # the page's bylines only when metadata names nobody; a "By ..." line only when no element is marked as one
    authors = _header_byline(tree, choose_authors([_names(ld_people), meta_authors[:1], unfurl[:1]], site), site) or \
        choose_authors([[b] for b in _bylines(_marked_bylines(tree, _BYLINE_XPATH, 10), boxes=True)], site) or \
        choose_authors([[b] for b in _bylines(_by_label_elements(tree, 5))], site) or \
        choose_authors([[b] for b in _bylines(_marked_bylines(tree, _AUTHOR_LINK_XPATH, 2))], site) or \
        choose_authors([_avatar_name(tree)], site) or \
        choose_authors([_bio_name(tree)], site) or \
        choose_authors([_about_name(tree)], site) or \
        choose_authors([_more_by(tree)], site) or \
        choose_authors([_owner_name(tree, site, tag_title, page_url, _first(meta, "og:site_name", "application-name"))])
    authors = _writer_over_site_account(tree, _listed_with(tree, authors, site), site)
    return PageMeta(title, site, page_url, published, authors[0] if authors else None, title_source, updated,
                    authors, _claimed_language(head, meta)), articles


_WRITING_BY = r"(?:posts|articles|stories|blogs?|content|insights)\s+(?:by|from)"  # "posts by", "stories from"
_MORE_BY = re.compile(r"^\s*(?:view\s+|see\s+|read\s+)?(?:all|more)\s+" + _WRITING_BY +
                      r"\s+(\S.{1,60}?)\s*[»›→>.]*\s*$", re.I)
_MORE_BY_HINT = re.compile(_WRITING_BY + r"\b", re.I)
# text nodes first, by two plain needles: an XPath of the six words' needles over every node cost 3.7 ms a page
_MORE_BY_XPATH = "//body//text()[contains(., ' by ') or contains(., ' from ')]"


_AVATAR_TAIL = re.compile(r"^\s*([^|·•\n]{3,60}?)\s*(?:\bin\b|[|·•]|$)")


def _avatar_name(tree) -> list[str]:
    """The name beside the page's first avatar (an `<img>` with an "avatar" class, outside the comments), when
    nothing else names an author: its `alt`, else the text right after it ("[avatar] Mahua Das in Project
    Management"). Measured: dev pages whose gold names a person 337 -> 338 right, none made wrong; held-out
    unchanged."""
    if tree is None:
        return []
    for img in tree.xpath("//body//img[contains(@class, 'avatar')]")[:3]:
        if not _outside_comments(img):
            continue
        alt = _text(img.get("alt") or "")
        m = _AVATAR_TAIL.match(img.tail or "")
        return [alt] if alt else [m.group(1)] if m else []
    return []


_BIO_VERB = re.compile(r",?\s+(?:is|was|has\s+been|serves\s+as)\s+(?:a|an|the|our|\w+ing)\s", re.I)
BIO_REACH = 12
"""How many elements after a photo `_bio_name` looks for the bio that starts with the photo's name."""


def _bio_name(tree) -> list[str]:
    """The person of an author box, when nothing else names an author: a photo whose `alt` is a name of two to four
    words, and within `BIO_REACH` elements after it a paragraph that starts with that name and says who they are
    ("<img alt="Julia Gralberg"> ... <p>Julia Gralberg is a freelance travel writer"). Measured on the pages with no
    author: 2 dev pages right, none wrong, held-out unchanged. The photo alone is not enough: a photo followed by
    its name as a caption named a product or a headline on 29 of 36 dev and held-out pages."""
    if tree is None:
        return []
    for img in tree.iter("img"):
        alt = _text(img.get("alt"))
        if not 2 <= len(alt.split()) <= 4 or len(alt) > 40:
            continue
        seen = 0
        for el in _after(img):
            if not isinstance(el.tag, str) or el.tag in ("script", "style"):
                continue
            seen += 1
            if seen > BIO_REACH or el.tag == "img":
                break
            text = _text(el.text)
            if text[: len(alt)].casefold() == alt.casefold() and _BIO_VERB.match(text, len(alt)):
                return [text[: len(alt)]]  # as the bio spells it (alt="alban Brooke")
    return []


_BIO_NAME = re.compile(r"((?:[A-Z][\w'\u2019.-]*\s+){1,3}[A-Z][\w'\u2019.-]+)(?=" + _BIO_VERB.pattern + ")")
_NOT_NAME_START = {"this", "that", "these", "our", "your", "my", "his", "her", "their", "we", "the", "a", "an"}
_ABOUT_TAGS = ("h2", "h3", "h4", "h5", "h6", "p", "div", "span", "strong", "b", "dt")


def _about_name(tree) -> list[str]:
    """The person an "About the author" section introduces, when nothing else names an author: within `BIO_REACH`
    elements after the label, a paragraph that starts with a name of two to four capitalised words and says who
    they are ("About the Author:" ... "Juliette Carreiro is a skilled content creator")."""
    if tree is None:
        return []
    for label in tree.iter(*_ABOUT_TAGS):
        if not _ABOUT.match(_text(label.text)) or not _outside_comments(label):
            continue
        seen = 0
        for el in itertools.chain(label.iterdescendants(), _after(label)):
            if not isinstance(el.tag, str) or el.tag in ("script", "style"):
                continue
            seen += 1
            if seen > BIO_REACH:
                break
            m = _BIO_NAME.match(_text(el.text))
            if m:  # a person's name, not "Our Team", "Healthline Media", "This Old House"
                name = m.group(1)
                return [name] if a_name(name) and name.split()[0].lower() not in _NOT_NAME_START else []
        return []  # the first label only
    return []


def _more_by(tree) -> list[str]:
    """The author a link to their other writing names, when nothing else does: "All articles by Elliot Raba",
    "View all posts by Jane Doe", "More stories from Jane Doe" (the first such line of the page; people.py
    refuses what is no person, "this author"). Measured: dev pages whose gold names a person 334 -> 335 right, none
    made wrong; held-out unchanged."""
    if tree is None:
        return []
    for text in tree.xpath(_MORE_BY_XPATH)[:200]:
        if text.getparent().tag in ("script", "style") or len(text) > 200 or not _MORE_BY_HINT.search(text):
            continue
        m = _MORE_BY.match(text) or _MORE_BY.match(_tree_text(text.getparent()))
        if m:
            return [m.group(1)]
    return []


def _owner_name(tree, site: str | None, title: str | None, page_url: str | None, declared: str | None) -> list[str]:
    """The name of a personal site's owner, the author of a page nothing else names: a person's name (two to four
    capitalised words) as the text of one of the page's first links to its home page, that the site name or the
    `<title>` also gives ("Go ahead, self-host Postgres | Pierce Freeman", a header link "Pierce Freeman" to "/").
    Not the name the site declares for itself (`og:site_name`): there it was a blog's ("Restless Meanderer").
    Measured: dev pages whose gold names a person 332 -> 334 right, none made wrong; held-out unchanged (80)."""
    if tree is None:
        return []
    homes = {"/", "./", "../"}
    if page_url:
        parts = urlsplit(page_url)
        if parts.scheme and parts.netloc:
            root = f"{parts.scheme}://{parts.netloc}"
            homes |= {root, root + "/", root.replace("://www.", "://") + "/", root.replace("://", "://www.") + "/"}
    said = " ".join(x for x in (site, title) if x).casefold()
    for a in tree.xpath("//body//a[@href]")[:400]:
        if (a.get("href") or "").strip() not in homes:
            continue
        name = _tree_text(a).strip()
        if name and a_name(name) and name.casefold() in said and name.casefold() != (declared or "").casefold():
            return [name]
    return []


_LAYOUT_SHARE = 0.4


def unwrap_layout_tables(tree) -> int:
    """Turn the layout tables of a page into plain blocks (table, rows and cells become divs), so the main-text
    extractor weighs their cells like any other block instead of printing them as `| cell | cell |` rows.

    A layout table is an outermost table that holds another table or at least 40 % of the page's text: legacy
    pages put their navigation, article and footer in cells of one table. A data table in a modern article holds
    a small share of the page's text and stays a table (measured on the WCXB dev-set pages: unwrapping every table with
    paragraphs or long cells touched 57 of 709 modern pages and cost 0.001 F1). Returns how many were unwrapped.
    """
    body = tree.find(".//body")
    total = len((body if body is not None else tree).text_content().split()) or 1
    n = 0
    for table in tree.xpath("//table[not(ancestor::table)]"):
        if not (table.xpath(".//table") or len(table.text_content().split()) >= _LAYOUT_SHARE * total):
            continue
        n += 1
        for el in [table, *table.xpath(".//tr | .//td | .//th | .//tbody | .//thead | .//tfoot | .//table")]:
            el.tag = "div"
    return n


def extract_main_text(page, url: str | None = None, precision: bool = False) -> str:
    """The main text of a page (str, bytes or lxml tree; paragraphs separated by newlines), '' when none.
    `precision`: trafilatura's `favor_precision` instead of `favor_recall` (for table-layout pages)."""
    import trafilatura  # heavy import: only on workers that see HTML

    text = trafilatura.extract(
        page, url=url, favor_recall=not precision, favor_precision=precision, include_comments=False,
        include_tables=True, with_metadata=False,
    )
    return text or ""


def _related_from_jsonld(objs: list[dict], page_url: str | None, cards: CardRules) -> list[RawArticle]:
    """Further JSON-LD articles (after the main one) with a headline and url of their own: related articles
    when they carry a full `articleBody`, teasers when only a description (or a short body)."""
    out = []
    seen = {page_url}
    for o in objs[1:]:
        url = o.get("url") or o.get("mainEntityOfPage")
        url = url.get("@id") if isinstance(url, dict) else url
        headline = o.get("headline") or o.get("name")
        if not isinstance(headline, str) or not isinstance(url, str):
            continue
        url = _join(page_url, url)
        if url is None or url in seen:
            continue
        seen.add(url)
        full = o.get("articleBody") if isinstance(o.get("articleBody"), str) else ""
        body = full or o.get("description") or ""
        # an articleBody is one string, often with no paragraph breaks: its length alone decides
        card = not full or is_card(len(full.split()), cards.article_min_paragraphs, 0.0, cards)
        out.append(
            RawArticle(
                role="teaser" if card else "related", position=0, title=_text(headline),
                body_lines=tuple(str(body).split("\n")),
                source=next(iter(_names(o.get("publisher"))), None),
                published_raw=o.get("datePublished") if isinstance(o.get("datePublished"), str) else None,
                url=url, author=", ".join(_names(o.get("author"))) or None, title_source="metadata",
            )
        )
    return out


_POST_ID = re.compile(r"(?:^|\s)postid-(\d+)(?:\s|$)")
_POST_CLASS = re.compile(r"(?:^|\s)post-(\d+)(?:\s|$)")
_OTHER_POSTS = etree.XPath(
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' post-') and "
    "(contains(concat(' ', normalize-space(@class), ' '), ' type-post ') or "
    "contains(concat(' ', normalize-space(@class), ' '), ' hentry '))]")


def _move_out_other_posts(tree) -> list:
    """On a WordPress post's page (`<body class="... postid-1806">`), other posts' elements (class "post-7816
    type-post") inside the page's own post element ("post-1806") are not its text: a theme that leaves its
    `<article>` tags open nests the next posts' excerpts inside the page's post (a quotes site: the story, then five
    other quotes). Each is moved out, to the end of the `<body>`, where it is a post of its own (a teaser or a
    related article, `_related_from_article_tags`, before the main text is read without them); its tail text
    stays where it was. Returns them."""
    body = _first_xpath(tree, "//body")
    m = _POST_ID.search(body.get("class") or "") if body is not None else None
    if m is None:
        return []
    own = m.group(1)

    def post_id(el) -> str | None:
        found = _POST_CLASS.search(el.get("class") or "")
        return found.group(1) if found else None

    # all found first, then moved: a post nested in another post nested in the page's is moved out too
    others = [el for el in _OTHER_POSTS(tree) if post_id(el) not in (None, own)
              and any(post_id(a) == own for a in el.iterancestors())]
    for el in others:
        parent = el.getparent()
        if el.tail:  # the text after it stays where it was
            previous = el.getprevious()
            if previous is not None:
                previous.tail = (previous.tail or "") + el.tail
            else:
                parent.text = (parent.text or "") + el.tail
            el.tail = None
        body.append(el)
    if others:
        count("html.other_posts_moved_out", len(others))
    return others


def _related_from_article_tags(tree, page_url: str | None, main_title: str | None,
                               cards: CardRules) -> list[RawArticle]:
    """Outermost <article> elements with their own heading and link, other than the main article: teasers (link
    cards), or related articles when they hold an article's body (teasers.is_card)."""
    out = []
    seen = set()
    for art in tree.xpath("//article[not(ancestor::article)]") if tree is not None else []:
        heading = _first_xpath(art, ".//*[self::h1 or self::h2 or self::h3 or self::h4]")
        heading_link = _first_xpath(heading, ".//a[@href]") if heading is not None else None
        link = heading_link if heading_link is not None else _first_xpath(art, ".//a[@href]")
        if heading is None or link is None:
            continue
        title = _tree_text(heading)
        url = _join(page_url, link.get("href"))
        if url is None or not title or title == main_title or url in seen or url == page_url:
            continue
        seen.add(url)
        captions = tuple(c for c in (_tree_text(f) for f in art.xpath(".//figcaption")) if c)
        paragraphs = [p for p in (_tree_text(p) for p in art.xpath(".//p[not(ancestor::figcaption)]")) if p]
        words = sum(len(p.split()) for p in paragraphs)
        role = block_role(words, len(paragraphs), link_density(art), heading_link is not None, cards)
        if role is None:
            count("related.unlinked_section")
            continue
        time_el = _first_xpath(art, ".//time[@datetime]")
        out.append(
            RawArticle(
                role=role, position=0, title=title, body_lines=tuple(paragraphs),
                published_raw=time_el.get("datetime") if time_el is not None else None, url=url,
                title_source="heading", captions=captions,
            )
        )
    return out


_HTMLDATE_PARSER_SETTINGS = {  # htmldate 1.x's own settings for its dateparser fallback, kept as they are
    "NORMALIZE": True,
    "PARSERS": ["custom-formats", "absolute-time"],
    "PREFER_DATES_FROM": "past",
    "PREFER_LOCALE_DATE_ORDER": True,
    "RETURN_AS_TIMEZONE_AWARE": False,
    "STRICT_PARSING": True,
}


@lru_cache(maxsize=8)
def _restrict_htmldate_languages(languages: tuple[str, ...]) -> bool:
    """Make htmldate's dateparser fallback try only `languages` (configs: dates.languages).

    htmldate hands candidate strings to a dateparser built for every language it knows, and a string that
    parses in none of them is tried in all of them: ~17 ms a call on the WCXB dev-set pages. Restricted to English it
    is ~5 ms with the same date accuracy (0.828) there. htmldate has no option for it, so its factory
    function is replaced; if a later htmldate moves it, nothing is replaced (and a unit test says so).
    """
    import htmldate.extractors as hx

    if not callable(getattr(hx, "get_external_parser", None)):
        return False
    from dateparser import DateDataParser

    parser = DateDataParser(languages=list(languages), settings=dict(_HTMLDATE_PARSER_SETTINGS))
    hx.get_external_parser = lambda: parser
    return True


EXTENSIVE_DATE_SEARCH_MAX_CHARS = 3_000_000
"""Pages up to this size get htmldate's extensive search. It runs regexes over the whole serialised page, ~0.4 s a
megabyte: 4.5 s of a 12 MB page's 10 s. No WCXB dev page is this large (the largest is 1.8 MB, the 99th
percentile 1.2 MB), so their dates are the same with the bound as without it."""


def _find_date(tree, url: str | None, languages: tuple[str, ...] = ("en",),
               fetched_at: dt.datetime | None = None, extensive: bool = True) -> str | None:
    """The publication date htmldate finds in the page text and markup (~7 ms; only when no metadata has one).

    Measured on the WCXB dev-set pages: the first date of the structured metadata above is right on 90 % of the pages
    that have one; htmldate's `original_date` search is right on 85 % of all pages, so it fills the gaps.
    Its extensive search costs ~19 ms a call against ~4 ms without, and buys 3 points of date accuracy
    (0.828 against 0.796 over the WCXB dev-set pages that have a gold date). Its guesses are bounded like every other
    date: not before 1990, not after the day after the fetch (it once dated 2008 pages months into the future).

    A January 1st from htmldate is a year, not a day: it writes a year it found alone (the copyright line's
    "© 2026") as YYYY-01-01. On the 709 dev pages it gave that on 57: 51 pages with no publication date at all and
    6 with another one, none right. It is refused (`dates.refused.year_only`): no date rather than a made-up one.
    """
    import htmldate

    _restrict_htmldate_languages(tuple(languages))
    latest = (fetched_at or dt.datetime.now(dt.timezone.utc)) + dt.timedelta(days=1)
    try:
        found = htmldate.find_date(tree, original_date=True, url=url, extensive_search=extensive,
                                   min_date=EARLIEST_DATE.replace(tzinfo=None),
                                   max_date=latest.astimezone(dt.timezone.utc).replace(tzinfo=None))
    except Exception:  # htmldate raises on some malformed documents; a missing date is not an error
        return None
    if found and found.endswith("-01-01"):
        count("dates.refused.year_only")
        return None
    return found


def _drop_title_line(text: str, title: str | None) -> list[str]:
    lines = [ln for ln in text.split("\n") if ln.strip()]
    norm = lambda s: re.sub(r"\W+", " ", s).strip().casefold()  # noqa: E731
    if title and lines and norm(lines[0]) == norm(title):
        lines = lines[1:]
    return lines


_HUGE_PARSER = lxml_html.HTMLParser(huge_tree=True)
_HUGE_TEXT = 10_000_000  # libxml2 cuts a text node at 10 MB unless told otherwise


def _parse(html: str):
    """The lxml tree of a page, None when there is no document (empty, or only a comment).

    A page over 10 MB may hold a text node over libxml2's 10 MB limit, which the default parser silently cuts
    to nothing (a 10 MB article once came out as an empty, `too_short` body): such pages are parsed with
    huge_tree. Only those: the limit also guards the rest against pathological documents, and the reader has
    already bounded the page's size (read.max_file_bytes).
    """
    try:
        # lxml refuses str input that carries an XML encoding declaration: the text is decoded already
        doc = _XML_DECL.sub("", html, count=1)
        if len(doc) > _HUGE_TEXT:
            return lxml_html.document_fromstring(doc, parser=_HUGE_PARSER)
        return lxml_html.document_fromstring(doc)
    except (etree.ParserError, ValueError):
        return None


_THIN_WORDS = 50
"""Below this many words, the main text (trafilatura's or rs-trafilatura's) is thin: trafilatura's baseline is
asked for a second opinion (`_second_opinion`)."""
_TOKENS = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]|\w+")


def _words(text: str) -> int:
    """Words, with each CJK character counted as one (a Chinese article has few spaces)."""
    return len(_TOKENS.findall(text))


_SEEN_PAGES: OrderedDict = OrderedDict()
SEEN_PAGES_MAX = 512
"""Main texts kept per process, by the page's bytes: a crawl that fetched a page twice (or mirrors it) is not
extracted twice. 512 texts are a few MB."""


def _main_text(html: str, tree, url: str | None, precision: bool) -> str:
    """The page's main text: trafilatura's, or rs-trafilatura's where trafilatura's is thin against the page's
    paragraphs (`RS_ASK_SHARE`), then the baseline's second opinion where it is still under `_THIN_WORDS`; or the
    one this process found for the same HTML before: the text depends on the page's bytes alone (no metadata, no
    links are asked of the extractors, so `url` plays no part), which makes the copy's text exactly the text its
    extraction would give. Identical payloads are common in crawls: the same page fetched again, a mirror, a
    redirect's target."""
    key = (xxhash.xxh3_128_digest(html.encode("utf-8", "surrogatepass")), precision)
    text = _SEEN_PAGES.get(key)
    if text is not None:
        _SEEN_PAGES.move_to_end(key)
        count("html.main_text_reused")
        return text
    text = extract_main_text(tree, url, precision=precision)
    words, yardstick = len(text.split()), _paragraph_words(tree)
    if words < RS_ASK_SHARE * yardstick or not words:
        count("extract.rs.asked")
        other = _rs_main_text(tree)
        more = len(other.split()) if other else 0
        if more >= 2 * words and (more <= RS_KEEP_MAX_SHARE * yardstick or not words) and more:
            count("extract.rs.used")
            text = other
    if len(text) < 20 * _THIN_WORDS and _words(text) < _THIN_WORDS:
        text = _second_opinion(html, text)
    _SEEN_PAGES[key] = text
    if len(_SEEN_PAGES) > SEEN_PAGES_MAX:
        _SEEN_PAGES.popitem(last=False)
    return text


RS_MAX_CHARS = 1_000_000
"""rs-trafilatura is not given a page larger than this (lxml's serialization, without scripts and styles): it reads
it into a DOM of its own, ~0.5 s and ~50 MB of peak memory a megabyte (a 3 MB page: 2.6 s, +137 MB; a fuzzed page
serialized to 1.8 MB took the suite's fuzz run past its memory bound). The WCXB pages it is asked about are 0.9 MB at
most before serialization."""
RS_MAX_DEPTH = 80
"""rs-trafilatura is not asked about a page whose tree goes deeper: its time grows with the square of the depth
(4,000 nested elements: 2.8 s) and it crashes the process past several thousand. The 709 WCXB dev pages go 18 deep
at the median and 55 at most."""
_DEEPER = etree.XPath("boolean(/*" + "/*" * RS_MAX_DEPTH + ")")
RS_ASK_SHARE, RS_KEEP_MAX_SHARE = 0.5, 1.5
"""rs-trafilatura (a Rust extractor after trafilatura's design, with rules of its own) is asked when trafilatura's
main text has fewer words than half the page's <p> words, and kept when it finds at least twice trafilatura's words
but not more than 1.5 times the <p> words (more: it took in the comments or a link list). Chosen on the 709 WCXB
pages, checked on AEB and the legacy set: docs/benchmarks.md#a-second-extractor. When trafilatura finds nothing,
whatever rs-trafilatura finds is kept (a page without <p> elements has no yardstick)."""


_SCRIPTS = re.compile(r"<(script|style)\b[^>]*>.*?</\1>", re.S | re.I)
"""Scripts and styles, in lxml's serialization (where a script's text cannot hold "</script"): rs-trafilatura's
memory grows with the page it reads, and they are half of many pages' bytes."""


def _rs_main_text(tree) -> str | None:
    """rs-trafilatura's main text (paragraphs separated by newlines), None when it is not asked (a tree too deep, a
    page too large) or fails (an error, a panic of its Rust code). It reads lxml's tree, serialized, not the page:
    the tree's depth is the one measured, where the page's HTML can nest deeper in another parser (html5ever
    reopens unclosed <b id=N> tags in every paragraph: 1,500 of them ran past 30 s; lxml's tree is 3 deep)."""
    if _DEEPER(tree):
        count("extract.rs.too_deep")
        return None
    import rs_trafilatura  # a Rust extension: imported in 2 ms

    try:
        page = _SCRIPTS.sub("", lxml_html.tostring(tree, encoding="unicode"))
        if len(page) > RS_MAX_CHARS:
            count("extract.rs.too_large")
            return None
        result = rs_trafilatura.extract(page, page_type="article", include_comments=False, include_tables=True,
                                        include_images=False)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # noqa: BLE001 - PyO3's PanicException is a BaseException; trafilatura is asked instead
        count("extract.rs.failed")
        return None
    return "\n".join(line.strip() for line in (result.main_content or "").splitlines() if line.strip())


def _paragraph_words(tree) -> int:
    """Words (split at spaces, as the main texts they are compared with) in the page's <p> elements: the yardstick
    for a main text that missed the article."""
    return sum(len(p.text_content().split()) for p in tree.iter("p"))  # ~0.5 ms a dev page


def _second_opinion(html: str, first: str) -> str:
    """The better of a thin main text and trafilatura's baseline extractor (JSON-LD articleBody, else the
    page's <article>/<p> text, on a fresh parse: the first pass pruned its tree), kept when it has at least twice
    the words. Measured in the pipeline's own path (per-page AEB F1, docs/benchmarks.md#a-second-opinion): under 50
    words it changed 2 WCXB pages (one dev, one held-out), both for the better, and no AEB or legacy page; under
    100 words it helped 3 more WCXB pages but replaced 3 right AEB news briefs (70-96 words) and a legacy page's
    right text with more boilerplate. Counted: `extract.second_opinion.{asked,used}`."""
    import trafilatura

    count("extract.second_opinion.asked")
    tree = _parse(html)
    if tree is None:
        return first
    try:
        _, text, _ = trafilatura.baseline(tree)
    except Exception:  # noqa: BLE001 - a second opinion that fails leaves the first
        return first
    if _words(text or "") >= 2 * _words(first) and text:
        count("extract.second_opinion.used")
        return text
    return first


_SAME_STORY_MIN_WORDS = 50
_SHINGLE_WORDS = 5


def _same_story(body_lines: tuple[str, ...], main_shingles, share: float = 0.5) -> bool:
    """A related block that is the page's own story again: at least half of its 5-word shingles (neardup's, as
    dedup uses them) are in the main text's (`main_shingles`, shingled once per page). On the WCXB dev-set pages every
    related block over 260 words was one (hand-labelled: the story under a section heading, a banner such as
    "BREAKING NEWS", a table of contents, the standfirst), often covering only one section of it, so the test is
    one way: the block in the main text, not the main text in the block."""
    mine, words = body_shingles(" ".join(body_lines), _SHINGLE_WORDS)
    if words < _SAME_STORY_MIN_WORDS:  # a card's dek that trafilatura folded into the main text stays a card
        return False
    return int(np.isin(mine, main_shingles, assume_unique=True).sum()) >= share * len(mine)


def split_html_page(html: str, url: str | None, date_languages: tuple[str, ...], fetched_at: dt.datetime | None,
                    cards: CardRules, content_language: str | None = None) -> HtmlSplit:
    """A page's main article (position 0), then its related articles and teasers (1, 2, ... in page order),
    with page metadata. `fetched_at` bounds the dates the page may claim (None: now); `date_languages` and
    `cards` are the run config's (`dates.languages`, `teasers:`); `content_language`: the response's HTTP
    Content-Language, the last of the page's language claims."""
    tree = _parse(html)
    head = BeautifulSoup(_head_document(html), "lxml")
    meta, ld_articles = page_metadata(head, tree, url, fetched_at, date_languages)
    others = _move_out_other_posts(tree) if tree is not None else []
    related = _related_from_jsonld(ld_articles, meta.url, cards) + _related_from_article_tags(
        tree, meta.url, meta.title, cards
    )
    for el in others:  # read as posts of their own above; not the main text's
        el.getparent().remove(el)
    layout_tables = unwrap_layout_tables(tree) if tree is not None else 0
    if layout_tables:
        count("html.layout_table_pages")
    main_text = _main_text(html, tree, meta.url, layout_tables > 0) if tree is not None else ""
    if not meta.published and tree is not None:
        # last: htmldate may prune the tree it is given
        meta = dataclasses.replace(meta, published=_first_real_date(
            [_find_date(tree, meta.url, date_languages, fetched_at, len(html) <= EXTENSIVE_DATE_SEARCH_MAX_CHARS)],
            fetched_at, date_languages))
    host = (urlsplit(meta.url).hostname or "").removeprefix("www.") if meta.url else ""
    main = RawArticle(
        role="main", position=0, title=meta.title or "", body_lines=tuple(_drop_title_line(main_text, meta.title)),
        source=meta.site or host or None, published_raw=meta.published, url=meta.url, author=meta.author,
        title_source=meta.title_source if meta.title else "first_sentence", updated_raw=meta.updated,
        authors=meta.authors, language_claim=meta.language or claimed_language(content_language),
    )
    seen_urls = {meta.url}
    articles = [main]
    main_shingles = body_shingles(main_text, _SHINGLE_WORDS)[0] if related else None
    for r in related:
        if r.url in seen_urls:
            continue
        if _same_story(r.body_lines, main_shingles):  # cards too: the page's own standfirst is not a teaser
            count("related.same_as_main")
            continue
        seen_urls.add(r.url)
        articles.append(
            dataclasses.replace(r, position=len(articles), source=r.source or meta.site)
        )
    return HtmlSplit(meta, tuple(articles))
