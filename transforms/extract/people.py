"""Authors: a page's byline candidates -> the people who wrote the article.

Pages name their authors in JSON-LD, in `<meta name=author>` and in a visible byline, and each of these carries
noise: a "By"/"Written by:" label (often glued, "BySummer Swann"), the date printed after the name ("Luke
KimDecember 17, 2025"), a job title ("Rachel MacDonald Writer"), the newspaper ("…, USA TODAY"), the site itself
given as the author (an Organization), CMS user names ("andrew.keaveney"), template placeholders, a comment's
"says:". `clean_authors` cleans one candidate list; `choose_authors` takes the first source whose cleaned list is
not empty. Several authors become several names ("A, B and C", "A & B", "A; B"), and credentials stay with the
name they follow ("Dylan Bailey, MS, RD"). Pure functions.

Measured on the WCXB dev-set pages (benchmarks/metadata_quality.py): see docs/benchmarks.md#metadata-titles-dates-authors-language-publisher.
"""

from __future__ import annotations

import html
import re
import unicodedata

__all__ = ["MONTH", "choose_authors", "clean_authors"]

MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
          r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_LABEL = re.compile(r"^\s*(?:(?:this\s+(?:post|article|story)\s+was\s+)?(?:written|posted|recipe|article|story|words|text|reporting|published|authored)\s*by|"
                    r"read\s+more\s+(?:about|from|by)|(?:view\s+all|more)\s+(?:posts|articles|stories)\s+(?:by|from)|"
                    r"about\s+the\s+author|by(?=\s|:|[A-Z])|author(?:s|ed)?|contributors?|posted|writer)\s*:?\s*", re.I)
_DATE = (r"(?:" + MONTH + r"\s*\d{1,2}(?:st|nd|rd|th)?(?:,?\s*\d{4})?|\d{1,2}\s+" + MONTH + r"(?:\s+\d{4})?|"
         r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d\d-\d\d)")
_LEAD_DATE = re.compile(r"^\s*(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s*)?" + _DATE + r"[\s,•|·:-]*", re.I)
_TAIL_LABEL = re.compile(r"\s*(?:written\s+by|posted\s+by|by)\s*:?\s*$", re.I)
# where the date (or a label before it) starts after a name: "PerumalPublished on", "Kim December 17, 2025",
# "Swann-June 12, 2025", " on 04-ago-2021", "Last Updated:", "| March 3", "•5 min read", "David at December 16"
_DATE_TAIL = re.compile(
    r"(?:\s*[-–—|•·,]\s*|\s+|(?<=[a-z]))(?:(?:last\s+)?(?:updated|published|posted|modified)\b|on\s+\d|"
    r"(?:at|on)\s+" + MONTH + r"\s*\d|"
    + MONTH + r"\s*\d|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d\d-\d\d|\d{1,2}\s+" + MONTH + r"|\d+\s+min\b|"
    r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+\d)", re.I)
_TITLE_ADJECTIVES = (r"(?:(?:senior|staff|contributing|freelance|guest|lead|chief|managing|executive|associate|"
                     r"deputy|former|founder(?:\s*&\s*lead)?)\s+)*")
_TITLES = (r"writer|editor|reporter|correspondent|columnist|contributor|journalist|reviewer|author|producer|"
           r"consultant|expert|editorial\s+team|team\s+writer")
# a job title after the name, and all that follows it: "Rachel MacDonald Writer", "Jane Doe - Senior Writer"
_ROLE = re.compile(r"\s*(?:[-–—,|]\s*)?\b" + _TITLE_ADJECTIVES + "(?:" + _TITLES + r")s?\b.*$", re.I)
# a job title after a comma with the outlet, beat or company before it: "Charles Patterson, WCI Columnist", "Jane
# Doe, Health Reporter", "Paul Frew, Home and Digital Security Expert", "Benjamin Johnson, Sr. Director of
# Operations, Atlas Van Lines": up to four words before a singular title go with it (`_clean_one` keeps them when
# they are a name: "Ann Lee, Bo Chen Reporter" is two people)
_COMMA_ROLE = re.compile(r",\s*(?P<before>(?:[\w&.']+\s+){0,4}?)" + _TITLE_ADJECTIVES + "(?:" + _TITLES +
                         r"|director|manager|ceo|specialist|analyst|strategist)\b(?!-).*$", re.I)
_NOT_A_PERSON = re.compile(
    r"^(?:the\s+)?(?:staff|staff\s+writers?|editors?|editorial(?:\s+(?:team|staff|board))?|newsroom|admin(?:istrator)?|"
    r"author|authors|guest|guest\s+author|contributor|team|web\s*team|wire|wires|news\s*desk|desk|press|"
    r"press\s+release|unknown|anonymous|none|null|undefined|the\s+author|updated|published|posted|"
    r"(?:head|director|vp|chief)\s+of\b.*|.*staff|the|our|a|an|by|my|your|all|.*\badmin|privacy\s+policy|cookie\s+policy|terms(?:\s+of\s+(?:use|service))?|(?:mon|tues|wednes|thurs|fri|satur|sun)day)\W*$",
    re.I)
_TEMPLATE = re.compile(r"[{}<>$*]|\b\w+\.\w+\.\w+\b|^\S*\d{4,}\S*$|says:?$|:$|^[\W\d_]+$")
_SPLIT = re.compile(r"\s*(?:;|\band\b|&|\+|/|\||\s[-–—]\s)\s*", re.I)
_CREDENTIAL = re.compile(r"^(?:[A-Z][A-Za-z]{0,3}\.?){1,4}(?:\s*\([^)]*\))?$|^(?:Ph\.?D|M\.?D|Jr|Sr|III?|IV)\.?$")
_SPACE = re.compile(r"\s+")
_AFTER_NAME = re.compile(r"\s+[-–—⋅·•]\s+")


