
import pytest

import scrapeline.transforms.extract.clean as clean
from scrapeline.pipeline.config import CleaningRules, InlineRule
from scrapeline.transforms.extract.clean import clean_body
from tests.support.factories import SLOW_LINE, counter_calls, regex_timeouts
from tests.support.factories import SLOW_PATTERN as SLOW


def test_inline_ad_marker_removed_text_on_both_sides_kept(config):
    out = clean_body(["according to authorities. Advertisement The defendants used a company."], config.cleaning)
    assert out.body == "according to authorities. The defendants used a company."
    assert out.removed["inline:ad_marker"] == 1


def test_the_word_advertisement_in_running_text_survives(config):
    line = "The Advertisement Standards Authority said the advertisement was misleading."
    assert clean_body([line], config.cleaning).body == line


def test_video_widget_duration_and_repeated_title_removed(config):
    line = (
        "did not respond. 03:34 Nvidia CEO praises China's AI progress Nvidia CEO praises China's AI progress "
        "Over the past years, the US tightened rules."
    )
    out = clean_body([line], config.cleaning)
    assert out.body == "did not respond. Over the past years, the US tightened rules."
    assert out.removed["inline:video_widget"] == 1


def test_a_time_in_text_without_a_repeated_title_is_kept(config):
    line = "The market closed. 10:30 is when trading resumed on Tuesday after the halt."
    assert clean_body([line], config.cleaning).body == line


def test_caption_lines_are_set_apart(config):
    out = clean_body(["Body one.", "Crowds at the booth in Shanghai. Photo: Handout", "Body two."], config.cleaning)
    assert out.body == "Body one.\nBody two."
    assert out.captions == ("Crowds at the booth in Shanghai. Photo: Handout",)


def test_widget_lines_around_a_story_are_dropped_and_ratings_kept(config):
    # each line from a benchmark page: a newsletter sign-up, a gallery, article tools, a bare photo credit
    widgets = ["Thanks for signing up!", "Keep an eye on your inbox for the latest sports news.",
               "There was an error processing your subscription.", "An error has occurred, please try again later.",
               "Image 1 of 8", "1of/8", "1 / 8", "Caption", "Close", "Back to Gallery", "Text size", "Order Reprints"]
    out = clean_body(["Body one."] + widgets + ["Photo: Hau Dinh, AP", "5/5", "Chapter 3 of 12 begins here."],
                     config.cleaning)
    assert out.body == "Body one.\n5/5\nChapter 3 of 12 begins here."
    assert out.captions == ("Photo: Hau Dinh, AP",) and out.removed["boilerplate_line"] == len(widgets)


_WHOLE = ("U.S. Defense Secretary Mark Esper, left, and Vietnamese Defense Minister Ngo Xuan Lich shake hands in Hanoi. "
          "Esper is on a visit to strengthen the military relations with the Southeast Asian nation.")
_CUT = "U.S. Defense Secretary Mark Esper, left, and Vietnamese Defense Minister Ngo Xuan Lich shake hands in Hanoi."


def test_an_expand_collapse_captions_two_states_are_one_caption(config):
    # AEB page db6b0816 (chron.com): each photo's caption twice, whole ("... less") and cut ("... more"), and the
    # gallery repeats them
    states = [f"{_WHOLE} less", f"{_CUT} ... more", "Image", f"{_WHOLE} less", f"{_CUT}… more"]
    out = clean_body(["HANOI, Vietnam (AP) — Esper spoke."] + states + ["He urged Vietnam to push back."],
                     config.cleaning)
    assert out.body == "HANOI, Vietnam (AP) — Esper spoke.\nImage\nHe urged Vietnam to push back."
    assert out.captions == (_WHOLE,) and out.removed["caption_toggle"] == 4


@pytest.mark.parametrize("lines", [
    ["When online college costs less"],  # "less" alone is running text
    ["Prices rose across the region, and the smaller shops paid ... more", "Prices rose less"],  # not its beginning
    ["Costs ... more", "Costs less"],  # too short to be a caption's cut state
    [f"{_CUT} ... more", "The shops in the centre of Hanoi sold less"],
])
def test_more_and_less_without_their_pair_stay(config, lines):
    assert clean_body(lines, config.cleaning).body == "\n".join(lines)


_STORY = ["HANOI, Vietnam (AP) — Esper accused China of coercion on Wednesday.", "He urged Vietnam to push back."]


