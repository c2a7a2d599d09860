"""The `scrapeline run` command end to end on the reference sample: the acceptance criteria of the first release."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
import shutil
import subprocess
import sys

import duckdb
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from scrapeline.transforms.core import metrics

from scrapeline.pipeline.cli import main
from tests.support.paths import REPO, SAMPLE_NAME
from scrapeline.transforms.core.records import ARTICLE_SCHEMA

UTC = dt.timezone.utc
BOILERPLATE = ["Hashtags", "Try Our AI Features", "Explore what", "Comments", "No comments yet", "Related Articles"]
VIDEO_TITLE = "Nvidia CEO Jensen Huang praises China's AI progress following chip sales approval"
FINAL_SENTENCE = "The Trump administration is exploring ways to include enhanced location-tracking in AI chips"


def _run(*args) -> int:
    return main(["run", *map(str, args), "--runner=FnApiRunner"])


def _rows(out):
    return duckdb.sql(
        f"select * from read_parquet('{out}/articles/**/*.parquet', hive_partitioning=true) order by position"
    ).fetchall(), duckdb.sql(
        f"select * from read_parquet('{out}/articles/**/*.parquet', hive_partitioning=true) limit 0"
    ).columns


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory, sample_path):
    """One run over the sample (copied away from samples/, so the run cannot touch the repository), as the acceptance states it."""
    base = tmp_path_factory.mktemp("sample")
    shutil.copy(sample_path, base / SAMPLE_NAME)
    out = base / "out"
    code = _run(base / SAMPLE_NAME, "--output", out, "--fetched-at", "2025-08-06T12:00:00Z")
    return base, out, code


def test_sample_writes_exactly_three_stories(sample_run):
    _, out, code = sample_run
    assert code == 0
    rows, cols = _rows(out)
    recs = [dict(zip(cols, r)) for r in rows]
    assert len(recs) == 3
    main_, charges, tariff = recs
    assert main_["role"] == "main" and main_["title"].startswith("Meta changes course on open-source AI")
    assert main_["published_at"] is None and main_["date_source"] == "fetched" and main_["author"] is None
    assert charges["title"].startswith("US charges 2 Chinese nationals")
    assert FINAL_SENTENCE in charges["body"]  # the complete copy is the one kept
    assert set(charges["duplicate_titles"]) == {
        "US charges 2 Chinese nationals for sending Nvidia AI chips to China",
        "US charges 2 Chinese nationals with sending Nvidia AI chips to China",
    }
    assert charges["duplicate_count"] == 1 and len(charges["duplicate_locations"]) == 1
    assert tariff["title"].startswith("Trump tariff threats loom over China's Russian oil purchases")
    for r in (charges, tariff):
        assert r["source"] == "south-china-morning-post" and r["source_name"] == "South China Morning Post"
        assert r["date_source"] == "published"
    assert charges["published_at"].astimezone(UTC) == dt.datetime(2025, 8, 6, 11, 25, tzinfo=UTC)
    assert tariff["published_at"].astimezone(UTC) == dt.datetime(2025, 8, 6, 7, 0, tzinfo=UTC)
    assert all(r["fetched_at"].astimezone(UTC) == dt.datetime(2025, 8, 6, 12, tzinfo=UTC) for r in recs)
    assert (out / "articles" / "source=south-china-morning-post" / "date=2025-08-06").is_dir()


def test_sample_bodies_are_clean_and_keep_their_text(sample_run):
    _, out, _ = sample_run
    rows, cols = _rows(out)
    bodies = [dict(zip(cols, r))["body"] for r in rows]
    for body in bodies:
        lines = body.split("\n")
        assert not any(ln.startswith(b) for ln in lines for b in BOILERPLATE)
        assert "Advertisement" not in body and "Photo: Handout" not in body
        assert VIDEO_TITLE not in body and "03:34" not in body
        assert "  " not in body and body == body.strip()
    charges = bodies[1]
    assert "in violation of US export restrictions, according to authorities. The defendants used a company" in charges
    assert "did not immediately respond to a request for comment. Over the past several years" in charges
    main_ = dict(zip(cols, rows[0]))
    assert len(main_["body"].split("\n")) == 5  # five paragraphs, the caption set apart
    assert main_["captions"] == [
        "Crowds seen in front of the Zhipu AI booth during the World Artificial Intelligence Conference in "
        "Shanghai. Photo: Handout"
    ]


def test_summary_accounts_for_every_article(sample_run):
    _, out, _ = sample_run
    (summary_file,) = (out / "_runs").glob("*.json")
    s = json.loads(summary_file.read_text())
    assert s["articles_extracted"] == 4 and s["articles_written"] == 3 and s["duplicates_in_run"] == 1
    assert s["identity"]["holds"] is True
    assert s["rows_per_partition"] == {"source=daily8/date=2025-08-06": 1,
                                       "source=south-china-morning-post/date=2025-08-06": 2}


def test_pyarrow_dataset_reads_the_documented_schema(sample_run):
    _, out, _ = sample_run
    table = ds.dataset(str(out / "articles"), format="parquet", partitioning="hive").to_table()
    assert table.num_rows == 3
    for field in ARTICLE_SCHEMA:
        assert table.schema.field(field.name).type == field.type, field.name
    assert set(table.schema.names) == set(ARTICLE_SCHEMA.names) | {"source", "date"}  # partition keys: path only
    assert not {"source", "date"} & set(pq.read_schema(next((out / "articles").rglob("*.parquet"))).names)


def test_duckdb_reads_partition_columns_typed(sample_run):
    _, out, _ = sample_run
    described = duckdb.sql(
        f"describe select * from read_parquet('{out}/articles/**/*.parquet', hive_partitioning=true)"
    ).fetchall()
    types = {name: type_ for name, type_, *_ in described}
    assert types["date"] == "DATE" and types["published_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["duplicate_titles"] == "VARCHAR[]"


def test_second_run_adds_no_rows_and_says_why(tmp_path, sample_path, capsys):
    shutil.copy(sample_path, tmp_path / SAMPLE_NAME)
    out = tmp_path / "out"
    assert _run(tmp_path / SAMPLE_NAME, "--output", out, "--fetched-at", "2025-08-06T12:00:00Z") == 0
    first = sorted(p.name for p in (out / "articles").rglob("*.parquet"))
    capsys.readouterr()
    assert _run(tmp_path / SAMPLE_NAME, "--output", out, "--fetched-at", "2025-08-06T12:00:00Z") == 0
    printed = capsys.readouterr().out
    assert sorted(p.name for p in (out / "articles").rglob("*.parquet")) == first
    assert len(_rows(out)[0]) == 3
    assert "written 0" in printed and "already in output 4" in printed
    assert "copies of stories the output already holds" in printed


def test_corrupt_gzip_among_good_files_is_a_dead_letter(tmp_path, sample_path):
    inp = tmp_path / "in"
    inp.mkdir()
    shutil.copy(sample_path, inp / SAMPLE_NAME)
    (inp / "other.txt.gz").write_bytes(gzip.compress(("Another story\n" + "fresh words here " * 30).encode()))
    (inp / "broken.txt.gz").write_bytes(gzip.compress(("Lost story\n" + "words " * 400).encode())[:50])
    out = tmp_path / "out"
    assert _run(inp, "--output", out, "--fetched-at", "2025-08-06T12:00:00Z") == 0
    assert len(_rows(out)[0]) == 4
    dead = ds.dataset(str(out / "dead_letters"), format="parquet", partitioning="hive").to_table().to_pylist()
    assert [(d["stage"], d["reason"], d["input_uri"].rsplit("/", 1)[1]) for d in dead] == [
        ("read", "corrupt_compression", "broken.txt.gz")]
    assert "truncated gzip" in dead[0]["error"] and dead[0]["excerpt"]


@pytest.mark.parametrize(
    "args,message",
    [
        (["/no/such/dir"], "does not exist"),
        (["--fetched-at", "yesterday"], "ISO-8601"),
        (["--layout", "nope"], "no layout named"),
        (["--config", "/no/such.yaml"], "cannot read config"),
        (["--env", "nope"], "no environment"),
        (["--bogus-flag"], "unrecognised"),
        (["--runner", "NoSuchRunner"], "Unexpected pipeline runner"),
        (["--env", "dataflow"], "placeholder value(s) --project=YOUR_PROJECT"),
    ],
)
def test_unusable_invocations_fail_fast_with_exit_2(tmp_path, capsys, args, message):
    assert main(["run", *args, "--output", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1  # one line, no traceback


def test_an_output_on_s3_without_its_extra_fails_fast(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "boto3", None)  # the test extra installs boto3 (object-store tests): hide it
    assert main(["run", "--output", "s3://bucket/x"]) == 2
    err = capsys.readouterr().err
    assert "cannot use output" in err and "extra" in err and err.count("\n") == 1


def test_an_output_on_gs_without_its_extra_fails_fast(tmp_path):
    """In a process where google-cloud-storage cannot be imported (the [gcp] extra missing), Beam registers no
    gs:// filesystem: the run is refused in one line, exit 2. (In this process the extra may be installed and
    Beam's filesystems are already registered, so the check runs in a fresh one with the module hidden.)"""
    hide = ("import sys; sys.modules['google.cloud.storage'] = None; "
            "from scrapeline.pipeline.cli import main; sys.exit(main())")
    proc = subprocess.run([sys.executable, "-c", hide, "run", "--output", "gs://bucket/x"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    ours = [line for line in proc.stderr.splitlines() if line.startswith("scrapeline")]
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert ours == [line for line in proc.stderr.splitlines() if line.strip()] and len(ours) == 1, proc.stderr
    assert ours[0].startswith("scrapeline: error: cannot use output 'gs://bucket/x': ") and "[gcp] extra" in ours[0]


@pytest.mark.parametrize("when", ["1989-12-31T23:59:59Z", "1970-01-01T00:00:00Z", "+2days"])
def test_a_fetched_at_before_1990_or_after_tomorrow_is_refused_with_exit_2(tmp_path, capsys, when):
    if when == "+2days":
        when = (dt.datetime.now(UTC) + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert main(["run", "--output", str(tmp_path / "o"), "--fetched-at", when]) == 2
    err = capsys.readouterr().err
    assert err == (f"scrapeline: error: --fetched-at {when!r} lies before 1990 or after tomorrow: no page in a "
                   f"scrape was fetched then\n")
    assert not (tmp_path / "o" / "articles").exists()


def test_a_fetched_at_at_the_bounds_is_accepted(tmp_path):
    from scrapeline.pipeline.run import prepare

    assert prepare([], str(tmp_path / "o"), fetched_at="1990-01-01T00:00:00Z").fetched_at == dt.datetime(
        1990, 1, 1, tzinfo=UTC)
    soon = (dt.datetime.now(UTC) + dt.timedelta(hours=23)).replace(microsecond=0)
    assert prepare([], str(tmp_path / "o"), fetched_at=soon.isoformat()).fetched_at == soon


def test_an_interrupt_exits_130_in_one_line(tmp_path, capsys, monkeypatch):
    import scrapeline.pipeline.run as run

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(run, "execute", interrupted)
    assert main(["run", "--output", str(tmp_path / "o")]) == 130
    err = capsys.readouterr().err.splitlines()  # the banner, then one line: no traceback
    assert err[-1] == "scrapeline: interrupted" and len(err) == 2 and err[0].startswith("scrapeline 0.4.0: run ")


def test_unwritable_output_fails_fast_with_exit_2(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert main(["run", "--output", str(tmp_path / "file" / "out")]) == 2
    assert "cannot write to output" in capsys.readouterr().err


def test_empty_directory_input_fails_fast(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["run", str(tmp_path / "empty"), "--output", str(tmp_path / "o")]) == 2
    assert "matches no dump file" in capsys.readouterr().err


def test_shipped_sample_is_the_reference_sample(sample_path):
    reference = REPO.parent / "shared" / "samples" / SAMPLE_NAME
    if not reference.is_file():
        pytest.skip("../shared is not beside this checkout")
    assert reference.read_bytes() == sample_path.read_bytes()


def test_readme_command_one_runs_on_the_shipped_samples(tmp_path):
    """`scrapeline run --output out` with no input: the console script, in a subprocess, as a user runs it."""
    exe = shutil.which("scrapeline", path=str(REPO / ".venv" / "bin")) or shutil.which("scrapeline")
    cmd = [exe] if exe else [sys.executable, "-m", "scrapeline"]
    proc = subprocess.run([*cmd, "run", "--output", str(tmp_path / "out"), "--runner=FnApiRunner"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "written 3" in proc.stdout and ": ok" in proc.stdout


def test_version_and_short_help(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("scrapeline ")
    assert main(["run", "--help"]) == 0
    out = capsys.readouterr().out
    assert len(out.splitlines()) < 60 and "--output" in out and "--help-beam" in out
    assert "--direct_num_workers N" in out and "--dataflow_service_options" not in out  # Beam's: a pointer only
    assert main(["run", "--help-beam"]) == 0
    assert "--dataflow_service_options" in capsys.readouterr().out


def test_log_level_is_checked(tmp_path, capsys):
    assert main(["run", "--log-level", "LOUD", "--output", str(tmp_path / "o")]) == 2
    assert "--log-level 'LOUD'" in capsys.readouterr().err


def test_multiprocess_run_is_quiet(tmp_path):
    """Beam's SDK workers log at WARNING, and our own options do not make them warn (~47 lines before)."""
    proc = subprocess.run([sys.executable, "-m", "scrapeline", "run", "--output", str(tmp_path / "out"),
                           "--env", "multiprocess"], capture_output=True, text=True, timeout=300, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-2000:]
    noise = [line for line in proc.stderr.splitlines()
             if "apitools" not in line and "Logging handler created" not in line]  # logged before options apply
    assert noise == [noise[0]] and noise[0].startswith("scrapeline "), proc.stderr


def test_run_record_says_what_a_scheduler_needs(tmp_path, capsys):
    out, copy = tmp_path / "out", tmp_path / "record.json"
    assert main(["run", "--output", str(out), "--run-id", "daily-2025-08-06", "--summary-json", str(copy)]) == 0
    record = json.loads(copy.read_text())
    assert record == json.loads((out / "_runs" / "daily-2025-08-06.json").read_text())
    assert record["run_id"] == "daily-2025-08-06" and record["status"] == "succeeded"
    started, ended = (dt.datetime.fromisoformat(record[k]) for k in ("started_at", "ended_at"))
    assert started <= ended and abs((ended - started).total_seconds() - record["duration_s"]) < 0.01
    assert record["output"] == str(out) and record["articles_written"] == 3
    assert "succeeded in" in capsys.readouterr().out
    assert main(["run", "--output", str(out), "--run-id", "daily-2025-08-06"]) == 2
    assert "already recorded" in capsys.readouterr().err


def test_a_failed_pipeline_leaves_a_failed_record_that_ingests_nothing(tmp_path, monkeypatch, capsys):
    import scrapeline.pipeline.graph as graph
    from tests.support.factories import failing_graph

    real = graph.build_pipeline
    monkeypatch.setattr(graph, "build_pipeline", failing_graph(real))
    out, copy = tmp_path / "out", tmp_path / "record.json"
    assert main(["run", "--output", str(out), "--runner=FnApiRunner", "--summary-json", str(copy)]) == 1
    record = json.loads(copy.read_text())
    assert record["status"] == "failed" and "division by zero" in record["error"] and "files" not in record
    assert (out / "_runs" / f"{record['run_id']}.json").is_file()
    from scrapeline.pipeline.watch import ingested_files

    assert ingested_files(str(out)) == set()


def test_the_cli_turns_a_refused_pattern_into_exit_2_with_the_message(tmp_path, capsys):
    from scrapeline.pipeline.cli import main

    path = _user_config(tmp_path, "cleaning: rules.yaml\n", **{"rules.yaml": "boilerplate_lines: ['(a|aa)+$']\n"})
    assert main(["run", "--config", str(path), "--output", str(tmp_path / "out")]) == 2
    assert "boilerplate_lines[0]: pattern '(a|aa)+$' backtracks catastrophically" in capsys.readouterr().err


def test_a_run_reports_progress_when_not_on_a_terminal(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SCRAPELINE_PROGRESS_SECONDS", "0.2")
    assert main(["run", "--output", str(tmp_path / "out"), "--runner=FnApiRunner"]) == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if " progress: " in line]
    assert lines and all(re.search(r"files \d+/1, pages \d+, articles \d+", line) for line in lines)
    assert any(re.search(r"pages [1-9]", line) for line in lines)
    assert metrics.PROGRESS_ENV not in __import__("os").environ  # restored after the run


def _user_config(tmp_path, text: str, **files: str):
    """A user config (merged over the defaults) plus the files it names, all in tmp_path."""
    for name, body in files.items():
        (tmp_path / name).write_text(body, encoding="utf-8")
    (tmp_path / "run.yaml").write_text(text, encoding="utf-8")
    return tmp_path / "run.yaml"
