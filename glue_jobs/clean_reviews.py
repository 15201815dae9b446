"""Glue ETL job: raw movie reviews -> processed, quarantine and curated layers.

Pure DataFrame transforms (tested on local Spark) plus two thin entry points:

* ``main()`` runs on AWS Glue; it alone imports ``awsglue``.
* ``local_main()`` runs the same ``run()`` on local Spark:
  ``python glue_jobs/clean_reviews.py --local --input PATH --output DIR``.

Every input record ends up exactly once either in ``processed/`` (clean, labelled,
deduplicated) or in ``quarantine/`` with a ``reason``; ``summary.json`` records the counts
and the run fails when too large a share of the input is quarantined.

Channel assignment (``curated/{train,validation,test}``): rows from an original test
split (aclImdb ``test/``, or a ``test*`` CSV with ``split_from_filename``) all go to
``test``; from an original train split, ``validation_percent`` of each label goes to
``validation`` and the rest to ``train``; rows with no original split (a plain CSV) give
``test_percent`` of each label to ``test`` and ``validation_percent`` to ``validation``.
Within each (original split, label) pool rows are ranked by ``review_id`` (a sha256 of
the clean text), so the choice is stratified, exact up to rounding (half up) and the same
on every run.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from pathlib import Path

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F  # noqa: N812 (the PySpark convention)
from pyspark.sql import types as T  # noqa: N812

INPUT_FORMATS = ("auto", "csv", "aclimdb")

# Checks run in this order and the first failing one names the reason, so a rejected row
# is quarantined exactly once. "duplicate" is decided last, among rows that passed the rest.
REASONS = (
    "unparseable",
    "missing_label",
    "unknown_label",
    "empty_text",
    "too_short",
    "too_long",
    "duplicate",
)
CHANNELS = ("train", "validation", "test")
SENTIMENTS = ("negative", "positive")

POSITIVE_LABELS = ("positive", "pos", "1")
NEGATIVE_LABELS = ("negative", "neg", "0")

# Where a duplicate text is kept: the original test split first, so the test split stays
# intact and no test text is left in train under another copy; then train, then unsplit.
SPLIT_PRIORITY = {"test": 0, "train": 1, "unsplit": 2}

# The columns both readers produce; every transform below starts from this schema.
RAW_SCHEMA = T.StructType(
    [
        T.StructField("raw_review", T.StringType()),
        T.StructField("raw_sentiment", T.StringType()),
        # The whole record as read, set only when the CSV parser could not parse it.
        T.StructField("raw_record", T.StringType()),
        T.StructField("source_split", T.StringType(), nullable=False),
        T.StructField("source_file", T.StringType(), nullable=False),
        # 0-based record index within source_file (records, not lines: fields may hold
        # newlines).
        T.StructField("source_row", T.LongType(), nullable=False),
        T.StructField("source_id", T.StringType()),
        T.StructField("rating", T.IntegerType()),
    ]
)

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
    "reason",
)
CURATED_COLUMNS = ("review_id", "review", "sentiment", "label")

# RFC 4180: fields quoted with '"' and a '"' inside a field doubled, which is also how
# the widely shared IMDb CSV files are written. Fields may span lines.
CSV_READ_OPTIONS = {
    "header": "true",
    "multiLine": "true",
    "quote": '"',
    "escape": '"',
    "encoding": "UTF-8",
    "mode": "PERMISSIVE",
}
CSV_WRITE_OPTIONS = {
    "header": "true",
    "quote": '"',
    "escape": '"',
    "compression": "gzip",
    # Spark trims values on write by default; the review text must stay as it is.
    "ignoreLeadingWhiteSpace": "false",
    "ignoreTrailingWhiteSpace": "false",
}
CORRUPT_COLUMN = "_corrupt_record"

_ACLIMDB_PATH = r"/(train|test)/(pos|neg)/([^/]*?)(?:_(\d+))?\.txt$"
# Directories, not files: a glob over 50,000 files would hand Spark 50,000 input paths
# (and a 50,000-task listing job); four directories are listed on the driver.
_ACLIMDB_DIRS = "{train,test}/{pos,neg}"


class QuarantineThresholdError(RuntimeError):
    """Too large a share of the input was quarantined; the summary says why."""

    def __init__(self, summary: dict) -> None:
        self.summary = summary
        reasons = ", ".join(
            f"{reason}={count}"
            for reason, count in summary["quarantined_by_reason"].items()
            if count
        )
        if not summary["input_rows"]:
            super().__init__("the input holds no review rows")
            return
        super().__init__(
            f"quarantined {summary['quarantined_rows']} of {summary['input_rows']} input "
            f"rows (share {summary['quarantine_share']:.4f}) > max_quarantine_share "
            f"{summary['thresholds']['max_quarantine_share']}: {reasons or 'no rows'}. "
            "Quarantine and summary were written; processed and curated were left as they were."
        )


@dataclass(frozen=True)
class JobConfig:
    """Everything one run needs; the Glue and the local entry point both build one."""

    input_paths: tuple[str, ...]
    processed_path: str
    quarantine_path: str
    curated_path: str
    summary_path: str
    input_format: str = "auto"
    min_chars: int = 20
    # The longest IMDb review is about 13,700 characters after cleaning.
    max_chars: int = 20_000
    validation_percent: float = 10.0
    # Applies only to rows without an original split (a plain CSV).
    test_percent: float = 10.0
    max_quarantine_share: float = 0.2
    # Take the original split from CSV file names (train*.csv[.gz] / test*.csv[.gz]).
    split_from_filename: bool = False

    def __post_init__(self) -> None:
        if not self.input_paths:
            raise ValueError("at least one input path is required")
        if self.input_format not in INPUT_FORMATS:
            raise ValueError(f"input_format must be one of {INPUT_FORMATS}")
        if not 0 <= self.min_chars <= self.max_chars:
            raise ValueError("need 0 <= min_chars <= max_chars")
        if self.validation_percent < 0 or self.test_percent < 0:
            raise ValueError("validation_percent and test_percent must be >= 0")
        if self.validation_percent + self.test_percent >= 100:
            raise ValueError("validation_percent + test_percent must stay below 100")
        if not 0 <= self.max_quarantine_share <= 1:
            raise ValueError("max_quarantine_share is a fraction between 0 and 1")

    @classmethod
    def for_output_dir(cls, input_paths: list[str] | tuple[str, ...], output: str, **options):
        """Local layout: OUTPUT/{processed,quarantine,curated}/ and OUTPUT/summary.json."""
        root = output.rstrip("/")
        return cls(
            input_paths=tuple(input_paths),
            processed_path=f"{root}/processed",
            quarantine_path=f"{root}/quarantine",
            curated_path=f"{root}/curated",
            summary_path=f"{root}/summary.json",
            **options,
        )

    def thresholds(self) -> dict:
        return {
            "min_chars": self.min_chars,
            "max_chars": self.max_chars,
            "validation_percent": self.validation_percent,
            "test_percent": self.test_percent,
            "max_quarantine_share": self.max_quarantine_share,
        }


# --------------------------------------------------------------------------- transforms


def _normalize_udf():
    """The shared normaliser as a Spark UDF (built on call, so importing runs nothing).

    A row-at-a-time UDF rather than a pandas_udf: the normaliser is pure Python either
    way, and workers then start without importing pandas and pyarrow, which costs more
    than Arrow saves at this data size. The function is nested so that it is pickled by
    value: workers need only text_normalization, not this module.
    """

    def normalize(text: str | None) -> str:
        # Imported on the worker: Glue ships the module with --extra-py-files, the local
        # twin with SparkContext.addPyFile (see build_local_spark).
        from text_normalization import normalize_text

        return normalize_text(text)

    return F.udf(normalize, T.StringType())


def _strip(col: Column) -> Column:
    # (?U): Unicode whitespace, so a label padded with no-break spaces or tabs still maps.
    return F.regexp_replace(col, r"(?U)^\s+|\s+$", "")


def normalize_reviews(raw: DataFrame) -> DataFrame:
    """Add clean ``review``, ``sentiment``/``label``, ``review_id`` and length features.

    ``review_id`` is the sha256 hex of the clean text, so equal texts share an id: it is
    the deduplication key and stays stable across runs and environments.
    """
    key = F.lower(_strip(F.col("raw_sentiment")))
    review = _normalize_udf()(F.col("raw_review"))
    return (
        raw.withColumn("review", review)
        .withColumn(
            "label",
            F.when(key.isin(*POSITIVE_LABELS), F.lit(1))
            .when(key.isin(*NEGATIVE_LABELS), F.lit(0))
            .cast("int"),
        )
        .withColumn(
            "sentiment",
            F.when(F.col("label") == 1, F.lit("positive")).when(
                F.col("label") == 0, F.lit("negative")
            ),
        )
        .withColumn("review_id", F.sha2(F.col("review"), 256))
        .withColumn("char_count", F.length("review").cast("int"))
        # The normaliser leaves single spaces only, so spaces + 1 is the word count;
        # translate() counts them without the regex split and word array of split().
        .withColumn(
            "word_count",
            F.when(F.col("review") == "", F.lit(0))
            .otherwise(F.length("review") - F.length(F.translate("review", " ", "")) + 1)
            .cast("int"),
        )
    )


def flag_rejects(df: DataFrame, *, min_chars: int, max_chars: int) -> DataFrame:
    """Add ``reason`` (null for kept rows) and ``conflicting_label``.

    Checks run in REASONS order and the first failing one names the reason. Of the rows
    that pass every other check and share a clean text, one is kept: the one from the
    original test split, else train, else unsplit; ties go to the smallest
    (source_file, source_row). The ordering is total, so the choice never varies.
    ``conflicting_label`` marks a duplicate whose label disagrees with the kept copy's:
    it says the source labels are noisy, not just repeated.
    """
    missing = F.col("raw_sentiment").isNull() | (_strip(F.col("raw_sentiment")) == "")
    failed_check = (
        F.when(F.col("raw_record").isNotNull(), F.lit("unparseable"))
        .when(missing, F.lit("missing_label"))
        .when(F.col("label").isNull(), F.lit("unknown_label"))
        .when(F.col("review") == "", F.lit("empty_text"))
        .when(F.col("char_count") < min_chars, F.lit("too_short"))
        .when(F.col("char_count") > max_chars, F.lit("too_long"))
    )
    priority = F.create_map(*[F.lit(x) for kv in SPLIT_PRIORITY.items() for x in kv])
    copies = Window.partitionBy("review_id").orderBy(
        F.col("_failed").isNotNull(),
        priority[F.col("source_split")],
        "source_file",
        "source_row",
    )
    is_duplicate = F.col("_failed").isNull() & (F.col("_copy") > 1)
    return (
        df.withColumn("_failed", failed_check)
        # Both window columns in one select: one shuffle, one sort, one window pass.
        .select(
            "*",
            F.row_number().over(copies).alias("_copy"),
            F.first("label")
            .over(copies.rowsBetween(Window.unboundedPreceding, Window.currentRow))
            .alias("_kept_label"),
        )
        .withColumn("reason", F.when(is_duplicate, F.lit("duplicate")).otherwise(F.col("_failed")))
        .withColumn("conflicting_label", is_duplicate & (F.col("label") != F.col("_kept_label")))
        .drop("_failed", "_copy", "_kept_label")
    )


def assign_channels(df: DataFrame, *, validation_percent: float, test_percent: float) -> DataFrame:
    """Add ``split`` (train | validation | test) to kept rows; rejected rows get null.

    Quotas are per (original split, label) pool, so every channel has the label balance
    of its pool, exact up to rounding (half up). Within a pool rows are taken in
    ``review_id`` order (a hash of the text, so unrelated to file order or label): the
    first ``test_percent`` go to test, the next ``validation_percent`` to validation.
    """
    # One ordered window spec for the rank and the pool size: one shuffle, one sort.
    pool = Window.partitionBy("_kept", "source_split", "label").orderBy("review_id")
    whole_pool = pool.rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)
    unsplit = F.col("source_split") == "unsplit"
    test_quota = F.when(unsplit, F.round(F.col("_size") * float(test_percent) / 100.0))
    validation_quota = F.when(
        unsplit | (F.col("source_split") == "train"),
        F.round(F.col("_size") * float(validation_percent) / 100.0),
    )
    last_test = F.coalesce(test_quota, F.lit(0.0))
    last_validation = last_test + F.coalesce(validation_quota, F.lit(0.0))
    return (
        df.withColumn("_kept", F.col("reason").isNull())
        .select(
            "*",
            F.row_number().over(pool).alias("_rank"),
            F.count(F.lit(1)).over(whole_pool).alias("_size"),
        )
        .withColumn(
            "split",
            F.when(~F.col("_kept"), F.lit(None).cast("string"))
            .when(F.col("source_split") == "test", F.lit("test"))
            .when(F.col("_rank") <= last_test, F.lit("test"))
            .when(F.col("_rank") <= last_validation, F.lit("validation"))
            .otherwise(F.lit("train")),
        )
        .drop("_kept", "_rank", "_size")
    )


def clean_reviews(raw: DataFrame, config: JobConfig) -> DataFrame:
    """Raw rows (RAW_SCHEMA) -> every row once, with a ``reason`` or a ``split``."""
    classified = assign_channels(
        flag_rejects(
            normalize_reviews(raw), min_chars=config.min_chars, max_chars=config.max_chars
        ),
        validation_percent=config.validation_percent,
        test_percent=config.test_percent,
    )
    # Kept rows need no raw copy (raw/ keeps it); rejected rows keep it so nothing is lost.
    return classified.withColumn(
        "raw_review", F.when(F.col("reason").isNotNull(), F.col("raw_review"))
    )


def processed_view(classified: DataFrame) -> DataFrame:
    return classified.filter(F.col("reason").isNull()).select(*PROCESSED_COLUMNS)


def quarantine_view(classified: DataFrame) -> DataFrame:
    return classified.filter(F.col("reason").isNotNull()).select(*QUARANTINE_COLUMNS)


def curated_view(classified: DataFrame, channel: str) -> DataFrame:
    return classified.filter(F.col("split") == channel).select(*CURATED_COLUMNS)


def summarize(classified: DataFrame, config: JobConfig, input_format: str) -> dict:
    """Counts for summary.json from one small aggregation over the classified rows."""
    counts = (
        classified.groupBy("reason", "split", "sentiment", "source_split")
        .agg(
            F.count(F.lit(1)).alias("rows"),
            F.sum(F.col("conflicting_label").cast("int")).alias("conflicts"),
        )
        .collect()
    )
    by_reason = dict.fromkeys(REASONS, 0)
    channels = {c: {"rows": 0, **dict.fromkeys(SENTIMENTS, 0)} for c in CHANNELS}
    source_splits: dict[str, dict[str, int]] = {}
    conflicts = 0
    for row in counts:
        source = source_splits.setdefault(
            row["source_split"], {"input_rows": 0, "processed_rows": 0, "quarantined_rows": 0}
        )
        source["input_rows"] += row["rows"]
        if row["reason"] is None:
            source["processed_rows"] += row["rows"]
            channels[row["split"]]["rows"] += row["rows"]
            channels[row["split"]][row["sentiment"]] += row["rows"]
        else:
            source["quarantined_rows"] += row["rows"]
            by_reason[row["reason"]] += row["rows"]
            conflicts += row["conflicts"] or 0
    input_rows = sum(row["rows"] for row in counts)
    quarantined = sum(by_reason.values())
    processed = sum(c["rows"] for c in channels.values())
    positive = sum(c["positive"] for c in channels.values())
    share = quarantined / input_rows if input_rows else 1.0
    return {
        "input_paths": list(config.input_paths),
        "input_format": input_format,
        "split_from_filename": config.split_from_filename,
        "input_rows": input_rows,
        "processed_rows": processed,
        "quarantined_rows": quarantined,
        "quarantine_share": round(share, 6),
        "passed": input_rows > 0 and share <= config.max_quarantine_share,
        "quarantined_by_reason": by_reason,
        "duplicates_with_conflicting_label": conflicts,
        "source_splits": dict(sorted(source_splits.items())),
        "channels": channels,
        "label_balance": {
            "positive": positive,
            "negative": processed - positive,
            "positive_share": round(positive / processed, 6) if processed else None,
        },
        "thresholds": config.thresholds(),
    }


# ------------------------------------------------------------------------------ reading


def _hadoop_fs(spark: SparkSession, path: str):
    jvm = spark.sparkContext._jvm
    jpath = jvm.org.apache.hadoop.fs.Path(path)
    return jpath.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), jpath


def _glob(spark: SparkSession, pattern: str) -> list[str]:
    fs, jpath = _hadoop_fs(spark, pattern)
    statuses = fs.globStatus(jpath)
    if statuses is None:
        return []
    return sorted(s.getPath().toString() for s in statuses if s.isFile())


def _matches(spark: SparkSession, pattern: str) -> bool:
    # len() of the Java array is one gateway call, not one per file: an aclImdb tree
    # holds 50,000 of them.
    fs, jpath = _hadoop_fs(spark, pattern)
    statuses = fs.globStatus(jpath)
    return statuses is not None and len(statuses) > 0


def _is_csv_name(path: str) -> bool:
    return path.lower().endswith((".csv", ".csv.gz"))


def resolve_input(spark: SparkSession, paths: tuple[str, ...], input_format: str):
    """Return (format, paths for Spark): CSV files, or aclImdb directory globs.

    Uses the Hadoop FileSystem, so it behaves the same on S3 in Glue and on local disk.
    A directory is searched for ``*.csv``/``*.csv.gz`` at its top level and one level
    down, and for an aclImdb tree (``train|test/pos|neg/*.txt``) at the same depths;
    other files (README, aclImdb ``unsup/``, vocabularies) are ignored.
    """
    csv_files: list[str] = []
    acl_patterns: list[str] = []
    for path in paths:
        fs, jpath = _hadoop_fs(spark, path)
        if not fs.exists(jpath):
            raise FileNotFoundError(f"input path does not exist: {path}")
        if fs.getFileStatus(jpath).isFile():
            if not _is_csv_name(path) and input_format != "csv":
                raise ValueError(f"input file is not .csv or .csv.gz: {path}")
            csv_files.append(fs.makeQualified(jpath).toString())
            continue
        root = path.rstrip("/")
        for prefix in (root, f"{root}/*"):
            for suffix in ("*.csv", "*.csv.gz"):
                csv_files += _glob(spark, f"{prefix}/{suffix}")
            pattern = f"{prefix}/{_ACLIMDB_DIRS}"
            if _matches(spark, f"{pattern}/*.txt"):
                acl_patterns.append(pattern)
    csv_files = sorted(set(csv_files))
    if input_format == "auto":
        if csv_files and acl_patterns:
            raise ValueError(
                "input holds both CSV files and an aclImdb tree; pass input_format csv or aclimdb"
            )
        input_format = "csv" if csv_files else "aclimdb"
    found = csv_files if input_format == "csv" else acl_patterns
    if not found:
        raise FileNotFoundError(f"no {input_format} input found under {', '.join(paths)}")
    return input_format, found


def _source_split_from_name(path: Column) -> Column:
    name = F.lower(F.regexp_extract(path, r"([^/]+)$", 1))
    return (
        F.when(name.startswith("train"), F.lit("train"))
        .when(name.startswith("test"), F.lit("test"))
        .otherwise(F.lit("unsplit"))
    )


def read_csv_reviews(
    spark: SparkSession, files: list[str], *, split_from_filename: bool = False
) -> DataFrame:
    """CSV files with a ``review`` and a ``sentiment`` column -> RAW_SCHEMA rows.

    A record the parser cannot fit to the header (an unquoted comma, a missing column)
    is kept whole in ``raw_record`` instead of being dropped or half-read.
    """
    header = spark.read.options(**CSV_READ_OPTIONS).csv(files[0]).columns
    names = {name.strip().lower(): name for name in header}
    missing = {"review", "sentiment"} - names.keys()
    if missing:
        raise ValueError(f"CSV header {header} lacks column(s) {sorted(missing)}: {files[0]}")
    schema = T.StructType(
        [T.StructField(name, T.StringType()) for name in header]
        + [T.StructField(CORRUPT_COLUMN, T.StringType())]
    )
    split = (
        _source_split_from_name(F.col("source_file")) if split_from_filename else F.lit("unsplit")
    )

    def read_one(path: str) -> DataFrame:
        # One read per file: a multiLine CSV file is never split, so each file is exactly
        # one partition and the low 33 bits of monotonically_increasing_id (the position
        # within the partition) are the record index within the file.
        return (
            spark.read.schema(schema)
            .options(**CSV_READ_OPTIONS)
            .option("columnNameOfCorruptRecord", CORRUPT_COLUMN)
            # Every file's header must match the first one's by name, so a file with other
            # or reordered columns fails loudly instead of being read by position.
            .option("enforceSchema", "false")
            .csv(path)
            .select(
                F.col(names["review"]).alias("raw_review"),
                F.col(names["sentiment"]).alias("raw_sentiment"),
                F.col(CORRUPT_COLUMN).alias("raw_record"),
                F.col("_metadata.file_path").alias("source_file"),
                F.monotonically_increasing_id().bitwiseAND((1 << 33) - 1).alias("source_row"),
            )
        )

    return functools.reduce(DataFrame.unionByName, map(read_one, files)).select(
        "raw_review",
        "raw_sentiment",
        "raw_record",
        split.alias("source_split"),
        "source_file",
        "source_row",
        F.lit(None).cast("string").alias("source_id"),
        F.lit(None).cast("int").alias("rating"),
    )


def read_aclimdb_reviews(spark: SparkSession, patterns: list[str]) -> DataFrame:
    """aclImdb ``{train,test}/{pos,neg}/<id>_<rating>.txt`` files -> RAW_SCHEMA rows.

    ``patterns`` are globs of the label directories, as ``resolve_input`` returns them.
    """
    path = F.col("_metadata.file_path")
    # Spark gives small files about one partition per 32 (spark.sql.files.openCostInBytes):
    # 1,500 tasks for aclImdb. A few partitions per core run the UDF with far less overhead.
    partitions = max(1, 4 * spark.sparkContext.defaultParallelism)

    def part(group: int) -> Column:
        return F.regexp_extract(path, _ACLIMDB_PATH, group)

    rating = part(4)
    files = spark.read.option("pathGlobFilter", "*.txt").text(patterns, wholetext=True)
    return files.coalesce(partitions).select(
        F.col("value").alias("raw_review"),
        part(2).alias("raw_sentiment"),
        F.lit(None).cast("string").alias("raw_record"),
        part(1).alias("source_split"),
        path.alias("source_file"),
        F.lit(0).cast("long").alias("source_row"),
        part(3).alias("source_id"),
        F.when(rating != "", rating.cast("int")).alias("rating"),
    )


def read_raw(spark: SparkSession, config: JobConfig) -> tuple[str, DataFrame]:
    input_format, found = resolve_input(spark, config.input_paths, config.input_format)
    if input_format == "csv":
        raw = read_csv_reviews(spark, found, split_from_filename=config.split_from_filename)
    else:
        raw = read_aclimdb_reviews(spark, found)
    return input_format, raw


# ------------------------------------------------------------------------------ writing


def write_text(spark: SparkSession, path: str, text: str) -> None:
    """Write one small file through Hadoop, so s3:// in Glue goes through EMRFS and its
    security configuration (KMS) exactly like the Parquet and CSV outputs."""
    fs, jpath = _hadoop_fs(spark, path)
    stream = fs.create(jpath, True)
    try:
        stream.write(bytearray(text.encode("utf-8")))
    finally:
        stream.close()


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


def _run_concurrently(*writes: Callable[[], None]) -> None:
    # Each curated channel is written by a single task; submitting the writes together
    # lets Spark run them side by side instead of leaving cores idle.
    with ThreadPoolExecutor(max_workers=len(writes)) as pool:
        for future in [pool.submit(write) for write in writes]:
            future.result()


def run(spark: SparkSession, config: JobConfig) -> dict:
    """Read, clean, write. Returns the summary; raises QuarantineThresholdError.

    Deduplication needs the whole corpus, so every run recomputes from all of raw/ and
    overwrites its outputs (idempotent). Raw is read with plain ``spark.read`` rather
    than a bookmarked DynamicFrame: Glue job bookmarks would hand over only new files and
    break deduplication, and the local twin behaves the same way.
    """
    # Channels are copied to SageMaker as whole prefixes: no _SUCCESS marker files.
    spark.sparkContext._jsc.hadoopConfiguration().set(
        "mapreduce.fileoutputcommitter.marksuccessfuljobs", "false"
    )
    input_format, raw = read_raw(spark, config)
    # Computed once (parse, normalise, two window passes) and read by the summary and all
    # five writes.
    classified = clean_reviews(raw, config).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        summary = summarize(classified, config, input_format)
        if summary["input_rows"] != summary["processed_rows"] + summary["quarantined_rows"]:
            raise RuntimeError(f"rows lost or doubled, a bug in this job: {summary}")
        summary_text = json.dumps(summary, indent=2) + "\n"
        if not summary["passed"]:
            # Evidence only; processed/ and curated/ keep the last good run's data.
            write_quarantine(classified, config.quarantine_path)
            write_text(spark, config.summary_path, summary_text)
            raise QuarantineThresholdError(summary)
        _run_concurrently(
            lambda: write_quarantine(classified, config.quarantine_path),
            lambda: write_processed(classified, config.processed_path),
            *[
                functools.partial(write_curated, classified, config.curated_path, channel)
                for channel in CHANNELS
            ],
        )
        # Written last, so a summary with passed=true means every output is complete.
        write_text(spark, config.summary_path, summary_text)
    finally:
        classified.unpersist()
    return summary


# --------------------------------------------------------------------- local entry point


def _repo_common_dir() -> Path | None:
    candidate = Path(__file__).resolve().parents[1] / "common"
    return candidate if (candidate / "text_normalization.py").is_file() else None


def build_local_spark(
    *, master: str = "local[2]", shuffle_partitions: int = 4, app_name: str = "clean-reviews"
) -> SparkSession:
    """A laptop-sized SparkSession whose Python workers can import the normaliser."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # Workers must run this interpreter (the venv with pandas and pyarrow), not "python3".
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    common = _repo_common_dir()
    if common is not None and str(common) not in sys.path:
        sys.path.insert(0, str(common))
    spark = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "2g")
        .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    if common is not None:
        spark.sparkContext.addPyFile(str(common / "text_normalization.py"))
    # No .crc side files next to local outputs (S3 has none either).
    spark.sparkContext._jvm.org.apache.hadoop.fs.FileSystem.getLocal(
        spark.sparkContext._jsc.hadoopConfiguration()
    ).setWriteChecksum(False)
    return spark


def _add_options(parser: argparse.ArgumentParser) -> None:
    defaults = {f.name: f.default for f in fields(JobConfig)}
    # Both spellings: dashes for people, underscores as the Glue job arguments name them.
    for name, kind in (
        ("min_chars", int),
        ("max_chars", int),
        ("validation_percent", float),
        ("test_percent", float),
        ("max_quarantine_share", float),
    ):
        parser.add_argument(
            f"--{name.replace('_', '-')}", f"--{name}", type=kind, default=defaults[name]
        )
    parser.add_argument("--input-format", "--input_format", choices=INPUT_FORMATS, default="auto")
    parser.add_argument(
        "--split-from-filename",
        "--split_from_filename",
        action="store_true",
        help="CSV files named train*/test* hold the original train/test split",
    )


