"""Authors (transforms/extract/people.py), language (transforms/extract/language.py) and the published day in the
page's own offset (transforms/extract/metadata.py): golden cases from real bylines and claims."""

from __future__ import annotations

import datetime as dt

import pytest

from scrapeline.transforms.extract.language import article_language, claimed_language, normalise_language
from scrapeline.transforms.extract.metadata import published_time
from scrapeline.transforms.extract.people import choose_authors, clean_authors

# (what a page gave, the people in it) - each from a real dev-set page's byline
BYLINES = [
    ("By Ann Lee", ("Ann Lee",)),
    ("BySummer Swann-June 12, 2025", ("Summer Swann",)),
    ("Reyan PerumalPublished on July 18, 2025", ("Reyan Perumal",)),
    ("Written By:Cazzy MagennisLast Updated:August 1, 2025", ("Cazzy Magennis",)),
    ("Luke KimDecember 17, 2025", ("Luke Kim",)),
    ("Jordana Cepelewicz December 18, 2025", ("Jordana Cepelewicz",)),
    ("03/10/2023 by WSET Global", ("WSET Global",)),
    ("Mar 6 Written By Audiophile On", ("Audiophile On",)),
    ("Read more about Jane Roe", ("Jane Roe",)),
    ("Rachel MacDonald Writer", ("Rachel MacDonald",)),
    ("Linda Rosencrance Contributing Writer", ("Linda Rosencrance",)),
    ("Maria &amp; Katerina", ("Maria", "Katerina")),
    ("Danielle DeSiato, Donna Enzmann, and Natalie Nguyen", ("Danielle DeSiato", "Donna Enzmann", "Natalie Nguyen")),
    ("Jared Newman and Sam Singleton", ("Jared Newman", "Sam Singleton")),
    ("Dylan Bailey, MS, RD, FAND", ("Dylan Bailey, MS, RD, FAND",)),
    ("Manoj Jain and Jagpreet Chhatwal, The Commercial Appeal", ("Manoj Jain", "Jagpreet Chhatwal")),
    ("Marna van der Merwe", ("Marna van der Merwe",)),
    ("David Jackson - FullStack", ("David Jackson",)),
    ("Jane Doe - John Roe", ("Jane Doe", "John Roe")),
    ("Contributors: Janet Loughrey", ("Janet Loughrey",)),
    ("This post was written by Danielle Padula, Head of Marketing", ("Danielle Padula",)),
    # a job title with the outlet or beat before it leaves whole (dev page 4656's shape)
    ("By Charles Patterson, WCI Columnist", ("Charles Patterson",)),
    ("Jane Doe, Health Reporter", ("Jane Doe",)),
    ("Paul Frew, Home and Digital Security Expert", ("Paul Frew",)),
    ("Benjamin Johnson, Sr. Director of Operations, Atlas Van Lines", ("Benjamin Johnson",)),
    ("Mayank Gupta, CEO of CaseBasix", ("Mayank Gupta",)),
    ("Ann Lee, Bo Chen and Cy Dee, staff writers", ("Ann Lee", "Bo Chen", "Cy Dee")),
    # but a name before the title is a person, and a hyphen is no dash (a review's cases)
    ("Ann Lee, Bo Chen Reporter", ("Ann Lee", "Bo Chen")), ("Ann Lee, Bo Chen Reporters", ("Ann Lee", "Bo Chen")),
    ("Ann Lee | Bo Chen Editor", ("Ann Lee", "Bo Chen")), ("Jean-Pierre Dupont Editor", ("Jean-Pierre Dupont",)),
    ("Mary Smith-Jones Reporter", ("Mary Smith-Jones",)), ("Kate Officer", ("Kate Officer",)),
    ("Amy Lee, Editor-in-Chief", ("Amy Lee",)),
    # a date after "at" or "on" (dev page 0452)
    ("Posted by David at December 16, 2025 11:15 AM", ("David",)),
    # who reviewed or edited it did not write it
    ("Reviewed by Justin C. Meserole, Trial Attorney at Morgan & Morgan, on December 3, 2025", ()),
    ("Medically reviewed by Jane Roe, MD", ()), ("Edited by Bo Chen", ()),
    # not people
    ("Staff", ()), ("Staff Writer", ()), ("HomeAdvisorStaff", ()), ("Editorial Team", ()), ("Updated", ()),
    ("August 28, 2025•5 min read", ()), ("Sat, 20 Dec, 2025 - 06:36", ()), ("Your Name: *", ()),
    ("Jiobal says:", ()), ("The Author", ()), ("NOC Admin", ()), ("Our Editors", ()), ("page.head.extra.author", ()), ("262588213843476", ()), ("andrew.keaveney", ()),
    ("Head of Marketing", ()), ("About the author: a very long biography that goes on and on about everything", ()),
    (", USA TODAY", ()), ("Written By:", ()),
]


