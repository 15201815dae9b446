"""The run summary (summary.json): counts in, out and per reason, channels, label balance,
source encodings, and the input lines unterminated quotes swallowed (and where).

It is also the run's verdict: ``passed`` is false when too large a share of the input
was quarantined, and the run then stops with QuarantineThresholdError.
"""

from __future__ import annotations

from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F  # noqa: N812 (the PySpark convention)

from etl_config import JobConfig
from etl_raw_text import DECODED_ENCODINGS
from etl_transforms import REASONS
from lake_layout import CHANNELS
from review_labels import POSITIVE, SENTIMENT_NAMES

POSITIVE_NAME = SENTIMENT_NAMES[POSITIVE]
UNTERMINATED = "unterminated_quote"
UNDECODABLE = "undecodable"
# The summary lists this many unterminated_quote records; the quarantine holds them all.
MAX_LISTED_RECORDS = 20


class QuarantineThresholdError(RuntimeError):
    """Too large a share of the input was quarantined; the summary says why."""

    def __init__(self, summary: dict[str, Any]) -> None:
        self.summary = summary
        super().__init__(_failure_message(summary))


def _failure_message(summary: dict[str, Any]) -> str:
    if not summary["input_rows"]:
        return "the input holds no review rows"
    reasons = ", ".join(
        f"{reason}={count}" for reason, count in summary["quarantined_by_reason"].items() if count
    )
    return (
        f"quarantined {summary['quarantined_rows']} of {summary['input_rows']} input "
        f"rows (share {summary['quarantine_share']:.4f}) > max_quarantine_share "
        f"{summary['thresholds']['max_quarantine_share']}: {reasons or 'no rows'}. "
        "Quarantine and summary were written; processed and curated were left as they were."
    )


def _tally(counts: list[Any]) -> tuple[dict, dict, dict, int]:
    """Per reason, per channel (and sentiment), per source split, and label conflicts."""
    by_reason = dict.fromkeys(REASONS, 0)
    channels = {c: {"rows": 0, **dict.fromkeys(SENTIMENT_NAMES.values(), 0)} for c in CHANNELS}
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
    return by_reason, channels, dict(sorted(source_splits.items())), conflicts


def _encodings(counts: list[Any]) -> dict[str, int]:
    """Input rows per source encoding; "undecodable" for invalid_encoding's bytes."""
    found = dict.fromkeys([*DECODED_ENCODINGS, UNDECODABLE], 0)
    for row in counts:
        found[row["source_encoding"] or UNDECODABLE] += row["rows"]
    return found


def _unterminated_quotes(classified: DataFrame, counts: list[Any]) -> dict[str, Any]:
    """How many input lines unterminated quotes swallowed, and where: the first records
    that did, by file, record index and the start of the broken line (to search for: Spark
    skips blank lines, so a line number computed from records could mislead)."""
    absorbed = sum(row["absorbed"] or 0 for row in counts if row["reason"] == UNTERMINATED)
    records: list[dict[str, Any]] = []
    if absorbed:
        first_line = F.substring_index(F.coalesce("raw_record", "raw_review"), "\n", 1)
        records = [
            row.asDict()
            for row in classified.filter(F.col("reason") == UNTERMINATED)
            .select(
                "source_file",
                "source_row",
                "absorbed_lines",
                F.substring(first_line, 1, 80).alias("line_starts"),
            )
            .orderBy("source_file", "source_row")
            .limit(MAX_LISTED_RECORDS)
            .collect()
        ]
    return {"absorbed_lines": absorbed, "records": records}


def summarize(classified: DataFrame, config: JobConfig, input_format: str) -> dict[str, Any]:
    """Counts for summary.json from one small aggregation over the classified rows."""
    counts = (
        classified.groupBy("reason", "split", "sentiment", "source_split", "source_encoding")
        .agg(
            F.count(F.lit(1)).alias("rows"),
            F.sum(F.col("conflicting_label").cast("int")).alias("conflicts"),
            F.sum("absorbed_lines").alias("absorbed"),
        )
        .collect()
    )
    by_reason, channels, source_splits, conflicts = _tally(counts)
    input_rows = sum(row["rows"] for row in counts)
    quarantined = sum(by_reason.values())
    processed = sum(c["rows"] for c in channels.values())
    positive = sum(c[POSITIVE_NAME] for c in channels.values())
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
        # Not rows: input lines inside unterminated_quote records, beyond their first.
        "unterminated_quote": _unterminated_quotes(classified, counts),
        "source_encodings": _encodings(counts),
        "source_splits": source_splits,
        "channels": channels,
        "label_balance": {
            "positive": positive,
            "negative": processed - positive,
            "positive_share": round(positive / processed, 6) if processed else None,
        },
        "thresholds": config.thresholds(),
    }
