"""End-to-end runs of the ETL job's local twin and Glue wrapper on the shipped sample."""

from __future__ import annotations

import argparse
import contextlib
import csv
import gzip
import io
import json
import math
import re
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

from clean_reviews import CHANNELS, REASONS, local_main, main

pytestmark = pytest.mark.spark

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"


def run_local(*args: str) -> tuple[int, dict, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        # Two shuffle partitions, as the test session was built with.
        code = local_main(["--local", "--shuffle-partitions", "2", *args])
    return code, json.loads(out.getvalue()), err.getvalue()


def read_curated(directory: Path) -> tuple[list[str], list[dict]]:
    (part,) = directory.glob("*.csv.gz")  # one file per channel, nothing else
    with gzip.open(part, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def snapshot(output: Path) -> dict:
    """Everything a consumer can read from one run, in a comparable form."""
    processed = pd.read_parquet(output / "processed")
    quarantine = pd.read_parquet(output / "quarantine")
    return {
        "summary": (output / "summary.json").read_text(),
        "curated": {
            channel: gzip.decompress(
                next((output / "curated" / channel).glob("*.csv.gz")).read_bytes()
            )
            for channel in CHANNELS
        },
        "processed": processed.astype(str).sort_values("review_id").to_csv(index=False),
        "quarantine": quarantine.astype(str)
        .sort_values(["source_file", "source_row"])
        .to_csv(index=False),
    }


@pytest.fixture(scope="module")
def csv_run(spark, tmp_path_factory):
    output = tmp_path_factory.mktemp("csv-run")
    code, summary, _ = run_local("--input", str(SAMPLE / "reviews.csv"), "--output", str(output))
    assert code == 0
    return output, summary


def test_sample_csv_summary_balances_and_names_every_reason(csv_run):
    output, summary = csv_run
    assert json.loads((output / "summary.json").read_text()) == summary
    assert summary["input_format"] == "csv"
    assert summary["input_rows"] == 322
    assert summary["input_rows"] == summary["processed_rows"] + summary["quarantined_rows"]
    # make_sample.py plants exactly these rejects
    assert summary["quarantined_by_reason"] == {
        "unparseable": 2,
        "missing_label": 3,
        "unknown_label": 3,
        "empty_text": 3,
        "too_short": 3,
        "too_long": 1,
        "duplicate": 7,
    }
    assert summary["duplicates_with_conflicting_label"] == 1
    assert summary["passed"] is True
    assert summary["quarantine_share"] < summary["thresholds"]["max_quarantine_share"]
    # 150 clean reviews per label, no original split: 10 % test, 10 % validation per label
    assert summary["channels"] == {
        "train": {"rows": 240, "negative": 120, "positive": 120},
        "validation": {"rows": 30, "negative": 15, "positive": 15},
        "test": {"rows": 30, "negative": 15, "positive": 15},
    }
    assert summary["label_balance"] == {"positive": 150, "negative": 150, "positive_share": 0.5}
    assert summary["source_splits"] == {
        "unsplit": {"input_rows": 322, "processed_rows": 300, "quarantined_rows": 22}
    }


def test_outputs_hold_what_the_summary_counts(csv_run):
    output, summary = csv_run
    processed = pd.read_parquet(output / "processed")
    quarantine = pd.read_parquet(output / "quarantine")

    assert len(processed) == summary["processed_rows"]
    assert processed["review_id"].is_unique
    for channel in CHANNELS:
        rows = processed[processed["split"] == channel]
        assert Counter(rows["sentiment"].astype(str)) == {
            s: summary["channels"][channel][s] for s in ("positive", "negative")
        }
    assert dict(Counter(quarantine["reason"].astype(str))) == {
        reason: count for reason, count in summary["quarantined_by_reason"].items() if count
    }
    # nothing is lost: every quarantined row keeps its raw text or its raw record, except
    # the empty field, which the CSV reader gives as null
    unreadable = quarantine[quarantine["raw_review"].isna() & quarantine["raw_record"].isna()]
    assert list(unreadable["reason"].astype(str)) == ["empty_text"]

    by_id = processed.set_index("review_id")
    seen: set[str] = set()
    for channel in CHANNELS:
        header, rows = read_curated(output / "curated" / channel)
        assert header == ["review_id", "review", "sentiment", "label"]
        assert len(rows) == summary["channels"][channel]["rows"]
        ids = {r["review_id"] for r in rows}
        assert not ids & seen, "a review is in two channels"
        seen |= ids
        for r in rows:
            # RFC 4180 round trip: quotes, commas and entities survive the CSV
            assert r["review"] == by_id.loc[r["review_id"], "review"]
            assert r["label"] == {"positive": "1", "negative": "0"}[r["sentiment"]]
            assert str(by_id.loc[r["review_id"], "split"]) == channel
    assert seen == set(processed["review_id"])
    assert any('"' in r for r in processed["review"]), "the sample should exercise quoting"
    assert not any(re.search(r"<br|&amp;|&quot;|\u200b|\s\s", r) for r in processed["review"])


def test_rerun_on_the_same_input_writes_the_same_data(csv_run):
    output, _ = csv_run
    before = snapshot(output)
    code, _, _ = run_local("--input", str(SAMPLE / "reviews.csv"), "--output", str(output))
    assert code == 0
    assert snapshot(output) == before
    # overwrite, not append: still one data file per channel and no marker files
    for channel in CHANNELS:
        assert [p.suffix for p in (output / "curated" / channel).iterdir()] == [".gz"]


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def test_sample_is_learnable_by_bag_of_words(csv_run):
    output, _ = csv_run
    _, train = read_curated(output / "curated" / "train")
    _, test = read_curated(output / "curated" / "test")
    counts = {"positive": Counter(), "negative": Counter()}
    priors = Counter(r["sentiment"] for r in train)
    for r in train:
        counts[r["sentiment"]].update(_tokens(r["review"]))
    vocabulary = set(counts["positive"]) | set(counts["negative"])

    def predict(text: str) -> str:
        def score(label: str) -> float:
            total = sum(counts[label].values()) + len(vocabulary)
            return math.log(priors[label]) + sum(
                math.log((counts[label][t] + 1) / total) for t in _tokens(text) if t in vocabulary
            )

        return max(("positive", "negative"), key=score)

    accuracy = sum(predict(r["review"]) == r["sentiment"] for r in test) / len(test)
    assert accuracy >= 0.95
    assert predict("A wonderful, brilliant film. I loved it.") == "positive"
    assert predict("An awful, boring waste of time. I hated it.") == "negative"


def test_too_much_quarantine_fails_after_writing_the_evidence(spark, tmp_path):
    code, summary, err = run_local(
        "--input",
        str(SAMPLE / "aclImdb"),
        "--output",
        str(tmp_path),
        "--max-quarantine-share",
        "0.05",
    )
    assert code == 3
    assert "max_quarantine_share 0.05" in err and "duplicate=1" in err
    assert summary["passed"] is False
    assert json.loads((tmp_path / "summary.json").read_text()) == summary
    assert len(pd.read_parquet(tmp_path / "quarantine")) == 2
    assert not (tmp_path / "processed").exists()
    assert not (tmp_path / "curated").exists()


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


def test_make_sample_reproduces_the_committed_sample(tmp_path):
    sys.path.insert(0, str(SAMPLE))
    try:
        import make_sample
    finally:
        sys.path.remove(str(SAMPLE))
    make_sample.write_sample(tmp_path)
    made = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    committed = sorted(
        p.relative_to(SAMPLE)
        for p in SAMPLE.rglob("*")
        if p.is_file() and p.suffix != ".py" and "__pycache__" not in p.parts
    )
    assert made == committed
    for relative in made:
        assert (tmp_path / relative).read_bytes() == (SAMPLE / relative).read_bytes(), relative
    assert sum((SAMPLE / r).stat().st_size for r in committed) < 300_000
