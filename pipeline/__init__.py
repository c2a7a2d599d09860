"""scrapeline: raw web scrape dumps -> clean, deduplicated, Hive-partitioned Parquet (Apache Beam)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("scrapeline")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