def _options(args: argparse.Namespace) -> dict:
    return {
        "input_format": args.input_format,
        "min_chars": args.min_chars,
        "max_chars": args.max_chars,
        "validation_percent": args.validation_percent,
        "test_percent": args.test_percent,
        "max_quarantine_share": args.max_quarantine_share,
        "split_from_filename": args.split_from_filename,
    }


def _absolute(path: str) -> str:
    return path if "://" in path else str(Path(path).resolve())


def local_main(argv: list[str] | None = None) -> int:
    """``--local --input PATH [PATH ...] --output DIR [options]``: run on local Spark."""
    parser = argparse.ArgumentParser(
        prog="clean_reviews.py --local", description=local_main.__doc__
    )
    parser.add_argument("--local", action="store_true", help="run on local Spark")
    parser.add_argument(
        "--input",
        nargs="+",
        required=True,
        help="CSV file(s), or a directory with CSV files or an aclImdb tree",
    )
    parser.add_argument("--output", required=True, help="directory for all outputs")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--shuffle-partitions", type=int, default=4)
    _add_options(parser)
    args = parser.parse_args(argv)
    config = JobConfig.for_output_dir(
        [_absolute(p) for p in args.input], _absolute(args.output), **_options(args)
    )
    spark = build_local_spark(master=args.master, shuffle_partitions=args.shuffle_partitions)
    try:
        summary = run(spark, config)
    except QuarantineThresholdError as error:
        print(json.dumps(error.summary, indent=2))
        print(f"clean_reviews: FAILED: {error}", file=sys.stderr)
        return 3
    print(json.dumps(summary, indent=2))
    return 0