@pytest.mark.parametrize("head,tail,removed", [
    # the headline again at the body's head, and a line that is only a date at its head or end (AEB, WCXB and
    # legacy pages: gold leaves both out; the title and published_at columns hold them)
    (["Esper accuses China of intimidating smaller nations"], [], {"headline_line": 1}),
    (["ESPER ACCUSES CHINA OF INTIMIDATING SMALLER NATIONS!"], [], {"headline_line": 1}),
    (["October 12, 2017"], [], {"dateline": 1}),
    (["segunda-feira, 22 de janeiro de 2018 às 0:13"], [], {"dateline": 1}),
    (["Robert Burns", "UPDATED: Tue., Nov. 19, 2019"], [], {"dateline": 1}),
    ([], ["- Published 18 November 2019"], {"dateline": 1}),
    (["Updated at 1:23 p.m."], [], {"dateline": 1}),
    (["November 19, 2019 / 12:21 AM / Updated 14 hours ago"], [], {"dateline": 1}),
    (["10.06.2018 22:00", "Esper accuses China of intimidating smaller nations"], [],
     {"dateline": 1, "headline_line": 1}),
])
def test_the_headline_and_a_date_alone_at_the_edges_of_a_body_are_metadata(config, head, tail, removed):
    out = clean_body(head + _STORY + tail, config.cleaning, "Esper accuses China of intimidating smaller nations")
    kept = [x for x in head if x == "Robert Burns"]
    assert out.body == "\n".join(kept + _STORY)
    assert {k: v for k, v in out.removed.items() if k in ("dateline", "headline_line")} == removed


@pytest.mark.parametrize("lines", [
    _STORY * 2 + ["Esper accuses China of intimidating smaller nations"],  # the headline, but not at the head
    ["First.", "Second.", "Third.", "Esper accuses China of intimidating smaller nations"] + _STORY,  # too far down
    ["March 2020"] + _STORY,  # a month alone heads a timeline's section
    ["29 November 2018 | 20 January 2019"] + _STORY,  # an event's two dates
    ["On October 12, 2017 the talks began."] + _STORY,  # a sentence with a date
    ["Updated rules apply at 9:00 for all"] + _STORY,  # a label and a time, in a sentence
    ["14 hours ago the storm hit"] + _STORY,
    _STORY * 2 + ["October 12, 2017"] + _STORY * 2,  # a date alone, inside the story
])
def test_a_date_or_the_headline_elsewhere_stays(config, lines):
    out = clean_body(lines, config.cleaning, "Esper accuses China of intimidating smaller nations")
    assert out.body == "\n".join(lines)


def test_without_a_title_the_first_line_stays(config):
    assert clean_body(["A headline-like first line"] + _STORY, config.cleaning).body.startswith("A headline-like")


def test_links_to_other_stories_inside_the_text_are_dropped_and_brackets_in_text_kept(config):
    # AEB pages (express.co.uk, rt.com): a "Don't miss" box, its tagged headlines, a site's "Also on", a share prompt
    links = ["DON'T MISS", "China furious at Macron for Hong Kong protest jibe [INSIGHT]|",
             "Plane passengers quarantined after BUBONIC PLAGUE outbreak [NEWS]",
             "Also on rt.com Journalists & politicians threatened with sedition arrests",
             "Like this story? Share it with a friend!",
             # publishers' notices: Dow Jones's reprint notice and contact line, Reuters's standards, a shortcode
             "This copy is for your personal, non-commercial use only. To order presentation-ready copies, visit "
             "www.djreprints.com.", "Write to Al Root at allen.root@dowjones.com", "This article has been sent to",
             "Our Standards:The Thomson Reuters Trust Principles.",
             "[button link=\u201dhttp://example.com/submit/\u201d type=\u201dbig\u201d] Send us YOUR review[/button]"]
    kept = ["The agency [NSA] said so.", "He said: [VIDEO] is not a word.", "Don't miss the last train home, he said."]
    out = clean_body(["Body one."] + links + kept, config.cleaning)
    assert out.body == "\n".join(["Body one."] + kept)
    assert out.removed["boilerplate_line"] == len(links)


def test_a_list_item_is_matched_by_its_text(config):
    # an article-tools bar written as a list (AEB page f8ff621a: "- Order Reprints", "- Print Article")
    items = ["- Order Reprints", "- Print Article", "\u2022 Share this article"]
    out = clean_body(["Body one."] + items + ["- Print the form and sign it."], config.cleaning)
    assert out.body == "Body one.\n- Print the form and sign it."
    assert out.removed["boilerplate_line"] == len(items)
    # a caption in a list goes to the captions as written
    assert clean_body(["- Photo: Hau Dinh, AP"], config.cleaning).captions == ("- Photo: Hau Dinh, AP",)


def test_boilerplate_lines_and_whitespace():
    rules = CleaningRules(boilerplate_lines=("(?i)read more",), inline=(InlineRule("x", r"\s*\[ad\]\s*"),))
    out = clean_body(["  Para\u00a0 one\u200b  ", "", "READ MORE", "two [ad] three"], rules)
    assert out.body == "Para one\ntwo three"
    assert out.removed["boilerplate_line"] == 1


