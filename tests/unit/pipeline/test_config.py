import dataclasses

import pytest

from scrapeline.pipeline.config import ConfigError, load_config


def test_default_config_loads_with_layouts_in_order(config):
    assert [lp.name for lp in config.layouts] == ["aggregator-related", "generic"]
    assert config.lead_words == 40
    assert config.source_slugs["scmp"] == "south-china-morning-post"


def test_config_is_frozen(config):
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.lead_words = 3


def _write(tmp_path, name, text):
    (tmp_path / name).write_text(text)
    return tmp_path / name


@pytest.mark.parametrize(
    "body,message",
    [
        ("layouts: [l.yaml]\ndedup: {lead_words: 2}\n", "lead_words"),
        ("layouts: [l.yaml]\nbogus: 1\n", "unknown key"),
        ("layouts: [l.yaml]\nwrite: {compression: lz5}\n", "compression"),
        ("layouts: []\n", "no layout"),
        ("layouts: [missing.yaml]\n", "cannot read"),
        ("layouts: [l.yaml\n", "invalid YAML"),
    ],
)
def test_bad_configs_fail_with_a_message_naming_the_problem(tmp_path, body, message):
    _write(tmp_path, "l.yaml", "name: l\n")
    with pytest.raises(ConfigError, match=message):
        load_config(_write(tmp_path, "c.yaml", body))


def test_bad_regex_in_a_layout_is_reported(tmp_path):
    _write(tmp_path, "l.yaml", "name: l\ndetect: ['(unclosed']\n")
    with pytest.raises(ConfigError, match="bad regular expression"):
        load_config(_write(tmp_path, "c.yaml", "layouts: [l.yaml]\n"))


def test_related_head_needs_a_title_group(tmp_path):
    _write(tmp_path, "l.yaml", "name: l\nrelated: {start_after: R, head: [{pattern: '(?P<source>.+)'}]}\n")
    with pytest.raises(ConfigError, match="title"):
        load_config(_write(tmp_path, "c.yaml", "layouts: [l.yaml]\n"))


def test_unknown_layout_name(config):
    with pytest.raises(ConfigError, match="aggregator-related"):
        config.layout("nope")
