from pipeline.config import CleaningRules, InlineRule
from transforms.clean import clean_body


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


def test_boilerplate_lines_and_whitespace():
    rules = CleaningRules(boilerplate_lines=("(?i)read more",), inline=(InlineRule("x", r"\s*\[ad\]\s*"),))
    out = clean_body(["  Para\u00a0 one\u200b  ", "", "READ MORE", "two [ad] three"], rules)
    assert out.body == "Para one\ntwo three"
    assert out.removed["boilerplate_line"] == 1
