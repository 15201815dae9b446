"""The output layers: which columns each holds, and how it is written.

processed/ (Parquet, by split and sentiment), quarantine/ (Parquet, by reason, with
the raw input kept), curated/{train,validation,test}/ (one gzip CSV per channel, the
training channels) and curated/scoring/ (the test split as one gzip JSON Lines file, the
input of batch scoring). Every write overwrites: a run recomputes from all of raw.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from pyspark.sql import DataFrame, DataFrameWriter
from pyspark.sql import functions as F  # noqa: N812 (the PySpark convention)

from lake_layout import SCORING_CHANNEL, SCORING_SOURCE_CHANNEL

# Where a row came from, kept in the processed and quarantine layers alike.
SOURCE_COLUMNS = (
    "source_split",
    "source_file",
    "source_row",
    "source_id",
    "rating",
    "source_encoding",
)
PROCESSED_COLUMNS = (
    "review_id",
    "review",
    "label",
    "char_count",
    "word_count",
    *SOURCE_COLUMNS,
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
    *SOURCE_COLUMNS,
    "absorbed_lines",
    "reason",
)
CURATED_COLUMNS = ("review_id", "review", "sentiment", "label")
# One JSON object per line, the fields Batch Transform's input contract names.
SCORING_COLUMNS = ("review_id", "review", "label")

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


def scoring_view(classified: DataFrame) -> DataFrame:
    return curated_view(classified, SCORING_SOURCE_CHANNEL).select(*SCORING_COLUMNS)


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


def _one_file_by_review_id(rows: DataFrame) -> DataFrameWriter:
    # One file per folder (SageMaker reads a channel as a whole prefix), ordered by
    # review_id: a hash, so labels arrive interleaved rather than sorted.
    return rows.coalesce(1).sortWithinPartitions("review_id").write.mode("overwrite")


def write_curated(classified: DataFrame, path: str, channel: str) -> None:
    (
        _one_file_by_review_id(curated_view(classified, channel))
        .options(**CSV_WRITE_OPTIONS)
        .csv(f"{path.rstrip('/')}/{channel}")
    )


def write_scoring(classified: DataFrame, path: str) -> None:
    """The test split as gzip JSON Lines, which Batch Transform splits by line
    (SplitType=Line, CompressionType=Gzip); its rows are the test channel's."""
    (
        _one_file_by_review_id(scoring_view(classified))
        .option("compression", "gzip")
        .json(f"{path.rstrip('/')}/{SCORING_CHANNEL}")
    )


def run_concurrently(*writes: Callable[[], None]) -> None:
    """Each curated channel is written by a single task; submitting the writes together
    lets Spark run them side by side instead of leaving cores idle."""
    with ThreadPoolExecutor(max_workers=len(writes)) as pool:
        for future in [pool.submit(write) for write in writes]:
            future.result()
