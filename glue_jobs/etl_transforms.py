"""The pure DataFrame transforms: RAW_SCHEMA rows -> every row once, kept or quarantined.

Spark DataFrame API only, no I/O, so each is tested on small local DataFrames. The rules
the model and the API must share come from `common/`: text cleaning and the empty
review (`text_normalization`), the accepted labels (`review_labels`).

Duplicates are found on ``review_id``, the sha256 of a comparison key: the clean text
in lower case, without spaces. Copies that differ only in case, spacing or markup are
one review, and only one of them is kept (with its case), so no review reaches two
channels.

Channel assignment (``split``): rows from an original test split all go to ``test``;
from an original train split, ``validation_percent`` of each label goes to
``validation`` and the rest to ``train``; rows with no original split (a plain CSV) give
``test_percent`` of each label to ``test`` and ``validation_percent`` to ``validation``.
Within each (original split, label) pool rows are ranked by ``review_id``, so the choice
is stratified, exact up to rounding (half up), the same on every run, and independent of
which copy of a review was kept.
"""

from __future__ import annotations

from collections.abc import Callable

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F  # noqa: N812 (the PySpark convention)
from pyspark.sql import types as T  # noqa: N812

from etl_config import JobConfig
from etl_raw_text import DECODED_ENCODINGS
from review_labels import EDGE_PATTERN, LABEL_KEYS, SENTIMENT_NAMES

# Checks run in this order and the first failing one names the reason, so a rejected row
# is quarantined exactly once. "duplicate" is decided last, among rows that passed the rest.
REASONS = (
    # a CSV record that swallowed the lines after it (etl_raw_text.absorbed_lines)
    "unterminated_quote",
    "unparseable",
    # bytes that are neither UTF-8 nor Windows-1252 (etl_raw_text)
    "invalid_encoding",
    "missing_label",
    "unknown_label",
    "empty_text",
    # not one letter in any script: only punctuation, digits, symbols or emoji
    "no_words",
    "too_short",
    "too_long",
    "duplicate",
)

# Where a duplicate text is kept: the original test split first, so the test split stays
# intact and no test text is left in train under another copy; then train, then unsplit.
SPLIT_PRIORITY = {"test": 0, "train": 1, "unsplit": 2}


def _map_of(mapping: dict) -> Column:
    return F.create_map(*[F.lit(x) for item in mapping.items() for x in item])


def label_key_expr(raw: Column) -> Column:
    """`review_labels.label_key` as a Spark expression: edges stripped, lower case.

    (?U) makes Java's \\s Unicode-aware, as Python's is by default.
    """
    return F.lower(F.regexp_replace(raw, "(?U)" + EDGE_PATTERN, ""))


def label_expr(raw: Column) -> Column:
    """`review_labels.parse_label` as a Spark expression: 1, 0, or null."""
    return _map_of(LABEL_KEYS)[label_key_expr(raw)].cast("int")


def _normalize_udf() -> Callable[[Column], Column]:
    """The shared normaliser as a Spark UDF (built on call, so importing runs nothing).

    A row-at-a-time UDF rather than a pandas_udf: the normaliser is pure Python either
    way, and workers then start without importing pandas and pyarrow, which costs more
    than Arrow saves at this data size.
    """

    def normalize(text: str | None) -> str:
        # Imported on the worker: Glue ships the module with --extra-py-files, the local
        # twin with SparkContext.addPyFile (see etl_local_spark).
        from text_normalization import normalize_text

        return normalize_text(text)

    return F.udf(normalize, T.StringType())


def comparison_key(review: Column) -> Column:
    """What two copies of a review share: the clean text in lower case, without spaces.

    The clean text has no markup and single spaces only, so dropping the spaces collapses
    whitespace and the spacing around punctuation ("Friday ,I" ~ "Friday, I"), and the
    gaps markup left. Texts that differ only in where a space falls are one review: on
    the 50,000 IMDb reviews that finds two copies more than equal clean texts do
    ("Friday, I" ~ "Friday,I", "in it" ~ "init") and merges nothing else. A plain
    replace, not a regex: a per-character regex over every review costs the job seconds.
    """
    return F.replace(F.lower(review), F.lit(" "), F.lit(""))