@pytest.mark.parametrize("raw,people", BYLINES, ids=[b[0][:30] for b in BYLINES])
def test_bylines_become_people(raw, people):
    assert clean_authors([raw]) == people


def test_the_site_is_no_author_but_a_personal_site_s_owner_is():
    assert clean_authors(["Cleveland Clinic"], site="Cleveland Clinic") == ()
    assert clean_authors(["Buzzsprout"], site="Buzzsprout") == ()
    assert clean_authors(["Kristian Larsen"], site="Kristian Larsen") == ("Kristian Larsen",)
    # the next source is tried when one names no person
    assert choose_authors([["Cleveland Clinic"], [], ["By Holly Wilgus"]], site="Cleveland Clinic") == ("Holly Wilgus",)


@pytest.mark.parametrize("tag,code", [("en-US", "en"), ("pt_BR", "pt"), ("DE", "de"), ("deu", "de"), ("iw", "he"),
                                      ("x", None), ("", None), (None, None), ("english", None), ("zh-Hant-TW", "zh")])
def test_language_tags_become_iso_639_1(tag, code):
    assert normalise_language(tag) == code


GERMAN = ("Der Stadtrat hat am Dienstag beschlossen, die alte Brücke über den Fluss im kommenden Jahr vollständig "
          "zu sanieren. Die Arbeiten sollen im Frühjahr beginnen und bis zum Herbst abgeschlossen sein, sagte die "
          "Bürgermeisterin nach der Sitzung. Der Verkehr wird in dieser Zeit über eine Behelfsbrücke umgeleitet.")
ENGLISH = ("The city council decided on Tuesday to fully renovate the old bridge over the river next year. The work "
           "is to begin in the spring and be finished by the autumn, the mayor said after the meeting. Traffic will "
           "be diverted over a temporary bridge in the meantime.")


def test_text_in_capitals_is_read_as_its_language():
    """The detector's model is case-sensitive: an all-caps English recipe read as Portuguese (0.92) until text mostly
    in capitals was lower-cased first."""
    shouting = ("RECIPE: INGREDIENTS 2 CUPS FLOUR 1 CUP SUGAR 3 EGGS MIX THE FLOUR AND THE SUGAR IN A LARGE BOWL THEN "
                "ADD THE EGGS ONE AT A TIME AND STIR WELL BAKE FOR 30 MINUTES AND SERVE WARM")
    assert article_language("en", shouting) == ("en", "claim")
    assert article_language(None, shouting) == ("en", "detector")


def test_the_claim_is_checked_against_the_body():
    assert article_language("de", GERMAN) == ("de", "claim")
    assert article_language("en", GERMAN) == ("de", "claim_overruled")  # a template's lang="en" on a German story
    assert article_language(None, ENGLISH) == ("en", "detector")
    assert article_language("fr", "Bonjour") == ("fr", "claim_unchecked")  # too short to judge: the claim
    assert article_language(None, "Hello there") == (None, "unknown")  # too short to guess
    assert article_language(None, "") == (None, "unknown")
    assert claimed_language(None, "en_GB", "de") == "en"


def test_the_published_day_is_the_page_s_own_and_the_instant_is_kept():
    fetched = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    t, why = published_time("2025-03-01T23:30:00-05:00", fetched)
    assert why is None and t.date() == dt.date(2025, 3, 1)  # March 1st where it was written
    assert t == dt.datetime(2025, 3, 2, 4, 30, tzinfo=dt.timezone.utc)  # the same instant (March 2nd in UTC)
    t, _ = published_time("2025-03-01", fetched)
    assert t.date() == dt.date(2025, 3, 1) and t.utcoffset() == dt.timedelta(0)