# ---------------------------------------------------------------------- Glue entry point

GLUE_REQUIRED = (
    "JOB_NAME",
    "raw_path",
    "processed_path",
    "quarantine_path",
    "curated_path",
    "summary_path",
)
GLUE_OPTIONAL = (
    "input_format",
    "min_chars",
    "max_chars",
    "validation_percent",
    "test_percent",
    "max_quarantine_share",
    "split_from_filename",
)


def config_from_glue_args(args: dict) -> JobConfig:
    """Resolved Glue arguments -> JobConfig; absent optional ones keep their defaults."""
    casts = {
        "input_format": str,
        "min_chars": int,
        "max_chars": int,
        "validation_percent": float,
        "test_percent": float,
        "max_quarantine_share": float,
        "split_from_filename": lambda value: value.strip().lower() in ("true", "1", "yes"),
    }
    options = {name: casts[name](args[name]) for name in GLUE_OPTIONAL if name in args}
    return JobConfig(
        # A comma-separated list is allowed, e.g. two CSV files.
        input_paths=tuple(p.strip() for p in args["raw_path"].split(",") if p.strip()),
        processed_path=args["processed_path"],
        quarantine_path=args["quarantine_path"],
        curated_path=args["curated_path"],
        summary_path=args["summary_path"],
        **options,
    )


def main(argv: list[str] | None = None) -> None:
    """AWS Glue entry point (Glue 5.x: Spark 3.5, Python 3.11)."""
    from awsglue.context import GlueContext
    from awsglue.job import Job
    from awsglue.utils import getResolvedOptions
    from pyspark.context import SparkContext

    argv = sys.argv if argv is None else argv
    # getResolvedOptions fails on a listed but absent argument: ask only for those given.
    optional = [name for name in GLUE_OPTIONAL if f"--{name}" in argv]
    args = getResolvedOptions(argv, [*GLUE_REQUIRED, *optional])
    glue_context = GlueContext(SparkContext.getOrCreate())
    job = Job(glue_context)
    job.init(args["JOB_NAME"], args)
    # The stack may pass --job-bookmark-option; run() reads raw with plain spark.read, so
    # bookmarks never narrow the input (deduplication needs all of it; see run()).
    summary = run(glue_context.spark_session, config_from_glue_args(args))
    print(json.dumps(summary))
    job.commit()


if __name__ == "__main__":
    if "--local" in sys.argv[1:]:
        sys.exit(local_main(sys.argv[1:]))
    main()
