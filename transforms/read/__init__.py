"""Read stage: ReadDumps turns dump files into Pages (dumps.py), one container reader per format
(containers.py); its settings in settings.py."""

from scrapeline.transforms.read.dumps import DumpFile, ReadDumps, is_dump_path, list_dumps

__all__ = ["DumpFile", "ReadDumps", "is_dump_path", "list_dumps"]
