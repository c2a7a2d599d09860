"""Hostile config files are refused at load, quickly, naming the file and the key: catastrophic patterns (which
hung a 3-line run past 120 s on `re`), pattern compile bombs, YAML alias bombs (3.2 GB), oversized files."""

from __future__ import annotations


import pytest

from scrapeline.transforms.core import checks
from tests.support.factories import regex_timeouts

from scrapeline.pipeline.config import CleaningRules, ConfigError, HeadLine, LayoutProfile, load_config
from tests.support.paths import REPO

GOOD_LINES = ["'(?i)advertisement'", "'(?i)read more:?'", "Hashtags", "Comments", "'x+'", "'y?'"]


def _user(tmp_path, text: str, **files: str):
    """A user config (merged over the defaults) plus the files it names, all in tmp_path."""
    for name, body in files.items():
        (tmp_path / name).write_text(body, encoding="utf-8")
    (tmp_path / "run.yaml").write_text(text, encoding="utf-8")
    return tmp_path / "run.yaml"


def _refused(path, *parts: str) -> str:
    with regex_timeouts(checks, checks._pattern_problem) as timeouts, pytest.raises(ConfigError) as e:
        load_config(path)
    assert None not in timeouts  # every probe of a configured pattern ran with a bound (none may hang the load)
    for part in parts:
        assert part in str(e.value), str(e.value)
    return str(e.value)


# --- patterns --------------------------------------------------------------------------------------------------


def test_a_catastrophic_boilerplate_pattern_is_refused_quickly_with_file_key_and_index(tmp_path):
    cleaning = "boilerplate_lines:\n" + "".join(f"  - {p}\n" for p in [*GOOD_LINES, "'(a|aa)+$'"])
    path = _user(tmp_path, "cleaning: rules.yaml\n", **{"rules.yaml": cleaning})
    message = _refused(path)
    assert message == (
        f"{tmp_path / 'rules.yaml'}: boilerplate_lines[6]: pattern '(a|aa)+$' backtracks catastrophically "
        "(no match decided within 50 ms on a 40-character input); rewrite it"
    )


@pytest.mark.parametrize(
    "pattern",
    [
        "(a|aa)+$",  # exponential on a run of a's and a misfit
        "(a|aa)+",  # the same without $: only a whole-line match (how rules run) explodes
        r"(\d|\d\d)+$",
        r"(\w|\w\w)+\.$",  # needs its literal '.' in the probe
        "(?i)(A|AA)+$",
        r"(\w+\s?)+$",  # polynomial: 40 characters are fine, a 1000-character paragraph takes seconds
        "(a+)+b",
    ],
)
def test_backtracking_patterns_are_refused_at_load(pattern):
    with regex_timeouts(checks, checks._pattern_problem) as timeouts, pytest.raises(
            ConfigError, match=r"cleaning rules: caption_lines\[0\]: pattern .* (backtracks|too slow)"):
        CleaningRules(caption_lines=(pattern,))
    assert timeouts and set(timeouts) == {checks.PROBE_TIMEOUT}  # refused by the bounded probes


def test_every_shipped_pattern_passes_the_probes(config):
    patterns = [*config.cleaning.boilerplate_lines, *config.cleaning.caption_lines,
                *(r.pattern for r in config.cleaning.inline)]
    for lp in config.layouts:
        patterns += [*lp.detect, *lp.main_end_at, *lp.cleaning.boilerplate_lines, *(h.pattern for h in lp.related_head)]
    assert len(patterns) > 20  # load_config() (the fixture) probed them all


def test_a_catastrophic_layout_pattern_is_refused_naming_the_layout_file(tmp_path):
    layout = "name: mine\ndetect: ['Related Articles']\nmain:\n  end_at: [Comments, '(x|xx)+y']\n"
    path = _user(tmp_path, f"layouts: [mine.yaml, {REPO / 'configs/layouts/generic.yaml'}]\n", **{"mine.yaml": layout})
    _refused(path, f"{tmp_path / 'mine.yaml'}: main.end_at[1]: pattern '(x|xx)+y' backtracks catastrophically")


def test_head_patterns_are_probed_with_their_own_flags():
    with pytest.raises(ConfigError, match="backtracks"):
        HeadLine("(?P<title>(A|AA)+)", ignore_case=True)


def test_a_pattern_that_explodes_when_compiled_is_refused_before_compiling(tmp_path):
    path = _user(tmp_path, "cleaning: rules.yaml\n", **{"rules.yaml": "caption_lines: ['(?:(?:a{100}){100}){100}']\n"})
    _refused(path, "caption_lines[0]", "repeats 1,000,000 times", "expected at most 100,000")


def test_a_bad_regular_expression_names_the_key(tmp_path):
    path = _user(tmp_path, "cleaning: rules.yaml\n", **{"rules.yaml": "inline:\n  - {name: x, pattern: '(unclosed'}\n"})
    _refused(path, "rules.yaml: inline[0].pattern: bad regular expression '(unclosed'")


def test_a_constructed_layout_is_checked_too():
    with pytest.raises(ConfigError, match=r"layout 'l': detect\[0\]: pattern '\(a\|aa\)\+\$' backtracks"):
        LayoutProfile("l", detect=("(a|aa)+$",))


# --- YAML ------------------------------------------------------------------------------------------------------

BOMB = (
    "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
    "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
    "boilerplate_lines: [*h, *h, *h, *h, *h, *h, *h, *h, *h]\n"
)


def test_a_yaml_alias_bomb_in_the_cleaning_file_is_refused_quickly(tmp_path):
    path = _user(tmp_path, "cleaning: rules.yaml\n", **{"rules.yaml": BOMB})
    _refused(path, f"{tmp_path / 'rules.yaml'}: invalid YAML: line 2: aliases are not allowed")


def test_a_yaml_alias_in_a_run_config_is_refused(tmp_path):
    path = _user(tmp_path, "jsonl:\n  url: &u [url, link]\n  html: *u\n")
    _refused(path, f"{path}: invalid YAML: line 3: aliases are not allowed")


def test_a_config_file_over_1_mib_is_refused_unparsed(tmp_path):
    path = _user(tmp_path, "dedup: {lead_words: 30}\n" + "#" * (1 << 20) + "\n")
    _refused(path, f"{path}: larger than 1 MiB")


def test_duplicate_keys_are_refused_not_silently_overwritten(tmp_path):
    path = _user(tmp_path, "dedup:\n  lead_words: 30\ndedup:\n  lead_words: 50\n")
    _refused(path, f"{path}: invalid YAML: line 3: duplicate key 'dedup'")


def test_deeply_nested_yaml_is_refused(tmp_path):
    path = _user(tmp_path, "dedup: " + "[" * 50_000 + "]" * 50_000 + "\n")
    _refused(path, f"{path}: invalid YAML")


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    (tmp_path / "run.yaml").write_bytes(b"dedup:\n  lead_words: \xff\n")
    _refused(tmp_path / "run.yaml", "not UTF-8")
