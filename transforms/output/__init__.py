"""Output stage (write.py): WritePartitionedParquet (Hive-partitioned, committed atomically per run), the
readers of stored data (ReadExistingStories, ReadStoredBands, ReadStoriesById, SkipStoredIds) and the rewrites of
stored files (RecordLateDuplicates)."""

from scrapeline.transforms.output.write import (
    ReadExistingStories, ReadStoredBands, ReadStoriesById, RecordLateDuplicates, SkipStoredDeadLetters,
    WritePartitionedParquet,
)

__all__ = ["ReadExistingStories", "ReadStoredBands", "ReadStoriesById", "RecordLateDuplicates",
           "SkipStoredDeadLetters", "WritePartitionedParquet"]
