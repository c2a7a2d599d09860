"""A Dagster asset that ingests one day's landing folder per daily partition, through scrapeline's Python API.

    pip install -e '.[dagster]'
    SCRAPELINE_LANDING=/data/landing SCRAPELINE_OUTPUT=/data/news dagster dev -f examples/dagster/scrapeline_assets.py

The landing folder holds one directory per day (`<landing>/2025-08-06/`), the output is one scrapeline output for
all days. Materialising partition `2025-08-06` runs `scrapeline.pipeline.api.run` on that day's folder. The run
summary becomes the materialisation's metadata (rows written, duplicates, dead letters, rows per partition), so
Dagster's UI plots them across days. A broken identity (articles missing from the accounting) raises
`dagster.Failure`: the materialisation fails and is not recorded as done. A backfill is a range of partitions;
re-materialising a day adds nothing the output already holds (dedup is by content across runs). Days run one at a
time per output: scrapeline allows one writer per output, and a second one is refused, which fails its
partition. Beam options (runner, workers, --s3_* for an output on S3) are the run config's `beam_options`.
"""


import os

from dagster import (
    AssetExecutionContext,
    Config,
    DailyPartitionsDefinition,
    Definitions,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)

from scrapeline.pipeline import api

DAILY = DailyPartitionsDefinition(start_date="2025-08-01", timezone="UTC")


class IngestConfig(Config):
    landing: str = os.environ.get("SCRAPELINE_LANDING", "landing")
    """Folder (local, s3://, gs://) holding one sub-folder per day, named YYYY-MM-DD."""
    output: str = os.environ.get("SCRAPELINE_OUTPUT", "out")
    beam_options: list[str] = []
    """Beam flags, e.g. ["--direct_num_workers=2", "--direct_running_mode=multi_processing"]."""


def summary_metadata(s: api.RunSummary) -> dict:
    return {
        "run_id": s.run_id,
        "rows_written": MetadataValue.int(s.articles_written),
        "articles_extracted": MetadataValue.int(s.articles_extracted),
        "duplicates_in_run": MetadataValue.int(s.duplicates_in_run),
        "duplicates_already_in_output": MetadataValue.int(s.duplicates_already_in_output),
        "dead_letters": MetadataValue.int(s.dead_letters_written),
        "pages": MetadataValue.int(s.pages),
        "duration_s": MetadataValue.float(s.duration_s),
        "rows_per_partition": MetadataValue.json(dict(s.rows_per_partition)),
        "run_record": MetadataValue.path(s.record_path),
    }


@asset(partitions_def=DAILY, description="Deduplicated news articles of one day's scrape dumps (scrapeline).")
def news_articles(context: AssetExecutionContext, config: IngestConfig) -> MaterializeResult:
    day = context.partition_key
    inputs = [f"{config.landing.rstrip('/')}/{day}/"]
    try:
        summary = api.run(inputs, config.output, options=config.beam_options)
    except api.AccountingError as e:
        raise Failure(description=f"{day}: {e}", metadata=summary_metadata(e.summary)) from None
    except api.UsageError as e:  # nothing landed that day, a locked output, a bad option: say it, fail the day
        raise Failure(description=f"{day}: {e}") from None
    context.log.info(f"{day}: {summary.articles_written} rows written, run {summary.run_id}")
    return MaterializeResult(metadata=summary_metadata(summary))


defs = Definitions(assets=[news_articles])
