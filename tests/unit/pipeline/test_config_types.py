"""Mistyped config values are refused at load, naming the file, the key, what was expected and what was given
(they used to be coerced: 40.9 -> 40, true -> 1, `url` -> ('u', 'r', 'l'), `en` -> ('e', 'n'))."""

from __future__ import annotations

import pytest

from scrapeline.pipeline.config import ConfigError, load_config
from tests.support.paths import REPO

GENERIC = REPO / "configs" / "layouts" / "generic.yaml"


def _refused(tmp_path, text: str, *parts: str, **files: str) -> str:
    for name, body in files.items():
        (tmp_path / name).write_text(body, encoding="utf-8")
    path = tmp_path / "run.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_config(path)
    message = str(e.value)
    for part in parts:
        assert part in message, message
    return message


@pytest.mark.parametrize(
    "text,key,expected,given",
    [
        ("dedup: {lead_words: 40.9}", "dedup.lead_words", "an integer >= 8", "40.9 (a number with a fraction)"),
        ("dedup: {lead_words: '40'}", "dedup.lead_words", "an integer >= 8", "'40' (a string)"),
        ("dedup: {lead_words: 7}", "dedup.lead_words", "an integer >= 8", "7 (an integer)"),
        ("filter: {min_body_words: true}", "filter.min_body_words", "an integer >= 0", "True (a boolean)"),
        ("filter: {min_body_words: null}", "filter.min_body_words", "an integer >= 0", "null"),
        ("read: {excerpt_chars: -5}", "read.excerpt_chars", "an integer >= 0", "-5"),
        ("read: {max_file_bytes: 0}", "read.max_file_bytes", "an integer >= 1", "0"),
        ("read: {max_file_bytes: 2.5e+8}", "read.max_file_bytes", "an integer >= 1", "250000000.0"),
        ("write: {max_rows_per_file: 0}", "write.max_rows_per_file", "an integer >= 1", "0"),
        ("write: {compression: lz5}", "write.compression", "one of zstd, snappy, gzip, none", "'lz5'"),
        ("write: {compression: false}", "write.compression", "one of zstd", "False (a boolean)"),
        ("jsonl: {url: url}", "jsonl.url", "a list of non-empty names", "'url' (a string)"),
        ("jsonl: {html: []}", "jsonl.html", "a list of non-empty names", "[] (a list)"),
        ("jsonl: {text: [text, '']}", "jsonl.text[1]", "a non-empty name", "''"),
        ("jsonl: {source: [source, 3]}", "jsonl.source[1]", "a non-empty name", "3 (an integer)"),
        ("jsonl: {fetched_at: null}", "jsonl.fetched_at", "a list of non-empty names", "null"),
        ("dates: {languages: en}", "dates.languages", "a list of non-empty names", "'en' (a string)"),
        ("dates: {languages: [en, xx-nope]}", "dates.languages", "language codes dateparser knows", "'xx-nope'"),
        ("dates: {languages: [EN]}", "dates.languages", "language codes dateparser knows", "'EN' -> 'en'"),
        ("dedup: 40", "dedup", "a mapping with keys ['lead_words', 'near']", "40 (an integer)"),
        ("dedup: {lead_wrods: 30}", "dedup", "unknown key(s) ['lead_wrods']", "allowed: ['lead_words', 'near']"),
        ("dedup: {near: {jaccard: 1.5}}", "dedup.near.jaccard", "a number from 0.0 to 1.0", "1.5 (a number with a fraction)"),
        ("dedup: {near: {bands: '32'}}", "dedup.near.bands", "an integer >= 1", "'32' (a string)"),
        ("dedup: {near: {enabled: 1}}", "dedup.near.enabled", "true or false", "1 (an integer)"),
        ("dedup: {near: {shingles: 5}}", "dedup.near", "unknown key(s) ['shingles']", "'shingle_words'"),
        ("layouts: generic.yaml", "layouts", "a list of non-empty names", "'generic.yaml' (a string)"),
        ("cleaning: [a.yaml]", "cleaning", "a file name (a string)", "['a.yaml'] (a list)"),
        ("bogus: 1", "unknown key(s) ['bogus']", "allowed:", "'layouts'"),
    ],
)
def test_a_mistyped_run_setting_is_refused_naming_file_key_expected_and_given(tmp_path, text, key, expected, given):
    message = _refused(tmp_path, text + "\n", f"{tmp_path / 'run.yaml'}: {key}", expected, given)
    assert message.startswith(str(tmp_path / "run.yaml"))


