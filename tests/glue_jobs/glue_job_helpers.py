"""Small helpers the ETL job's test modules share."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

from etl_config import JobConfig

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def config(**options) -> JobConfig:
    """A local JobConfig whose paths are never touched (transform and reader tests)."""
    return JobConfig.for_output_dir(["unused"], "/unused", **options)


def by_row(df) -> dict:
    """The collected rows of ``df`` by source_row."""
    return {r["source_row"]: r for r in df.collect()}


def read_curated(directory: Path) -> tuple[list[str], list[dict]]:
    """The header and rows of one curated channel's single gzip CSV file."""
    (part,) = directory.glob("*.csv.gz")  # one file per channel, nothing else
    with gzip.open(part, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)
