"""Paths on local disk and on object stores, through Beam's FileSystems (one place for what differs on a store)."""

from __future__ import annotations

import os.path

__all__ = ["is_remote", "join", "remove_dir"]


def is_remote(path: str) -> bool:
    """A path on an object store or another of Beam's remote filesystems (`gs://`, `s3://`, ...), not a local one."""
    return "://" in path


def join(root: str, *parts: str) -> str:
    """Join path parts under a local or remote root (FileSystems.join needs a scheme-aware join). A local one is
    joined without Beam, which costs 1.2 s to import: a process that only locks an output (pipeline/lock.py) or
    reads its notes does not pay it."""
    root = root.rstrip("/") or "/"
    if not is_remote(root):
        return os.path.join(root, *parts)
    from apache_beam.io.filesystems import FileSystems

    return FileSystems.join(root, *parts)


def remove_dir(directory: str) -> None:
    """Delete a directory and all under it, local or on an object store. On a store a directory is only a key
    prefix: `exists()` is False for it and deleting it deletes nothing, so each object under it is deleted."""
    from apache_beam.io.filesystems import FileSystems

    if not is_remote(directory):
        if FileSystems.exists(directory):
            FileSystems.delete([directory])
        return
    try:
        found = FileSystems.match([join(directory, "**")])[0].metadata_list
    except Exception:  # noqa: BLE001  (stores raise their own types for an empty prefix)
        found = []
    if found:
        FileSystems.delete([m.path for m in found])
