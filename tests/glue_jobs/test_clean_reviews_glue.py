"""The Glue entry point, main(), on local Spark with stand-ins for the awsglue modules."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
from types import ModuleType

import pandas as pd
import pytest
from glue_job_helpers import SAMPLE, read_curated

from clean_reviews import main
from etl_transforms import REASONS
from lake_layout import CHANNELS

pytestmark = pytest.mark.spark


def _fake_awsglue(spark, calls: dict) -> dict[str, ModuleType]:
    """Stand-ins for the awsglue modules, which exist only inside AWS Glue."""

    class GlueContext:
        def __init__(self, spark_context):
            calls["spark_context"] = spark_context
            self.spark_session = spark

    class Job:
        def __init__(self, glue_context):
            self.glue_context = glue_context

        def init(self, name, args):
            calls["init"] = (name, dict(args))

        def commit(self):
            calls["commits"] = calls.get("commits", 0) + 1

    def get_resolved_options(argv, names):
        # Like awsglue.utils.getResolvedOptions: every listed name is required, others
        # (such as Glue's own --job-bookmark-option) are ignored.
        parser = argparse.ArgumentParser()
        for name in names:
            parser.add_argument(f"--{name}", required=True)
        return vars(parser.parse_known_args(argv[1:])[0])

    modules = {name: ModuleType(name) for name in ("awsglue", "awsglue.context", "awsglue.job")}
    modules["awsglue.utils"] = ModuleType("awsglue.utils")
    modules["awsglue.context"].GlueContext = GlueContext
    modules["awsglue.job"].Job = Job
    modules["awsglue.utils"].getResolvedOptions = get_resolved_options
    return modules


def test_glue_main_runs_the_job_on_the_aclimdb_sample_and_commits(spark, tmp_path, monkeypatch):
    calls: dict = {}
    for name, module in _fake_awsglue(spark, calls).items():
        monkeypatch.setitem(sys.modules, name, module)
    argv = [
        "clean_reviews.py",
        "--JOB_NAME",
        "clean-reviews",
        "--job-bookmark-option",
        "job-bookmark-enable",
        "--raw_path",
        str(SAMPLE / "aclImdb"),
        "--processed_path",
        str(tmp_path / "processed"),
        "--quarantine_path",
        str(tmp_path / "quarantine"),
        "--curated_path",
        str(tmp_path / "curated"),
        "--summary_path",
        str(tmp_path / "summary" / "summary.json"),
        "--max_chars",
        "15000",
    ]
    with contextlib.redirect_stdout(io.StringIO()):
        main(argv)
    assert calls["commits"] == 1
    assert calls["init"][0] == "clean-reviews"
    summary = json.loads((tmp_path / "summary" / "summary.json").read_text())
    assert summary["thresholds"]["max_chars"] == 15000  # optional arguments reach the job
    assert set(summary["quarantined_by_reason"]) == set(REASONS)

    assert summary["input_format"] == "aclimdb"
    assert (summary["input_rows"], summary["processed_rows"]) == (32, 30)
    assert {k: v for k, v in summary["quarantined_by_reason"].items() if v} == {
        "duplicate": 1,
        "too_short": 1,
    }
    # the original test split stays whole; validation comes from train only
    assert summary["channels"]["test"]["rows"] == 16
    assert summary["channels"]["validation"] == {"rows": 2, "negative": 1, "positive": 1}
    assert summary["channels"]["train"]["rows"] == 12
    for channel in CHANNELS:
        assert (
            len(read_curated(tmp_path / "curated" / channel)[1])
            == (summary["channels"][channel]["rows"])
        )

    processed = pd.read_parquet(tmp_path / "processed")
    quarantine = pd.read_parquet(tmp_path / "quarantine")
    (duplicate,) = quarantine[quarantine["reason"] == "duplicate"].itertuples()
    (kept,) = processed[processed["review_id"] == duplicate.review_id].itertuples()
    # the same text in train and test: the test copy is kept, in the test channel
    assert (duplicate.source_split, kept.source_split, str(kept.split)) == ("train", "test", "test")
    assert duplicate.source_file.endswith(f"/train/pos/5_{duplicate.rating}.txt")
    assert set(processed["source_id"].astype(int)) <= set(range(8))
    assert processed["rating"].between(1, 10).all()