# --- configured patterns run on `regex` with a time bound per call -----------------------------------------------



@pytest.fixture
def counted(monkeypatch):
    return counter_calls(monkeypatch, clean)


@pytest.mark.parametrize("where", ["boilerplate_lines", "caption_lines"])
def test_a_line_rule_that_times_out_leaves_the_line_counts_and_returns(counted, where):
    rules = CleaningRules(**{where: ("(?i)read more", SLOW)})
    with regex_timeouts(clean, clean._compiled) as timeouts:
        out = clean_body([SLOW_LINE, "Q:12", "Read more", "Body."], rules)
    assert timeouts and set(timeouts) == {clean.REGEX_TIMEOUT}  # every call of a configured rule is bounded
    assert out.body == SLOW_LINE + "\n" + "Body."  # the timed-out line is left as it was
    # The rules still decide the lines they can: "Q:12" and "Read more" are dropped or set apart as captions.
    assert out.captions == (() if where == "boilerplate_lines" else ("Q:12", "Read more"))
    assert counted == ["cleaning.regex_timeout"]


def test_an_inline_rule_that_times_out_leaves_the_line_unchanged(counted):
    rules = CleaningRules(inline=(InlineRule("slow", SLOW), InlineRule("ad", r"\s*\[ad\]")))
    out = clean_body([SLOW_LINE + " [ad]", "Q:12"], rules)
    assert out.body == SLOW_LINE  # the slow rule timed out on line 1 (the [ad] rule still ran) and cut line 2
    assert out.removed["inline:ad"] == 1 and out.removed["inline:slow"] == 1
    assert counted == ["cleaning.regex_timeout"]


def test_the_bound_is_the_module_constant(monkeypatch, counted):
    monkeypatch.setattr(clean, "REGEX_TIMEOUT", 0.01)
    with regex_timeouts(clean, clean._compiled) as timeouts:
        clean_body([SLOW_LINE] * 5, CleaningRules(boilerplate_lines=(SLOW,)))
    assert timeouts == [0.01] * 5 and counted == ["cleaning.regex_timeout"] * 5


def test_rules_with_numbered_backreferences_keep_their_meaning_beside_other_rules():
    # Joined into one alternation, `\1` would point at the first rule's group.
    rules = CleaningRules(boilerplate_lines=("(a)b", r"(\w+) again \1"))
    out = clean_body(["ab", "hello again hello", "hello again world"], rules)
    assert out.body == "hello again world" and out.removed["boilerplate_line"] == 2


def test_verbose_rules_with_a_trailing_comment_still_work():
    rules = CleaningRules(boilerplate_lines=("(?x) read \\s more  # the usual link", "(?i)advertisement"))
    assert clean_body(["read more", "ADVERTISEMENT", "kept"], rules).body == "kept"


STORY = [f"Paragraph {i} of the story, with enough words to count as the body of a news article today." for i in range(6)]


@pytest.mark.parametrize("marker", ["Comentar", "Comments (12)", "3 Kommentare", "#1 Kommentar von Naru-chan",
                                    "Leave a reply", "2 Responses to “Kein Cyberterrorismus”"])
def test_a_comment_section_after_the_story_is_cut(config, marker):
    out = clean_body(STORY + [marker, "Great piece!", "Hace 28 minutos", "I disagree with the author."], config.cleaning)
    assert out.body == "\n".join(STORY) and out.removed["tail_cut_lines"] == 4


def test_a_comments_heading_early_in_the_story_is_a_section_of_it(config):
    lines = [STORY[0], "Comments", *STORY[1:]]
    assert clean_body(lines, config.cleaning).body == "\n".join(lines)


def test_legacy_copyright_and_tool_bars_are_boilerplate_but_copyright_in_running_text_stays(config):
    lines = ["Copyright © 2008 The Age Company Ltd. All rights reserved.", "View all news | Send to a friend | Print",
             "Copyright 2008, The Associated Press. All rights reserved.",
             "Copyright law was changed in 2008 after a long campaign by artists.", "Print media is in decline."]
    assert clean_body(lines, config.cleaning).body == "\n".join(lines[3:])


@pytest.mark.parametrize("sentence", [
    "Two responses to the proposal were filed by neighbourhood associations before the deadline.",
    "No replies to the letter came from the ministry.", "Three reactions to the verdict: …",
    "3 comments by the minister drew criticism from …"])
def test_a_sentence_about_comments_or_responses_is_not_a_comment_section(config, sentence):
    lines = STORY[:4] + [sentence] + STORY[4:]
    assert clean_body(lines, config.cleaning).body == "\n".join(lines)
