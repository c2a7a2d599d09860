"""Teasers (transforms/link.py and the HTML splitter): card or article, url normalisation, link keys."""

from __future__ import annotations

import datetime as dt

import pytest
from lxml import html as lxml_html

from scrapeline.transforms.extract.html import split_html_page
from scrapeline.transforms.extract.settings import CardRules
from scrapeline.transforms.core.keys import article_link_keys, normalise_url, teaser_id, teaser_link_keys
from scrapeline.transforms.extract.cards import block_role, is_card, link_density
from scrapeline.pipeline.config import load_config
from tests.support.stories import META_OPEN_SOURCE, NVIDIA_CHIPS, TARIFF_OIL

FETCHED = dt.datetime(2025, 8, 6, 12, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("a, b", [
    ("https://www.example.com/news/story-1/", "http://example.com/news/story-1"),
    ("https://example.com/a?utm_source=x&id=3#comments", "https://EXAMPLE.com/a?id=3"),
    ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
])
def test_urls_that_lead_to_one_article_normalise_alike(a, b):
    assert normalise_url(a) == normalise_url(b) is not None


@pytest.mark.parametrize("a, b", [
    ("https://example.com/news/story-1", "https://example.com/news/story-2"),
    ("https://example.com/a?id=3", "https://example.com/a?id=4"),
    ("https://example.com/a", "https://example.org/a"),
])
def test_urls_of_different_articles_stay_apart(a, b):
    assert normalise_url(a) != normalise_url(b)


@pytest.mark.parametrize("url", [None, "", "mailto:a@b.c", "javascript:void(0)", "/relative/only", "http://[::1"])
def test_what_is_not_a_web_url_has_no_key(url):
    assert normalise_url(url) is None


def test_card_or_article_by_words_paragraphs_and_links():
    rules = CardRules(article_min_words=150, article_min_paragraphs=2, max_link_density=0.5)
    assert is_card(40, 1, 0.1, rules)  # a heading and a dek
    assert is_card(400, 1, 0.0, rules)  # one long paragraph: a summary, not a body
    assert is_card(400, 6, 0.8, rules)  # a list of links
    assert not is_card(400, 6, 0.1, rules)


def test_a_long_block_under_a_heading_that_links_nowhere_is_a_section_of_the_page():
    rules = load_config().cards
    assert block_role(400, 6, 0.1, True, rules) == "related"
    assert block_role(400, 6, 0.1, False, rules) is None  # "Instructions", "Key Takeaways"
    assert block_role(30, 1, 0.1, False, rules) == "teaser"  # a card linked by its "Read more"


def test_link_density():
    el = lxml_html.fromstring("<div><a href='/x'>twenty chars of link</a> and then ten</div>")
    assert link_density(el) == pytest.approx(20 / 33, abs=0.01)
    assert link_density(lxml_html.fromstring("<div></div>")) == 0.0


def test_a_teaser_keys_meet_its_articles_by_url_or_by_the_lead_of_its_dek():
    body = TARIFF_OIL + "\n" + NVIDIA_CHIPS
    keys = set(article_link_keys("https://www.news.example/oil/", body))
    assert set(teaser_link_keys("http://news.example/oil", "")) <= keys  # the url alone
    dek = TARIFF_OIL.split(". ")[0]
    assert set(teaser_link_keys(None, dek)) <= keys  # the dek opens the body
    assert not set(teaser_link_keys("https://news.example/other", META_OPEN_SOURCE)) & keys
    assert teaser_link_keys(None, "Too short a dek") == ()


def test_the_teaser_id_is_stable_and_depends_on_the_page_and_the_link():
    a = teaser_id("page1", "https://x.example/a/", "T")
    assert a == teaser_id("page1", "http://www.x.example/a", "other title")
    assert a != teaser_id("page2", "https://x.example/a/", "T") != teaser_id("page1", "https://x.example/b", "T")


MAIN = META_OPEN_SOURCE + "\n" + TARIFF_OIL  # the page's own story, longer than a sidebar's


def _page(blocks: str, extra_head: str = "") -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in MAIN.split("\n"))
    return (f"<html><head><title>Open models | Daily Example</title>{extra_head}</head><body>"
            f"<article><h1>Open models</h1>{paragraphs}</article>{blocks}</body></html>")


