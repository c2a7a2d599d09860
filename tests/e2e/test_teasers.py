"""Teasers end to end: link cards land in `teasers/`, never in `articles/`, and each is linked to its full
article, in the same run or across runs, whichever comes first; a rerun adds no teaser twice."""

from __future__ import annotations

import pyarrow.dataset as ds
import pyarrow as pa

from scrapeline.pipeline import api
from tests.support.stories import META_OPEN_SOURCE, NVIDIA_CHIPS, TARIFF_OIL
from tests.support.outputs import table_rows

FETCHED = "2025-08-06T12:00:00Z"
SITE = "https://daily.example/news/"
PARTS = ds.partitioning(pa.schema([("source", pa.string()), ("date", pa.date32())]), flavor="hive")


def _page(slug: str, title: str, body: str, cards: list[tuple[str, str, str]]) -> str:
    paragraphs = "".join(f"<p>{p}.</p>" for p in body.split(". "))
    blocks = "".join(
        f"<article class='card'><h3><a href='{SITE}{href}?utm_source=home'>{heading}</a></h3><p>{dek}</p></article>"
        for href, heading, dek in cards)
    return (f"<html><head><title>{title} | Daily Example</title><link rel='canonical' href='{SITE}{slug}'>"
            f"<meta property='og:site_name' content='Daily Example'></head><body><article><h1>{title}</h1>"
            f"{paragraphs}</article><aside>{blocks}</aside></body></html>")


OPEN = _page("open-models", "Open models", META_OPEN_SOURCE,
             [("chips", "Chips were smuggled", "Two nationals were arrested."),
              ("never-ingested", "A story we never see", "One line of dek.")])
CHIPS = _page("chips", "Chips were smuggled", NVIDIA_CHIPS, [])
OIL = _page("oil", "China keeps buying oil", TARIFF_OIL,
            [("open-models/", "Open models", "Andrew Ng on open models.")])


def _write(d, **pages):
    d.mkdir(parents=True, exist_ok=True)
    for name, html in pages.items():
        (d / f"{name}.html").write_text(html, encoding="utf-8")
    return str(d)


def _table(out, table):
    return table_rows(out, table, PARTS)


def test_teasers_are_their_own_table_and_link_to_articles_ingested_later_or_earlier(tmp_path):
    out = tmp_path / "out"
    first = api.run([_write(tmp_path / "day1", open=OPEN)], str(out), fetched_at=FETCHED)
    articles, teasers = _table(out, "articles"), _table(out, "teasers")
    assert [a["title"] for a in articles] == ["Open models"] and first.teasers_written == 2
    assert sorted(t["title"] for t in teasers) == ["A story we never see", "Chips were smuggled"]
    assert all(t["article_id"] is None and t["seen_on_url"] == SITE + "open-models" for t in teasers)
    assert {t["source"] for t in teasers} == {"daily-example"}

    # the article a stored teaser led to arrives: it lists the page that teased it; a new page teases a stored one
    second = api.run([_write(tmp_path / "day2", chips=CHIPS, oil=OIL)], str(out), fetched_at=FETCHED)
    by_title = {a["title"]: a for a in _table(out, "articles")}
    assert by_title["Chips were smuggled"]["teased_on"] == [SITE + "open-models"]
    assert by_title["China keeps buying oil"]["teased_on"] == []
    assert by_title["Open models"]["teased_on"] == [SITE + "oil"]  # stored first, teased later: its row updated
    cards = {(t["seen_on_url"], t["title"]): t for t in _table(out, "teasers")}
    assert cards[(SITE + "oil", "Open models")]["article_id"] == by_title["Open models"]["article_id"]
    # the card stored by the first run now names the article that arrived after it; the other stays unlinked
    assert cards[(SITE + "open-models", "Chips were smuggled")]["article_id"] == by_title["Chips were smuggled"][
        "article_id"]
    assert cards[(SITE + "open-models", "A story we never see")]["article_id"] is None
    assert second.record["teasers"]["linked_to_articles"] == 1 and second.record["teasers"]["articles_teased"] == 1
    assert second.record["teasers"]["stored_teasers_linked"] == 1
    assert second.record["teasers"]["stored_articles_teased"] == 1
    assert not list((out / "_temporary").glob("*teasers*"))

    # a rerun adds no teaser (and no article) twice
    again = api.run([str(tmp_path / "day1"), str(tmp_path / "day2")], str(out), fetched_at=FETCHED)
    assert again.teasers_written == 0 and again.record["teasers"]["already_in_output"] == 3
    assert again.articles_written == 0 and len(_table(out, "teasers")) == 3
    assert again.record["teasers"]["stored_articles_teased"] == 0  # the page is already recorded
    assert again.record["stored_rows_updated_with_new_copies"] == 0


def test_in_one_run_the_teaser_and_its_article_link_both_ways(tmp_path):
    out = tmp_path / "out"
    s = api.run([_write(tmp_path / "in", open=OPEN, chips=CHIPS)], str(out), fetched_at=FETCHED)
    articles = {a["title"]: a for a in _table(out, "articles")}
    assert set(articles) == {"Open models", "Chips were smuggled"} and s.record["identity"]["holds"]
    assert articles["Chips were smuggled"]["teased_on"] == [SITE + "open-models"]
    cards = {t["title"]: t for t in _table(out, "teasers")}
    assert cards["Chips were smuggled"]["article_id"] == articles["Chips were smuggled"]["article_id"]
    assert cards["A story we never see"]["article_id"] is None


def test_a_card_linking_to_a_copy_that_dedup_dropped_leads_to_the_story_kept(tmp_path):
    out = tmp_path / "out"
    copy_a = _page("chips", "Chips were smuggled", NVIDIA_CHIPS, [])
    copy_b = _page("wire/chips-copy", "Chips were smuggled (wire)", NVIDIA_CHIPS, [])
    teasing = _page("open-models", "Open models", META_OPEN_SOURCE,
                    [("wire/chips-copy", "Chips, the wire copy", "Two nationals were arrested.")])
    s = api.run([_write(tmp_path / "in", a=copy_a, b=copy_b, open=teasing)], str(out), fetched_at=FETCHED)
    assert s.duplicates_in_run == 1
    story = next(a for a in _table(out, "articles") if a["title"].startswith("Chips"))
    assert story["teased_on"] == [SITE + "open-models"]
    card = next(t for t in _table(out, "teasers") if t["title"] == "Chips, the wire copy")
    assert card["article_id"] == story["article_id"]
