"""examples/dagster/: the daily-partitioned asset materialised in-process on the shipped sample, as Dagster runs
it; its metadata is the run summary, and a broken identity fails the materialisation."""

from __future__ import annotations

import importlib.util
import shutil

import pytest

from tests.support.paths import REPO, SAMPLE_NAME

dagster = pytest.importorskip("dagster")


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location("scrapeline_assets", REPO / "examples" / "dagster" / "scrapeline_assets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _materialize(example, landing, out, day="2025-08-06"):
    return dagster.materialize(
        [example.news_articles], partition_key=day, instance=dagster.DagsterInstance.ephemeral(),
        run_config={"ops": {"news_articles": {"config": {"landing": str(landing), "output": str(out),
                                                         "beam_options": ["--runner=FnApiRunner"]}}}},
        raise_on_error=False)


def _landing(tmp_path, sample_path, day="2025-08-06"):
    d = tmp_path / "landing" / day
    d.mkdir(parents=True)
    shutil.copy(sample_path, d / SAMPLE_NAME)
    shutil.copy(sample_path.with_name(SAMPLE_NAME + ".meta.json"), d / (SAMPLE_NAME + ".meta.json"))
    return tmp_path / "landing"


def test_a_day_materialises_with_the_run_summary_as_metadata(example, tmp_path, sample_path):
    landing, out = _landing(tmp_path, sample_path), tmp_path / "out"
    result = _materialize(example, landing, out)
    assert result.success
    [m] = result.asset_materializations_for_node("news_articles")
    assert m.partition == "2025-08-06"
    meta = {k: v.value for k, v in m.metadata.items()}
    assert (meta["rows_written"], meta["articles_extracted"], meta["duplicates_in_run"]) == (3, 4, 1)
    assert meta["dead_letters"] == 0 and sum(meta["rows_per_partition"].values()) == 3
    assert (out / "_runs" / f"{meta['run_id']}.json").is_file()
    again = _materialize(example, landing, out)  # re-materialising the day adds nothing
    [m2] = again.asset_materializations_for_node("news_articles")
    assert again.success and m2.metadata["rows_written"].value == 0
    assert m2.metadata["duplicates_already_in_output"].value == 4


def test_a_broken_identity_or_an_empty_day_fails_the_materialisation(example, tmp_path, sample_path, monkeypatch):
    import scrapeline.pipeline.summary as summary

    landing, out = _landing(tmp_path, sample_path), tmp_path / "out"
    real = summary.build_summary

    def broken(*args):
        s = real(*args)
        return {**s, "identity": {**s["identity"], "holds": False}}
    monkeypatch.setattr(summary, "build_summary", broken)
    result = _materialize(example, landing, out)
    assert not result.success and not result.asset_materializations_for_node("news_articles")
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "missing from the accounting" in failure.step_failure_data.error.message
    user = failure.step_failure_data.user_failure_data  # raised as dagster.Failure, with the summary attached
    assert user is not None and user.metadata["rows_written"].value == 3
    monkeypatch.setattr(summary, "build_summary", real)

    empty = _materialize(example, landing, out, day="2025-08-07")  # nothing landed that day
    assert not empty.success
    failure = next(e for e in empty.all_events if e.is_step_failure)
    assert "2025-08-07" in failure.step_failure_data.error.message
