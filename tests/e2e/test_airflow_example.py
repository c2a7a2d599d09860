"""examples/airflow/: the DAG as Airflow itself loads it (its DagBag, in a subprocess with a throwaway
AIRFLOW_HOME, so Airflow's logging and config never touch this process), its schedule, and its task's command
rendered by Airflow's own template environment for one day, then run: the day's landing folder is ingested."""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
import shutil
import subprocess
import sys

import pyarrow.dataset as ds
import pytest

from scrapeline.pipeline import cli
from tests.support.paths import REPO, SAMPLE_NAME

if importlib.util.find_spec("airflow") is None:  # not imported here: importing Airflow sets up its config and logging
    pytest.skip("the airflow extra is not installed", allow_module_level=True)

_LOAD = r"""
import json, sys, types
from airflow.dag_processing.dagbag import DagBag
from airflow.timetables.base import TimeRestriction

bag = DagBag(dag_folder=sys.argv[1])
dag = bag.dags.get("scrapeline_daily")
out = {"errors": {k: str(v) for k, v in bag.import_errors.items()}, "dag_ids": sorted(bag.dags)}
if dag is not None:
    task = dag.get_task("ingest")
    first = dag.timetable.next_dagrun_info(last_automated_data_interval=None,
                                           restriction=TimeRestriction(earliest=dag.start_date, latest=None, catchup=True))
    command = dag.get_template_env().from_string(task.bash_command).render(
        ds="2025-08-06", ds_nodash="20250806", ti=types.SimpleNamespace(try_number=1),
        var={"value": {"scrapeline_landing": sys.argv[2], "scrapeline_output": sys.argv[3]}})
    out.update(catchup=dag.catchup, max_active_runs=dag.max_active_runs, operator=type(task).__name__,
               first_logical_date=first.logical_date.isoformat(), first_run_after=first.run_after.isoformat(),
               command=command)
print("RESULT " + json.dumps(out))
"""


def test_the_dag_loads_in_airflow_and_its_command_ingests_one_day(tmp_path, sample_path):
    landing, out = tmp_path / "landing", tmp_path / "out"
    day = landing / "2025-08-06"
    day.mkdir(parents=True)
    shutil.copy(sample_path, day / SAMPLE_NAME)
    shutil.copy(sample_path.with_name(SAMPLE_NAME + ".meta.json"), day / (SAMPLE_NAME + ".meta.json"))
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path / "airflow"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    proc = subprocess.run([sys.executable, "-c", _LOAD, str(REPO / "examples" / "airflow"), str(landing), str(out)],
                          env=env, capture_output=True, text=True, timeout=120)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stderr[-3000:]
    got = json.loads(lines[-1][len("RESULT "):])
    assert got["errors"] == {} and got["dag_ids"] == ["scrapeline_daily"]
    assert (got["catchup"], got["max_active_runs"], got["operator"]) == (True, 1, "BashOperator")
    # a day's run starts once the day is over, so its landing folder is complete
    assert (got["first_logical_date"], got["first_run_after"]) == ("2025-08-01T00:00:00+00:00",
                                                                   "2025-08-02T00:00:00+00:00")

    argv = shlex.split(got["command"])
    assert argv[:2] == ["scrapeline", "run"] and argv[2] == f"{landing}/2025-08-06/"
    assert cli.main(argv[1:] + ["--runner=FnApiRunner"]) == 0
    summary = json.loads((out / "_runs" / "airflow-20250806-1.json").read_text())
    assert summary["status"] == "succeeded" and summary["articles_written"] == 3
    assert ds.dataset(out / "articles", format="parquet", partitioning="hive").count_rows() == 3
