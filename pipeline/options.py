"""The scrapeline options, as a Beam PipelineOptions subclass: they travel with the standard Beam options."""

from __future__ import annotations

from apache_beam.options.pipeline_options import PipelineOptions

__all__ = ["ScrapelineOptions"]


class ScrapelineOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser):
        parser.add_argument(
            "--output",
            default="out",
            help="Output directory, local or remote (gs://, s3://). Default: ./out",
        )
        parser.add_argument(
            "--config",
            default=None,
            help="Run config YAML. Default: configs/default.yaml of this checkout.",
        )
        parser.add_argument(
            "--layout",
            default=None,
            help="Force one text-dump layout by name instead of detecting it per dump. Default: detect.",
        )
        parser.add_argument(
            "--fetched-at",
            "--fetched_at",
            dest="fetched_at",
            default=None,
            help="Fetch time (ISO-8601) for dumps whose own metadata and sidecar give none; relative published "
            "times resolve against it. Default: the file's modification time.",
        )
        parser.add_argument(
            "--env",
            default=None,
            help="Name of a configs/environments/*.yaml whose beam_options are applied first "
            "(local, multiprocess, dataflow). Default: none (DirectRunner).",
        )
