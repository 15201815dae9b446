"""End-to-end runs of the local twin, `clean_reviews.py --local`, on the shipped sample."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import math
import re
import shutil
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from glue_job_helpers import SAMPLE, read_curated

from clean_reviews import local_main
from lake_layout import CHANNELS, SCORING_CHANNEL

pytestmark = pytest.mark.spark


def run_local(*args: str) -> tuple[int, dict, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        # Two shuffle partitions, as the test session was built with.
        code = local_main(["--local", "--shuffle-partitions", "2", *args])
    return code, json.loads(out.getvalue()), err.getvalue()


def snapshot(output: Path) -> dict:
    """Everything a consumer can read from one run, in a comparable form."""
    processed = pd.read_parquet(output / "processed")
    quarantine = pd.read_parquet(output / "quarantine")
    return {
        "summary": (output / "summary.json").read_text(),
        "curated": {
            channel: gzip.decompress(next((output / "curated" / channel).glob("*.gz")).read_bytes())
            for channel in (*CHANNELS, SCORING_CHANNEL)
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
    assert summary["input_rows"] == 329
    assert summary["input_rows"] == summary["processed_rows"] + summary["quarantined_rows"]
    # make_sample.py plants exactly these rejects
    assert summary["quarantined_by_reason"] == {
        "unterminated_quote": 1,
        "unparseable": 2,
        "invalid_encoding": 1,
        "missing_label": 3,
        "unknown_label": 3,
        "empty_text": 3,
        "no_words": 3,
        "too_short": 3,
        "too_long": 1,
        "duplicate": 9,
    }
    assert summary["duplicates_with_conflicting_label"] == 1
    # the broken quote swallowed three lines; where is said by file, record and text
    (broken,) = summary["unterminated_quote"]["records"]
    assert summary["unterminated_quote"]["absorbed_lines"] == broken["absorbed_lines"] == 3
    assert broken["source_file"].endswith("/reviews.csv") and broken["source_row"] == 2
    assert broken["line_starts"] == '"An unterminated quote swallows the rows after it,positive'
    assert summary["source_encodings"] == {"utf-8": 327, "windows-1252": 1, "undecodable": 1}
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
        "unsplit": {"input_rows": 329, "processed_rows": 300, "quarantined_rows": 29}
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
    # scripts and unclosed tags are gone; Windows-1252 bytes were decoded, not replaced
    assert not any(re.search(r"<|alert|onerror|\ufffd", r) for r in processed["review"])
    assert (processed["source_encoding"] == "windows-1252").sum() == 1
    assert processed["review"].str.contains("Caf\u00e9 Nights has a wonderful pacing").any()


def test_rerun_on_the_same_input_writes_the_same_data(csv_run):
    output, _ = csv_run
    before = snapshot(output)
    code, _, _ = run_local("--input", str(SAMPLE / "reviews.csv"), "--output", str(output))
    assert code == 0
    assert snapshot(output) == before
    # overwrite, not append: still one data file per channel and no marker files
    for channel in (*CHANNELS, SCORING_CHANNEL):
        assert [p.suffix for p in (output / "curated" / channel).iterdir()] == [".gz"]


def test_scoring_channel_is_the_test_channel_as_json_lines(csv_run):
    output, summary = csv_run
    (part,) = (output / "curated" / SCORING_CHANNEL).glob("*.json.gz")
    text = gzip.decompress(part.read_bytes()).decode("utf-8")
    lines = [json.loads(line) for line in text.splitlines()]
    _, test_rows = read_curated(output / "curated" / "test")
    # the same reviews in the same order, one object per line, exactly these keys
    assert len(lines) == summary["channels"]["test"]["rows"] == len(test_rows)
    assert [list(line) for line in lines] == [["review_id", "review", "label"]] * len(lines)
    assert lines == [
        {"review_id": r["review_id"], "review": r["review"], "label": int(r["label"])}
        for r in test_rows
    ]


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


def test_a_broken_quote_in_the_middle_is_counted_and_its_lines_reported(spark, tmp_path):
    good = [
        f"Review number {i} of a film that was just fine,{'pos' if i % 2 else 'neg'}"
        for i in range(8)
    ]
    lines = [
        "review,sentiment",
        *good[:3],
        '"A review whose quote never closes, so the next rows vanish,positive',
        *good[3:6],
        '"A quoted review, which finally closes the quote",negative',
        *good[6:],
        # the labels train.py accepts too, through the one label table
        "A review labelled with a full stop and capital,Negative.",
        "A review labelled the way pandas writes an integer,1.0",
        "Another review labelled the way pandas writes one,0.0",
    ]
    path = tmp_path / "broken.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, summary, _ = run_local("--input", str(path), "--output", str(tmp_path / "out"))
    assert code == 0
    # 13 data lines: 8 records read as they were, one that swallowed four lines
    assert summary["input_rows"] == 9
    assert summary["input_rows"] == summary["processed_rows"] + summary["quarantined_rows"]
    assert summary["processed_rows"] == 8
    assert {k: v for k, v in summary["quarantined_by_reason"].items() if v} == {
        "unterminated_quote": 1
    }
    assert summary["unterminated_quote"]["absorbed_lines"] == 4
    assert summary["input_rows"] + summary["unterminated_quote"]["absorbed_lines"] == 13
    (broken,) = summary["unterminated_quote"]["records"]
    assert (broken["source_row"], broken["absorbed_lines"]) == (3, 4)
    assert broken["line_starts"].startswith('"A review whose quote never closes')
    quarantine = pd.read_parquet(tmp_path / "out" / "quarantine")
    (row,) = quarantine.itertuples()
    assert row.reason == "unterminated_quote" and row.absorbed_lines == 4
    assert all(line in row.raw_record for line in good[3:6])  # nothing is lost
    processed = pd.read_parquet(tmp_path / "out" / "processed")
    labels = dict(zip(processed["review"], processed["label"], strict=True))
    assert [labels[line.rsplit(",", 1)[0]] for line in lines[-3:]] == [0, 1, 0]


def test_an_empty_review_file_is_counted_and_quarantined(spark, tmp_path):
    tree = tmp_path / "aclImdb"
    shutil.copytree(SAMPLE / "aclImdb", tree)
    (tree / "test" / "neg" / "8_2.txt").write_bytes(b"")
    code, summary, _ = run_local("--input", str(tree), "--output", str(tmp_path / "out"))
    assert code == 0
    # the sample's 32 files and the empty one
    assert summary["input_rows"] == 33
    assert summary["input_rows"] == summary["processed_rows"] + summary["quarantined_rows"]
    assert {k: v for k, v in summary["quarantined_by_reason"].items() if v} == {
        "duplicate": 1,
        "too_short": 1,
        "empty_text": 1,
    }
    quarantine = pd.read_parquet(tmp_path / "out" / "quarantine")
    (empty,) = quarantine[quarantine["reason"] == "empty_text"].itertuples()
    assert empty.source_file.endswith("/test/neg/8_2.txt") and empty.raw_review == ""


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
