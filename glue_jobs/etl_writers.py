"""The output layers: which columns each holds, and how it is written.

processed/ (Parquet, by split and sentiment), quarantine/ (Parquet, by reason, with
the raw input kept) and curated/{train,validation,test}/ (one gzip CSV per channel,
the training channels). Every write overwrites: a run recomputes from all of raw.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from pyspark.sql import DataFrame
from pyspark.sql import functions as F  # noqa: N812 (the PySpark convention)

PROCESSED_COLUMNS = (
    "review_id",
    "review",
    "label",
    "char_count",
    "word_count",
    "source_split",
    "source_file",
    "source_row",
    "source_id",
    "rating",
    "source_encoding",
    "split",
    "sentiment",
)
PROCESSED_PARTITIONS = ("split", "sentiment")
QUARANTINE_COLUMNS = (
    "raw_review",
    "raw_sentiment",
    "raw_record",
    "review_id",
    "review",
    "char_count",
    "source_split",
    "source_file",
    "source_row",
    "source_id",
    "rating",
    "source_encoding",
    "absorbed_lines",
    "reason",
)
CURATED_COLUMNS = ("review_id", "review", "sentiment", "label")

CSV_WRITE_OPTIONS = {
    "header": "true",
    "quote": '"',
    "escape": '"',
    "compression": "gzip",
    # Spark trims values on write by default; the review text must stay as it is.
    "ignoreLeadingWhiteSpace": "false",
    "ignoreTrailingWhiteSpace": "false",
}


def processed_view(classified: DataFrame) -> DataFrame:
    return classified.filter(F.col("reason").isNull()).select(*PROCESSED_COLUMNS)


def quarantine_view(classified: DataFrame) -> DataFrame:
    return classified.filter(F.col("reason").isNotNull()).select(*QUARANTINE_COLUMNS)


def curated_view(classified: DataFrame, channel: str) -> DataFrame:
    return classified.filter(F.col("split") == channel).select(*CURATED_COLUMNS)


def write_quarantine(classified: DataFrame, path: str) -> None:
    (
        quarantine_view(classified)
        .repartition("reason")
        .sortWithinPartitions("reason", "source_split", "source_file", "source_row")
        .write.mode("overwrite")
        .partitionBy("reason")
        .parquet(path)
    )


def write_processed(classified: DataFrame, path: str) -> None:
    # One file per (split, sentiment) directory, rows in review_id order: the same input
    # gives the same files' contents on every run.
    (
        processed_view(classified)
        .repartition(*PROCESSED_PARTITIONS)
        .sortWithinPartitions(*PROCESSED_PARTITIONS, "review_id")
        .write.mode("overwrite")
        .partitionBy(*PROCESSED_PARTITIONS)
        .parquet(path)
    )


def write_curated(classified: DataFrame, path: str, channel: str) -> None:
    # One gzip CSV per channel (SageMaker reads a channel as a whole prefix), ordered by
    # review_id: a hash, so labels arrive interleaved rather than sorted.
    (
        curated_view(classified, channel)
        .coalesce(1)
        .sortWithinPartitions("review_id")
        .write.mode("overwrite")
        .options(**CSV_WRITE_OPTIONS)
        .csv(f"{path.rstrip('/')}/{channel}")
    )


def run_concurrently(*writes: Callable[[], None]) -> None:
    """Each curated channel is written by a single task; submitting the writes together
    lets Spark run them side by side instead of leaving cores idle."""
    with ThreadPoolExecutor(max_workers=len(writes)) as pool:
        for future in [pool.submit(write) for write in writes]:
            future.result()
