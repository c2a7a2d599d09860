"""A config file that sets a few keys is merged over configs/default.yaml: mappings key by key, lists replaced,
file references relative to the file that names them (a file with only `dedup:` used to fail with "no layout
profiles configured")."""

from __future__ import annotations

import shutil

import pytest

from scrapeline.pipeline.config import DEFAULT_CONFIG, ConfigError, load_config


@pytest.fixture
def elsewhere(tmp_path, monkeypatch):
    """Run from an unrelated directory, so nothing resolves relative to the working directory by accident."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    return tmp_path


def test_a_file_with_only_dedup_keeps_every_other_default(elsewhere, config):
    (elsewhere / "mine.yaml").write_text("dedup:\n  lead_words: 30\n")
    cfg = load_config(elsewhere / "mine.yaml")
    assert cfg.lead_words == 30
    assert cfg.layouts == config.layouts and cfg.cleaning == config.cleaning and cfg.sources == config.sources
    assert (cfg.min_body_words, cfg.max_file_bytes, cfg.excerpt_chars) == (
        config.min_body_words, config.max_file_bytes, config.excerpt_chars)
    assert (cfg.compression, cfg.date_languages, cfg.jsonl) == (config.compression, config.date_languages,
                                                                config.jsonl)


def test_sections_merge_key_by_key(elsewhere, config):
    (elsewhere / "mine.yaml").write_text("read: {excerpt_chars: 100}\njsonl: {url: [href]}\n")
    cfg = load_config(elsewhere / "mine.yaml")
    assert cfg.excerpt_chars == 100 and cfg.max_file_bytes == config.max_file_bytes
    assert cfg.jsonl.url == ("href",) and cfg.jsonl.html == config.jsonl.html


def test_lists_are_replaced_not_appended(elsewhere):
    (elsewhere / "mine.yaml").write_text("dates: {languages: [fr]}\n")
    assert load_config(elsewhere / "mine.yaml").date_languages == ("fr",)


def test_an_empty_section_or_file_changes_nothing(elsewhere, config):
    (elsewhere / "mine.yaml").write_text("# only comments\ndedup:\n  # lead_words: 30\n")
    assert load_config(elsewhere / "mine.yaml") == config
    (elsewhere / "empty.yaml").write_text("")
    assert load_config(elsewhere / "empty.yaml") == config


def test_the_users_file_references_resolve_relative_to_the_users_file(elsewhere):
    conf = elsewhere / "conf"
    (conf / "rules").mkdir(parents=True)
    (conf / "rules" / "clean.yaml").write_text("boilerplate_lines: ['Subscribe now']\n")
    (conf / "rules" / "layout.yaml").write_text("name: only\n")
    (conf / "slugs.yaml").write_text("acme: [ACME Daily]\n")
    (conf / "run.yaml").write_text("layouts: [rules/layout.yaml]\ncleaning: rules/clean.yaml\nsources: slugs.yaml\n")
    cfg = load_config(conf / "run.yaml")
    assert [lp.name for lp in cfg.layouts] == ["only"]
    assert cfg.cleaning.boilerplate_lines == ("Subscribe now",)
    assert cfg.source_slugs == {"acme": "acme", "acme daily": "acme"}


def test_the_defaults_references_stay_relative_to_configs(elsewhere, config):
    # Only `cleaning` is overridden: the default layouts and sources still come from configs/, wherever we run.
    (elsewhere / "c.yaml").write_text("caption_lines: []\n")
    (elsewhere / "mine.yaml").write_text("cleaning: c.yaml\n")
    cfg = load_config(elsewhere / "mine.yaml")
    assert cfg.cleaning.caption_lines == () and cfg.layouts == config.layouts and cfg.sources == config.sources


def test_a_bad_value_names_the_users_file(elsewhere):
    (elsewhere / "mine.yaml").write_text("dedup: {lead_words: 2.5}\n")
    with pytest.raises(ConfigError, match=r"mine\.yaml: dedup\.lead_words: expected an integer >= 8, got 2\.5"):
        load_config(elsewhere / "mine.yaml")
    (elsewhere / "mine.yaml").write_text("layouts: []\n")
    with pytest.raises(ConfigError, match=r"mine\.yaml: layouts: expected a non-empty list of layout files"):
        load_config(elsewhere / "mine.yaml")


def test_a_bad_default_names_the_default_file(elsewhere, monkeypatch):
    import scrapeline.pipeline.config

    shutil.copytree(DEFAULT_CONFIG.parent, elsewhere / "configs")
    default = elsewhere / "configs" / "default.yaml"
    default.write_text(default.read_text().replace("lead_words: 40", "lead_words: 4"))
    monkeypatch.setattr(scrapeline.pipeline.config, "DEFAULT_CONFIG", default)
    (elsewhere / "mine.yaml").write_text("read: {excerpt_chars: 5}\n")
    with pytest.raises(ConfigError, match=r"configs/default\.yaml: dedup\.lead_words: expected an integer >= 8"):
        load_config(elsewhere / "mine.yaml")


def test_the_default_file_itself_loads_without_merging(config):
    assert load_config(DEFAULT_CONFIG) == config


def test_the_card_rule_is_configured_and_checked(elsewhere, config):
    (elsewhere / "mine.yaml").write_text("teasers:\n  article_min_words: 300\n")
    cfg = load_config(elsewhere / "mine.yaml")
    assert cfg.cards.article_min_words == 300 and cfg.cards.max_link_density == config.cards.max_link_density
    (elsewhere / "bad.yaml").write_text("teasers:\n  max_link_density: 2\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: teasers.max_link_density"):
        load_config(elsewhere / "bad.yaml")
    (elsewhere / "typo.yaml").write_text("teasers:\n  min_words: 20\n")
    with pytest.raises(ConfigError, match="min_words"):
        load_config(elsewhere / "typo.yaml")
