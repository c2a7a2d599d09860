"""One writer per output: `<output>/_lock.json`, held by `run` (the run), `watch` (its whole lifetime, with
`--streaming` too) and `compact` (the compaction). Two writers on one output each miss the other's rows in
dedup and write them twice; a second writer is therefore refused (OutputLocked, exit 2 in the CLI) with the
holder named, before any graph is built.

Local (mounted) outputs: an fcntl.flock on `<output>/_lock.json`, taken without waiting and held on the open
file for the holder's lifetime. Chosen over an O_CREAT|O_EXCL file because the kernel grants the flock to one
open file at a time and drops it when its holder exits or is killed (kill -9 included): a lock whose holder is
gone is simply free, so taking over a stale lock is the same atomic step as taking a free one, and two
contenders can never both win. An O_EXCL file outlives a dead holder and needs a takeover protocol (pid
liveness, which pid reuse defeats unless the process start time is checked too, then a second atomic step
that two takers could both pass). Nothing here decides on pid liveness. The file's content only says who
holds it (command, run id when known, host, pid, the pid's start time in /proc, start time), for the
refusal message; each holder rewrites it and marks it `released` on a normal release, so a taker that finds
an unreleased record knows its writer died, and says so on stderr. After locking, the file is checked to
still be the one at the path (not unlinked or replaced between open and flock), else locking starts again.
What flock does not cover: a filesystem without lock support is refused (LockError, exit 2) rather than
written unguarded; deleting `_lock.json` by hand while a writer runs lets a second writer lock a new file;
on NFS, Linux maps flock to NFS byte-range locks (cross-host with NFSv4 or lockd; not tested here); FUSE
mounts of object stores (gcsfuse, s3fs) lock within one host only. A forked child keeps the lock while it
lives (it shares the open file); processes started by exec (Beam's worker processes) do not inherit it.

Object stores (an output containing "://"): Beam's FileSystems has no atomic create-if-absent (nothing like
GCS `ifGenerationMatch=0` or S3 `If-None-Match: *`), so there the lock is a best-effort lease, not a mutual
exclusion: a `_lock.json` object holding the holder, a `lease_id` and an expiry (`ttl`, default 120 s),
renewed by a heartbeat thread every ttl/3. A fresh lease refuses a second writer; an expired one (its holder
gone, or stalled past the ttl) is taken over. Taking it is: read, write ours, wait `confirm_delay` (2 s),
read again; the lease is ours only if that read shows our `lease_id` (the store keeps the last write, so of
two contenders that both wrote, the earlier one reads the later one's lease and backs off). Not atomic: a
contender that stalls between its read and its write for longer than the other's write-and-confirm, or a
holder stalled past the ttl whose next heartbeat overwrites its successor's lease, leaves two writers. The
one whose lease was overwritten finds a foreign `lease_id` at its next heartbeat or at the CLI's check
(`still_held`, before each `watch` batch and after a run): it reports it on stderr and the CLI exits 1, so
the double write is reported, not prevented. Expiry compares the holder's clock with the contender's (keep
clocks within seconds of each other). Release deletes the object if it is still ours. A `watch --streaming`
job submitted to a remote runner outlives a killed CLI, and its lease then expires: stop the job too.
Tested through FileSystems on a local directory (tests/e2e/test_lock.py, with races) and against an S3-compatible
server (tests/e2e/test_object_store.py: a live lease refuses a run; release deletes it).

Once it holds the lock, a writer removes what dead writers left under `<output>/_temporary/` (nobody else
writes there then) and says how many entries on stderr.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import fnmatch
import json
import os
import shutil
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable

from scrapeline.pipeline.errors import UsageError
from scrapeline.transforms.core.storage import is_remote, join

__all__ = ["LockError", "OutputLock", "OutputLocked", "describe_holder"]

LOCK_NAME = "_lock.json"
LEASE_TTL = 120.0
CONFIRM_DELAY = 2.0
_REFUSE_WAIT = 1.0  # how long a refused contender waits for the holder to write its record (it does at once)


class OutputLocked(UsageError):
    """Another writer holds this output; the message names it (a usage error: exit 2)."""

    def __init__(self, output: str, holder: dict):
        self.output = output
        self.holder = holder
        super().__init__(f"output {output} is being written by {describe_holder(holder)}; one writer per output")


class LockError(UsageError):
    """The lock cannot be taken at all (unreadable lock file, filesystem without lock support): exit 2."""


def describe_holder(holder: dict) -> str:
    """'scrapeline run <run id> (pid 123 on host h, since 2026-12-04T01:02:03Z)' from a lock record."""
    run_id = f" {holder['run_id']}" if holder.get("run_id") else ""
    return (f"scrapeline {holder.get('command', '?')}{run_id} (pid {holder.get('pid', '?')} on host "
            f"{holder.get('host', '?')}, since {holder.get('started_at', '?')})")


def _utc(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(data: bytes) -> dict | None:
    try:
        record = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _live(record: dict | None) -> bool:
    return bool(record) and not record.get("released") and record.get("pid") is not None


def _process_start(pid: int) -> str | None:
    """The start time of process `pid` (clock ticks since boot, /proc/<pid>/stat field 22), None when there is
    no such process (or no /proc). Pids are reused; a pid with the start time recorded is one process."""
    try:
        with open(f"/proc/{int(pid)}/stat", "rb") as f:
            stat = f.read().decode("ascii", "replace")
    except (OSError, ValueError):
        return None
    fields = stat[stat.rfind(")") + 2:].split()  # the command name may hold spaces and parentheses
    return fields[19] if len(fields) > 19 else None


def _may_be_alive(record: dict) -> bool:
    """False when the record's writer is known gone: same host, and its pid is not the process it named.
    Used only to word the refusal (a dead writer's record can still be in the file for the instant between
    a new holder's flock and its write); whether a writer is refused is the flock's decision alone."""
    if record.get("host") != socket.gethostname() or not record.get("pid_start") or not os.path.isdir("/proc/self"):
        return True
    return _process_start(record["pid"]) == record["pid_start"]


class OutputLock:
    """The one-writer lock of `output`: `OutputLock(out, "run").acquire()` ... `.release()`, or `with`.

    `lease` picks the object-store lease (default: when `output` contains "://"); it works on local paths too,
    through the same FileSystems calls, which is how it is tested. `ttl`, `confirm_delay`, `clock` and `sleep`
    (how the confirm delay is waited) are the lease's; tests inject them.
    """

    def __init__(self, output: str, command: str, run_id: str | None = None, *, lease: bool | None = None,
                 ttl: float = LEASE_TTL, confirm_delay: float = CONFIRM_DELAY,
                 clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep):
        if ttl <= 0 or confirm_delay < 0:
            raise ValueError("ttl must be > 0 and confirm_delay >= 0")
        self.output = output.rstrip("/") if is_remote(output) else output
        self.command = command
        self.run_id = run_id
        self.lease = is_remote(output) if lease is None else lease
        self.ttl = ttl
        self.confirm_delay = confirm_delay
        self._clock = clock
        self._sleep = sleep
        self.lost: dict | None = None  # the lease: the record that replaced ours, once a heartbeat found one
        self._fd: int | None = None
        self._lease_id: str | None = None
        self._lease_record: dict = {}
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None or self._lease_id is not None

    def _record(self) -> dict:
        record = {"command": self.command, "host": socket.gethostname(), "pid": os.getpid(),
                  "pid_start": _process_start(os.getpid()), "started_at": _utc(self._clock())}
        if self.run_id:
            record["run_id"] = self.run_id
        return record

    def acquire(self) -> OutputLock:
        """Take the lock or raise OutputLocked (naming the holder) / LockError; then clean `_temporary/`."""
        if self.held:
            raise RuntimeError("this lock is held already")
        if self.lease:
            try:
                stale = self._acquire_lease()
            except (OutputLocked, LockError):
                raise
            except Exception as e:  # noqa: BLE001  (the store's own error types)
                raise LockError(f"cannot take the lease {self._path()}: {e}") from None
        else:
            stale = self._acquire_flock()
        if stale:
            print(f"scrapeline: took over the lock on {self.output} from a writer that is gone: "
                  f"{describe_holder(stale)}", file=sys.stderr, flush=True)
        try:
            self._clean_temporary()
        except BaseException:
            self.release()
            raise
        return self

    def release(self) -> None:
        """Give the lock up (idempotent). Locally the record is marked released, so the next taker knows the
        writer ended normally; the lease object is deleted if it is still ours."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                record = _parse(os.pread(fd, 65536, 0)) or {}
                record["released"] = _utc(self._clock())
                self._write_fd(fd, record)
            except OSError:
                pass  # the record is informative only; the flock is what matters
            finally:
                os.close(fd)  # drops the flock
        if self._lease_id is not None:
            self._stop.set()
            if self._heartbeat is not None:
                self._heartbeat.join()
            lease_id, self._lease_id = self._lease_id, None
            try:
                current = self._read_object()
                if current and current.get("lease_id") == lease_id:
                    from apache_beam.io.filesystems import FileSystems

                    FileSystems.delete([self._path()])
            except Exception as e:  # noqa: BLE001  (a store hiccup: the lease then expires after its ttl)
                print(f"scrapeline: warning: could not release the lease {self._path()}: {e}", file=sys.stderr)

    def __enter__(self) -> OutputLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()

    # -- local: flock ---------------------------------------------------------------------------------------

    @staticmethod
    def _write_fd(fd: int, record: dict) -> None:
        data = json.dumps(record).encode("utf-8")
        os.pwrite(fd, data, 0)
        os.ftruncate(fd, len(data))

    def _acquire_flock(self) -> dict | None:
        path = os.path.join(self.output, LOCK_NAME)
        deadline = time.monotonic() + _REFUSE_WAIT
        while True:
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError as e:
                raise LockError(f"cannot open the lock file {path}: {e.strerror or e}") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _parse(os.pread(fd, 65536, 0))
                os.close(fd)
                # The holder writes its record right after locking, and marks it released just before
                # unlocking: until the record of a writer that may be alive shows (not a released one, not
                # that of a dead writer the holder has just taken over from), look again (and try the lock
                # again) for a moment.
                if (_live(holder) and _may_be_alive(holder)) or time.monotonic() > deadline:
                    raise OutputLocked(self.output, holder or {}) from None
                time.sleep(0.02)
                continue
            except OSError as e:
                os.close(fd)
                raise LockError(f"cannot lock {path} ({e.strerror or e}): this filesystem does not support "
                                f"locks, and one writer per output cannot be enforced on it") from None
            try:
                st, now = os.fstat(fd), os.stat(path)
                same = (st.st_dev, st.st_ino) == (now.st_dev, now.st_ino)
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)  # the file was removed or replaced after we opened it: lock the one at the path
        try:
            previous = _parse(os.pread(fd, 65536, 0))
            self._write_fd(fd, self._record())
        except OSError as e:
            os.close(fd)
            raise LockError(f"cannot write the lock file {path}: {e.strerror or e}") from None
        self._fd = fd
        return previous if _live(previous) else None

    # -- object stores: best-effort lease ---------------------------------------------------------------------

    def _path(self) -> str:
        return join(self.output, LOCK_NAME)

    def _read_object(self) -> dict | None:
        from apache_beam.io.filesystems import FileSystems

        path = self._path()
        found = FileSystems.match([path])[0].metadata_list
        if not found:
            return None
        try:
            with FileSystems.open(path) as f:
                data = f.read()
        except Exception:  # noqa: BLE001  (deleted between match and open: free)
            if not FileSystems.exists(path):
                return None
            raise
        # An unparsable object (cut by a crash, written by hand) counts as a holder with no details until a ttl
        # after it was written (the store's time): refusing is safer than guessing, forever would be wrong.
        return _parse(data) or {"command": "?", "expires_at": found[0].last_updated_in_seconds + self.ttl}

    def _write_object(self, record: dict) -> None:
        from apache_beam.io.filesystems import FileSystems

        with FileSystems.create(self._path(), mime_type="application/json") as f:
            f.write(json.dumps(record).encode("utf-8"))

    def _acquire_lease(self) -> dict | None:
        current = self._read_object()
        now = self._clock()
        if current and float(current.get("expires_at", 0)) > now:
            raise OutputLocked(self.output, current)
        lease_id = uuid.uuid4().hex
        record = {**self._record(), "lease_id": lease_id, "heartbeat_at": _utc(now), "expires_at": now + self.ttl}
        self._write_object(record)
        self._sleep(self.confirm_delay)
        confirmed = self._read_object()
        if not confirmed or confirmed.get("lease_id") != lease_id:
            # Another contender wrote after us (the store keeps the last write): it has the lease.
            raise OutputLocked(self.output, confirmed or {})
        self._lease_id = lease_id
        self._lease_record = record
        self._stop.clear()
        self._heartbeat = threading.Thread(target=self._beat, name="scrapeline-lease", daemon=True)
        self._heartbeat.start()
        return current

    def _beat(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            try:
                self.renew()
            except Exception as e:  # noqa: BLE001  (a store hiccup: try again at the next beat)
                print(f"scrapeline: warning: could not renew the lease {self._path()}: {e}", file=sys.stderr)
            if self.lost:
                return

    def still_held(self) -> bool:
        """True while the lock is ours: always for the flock (the kernel keeps it); for the lease, one read
        of the object (and `lost` recorded, and reported on stderr, when another writer's lease is there)."""
        if not self.lease:
            return self._fd is not None
        if self._lease_id is None or self.lost:
            return False
        current = self._read_object()
        if current and current.get("lease_id") == self._lease_id:
            return True
        self._lose(current)
        return False

    def _lose(self, current: dict | None) -> None:
        self.lost = current or {"command": "?"}
        who = describe_holder(current) if current else "nobody (the lease object is gone)"
        print(f"scrapeline: error: lost the lease on {self.output} to {who}; two writers may have "
              f"written to it", file=sys.stderr, flush=True)

    def renew(self) -> bool:
        """One heartbeat: push the lease's expiry on if it is still ours; else record the usurper in `lost`
        and report it on stderr. (Called by the heartbeat thread; public so tests drive it without waiting.)"""
        if self._lease_id is None or self.lost:
            return False
        current = self._read_object()
        if not current or current.get("lease_id") != self._lease_id:
            self._lose(current)
            return False
        now = self._clock()
        self._write_object({**self._lease_record, "heartbeat_at": _utc(now), "expires_at": now + self.ttl})
        return True

    # -- both: what dead writers left ---------------------------------------------------------------------------

    def _clean_temporary(self) -> None:
        """Remove `<output>/_temporary/`'s entries: only the lock holder writes there, so all are left-overs of
        writers that died before their commit (their files were never published)."""
        tmp = join(self.output, "_temporary")
        entries = remove_temporary(self.output, bool(self.lease))
        if entries:
            n = len(entries)
            print(f"scrapeline: removed {n} entr{'y' if n == 1 else 'ies'} that dead writers left under {tmp}",
                  file=sys.stderr, flush=True)


def remove_temporary(output: str, remote: bool, entries: str = "*") -> set[str]:
    """Remove the entries of `<output>/_temporary/` whose names match `entries` (a glob), on an object store
    (`remote`: Beam's filesystems, file by file) or a local disk; the names of those removed. Raises what the
    store raises, except a missing `_temporary/` (nothing to remove)."""
    if remote:
        from apache_beam.io.filesystems import FileSystems

        tmp = join(output, "_temporary")
        try:
            found = FileSystems.match([join(tmp, "**")])[0].metadata_list
        except Exception:  # noqa: BLE001  (nothing there)
            found = []
        prefix = tmp.rstrip("/") + "/"
        files = {m.path: m.path[len(prefix):].split("/", 1)[0] for m in found if m.path.startswith(prefix)}
        files = {path: name for path, name in files.items() if fnmatch.fnmatchcase(name, entries)}
        if files:
            FileSystems.delete(list(files))
        return set(files.values())
    tmp = os.path.join(output, "_temporary")
    try:
        names = {n for n in os.listdir(tmp) if fnmatch.fnmatchcase(n, entries)}
    except (FileNotFoundError, NotADirectoryError):
        return set()
    for name in names:
        p = os.path.join(tmp, name)
        if os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p, ignore_errors=True)
        else:
            try:
                os.remove(p)
            except FileNotFoundError:
                pass
    return names