def test_the_languages_dateparser_knows_are_accepted(tmp_path):
    (tmp_path / "run.yaml").write_text("dates: {languages: [en, fr, zh-Hant, de]}\n")
    assert load_config(tmp_path / "run.yaml").date_languages == ("en", "fr", "zh-Hant", "de")


LAYOUT = (
    "name: mine\ndetect: ['Related Articles']\nsite_line: 'From (?P<site>.+)'\n"
    "related:\n  start_after: 'Related Articles'\n  body: line\n  head:\n"
    "    - pattern: '(?P<source>.+)'\n    - pattern: '(?P<title>.+)'\n      optional: false\n"
)


@pytest.mark.parametrize(
    "old,new,key,expected",
    [
        ("detect: ['Related Articles']", "detect: 'Related Articles'", "detect", "a list of patterns"),
        ("detect: ['Related Articles']", "detect: [5]", "detect[0]", "a pattern (a string), got 5 (an integer)"),
        ("name: mine", "name: 5", "name", "a non-empty string, got 5"),
        ("optional: false", "optional: 'no'", "related.head[1].optional", "true or false, got 'no' (a string)"),
        ("optional: false", "ignore_case: 1", "related.head[1].ignore_case", "true or false, got 1 (an integer)"),
        ("optional: false", "colour: red", "related.head[1]", "unknown key(s) ['colour']"),
        ("pattern: '(?P<source>.+)'", "pattern: 12", "related.head[0].pattern", "a pattern (a string), got 12"),
        ("pattern: '(?P<source>.+)'", "pattern: '(?P<sauce>.+)'", "related.head[0].pattern", "['sauce']"),
        ("body: line", "body: lines", "related.body", "'paragraphs' or 'line', got 'lines'"),
        ("'From (?P<site>.+)'", "'From .+'", "site_line", "a (?P<site>...) group"),
        ("  start_after: 'Related Articles'", "  start_after: [R]", "related.start_after", "a pattern (a string)"),
    ],
)
def test_a_mistyped_layout_value_is_refused_naming_the_layout_file_and_key(tmp_path, old, new, key, expected):
    assert old in LAYOUT
    _refused(tmp_path, f"layouts: [mine.yaml, {GENERIC}]\n", f"{tmp_path / 'mine.yaml'}: {key}", expected,
             **{"mine.yaml": LAYOUT.replace(old, new)})


def test_the_layout_fixture_itself_loads(tmp_path):
    (tmp_path / "mine.yaml").write_text(LAYOUT)
    (tmp_path / "run.yaml").write_text(f"layouts: [mine.yaml, {GENERIC}]\n")
    lp = load_config(tmp_path / "run.yaml").layout("mine")
    assert lp.related_body == "line" and [h.optional for h in lp.related_head] == [False, False]


@pytest.mark.parametrize(
    "cleaning,key,expected",
    [
        ("boilerplate_lines: advertisement", "boilerplate_lines", "a list of patterns, got 'advertisement'"),
        ("caption_lines: [true]", "caption_lines[0]", "a pattern (a string), got True (a boolean)"),
        ("inline: [{name: x}]", "inline[0]", "a rule needs a name and a pattern; pattern is missing"),
        ("inline: {name: x, pattern: y}", "inline", "a list of {name, pattern} rules"),
        ("inline: [{name: '', pattern: y}]", "inline[0].name", "a non-empty string"),
        ("captions: []", "rules.yaml", "unknown key(s) ['captions']"),
    ],
)
def test_a_mistyped_cleaning_value_is_refused_naming_the_key(tmp_path, cleaning, key, expected):
    _refused(tmp_path, "cleaning: rules.yaml\n", f"{tmp_path / 'rules.yaml'}", key, expected,
             **{"rules.yaml": cleaning + "\n"})


@pytest.mark.parametrize(
    "sources,expected",
    [
        ("cnn: CNN", "cnn: expected a list of non-empty names, e.g. [a, b], got 'CNN' (a string)"),
        ("../../etc: [X]", "'../../etc': expected a slug"),
        ("Big News: [X]", "'Big News': expected a slug"),
        ("cnn: [CNN]\nfox: [Fox, cnn]", "fox: name 'cnn' is already listed under 'cnn'"),
        ("cnn: [CNN, 9]", "cnn[1]: expected a non-empty name, got 9"),
    ],
)
def test_a_mistyped_sources_entry_is_refused(tmp_path, sources, expected):
    _refused(tmp_path, "sources: s.yaml\n", f"{tmp_path / 's.yaml'}: {expected}", **{"s.yaml": sources + "\n"})
