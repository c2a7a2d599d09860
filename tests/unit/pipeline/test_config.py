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


def test_every_shipped_pattern_passes_the_load_probes_that_loads_skip(monkeypatch):
    """A load takes the shipped files' patterns as probed (checks.vet: ~0.2 s of every run's start); this test is
    where they are probed: the shipped config loads with vetting off, every pattern probed."""
    import scrapeline.pipeline.config as config_module
    from scrapeline.transforms.core import checks

    probed = []
    real_probes = checks._probes
    monkeypatch.setattr(checks, "_probes", lambda pattern, length: probed.append(pattern) or real_probes(pattern, length))
    monkeypatch.setattr(checks, "_VETTED", set())
    monkeypatch.setattr(config_module, "vet", lambda strings: None)
    checks._pattern_problem.cache_clear()
    try:
        config_module.load_config()  # a shipped pattern that fails its probes raises ConfigError here
    finally:
        checks._pattern_problem.cache_clear()
    assert len(set(probed)) >= 30  # the cleaning, layout and head-line patterns were all probed


def test_only_the_shipped_files_are_vetted(tmp_path):
    from scrapeline.pipeline.config import ConfigError, load_config

    rules = tmp_path / "cleaning.yaml"
    rules.write_text("boilerplate_lines:\n  - '(a|aa)+$'\n")
    run = tmp_path / "run.yaml"
    run.write_text(f"cleaning: {rules}\n")
    with pytest.raises(ConfigError, match="backtracks catastrophically|too slow"):
        load_config(run)
