"""The progress line (pipeline/progress.py) and its counts, written by the run's processes (transforms/core/metrics.py)."""

from __future__ import annotations

from collections import Counter

from scrapeline.pipeline.progress import progress_line, read_counts
from scrapeline.transforms.core import metrics


def test_the_line_gives_files_pages_articles_rate_and_eta():
    c = Counter(files_read=3, pages=500, articles_extracted=900, files_planned=10, read_units_planned=40,
                read_units=10)
    line = progress_line(c, 10, 50.0)
    assert line == ("files 3/10, pages 500, articles 900, 10.0 pages/s, read 25%, ETA 0:02:30, "
                    "elapsed 0:00:50")
    # no ETA before every file is planned (the total is not known yet)
    assert "ETA" not in progress_line(Counter(c, files_planned=-1), 10, 50.0)
    assert "reading done" in progress_line(Counter(c, read_units=30), 10, 50.0)


def test_counts_of_every_process_are_summed(tmp_path, monkeypatch):
    monkeypatch.setenv(metrics.PROGRESS_ENV, str(tmp_path))
    metrics.count("pages", 7)  # this process: written at once (its first write)
    (tmp_path / "999999.json").write_text('{"pages": 5, "articles_extracted": 2}')  # another worker
    (tmp_path / "888888.json").write_text('{"pages": ')  # one being replaced: skipped
    assert read_counts(tmp_path)["pages"] == 12 and read_counts(tmp_path)["articles_extracted"] == 2
    metrics.count("duplicates.in_run", 3)  # not a progress counter
    assert "duplicates.in_run" not in read_counts(tmp_path)


