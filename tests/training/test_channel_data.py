"""A channel's files as reviews and labels, through the label table the Glue job uses."""

from __future__ import annotations

import pandas as pd
import pytest

from channel_data import DatasetError, data_files, read_reviews


def _csv(tmp_path, frame: pd.DataFrame):
    path = tmp_path / "part-0.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("column", "raw", "label"),
    [
        ("sentiment", "pos", 1),
        ("sentiment", " Negative.", 0),
        ("sentiment", "POSITIVE", 1),
        ("sentiment", "'neg'", 0),
        ("sentiment", "1", 1),
        ("label", "1.0", 1),
        ("label", "0.0", 0),
        ("label", "true", 1),
        ("label", "negative", 0),
    ],
)
def test_label_spellings_of_the_one_table_are_accepted(tmp_path, column, raw, label):
    frame = pd.DataFrame({"review": ["some text", "other text"], column: [raw, "positive"]})
    data = read_reviews(_csv(tmp_path, frame), "train")
    assert data["label"].tolist() == [label, 1]
    assert str(data["label"].dtype) == "int8"


@pytest.mark.parametrize("column", ["sentiment", "label"])
@pytest.mark.parametrize("raw", ["neutral", "-1", "2", "", "positive negative"])
def test_unknown_labels_are_refused_with_the_accepted_spellings(tmp_path, column, raw):
    frame = pd.DataFrame({"review": ["some text", "other text"], column: [raw, "positive"]})
    with pytest.raises(DatasetError) as refused:
        read_reviews(_csv(tmp_path, frame), "train")
    message = str(refused.value)
    assert f"1 rows have an invalid '{column}' value, e.g. [{raw!r}]" in message
    assert "negative: negative/neg/0/0.0/false" in message


def test_both_label_columns_must_agree_through_the_table(tmp_path):
    agree = pd.DataFrame({"review": ["a", "b"], "sentiment": ["Pos", "neg"], "label": [1, 0]})
    assert read_reviews(_csv(tmp_path, agree), "train")["label"].tolist() == [1, 0]
    disagree = agree.assign(label=[0, 0])
    with pytest.raises(DatasetError, match="disagree"):
        read_reviews(_csv(tmp_path, disagree), "train")


def test_parquet_integer_and_boolean_labels(tmp_path):
    path = tmp_path / "part-0.parquet"
    pd.DataFrame({"review": ["a", "b"], "label": [True, False]}).to_parquet(path)
    assert read_reviews(path, "train")["label"].tolist() == [1, 0]
    pd.DataFrame({"Review": ["a", "b"], "LABEL": [0, 1]}).to_parquet(path)
    assert read_reviews(path, "train")["label"].tolist() == [0, 1]


def test_header_only_file_has_no_rows(tmp_path):
    path = tmp_path / "part-0.csv"
    path.write_text("review,sentiment\n")
    assert read_reviews(path, "train") is None


def test_data_files_skip_writer_bookkeeping(tmp_path):
    (tmp_path / "nested").mkdir()
    for name in ["a.csv", "nested/b.CSV.GZ", "c.parquet", "_SUCCESS", ".a.csv.crc", "d.json"]:
        (tmp_path / name).write_text("")
    assert [p.relative_to(tmp_path).as_posix() for p in data_files(tmp_path)] == [
        "a.csv",
        "c.parquet",
        "nested/b.CSV.GZ",
    ]