CARDS = "".join(
    f"<article class='card'><h3><a href='/news/story-{i}'>Story {i} headline here</a></h3>"
    f"<figure><img src='x.jpg'><figcaption>Photo {i}: a caption</figcaption></figure>"
    f"<p>One sentence of dek for story {i}, no more.</p></article>"
    for i in range(3)
)
FULL = ("<aside><article><h2><a href='/news/chips'>Chips were smuggled</a></h2>"
        + "".join(f"<p>{s}.</p>" for s in NVIDIA_CHIPS.split(". ")) + "</article></aside>")
BANNER = ("<article><h2><a href='/live'>BREAKING NEWS</a></h2>"
          + "".join(f"<p>{p}</p>" for p in MAIN.split("\n")) + "</article>")


SECTION = ("<article><h2><a href='/section/education'>Education</a></h2>"  # one section of the story, and chrome
           + "".join(f"<p>{p}</p>" for p in MAIN.split("\n")[1:3]) + "<p>Share this article</p></article>")


def test_cards_are_teasers_a_full_body_is_a_related_article_and_the_main_story_again_is_neither():
    split = split_html_page(_page(CARDS + FULL + BANNER + SECTION), "https://daily.example/news/open-models", ("en",),
                            FETCHED, load_config().cards)
    roles = [(a.role, a.title) for a in split.articles]
    assert roles[0] == ("main", "Open models")
    assert [r for r, _ in roles[1:]] == ["teaser", "teaser", "teaser", "related"]
    teaser = split.articles[1]
    assert teaser.url == "https://daily.example/news/story-0" and teaser.captions == ("Photo 0: a caption",)
    assert teaser.body_lines == ("One sentence of dek for story 0, no more.",)
    assert "BREAKING NEWS" not in [t for _, t in roles] and "Education" not in [t for _, t in roles]


def test_a_jsonld_article_with_only_a_description_is_a_teaser():
    ld = ('<script type="application/ld+json">[{"@type": "NewsArticle", "headline": "Open models"},'
          '{"@type": "NewsArticle", "headline": "Card", "url": "https://daily.example/card", "description": "A dek."},'
          '{"@type": "NewsArticle", "headline": "Chips", "url": "https://daily.example/chips", "articleBody": '
          f'"{NVIDIA_CHIPS}"' '}]</script>')
    split = split_html_page(_page("", ld), "https://daily.example/news/open-models", ("en",), FETCHED, load_config().cards)
    assert [(a.role, a.title) for a in split.articles[1:]] == [("teaser", "Card"), ("related", "Chips")]


def test_updated_date_beside_the_original_and_a_placeholder_date_yields_to_the_next_source():
    head = ('<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Open models", '
            '"datePublished": "0001-01-01T00:00:00Z", "dateModified": "2025-08-05T09:30:00Z"}</script>'
            '<meta property="article:published_time" content="2025-08-04T08:00:00Z">')
    main = split_html_page(_page("", head), "https://daily.example/news/open-models", ("en",), FETCHED,
                           load_config().cards).articles[0]
    assert (main.published_raw, main.updated_raw) == ("2025-08-04T08:00:00Z", "2025-08-05T09:30:00Z")


def test_a_teaser_meeting_two_articles_names_the_one_its_url_leads_to():
    from scrapeline.transforms.link import _best, _teaser_links

    by_dek = list(_teaser_links(("d:lead", {"articles": [("aaa", None)], "teasers": [("t1", "page")]})))
    by_url = list(_teaser_links(("u:x.example/a", {"articles": [("zzz", "stored.parquet")],
                                                   "teasers": [("t1", "page")]})))
    links = [x for x in by_dek + by_url if isinstance(x, tuple)]
    assert _best([link for _, link in links]) == "zzz"
    late = [x.value for x in by_url if not isinstance(x, tuple)]  # the stored article gets the page
    assert [(ld.path, ld.article_id, ld.teased_on) for ld in late] == [("stored.parquet", "zzz", ("page",))]


def test_cards_with_content_parameters_or_relative_links_stay_apart():
    assert normalise_url("http://ex.example/view.php?cid=1") != normalise_url("http://ex.example/view.php?cid=2")
    assert teaser_id("p", "/story/1", "Video") != teaser_id("p", "/story/2", "Video")
