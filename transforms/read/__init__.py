"""Read stage: ReadDumps turns dump files into Pages (dumps.py), one container reader per format
(containers.py); its settings in settings.py."""

from scrapeline.transforms.read.dumps import ReadDumps, is_dump_path

__all__ = ["ReadDumps", "is_dump_path"]
