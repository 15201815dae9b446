"""One local SparkSession for all ETL job tests, and a builder for raw-row DataFrames."""

from __future__ import annotations

import pytest

from etl_local_spark import build_local_spark
from etl_readers import RAW_SCHEMA


@pytest.fixture(scope="session")
def spark():
    # Two shuffle partitions: enough to exercise shuffles, few enough to stay fast.
    session = build_local_spark(master="local[2]", shuffle_partitions=2, app_name="etl-tests")
    yield session
    session.stop()


def raw_row(
    text: str | None,
    label: str | None,
    *,
    row: int,
    split: str = "unsplit",
    file: str = "file:/raw/reviews.csv",
    record: str | None = None,
    source_id: str | None = None,
    rating: int | None = None,
    encoding: str | None = "utf-8",
    absorbed: int | None = None,
) -> tuple:
    """One row in RAW_SCHEMA order, as the readers produce it."""
    return (text, label, record, split, file, row, source_id, rating, encoding, absorbed)


@pytest.fixture(scope="session")
def make_raw(spark):
    def make(rows: list[tuple]):
        return spark.createDataFrame(rows, RAW_SCHEMA)

    return make


@pytest.fixture(scope="session")
def row():
    return raw_row
