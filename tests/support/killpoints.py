"""Kill points for the crash tests: a real `scrapeline` process that stops at a known point of its run, says so,
and waits there to be killed (SIGKILL) by the test. No sleeping on either side: the process signals by creating a
file, then blocks reading a FIFO that nobody writes.

Run a command through it with

    [sys.executable, "-c", killpoints.LAUNCH, "run", ...]   env: SCRAPELINE_KILLPOINT=<point>,
                                                                 SCRAPELINE_KILLPOINT_DIR=<a directory>

Points:
- `read`: inside the first DoFn (the dump reader), before any row exists;
- `commit-start`: at the start of the articles' commit (the band index is committed, the article files are
  complete under `_temporary/`, none is renamed yet);
- `commit-mid`: inside the articles' commit, after its first file is renamed into place and before the next
  (and before the manifest);
- `iceberg-before`: in the driver, the job done and its files and manifests written, before the first table's
  Iceberg commit;
- `iceberg-metadata`: inside the `articles` table's Iceberg commit, its new metadata file (and manifests) written
  and the catalog not yet pointed at it;
- `iceberg-articles`: in the driver's Iceberg commit, after `dead_letters` and `teasers` are committed and before
  `articles` is;
- `jobserver`: inside the first DoFn, the main thread is held the way Beam's job-server wrapper
  (`StopOnExitJobServer`, which the portable runners start on `p.run()`) holds it while its server restarts: its
  own SIGINT handler installed, its lock held. That handler deadlocks on the lock, so a SIGINT it receives is
  never acted on.

`<dir>/reached` is created when the point is reached; `<dir>/fifo` is what the process blocks on.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["LAUNCH", "POINTS", "install", "prepare_dir", "wait_reached"]

POINTS = ("read", "commit-start", "commit-mid", "jobserver", "iceberg-before", "iceberg-metadata", "iceberg-articles")
LAUNCH = ("import sys; from tests.support.killpoints import install; install(); "
          "from scrapeline.pipeline.cli import main; sys.exit(main())")


def prepare_dir(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    os.mkfifo(directory / "fifo")
    return directory


def _stop_here() -> None:
    """Say the point is reached, then block until killed (opening a FIFO for reading blocks while no writer
    opens it; the test never does)."""
    d = Path(os.environ["SCRAPELINE_KILLPOINT_DIR"])
    (d / "reached.tmp").write_text(str(os.getpid()))
    os.rename(d / "reached.tmp", d / "reached")
    with open(d / "fifo", "rb") as f:
        f.read()
    raise SystemExit("killpoint: the FIFO was opened for writing; nothing should")


def _reader_process(self, element):
    _stop_here()
    yield from ()


class _SlowJobServer:
    """A job server whose second start stops at the kill point (a Java job server takes seconds to start)."""

    starts = 0

    def start(self):
        type(self).starts += 1
        if type(self).starts > 1:
            _stop_here()
        return "localhost:0"

    def stop(self):
        pass


def _jobserver_process(self, element):
    from apache_beam.runners.portability.job_server import StopOnExitJobServer

    server = StopOnExitJobServer(_SlowJobServer())
    server.start()  # installs its SIGINT handler
    server.stop()
    server.start()  # holds its lock while the server starts: stops here
    yield from ()


def _commit(_, written, output, table, run_id, temp_dir, after=None):
    from apache_beam.io.filesystems import FileSystems

    from scrapeline.transforms.output import write

    point = os.environ.get("SCRAPELINE_KILLPOINT")
    if table != "articles":
        yield from _REAL_COMMIT(_, written, output, table, run_id, temp_dir, after)
        return
    if point == "commit-start":
        _stop_here()
    assert len(written) >= 2, f"commit-mid needs at least two files to commit, got {written}"

    class RenameOnceThenStop(FileSystems):
        renamed = 0

        @classmethod
        def rename(cls, sources, destinations):
            if cls.renamed == 1:
                _stop_here()
            FileSystems.rename(sources, destinations)
            cls.renamed += 1

    write.FileSystems = RenameOnceThenStop  # this process is about to be killed: never restored
    yield from _REAL_COMMIT(_, written, output, table, run_id, temp_dir, after)


_REAL_COMMIT = None


def install() -> None:
    """Patch the point named by SCRAPELINE_KILLPOINT (before the graph is built: the commit step captures
    `write._commit` when the graph is assembled). The DirectRunner runs the graph in this process."""
    global _REAL_COMMIT
    point = os.environ.get("SCRAPELINE_KILLPOINT")
    if not point:
        return
    assert point in POINTS, point
    if point == "iceberg-before":
        from scrapeline.pipeline import tables

        def stop(*args, **kwargs):
            _stop_here()

        tables.commit_run = stop
        return
    if point == "iceberg-metadata":
        from pyiceberg.catalog.sql import SqlCatalog

        real_write = SqlCatalog._write_metadata

        def write_then_stop(metadata, io, metadata_path):
            real_write(metadata, io, metadata_path)
            if "/_catalog/articles/metadata/" in metadata_path:
                _stop_here()

        SqlCatalog._write_metadata = staticmethod(write_then_stop)
        return
    if point == "iceberg-articles":
        from scrapeline.pipeline import tables

        real = tables.commit_run

        def commit_then_stop(tbls, run_id, added, replaced, properties=None, order=tables.TABLE_ORDER):
            done = real(tbls, run_id, added, replaced, properties, [t for t in order if t != "articles"])
            if "articles" in order:
                _stop_here()
            return done

        tables.commit_run = commit_then_stop
        return
    if point in ("read", "jobserver"):
        from scrapeline.transforms.read import dumps

        dumps._ReadDumpFn.process = _reader_process if point == "read" else _jobserver_process
        return
    from scrapeline.transforms.output import write

    _REAL_COMMIT = write._commit
    write._commit = _commit


def wait_reached(directory: Path, proc, timeout: float = 300) -> int:
    """Wait (an event: the file appears, or the process ends) until `proc` reached its point; its pid as written."""
    import time

    deadline = time.monotonic() + timeout
    while not (directory / "reached").exists():
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"the process ended (exit {proc.returncode}) before its kill point:\n{err[-3000:]}")
        if time.monotonic() > deadline:
            raise AssertionError("the kill point was not reached in time")
        time.sleep(0.05)
    return int((directory / "reached").read_text())
