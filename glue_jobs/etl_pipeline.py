"""One run of the job: read all of raw, classify every row once, summarise, write.

Both entry points call `run`: Glue's `main()` with S3 paths, the local twin with local
ones. Deduplication needs the whole corpus, so every run recomputes from all of raw and
overwrites its outputs (idempotent).
"""

from __future__ import annotations

import functools
import json
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import SparkSession

from etl_config import JobConfig
from etl_hadoop import write_text
from etl_readers import read_raw
from etl_summary import QuarantineThresholdError, summarize
from etl_transforms import clean_reviews
from etl_writers import (
    run_concurrently,
    write_curated,
    write_processed,
    write_quarantine,
    write_scoring,
)
from lake_layout import CHANNELS


def run(spark: SparkSession, config: JobConfig) -> dict[str, Any]:
    """Read, clean, write. Returns the summary; raises QuarantineThresholdError.

    On failure only the quarantine (the evidence) and the summary are written;
    processed/ and curated/ keep the last good run's data.
    """
    # Channels are copied to SageMaker as whole prefixes: no _SUCCESS marker files.
    spark.sparkContext._jsc.hadoopConfiguration().set(
        "mapreduce.fileoutputcommitter.marksuccessfuljobs", "false"
    )
    input_format, raw = read_raw(spark, config)
    # Computed once (parse, normalise, two window passes) and read by the summary and all
    # six writes.
    classified = clean_reviews(raw, config).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        summary = summarize(classified, config, input_format)
        summary_text = json.dumps(summary, indent=2) + "\n"
        if not summary["passed"]:
            write_quarantine(classified, config.quarantine_path)
            write_text(spark, config.summary_path, summary_text)
            raise QuarantineThresholdError(summary)
        run_concurrently(
            functools.partial(write_quarantine, classified, config.quarantine_path),
            functools.partial(write_processed, classified, config.processed_path),
            *[
                functools.partial(write_curated, classified, config.curated_path, channel)
                for channel in CHANNELS
            ],
            functools.partial(write_scoring, classified, config.curated_path),
        )
        # Written last, so a summary with passed=true means every output is complete.
        write_text(spark, config.summary_path, summary_text)
    finally:
        classified.unpersist()
    return summary
