"""scrapeline: raw web scrape dumps -> clean, deduplicated, Hive-partitioned Parquet (Apache Beam).

One import namespace for the installed package: the repository's `pipeline/`, `transforms/`,
`configs/` and `samples/` folders are installed as `scrapeline.pipeline`, `scrapeline.transforms`,
`scrapeline.configs` and `scrapeline.samples` (pyproject.toml, `package-dir`), so the install claims no
top-level name but `scrapeline`, and a run finds its configs and samples through importlib.resources from any
directory.
"""
