"""The printed run summary (pipeline/summary.py)."""

from __future__ import annotations

from scrapeline.pipeline.summary import build_summary, render_summary


def test_a_run_over_many_sites_prints_twenty_partitions_and_counts_the_rest(tmp_path):
    s = build_summary({"teasers_extracted": 3, "teasers_written": 2, "publisher.unknown": 1,
                       "publisher.from.title_affix": 4}, str(tmp_path), "r1", [])
    s["rows_per_partition"] = {f"source=s{i:02d}/date=2025-08-06": 2 for i in range(25)}
    text = render_summary(s)
    assert text.count(": 2 rows") == 20 and "... and 5 more partitions (10 rows; all in the run record)" in text
    assert "teasers (link cards, in teasers/): 3 seen, 2 written" in text
    assert "naming no publisher (source=unknown): 1 (others from: title_affix 4)" in text
    s["rows_per_partition"] = dict(list(s["rows_per_partition"].items())[:3])
    assert "more partitions" not in render_summary(s)


class _NoMetrics:
    """A runner's result whose metrics() is not implemented (some portable runners)."""

    def metrics(self):
        raise NotImplementedError("metrics are not supported by this runner")


def test_a_run_whose_runner_returned_no_metrics_fails_the_check_and_says_why(tmp_path):
    from scrapeline.pipeline.summary import counters_of

    assert counters_of(_NoMetrics()) == {}
    s = build_summary({}, str(tmp_path), "r1", ["in/"], files=3)
    assert s["identity"]["holds"] is False
    assert "returned no metrics for a run over 3 file(s)" in s["identity"]["why"]
    assert "MISMATCH (the runner returned no metrics" in render_summary(s)
    # the same empty counters for a run that listed no file is not a missing-metrics failure
    assert build_summary({}, str(tmp_path), "r1", [], files=0)["identity"]["holds"] is True
    ok = build_summary({"files_read": 3, "read_units": 3}, str(tmp_path), "r1", ["in/"], files=3)
    assert ok["identity"]["holds"] is True and "why" not in ok["identity"]


class _Counter:
    def __init__(self, name, attempted, committed):
        from types import SimpleNamespace

        self.key = SimpleNamespace(metric=SimpleNamespace(name=name))
        self.attempted, self.committed = attempted, committed


class _Result:
    def __init__(self, counters):
        self._counters = counters

    def metrics(self):
        result = self

        class _M:
            def query(self, _filter):
                return {"counters": result._counters}
        return _M()


def test_attempted_only_metrics_forgive_an_over_count_but_never_a_loss(tmp_path):
    """Spark's portable runner commits no metric: attempted counters count a recomputed stage's work again. An
    accounted sum over the extracted count is that; one under it is a loss, whatever the metrics."""
    from scrapeline.pipeline.summary import counters_of

    over = build_summary(counters_of(_Result([_Counter("files_read", 1, None), _Counter("articles_extracted", 4, None),
                                              _Counter("articles_written", 0, None),
                                              _Counter("duplicates.in_run", 5, None)])), str(tmp_path), "r1", ["in/"], 1)
    assert over["identity"]["holds"] is True and over["identity"]["metrics"] == "attempted"
    assert "no article is missing" in over["identity"]["why"] and "no article is missing" in render_summary(over)
    under = build_summary(counters_of(_Result([_Counter("files_read", 1, None), _Counter("articles_extracted", 4, None),
                                               _Counter("articles_written", 0, None),
                                               _Counter("duplicates.in_run", 3, None)])), str(tmp_path), "r1", ["in/"], 1)
    assert under["identity"]["holds"] is False
    exact_over = build_summary(counters_of(_Result([_Counter("files_read", 1, 1), _Counter("articles_extracted", 4, 4),
                                                    _Counter("articles_written", 0, 0),
                                                    _Counter("duplicates.in_run", 5, 5)])), str(tmp_path), "r1", ["in/"], 1)
    assert exact_over["identity"]["holds"] is False and exact_over["identity"]["metrics"] == "committed"


def test_attempted_only_metrics_after_a_reread_are_not_verified_and_say_so(tmp_path):
    """A lost Spark executor: its tasks are redone from the read on, so the attempted `files_read` is over the files
    listed and `articles_extracted` is over too (measured: 2 reads of 1 file, 233 extracted for 155 accounted, the
    output whole). The check cannot tell a loss then: not verified (None), not failed, and the summary says why.
    Without the reread, the same shortfall is a loss."""
    from scrapeline.pipeline.summary import counters_of

    counters = [_Counter("articles_extracted", 233, None), _Counter("articles_written", 0, None),
                _Counter("duplicates.in_run", 155, None)]  # no row written: the test has no manifest
    reread = build_summary(counters_of(_Result([_Counter("files_read", 2, None), *counters])), str(tmp_path), "r1",
                           ["in/"], 1)
    assert reread["identity"]["holds"] is None
    assert "NOT VERIFIED" in reread["identity"]["why"] and "2 file reads for 1 file" in reread["identity"]["why"]
    assert ": not verified (NOT VERIFIED" in render_summary(reread)
    once = build_summary(counters_of(_Result([_Counter("files_read", 1, None), *counters])), str(tmp_path), "r1",
                         ["in/"], 1)
    assert once["identity"]["holds"] is False and "why" not in once["identity"]
    committed = build_summary(counters_of(_Result([_Counter("files_read", 2, 2), _Counter("articles_extracted", 233, 233),
                                                   _Counter("articles_written", 0, 0),
                                                   _Counter("duplicates.in_run", 155, 155)])), str(tmp_path), "r1",
                              ["in/"], 1)
    assert committed["identity"]["holds"] is False  # committed metrics are exact: a shortfall is a loss