def _norm(s: str | None) -> str:
    return re.sub(r"\W+", " ", unicodedata.normalize("NFKC", s or "").casefold()).strip()


# a line that names who reviewed, edited, checked or updated the article, not who wrote it
_OTHER_ROLE = re.compile(r"\s*(?:medically\s+)?(?:reviewed|edited|fact[- ]checked|updated|illustrated|photographed)"
                         r"\s+by\b", re.I)


def _clean_one(name: str) -> str:
    s = _SPACE.sub(" ", html.unescape(html.unescape(name))).strip(" \t\n-–—|•·:,")
    if _OTHER_ROLE.match(s):
        return ""
    for _ in range(2):
        s = _LEAD_DATE.sub("", s)
        s = _LABEL.sub("", s).strip(" -–—|•·:,")
    m = _DATE_TAIL.search(s)
    if m and m.start() > 0:
        s = s[: m.start()]
    elif m:
        return ""  # the candidate is a date, not a name
    s = _TAIL_LABEL.sub("", s)
    m = _COMMA_ROLE.search(s)
    if m and m.start() > 0 and not a_name(m.group("before").strip()):
        s = s[: m.start()]
    s = _ROLE.sub("", s).strip(" -–—|•·:,")
    # "David Jackson - FullStack", "Jane Doe ⋅ Founder": what follows a spaced dash or dot after a full name is
    # a company or a title, not another name
    m = _AFTER_NAME.search(s)
    if m and len(s[: m.start()].split()) >= 2 and not a_name(s[m.end():].strip()):
        s = s[: m.start()]  # "Jane Doe - John Roe" is two names: _split_names takes them apart
    return s


def _split_names(s: str) -> list[str]:
    """"A, B and C" -> [A, B, C]; "Dylan Bailey, MS, RD" stays one name (its parts after the comma are
    credentials); "Kaufman, Jeff T." (surname first) stays one name."""
    out: list[str] = []
    for part in _SPLIT.split(s):
        pieces = [p.strip() for p in part.split(",") if p.strip()]
        for p in pieces:
            if out and (_CREDENTIAL.match(p) or len(p.split()) == 1 and len(out[-1].split()) == 1 and
                        len(pieces) == 2):
                out[-1] = f"{out[-1]}, {p}"  # a credential, or "Surname, Given"
            else:
                out.append(p)
    return out


_ORG_WORD = re.compile(r"\b(?:inc|llc|ltd|gmbh|co|corp|company|group|media|news|network|magazine|journal|press|"
                       r"times|post|daily|weekly|tv|radio|blog|online|digital|security|care|clinic|health|"
                       r"construction|renovation|social|studio|agency|solutions|services|global|foundation|"
                       r"university|college|institute|association|team|staff|editors?|desk)\b|\.(?:com|org|net)\b",
                       re.I)


_PARTICLES = {"van", "der", "den", "de", "da", "di", "du", "la", "le", "von", "zu", "bin", "al", "el", "dos", "del",
              "y", "ter", "ten", "st", "e"}


def a_name(name: str) -> bool:
    """Looks like a person's name: two to four capitalised words, no organisation word."""
    words = name.replace(".", ". ").split()
    return 2 <= len(words) <= 4 and all(w[:1].isupper() for w in words) and not _ORG_WORD.search(name)


def _person_like(name: str, site: str | None) -> bool:
    if not 2 <= len(name) <= 60 or len(name.split()) > 6 or not any(c.isalpha() for c in name):
        return False
    if _NOT_A_PERSON.match(name) or _TEMPLATE.search(name):
        return False
    if " " not in name and ("." in name or "_" in name or any(c.isdigit() for c in name)):
        return False  # a CMS user name ("andrew.keaveney", "kffnirmitap1")
    key, site_key = _norm(name), _norm(site)
    # a site known by its host ("buzzsprout.com") is named by the host's first label
    host_key = _norm(site.rsplit(".", 1)[0].removeprefix("www.")) if site and "." in site and " " not in site else ""
    if site_key and not a_name(name) and key.replace(" ", "") in {site_key.replace(" ", ""), host_key.replace(" ", "")}:
        return False  # the site given as the author (an Organization), not a person (a personal site's is kept)
    if "@" in name or "http" in name.lower() or "©" in name:
        return False
    words = [w for w in name.replace(",", " ").split() if w.lower() not in _PARTICLES]
    if not words or not all(w[:1].isupper() or not w[:1].isalpha() for w in words):
        return False  # a phrase ("on about everything"), not a name
    if name.lower().startswith("the ") or (name.isupper() and len(name.split()) >= 2):
        return False  # "The Commercial Appeal", "USA TODAY": the newspaper after the name
    return True


def clean_authors(candidates: list[str], site: str | None = None) -> tuple[str, ...]:
    """The people among one source's author strings, cleaned, in order, without repeats."""
    out: dict[str, str] = {}
    for c in candidates:
        if not isinstance(c, str):
            continue
        for name in _split_names(_clean_one(c)):
            name = name.strip(" -–—|•·:,")
            if _person_like(name, site):
                out.setdefault(_norm(name), name)
    return tuple(out.values())


def choose_authors(sources: list[list[str]], site: str | None = None) -> tuple[str, ...]:
    """The authors of the first source (JSON-LD, meta, byline...) that names a person."""
    for candidates in sources:
        found = clean_authors(candidates, site)
        if found:
            return found
    return ()
