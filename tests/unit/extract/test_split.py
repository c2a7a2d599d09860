import dataclasses

import pytest

import scrapeline.transforms.extract.split as split
from scrapeline.pipeline.config import HeadLine, LayoutProfile
from scrapeline.transforms.extract.split import choose_layout, split_text_dump
from tests.support.factories import SLOW_LINE, counter_calls, regex_timeouts
from tests.support.factories import SLOW_PATTERN as SLOW


def test_sample_layout_is_detected_and_split_into_main_and_three_related(sample_text, config):
    layout = choose_layout(sample_text, config.layouts)
    assert layout.name == "aggregator-related"
    r = split_text_dump(sample_text, layout)
    assert r.site == "Daily8"
    assert r.rejections == ()
    assert [(a.role, a.position) for a in r.articles] == [("main", 0), ("related", 1), ("related", 2), ("related", 3)]
    main = r.articles[0]
    assert main.title == "Meta changes course on open-source AI as China pushes ahead with advanced models"
    assert main.source is None and main.published_raw is None
    assert main.body_lines[-1].startswith("Zhipu boasted its GLM-4.5")  # chrome after it is not body
    titles = [a.title for a in r.articles[1:]]
    assert titles[0] == "US charges 2 Chinese nationals for sending Nvidia AI chips to China"
    assert titles[1] == "US charges 2 Chinese nationals with sending Nvidia AI chips to China"
    assert titles[2].startswith("Trump tariff threats loom")
    assert {a.source for a in r.articles[1:]} == {"South China Morning Post"}
    assert [a.published_raw for a in r.articles[1:]] == ["35 minutes ago", "35 minutes ago", "5 hours ago"]
    assert r.chrome_lines >= 5  # Hashtags, Try Our AI Features, Explore..., Comments, No comments yet..., marker


def test_generic_layout_title_then_body(config):
    text = "\n\nA headline\nFirst paragraph.\n\nSecond paragraph.\n"
    layout = choose_layout(text, config.layouts)
    assert layout.name == "generic"
    r = split_text_dump(text, layout)
    assert len(r.articles) == 1
    assert r.articles[0].title == "A headline"
    assert r.articles[0].body_lines == ("First paragraph.", "Second paragraph.")


def test_related_text_that_fits_no_head_is_rejected_not_lost(config):
    layout = config.layout("aggregator-related")
    text = (
        "Main title\nMain body text.\nComments\nRelated Articles\n"
        "stray line that is no article head\n\n"
        "Reuters\n2 hours ago\nA related title\nRelated body.\n"
    )
    r = split_text_dump(text, layout)
    assert [a.title for a in r.articles] == ["Main title", "A related title"]
    assert r.articles[1].source == "Reuters" and r.articles[1].body_lines == ("Related body.",)
    assert len(r.rejections) == 1 and r.rejections[0].reason == "unrecognised_block"
    assert "stray line" in r.rejections[0].excerpt


def test_one_line_bodies_reject_stray_lines_between_blocks(config):
    layout = config.layout("aggregator-related")
    text = (
        "T\nBody.\nRelated Articles\n"
        "Reuters\n2 hours ago\nFirst title\nFirst body.\n\nstray text\n\n"
        "AP\n3 hours ago\nSecond title\nSecond body.\n"
    )
    r = split_text_dump(text, layout)
    assert [(a.title, a.body_lines) for a in r.articles[1:]] == [
        ("First title", ("First body.",)), ("Second title", ("Second body.",))]
    assert [rj.excerpt for rj in r.rejections] == ["stray text"]


def test_related_body_spanning_paragraphs_and_missing_dash_line(config):
    layout = dataclasses.replace(config.layout("aggregator-related"), related_body="paragraphs")
    text = (
        "T\nBody.\nRelated Articles\n"
        "Reuters\nan hour ago\n- Reuters\nFirst title\nPara 1.\n\nPara 2.\n"
        "AP News\nYesterday\nSecond title\nOnly para.\n"
    )
    r = split_text_dump(text, layout)
    rel = r.articles[1:]
    assert [(a.title, a.body_lines, a.published_raw) for a in rel] == [
        ("First title", ("Para 1.", "Para 2."), "an hour ago"),
        ("Second title", ("Only para.",), "Yesterday"),
    ]


def test_windows_newlines_and_bom(config):
    r = split_text_dump("\ufeffTitle\r\nBody line.\r\n", config.layout("generic"))
    assert r.articles[0].title == "Title" and r.articles[0].body_lines == ("Body line.",)


# --- layout patterns run on `regex` with a time bound per call --------------------------------------------------



@pytest.fixture
def counted(monkeypatch):
    return counter_calls(monkeypatch, split)


def test_a_detect_pattern_that_times_out_counts_as_no_match(counted, config):
    slow = LayoutProfile("slow", detect=(SLOW,))
    with regex_timeouts(split, split._re) as timeouts:
        chosen = choose_layout(f"Title\n{SLOW_LINE}\nQ:12\n", (slow, config.layout("generic")))
        assert chosen.name == "slow"  # "Q:12" decided: the pattern matches some line
        assert choose_layout(f"Title\n{SLOW_LINE}\n", (slow, config.layout("generic"))).name == "generic"
    assert timeouts and set(timeouts) == {split.REGEX_TIMEOUT}  # every call of a configured pattern is bounded
    assert counted == ["split.regex_timeout"] * 2


def test_a_head_pattern_that_times_out_leaves_the_line_to_the_body(counted):
    layout = LayoutProfile(
        "slow", related_start_after="Related", related_head=(HeadLine(SLOW, optional=True), HeadLine("(?P<title>T.*)")),
    )
    r = split_text_dump(f"Main\nBody.\nRelated\nT1\n{SLOW_LINE}\nT2\nb\n", layout)
    assert [(a.title, a.body_lines) for a in r.articles[1:]] == [("T1", (SLOW_LINE,)), ("T2", ("b",))]
    assert "split.regex_timeout" in counted


def test_an_optional_site_group_that_matches_nothing_is_no_site():
    layout = LayoutProfile("s", site_line="From:(?P<site>.*)")
    assert split_text_dump("Title\nFrom:\nFrom: Daily8\n", layout).site == "Daily8"
