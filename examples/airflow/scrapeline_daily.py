"""An Airflow DAG that ingests one day's landing folder a day with the scrapeline CLI.

Copy it into the DAGs folder of an Airflow where scrapeline is installed (`pip install scrapeline` or `-e .`), and
set the Airflow Variables `scrapeline_landing` (a folder with one sub-folder per day, `<landing>/2025-08-06/`;
local, s3:// or gs://) and `scrapeline_output`. Each daily run ingests `<landing>/{{ ds }}/`.

- The schedule is explicit, `CronDataIntervalTimetable("@daily")`: the run for day D (`{{ ds }}`) starts once D is
  over, at midnight UTC after it, so its landing folder is complete. (Airflow 3's plain `schedule="@daily"` is a
  trigger timetable: its run for D starts at the beginning of D, before D's dumps have landed.)
- Backfill by date: `catchup=True` from `start_date`, or, for a range, `airflow backfill create --dag-id
  scrapeline_daily --from-date 2025-08-01 --to-date 2025-08-07` (Airflow 3; `airflow dags backfill -s ... -e ...`
  on Airflow 2). Re-running a day adds nothing the output already holds: dedup is by content, across runs.
- `max_active_runs=1`: scrapeline allows one writer per output, and refuses a second (exit 2), which fails its task.
- The CLI's exit code is the task's: 0 done, 1 the pipeline failed or articles are missing from the accounting,
  2 a usage error (nothing landed that day, a locked output, a bad option). The run summary is printed to the log
  and kept as `<output>/_runs/<run_id>.json`.
- On Dataflow, add `--env dataflow` (or the Beam flags) to the command; the Beam provider's
  `BeamRunPythonPipelineOperator` is the alternative when the workers must be launched by Airflow itself.
"""

import pendulum
from airflow.timetables.interval import CronDataIntervalTimetable

try:  # Airflow 3: the task SDK; Airflow 2: the core module
    from airflow.sdk import DAG
except ImportError:  # pragma: no cover
    from airflow import DAG

try:  # Airflow 3: the standard provider; Airflow 2: the core module
    from airflow.providers.standard.operators.bash import BashOperator
except ImportError:  # pragma: no cover
    from airflow.operators.bash import BashOperator

COMMAND = (
    "scrapeline run '{{ var.value.get('scrapeline_landing', 'landing') }}/{{ ds }}/' "
    "--output '{{ var.value.get('scrapeline_output', 'out') }}' "
    "--run-id 'airflow-{{ ds_nodash }}-{{ ti.try_number }}'"
)

with DAG(
    dag_id="scrapeline_daily",
    description="Scrape dumps of one day -> deduplicated news articles (scrapeline)",
    schedule=CronDataIntervalTimetable("@daily", timezone="UTC"),
    start_date=pendulum.datetime(2025, 8, 1, tz="UTC"),
    catchup=True,
    max_active_runs=1,
    default_args={"retries": 1, "retry_delay": pendulum.duration(minutes=5)},
    tags=["scrapeline"],
) as dag:
    ingest = BashOperator(task_id="ingest", bash_command=COMMAND)