def normalize_reviews(raw: DataFrame) -> DataFrame:
    """Add clean ``review``, ``sentiment``/``label``, ``review_id`` and length features.

    ``review_id`` is the sha256 hex of the ``comparison_key``, so copies of a review
    share an id: it is the deduplication key and stays stable across runs and
    environments, whichever copy is kept.
    """
    return (
        raw.withColumn("review", _normalize_udf()(F.col("raw_review")))
        .withColumn("label", label_expr(F.col("raw_sentiment")))
        .withColumn("sentiment", _map_of(SENTIMENT_NAMES)[F.col("label")])
        .withColumn("review_id", F.sha2(comparison_key(F.col("review")), 256))
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


def _failed_check(*, min_chars: int, max_chars: int) -> Column:
    """The first of REASONS (but duplicate) that a normalised row fails, else null."""
    return (
        F.when(F.col("absorbed_lines").isNotNull(), F.lit("unterminated_quote"))
        .when(F.col("raw_record").isNotNull(), F.lit("unparseable"))
        .when(
            ~F.coalesce(F.col("source_encoding").isin(*DECODED_ENCODINGS), F.lit(False)),
            F.lit("invalid_encoding"),
        )
        # Nothing left of the label once its edges are stripped: null, blank, or only
        # quotes and punctuation. Something left that the table does not know: unknown.
        .when(
            F.coalesce(label_key_expr(F.col("raw_sentiment")), F.lit("")) == "",
            F.lit("missing_label"),
        )
        .when(F.col("label").isNull(), F.lit("unknown_label"))
        # review is normalize_text(raw_review), so this is text_normalization's
        # is_empty_review(raw_review), without normalising every review a second time.
        .when(F.col("review") == "", F.lit("empty_text"))
        # \p{L}: a letter of any script, the categories Python's str.isalpha() accepts.
        .when(~F.col("review").rlike(r"\p{L}"), F.lit("no_words"))
        .when(F.col("char_count") < min_chars, F.lit("too_short"))
        .when(F.col("char_count") > max_chars, F.lit("too_long"))
    )


def flag_rejects(df: DataFrame, *, min_chars: int, max_chars: int) -> DataFrame:
    """Add ``reason`` (null for kept rows) and ``conflicting_label``.

    Checks run in REASONS order and the first failing one names the reason. Of the rows
    that pass every other check and share a ``review_id`` (copies of one review), one is
    kept, its text as it is (case included): the one from the original test split, else
    train, else unsplit; ties go to the smallest (source_file, source_row). The ordering
    is total, so the choice never varies.
    ``conflicting_label`` marks a duplicate whose label disagrees with the kept copy's:
    it says the source labels are noisy, not just repeated.
    """
    copies = Window.partitionBy("review_id").orderBy(
        F.col("_failed").isNotNull(),
        _map_of(SPLIT_PRIORITY)[F.col("source_split")],
        "source_file",
        "source_row",
    )
    is_duplicate = F.col("_failed").isNull() & (F.col("_copy") > 1)
    return (
        df.withColumn("_failed", _failed_check(min_chars=min_chars, max_chars=max_chars))
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
    flagged = flag_rejects(
        normalize_reviews(raw), min_chars=config.min_chars, max_chars=config.max_chars
    )
    classified = assign_channels(
        flagged, validation_percent=config.validation_percent, test_percent=config.test_percent
    )
    # Kept rows need no raw copy (raw/ keeps it); rejected rows keep it so nothing is lost.
    return classified.withColumn(
        "raw_review", F.when(F.col("reason").isNotNull(), F.col("raw_review"))
    )
