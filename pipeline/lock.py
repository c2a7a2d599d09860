"""One writer per output: `<output>/_lock.json`, held by `run`, `watch` (its whole lifetime) and `compact`.

Locally the lock is an fcntl.flock on that file, taken without waiting: the kernel grants it to one process
at a time and releases it when the holder exits or is killed, so a stale lock (its holder killed -9) is taken
over with no race between two contenders, which an O_EXCL file left by a dead process would need a takeover
protocol for. The file holds who has it (command, host, pid, start time), for the message that refuses a
second writer. On object stores (gs://, s3://) Beam's FileSystems has no atomic create-if-absent: there the
lock is not enforced (documented; run one writer per output there).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import shutil
import socket
import sys

__all__ = ["OutputLocked", "OutputLock"]


class OutputLocked(Exception):
    """Another process writes to this output."""


class OutputLock:
    def __init__(self, output: str, command: str):
        self.output = output
        self.command = command
        self._fd: int | None = None

    def acquire(self) -> OutputLock:
        if "://" in self.output:
            return self
        path = os.path.join(self.output, "_lock.json")
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                holder = json.loads(os.pread(fd, 4096, 0).decode("utf-8") or "{}")
            except ValueError:
                holder = {}
            os.close(fd)
            raise OutputLocked(
                f"output {self.output} is being written by scrapeline {holder.get('command', '?')} "
                f"(pid {holder.get('pid', '?')} on host {holder.get('host', '?')}, since "
                f"{holder.get('started_at', '?')}); one writer per output") from None
        previous = os.pread(fd, 4096, 0)
        info = {"command": self.command, "host": socket.gethostname(), "pid": os.getpid(),
                "started_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode("utf-8"), 0)
        self._fd = fd
        if previous.strip():
            try:
                old = json.loads(previous.decode("utf-8"))
                if not old.get("released"):
                    print(f"scrapeline: took over the lock of a writer that is gone (pid {old.get('pid')} on "
                          f"{old.get('host')}, since {old.get('started_at')})", file=sys.stderr)
            except ValueError:
                pass
        self._clean_temporary()
        return self

    def _clean_temporary(self) -> None:
        """What dead runs left under _temporary/: only the lock holder writes there, so it is all stale."""
        tmp = os.path.join(self.output, "_temporary")
        if not os.path.isdir(tmp):
            return
        entries = os.listdir(tmp)
        for name in entries:
            p = os.path.join(tmp, name)
            shutil.rmtree(p, ignore_errors=True) if os.path.isdir(p) else os.remove(p)
        if entries:
            print(f"scrapeline: removed {len(entries)} entr{'y' if len(entries) == 1 else 'ies'} that dead runs "
                  f"left under {tmp}", file=sys.stderr)

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            info = json.loads(os.pread(self._fd, 4096, 0).decode("utf-8") or "{}")
            info["released"] = True
            os.ftruncate(self._fd, 0)
            os.pwrite(self._fd, json.dumps(info).encode("utf-8"), 0)
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> OutputLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
