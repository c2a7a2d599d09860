"""The Python API (pipeline/api.py): typed summaries and typed errors, in-process, as an orchestrator calls it."""

from __future__ import annotations

import pytest

from scrapeline.pipeline import api
from tests.support.factories import failing_graph

FETCHED = "2025-08-06T12:00:00Z"


def test_run_returns_the_typed_summary_and_compact_what_it_did(tmp_path):
    out = str(tmp_path / "out")
    s = api.run(output=out, run_id="api-1", fetched_at=FETCHED, options={"runner": "FnApiRunner"})
    assert isinstance(s, api.RunSummary) and s.run_id == "api-1" and s.status == "succeeded"
    assert (s.articles_extracted, s.articles_written, s.duplicates_in_run) == (4, 3, 1)
    assert sum(s.rows_per_partition.values()) == 3 and s.record["files"] and s.started_at <= s.ended_at
    again = api.run(output=out, fetched_at=FETCHED)  # the same input again: nothing new
    assert again.articles_written == 0 and again.duplicates_already_in_output == s.articles_extracted
    c = api.compact(out)
    assert isinstance(c, api.CompactSummary) and c.merged == () and c.already_compact == 2 and c.changed == ()


def test_errors_are_typed(tmp_path, monkeypatch):
    out = str(tmp_path / "out")
    with pytest.raises(api.UsageError, match="does not exist"):
        api.run(["/no/such/input"], out)
    with pytest.raises(api.UsageError, match="does not exist"):
        api.compact(str(tmp_path / "nothing"))
    import scrapeline.pipeline.graph as graph

    real = graph.build_pipeline
    monkeypatch.setattr(graph, "build_pipeline", failing_graph(real))
    with pytest.raises(api.PipelineFailed) as failed:
        api.run(output=out, options={"runner": "FnApiRunner"})
    assert failed.value.record["status"] == "failed" and isinstance(failed.value, api.ScrapelineError)
    monkeypatch.setattr(graph, "build_pipeline", real)


def _losing_graph(monkeypatch):
    """`build_pipeline` with the article writer wrapped so that it silently drops one article (no counter): a real
    run that loses a row (the lowest of the run's unique article ids)."""
    import apache_beam as beam

    import scrapeline.pipeline.graph as graph

    real_writer = graph.WritePartitionedParquet

    class LosingWriter(beam.PTransform):
        def __init__(self, output, table, *args, **kwargs):
            super().__init__()
            self._table, self._inner = table, real_writer(output, table, *args, **kwargs)

        def expand(self, records):
            if self._table != "articles":
                return records | "Write" >> self._inner
            lowest = beam.pvalue.AsSingleton(records | "Ids" >> beam.Map(lambda a: a.article_id)
                                             | "Lowest" >> beam.combiners.Top.Smallest(1)
                                             | "One" >> beam.Map(lambda top: top[0]))
            kept = records | "DropOne" >> beam.Filter(lambda a, low: a.article_id != low, lowest)
            return kept | "Write" >> self._inner
    monkeypatch.setattr(graph, "WritePartitionedParquet", LosingWriter)


def test_a_run_that_loses_an_article_fails_its_accounting(tmp_path, monkeypatch, capsys):
    """A real run whose writer drops one article without counting it: the identity does not hold, the run record
    says `failed_accounting`, the API raises AccountingError and the command line exits 1 with a MISMATCH line."""
    import json

    import pyarrow.parquet as pq

    from scrapeline.pipeline.cli import main

    _losing_graph(monkeypatch)
    with pytest.raises(api.AccountingError) as accounting:
        api.run(output=str(tmp_path / "out"), fetched_at=FETCHED, options={"runner": "FnApiRunner"})
    s = accounting.value.summary
    assert s.status == "failed_accounting" and s.record["status"] == "failed_accounting"
    assert (s.articles_extracted, s.articles_written, s.duplicates_in_run) == (4, 2, 1)  # one of 3 unique lost
    assert s.record["identity"] == {"extracted": 4, "written+duplicates+filtered+dead_lettered": 3, "holds": False,
                                    "metrics": "committed"}
    rows = pq.read_table(tmp_path / "out" / "articles").num_rows
    assert rows == 2
    record = json.loads(next((tmp_path / "out" / "_runs").glob("*.json")).read_text())
    assert record["status"] == "failed_accounting"

    code = main(["run", "--output", str(tmp_path / "cli"), "--fetched-at", FETCHED, "--runner", "FnApiRunner"])
    printed = capsys.readouterr()
    assert code == 1
    check = [line for line in printed.out.splitlines() if line.strip().startswith("check:")]
    assert check == ["  check: extracted 4 = written + duplicates + filtered + dead-lettered 3: MISMATCH"]
    assert "scrapeline: error:" in printed.err and "accounting" in printed.err


SECRET = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"


def test_run_prints_nothing(tmp_path, capfd):
    """An orchestrator's log gets no banner, progress or summary from the API: the summary is the return value."""
    api.run(output=str(tmp_path / "out"), fetched_at=FETCHED, options={"runner": "FnApiRunner"})
    captured = capfd.readouterr()
    assert captured.out == "" and "scrapeline" not in captured.err


def test_no_credential_reaches_the_run_record_or_the_summary_copy(tmp_path, capfd):
    """Credentials given as Beam options are used by the run but never written: not in <output>/_runs/, not in
    --summary-json, not on stdout or stderr (the command line and the API alike)."""
    import json

    from scrapeline.pipeline.cli import main

    out, copy = tmp_path / "out", tmp_path / "summary.json"
    creds = [f"--s3_secret_access_key={SECRET}", "--s3_access_key_id=AKIAEXAMPLEKEYID", "--s3_session_token=TOKEN-9876"]
    assert main(["run", "--output", str(out), "--fetched-at", FETCHED, "--runner", "FnApiRunner",
                 "--summary-json", str(copy), *creds]) == 0
    s = api.run(output=str(out), fetched_at=FETCHED, options={"runner": "FnApiRunner", "s3_secret_access_key": SECRET})
    assert main(["run", "--output", str(out), "--nonsense", f"--s3_secret_access_key={SECRET}"]) == 2
    printed = capfd.readouterr()
    records = [p.read_text() for p in (out / "_runs").glob("*.json")] + [copy.read_text()]
    assert len(records) == 3
    for text in [*records, printed.out, printed.err]:
        for secret in (SECRET, "AKIAEXAMPLEKEYID", "TOKEN-9876"):
            assert secret not in text
    options = json.loads(copy.read_text())["beam_options"]
    assert options["s3_secret_access_key"] == options["s3_session_token"] == "***" and options["runner"] == "FnApiRunner"
    assert s.record["beam_options"]["s3_secret_access_key"] == "***"
