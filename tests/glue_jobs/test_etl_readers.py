"""The ETL job's readers on small files (local Spark): CSV, aclImdb, input discovery."""

from __future__ import annotations

import gzip

import pytest
from glue_job_helpers import by_row, config

from etl_readers import read_aclimdb_reviews, read_csv_reviews, resolve_input
from etl_transforms import clean_reviews

pytestmark = pytest.mark.spark


def _write(path, text: str, *, gz: bool = False):
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    path.write_bytes(gzip.compress(data) if gz else data)
    return str(path)


def test_csv_reader_handles_rfc4180_gzip_and_catches_malformed_rows(spark, tmp_path):
    train = _write(
        tmp_path / "train_part.csv",
        "review,sentiment\n"
        '"He said ""wow"", twice,\nthen left.",positive\n'
        "Loved it, really, truly,positive\n"
        "no comma at all here\n"
        '"A plain, quoted review.",negative\n'
        ",positive\n",
    )
    test = _write(
        tmp_path / "test.csv.gz",
        'review,sentiment\n"Gzipped and fine, really fine.",neg\nAlso fine but plain text,pos\n',
        gz=True,
    )
    raw = read_csv_reviews(spark, [train, test], split_from_filename=True)
    rows = sorted(raw.collect(), key=lambda r: (r["source_file"], r["source_row"]))
    test_rows, train_rows = rows[:2], rows[2:]

    assert [r["source_row"] for r in train_rows] == [0, 1, 2, 3, 4]
    assert [r["source_row"] for r in test_rows] == [0, 1]
    assert train_rows[0]["raw_review"] == 'He said "wow", twice,\nthen left.'
    assert train_rows[3]["raw_review"] == "A plain, quoted review."
    assert [r["raw_record"] is not None for r in train_rows] == [False, True, True, False, False]
    assert "Loved it, really, truly,positive" in train_rows[1]["raw_record"]
    assert {r["source_split"] for r in train_rows} == {"train"}
    assert {r["source_split"] for r in test_rows} == {"test"}
    assert test_rows[0]["raw_review"] == "Gzipped and fine, really fine."

    reasons = by_row(clean_reviews(raw.filter(raw.source_split == "train"), config()))
    assert [reasons[i]["reason"] for i in range(5)] == [
        None,
        "unparseable",
        "unparseable",
        None,
        "empty_text",
    ]


def test_csv_reader_maps_columns_by_header_name(spark, tmp_path):
    path = _write(
        tmp_path / "reordered.csv",
        'sentiment,id,review\npositive,7,"A fine film, with a comma."\n',
    )
    (r,) = read_csv_reviews(spark, [path]).collect()
    assert (r["raw_review"], r["raw_sentiment"], r["source_split"]) == (
        "A fine film, with a comma.",
        "positive",
        "unsplit",
    )


def test_csv_reader_fails_loudly_on_wrong_headers(spark, tmp_path):
    wrong = _write(tmp_path / "wrong.csv", "text,label\nA review,positive\n")
    with pytest.raises(ValueError, match="lacks column"):
        read_csv_reviews(spark, [wrong])
    good = _write(tmp_path / "good.csv", "review,sentiment\nA review here,positive\n")
    swapped = _write(tmp_path / "swapped.csv", "sentiment,review\npositive,A review here\n")
    with pytest.raises(Exception, match="CSV header does not conform"):
        read_csv_reviews(spark, [good, swapped]).collect()


def test_aclimdb_reader_keeps_split_id_and_rating(spark, tmp_path):
    root = tmp_path / "aclImdb"
    files = {
        "train/pos/3_8.txt": "Great fun.<br />Loved it.",
        "train/neg/4_2.txt": "Dull and slow.",
        "test/pos/10_10.txt": "A masterpiece.",
        "test/neg/0_1.txt": "Awful.\n",
        # not reviews of the labelled splits: ignored
        "train/unsup/5_0.txt": "Unlabelled.",
        "README": "readme",
        "imdb.vocab": "the\nand\n",
    }
    for relative, text in files.items():
        _write(root / relative, text)
    fmt, patterns = resolve_input(spark, (str(tmp_path),), "auto")
    assert fmt == "aclimdb"
    rows = {
        (r["source_split"], r["raw_sentiment"], r["source_id"], r["rating"]): r["raw_review"]
        for r in read_aclimdb_reviews(spark, patterns).collect()
    }
    assert rows == {
        ("train", "pos", "3", 8): "Great fun.<br />Loved it.",
        ("train", "neg", "4", 2): "Dull and slow.",
        ("test", "pos", "10", 10): "A masterpiece.",
        ("test", "neg", "0", 1): "Awful.\n",
    }


def test_resolve_input_detects_the_layout(spark, tmp_path):
    a = _write(tmp_path / "csvdir" / "a.csv", "review,sentiment\n")
    b = _write(tmp_path / "csvdir" / "sub" / "b.csv.gz", "review,sentiment\n", gz=True)
    _write(tmp_path / "csvdir" / "notes.txt", "not data")
    fmt, found = resolve_input(spark, (str(tmp_path / "csvdir"),), "auto")
    assert fmt == "csv"
    assert [f.split(":", 1)[1] for f in found] == [a, b]

    fmt, found = resolve_input(spark, (a,), "auto")
    assert fmt == "csv" and found[0].endswith("/csvdir/a.csv")

    _write(tmp_path / "mixed" / "x.csv", "review,sentiment\n")
    _write(tmp_path / "mixed" / "train" / "pos" / "1_9.txt", "Good.")
    with pytest.raises(ValueError, match="both CSV files and an aclImdb tree"):
        resolve_input(spark, (str(tmp_path / "mixed"),), "auto")
    assert resolve_input(spark, (str(tmp_path / "mixed"),), "aclimdb")[0] == "aclimdb"

    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no aclimdb input"):
        resolve_input(spark, (str(tmp_path / "empty"),), "auto")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        resolve_input(spark, (str(tmp_path / "nowhere"),), "auto")


def test_an_empty_aclimdb_file_is_a_row_quarantined_as_empty_text(spark, tmp_path):
    # Spark's file sources skip zero-length files; the reader must not.
    root = tmp_path / "aclImdb"
    _write(root / "train" / "pos" / "1_9.txt", "A warm, funny and moving film.")
    _write(root / "train" / "neg" / "2_1.txt", "")
    _write(root / "test" / "neg" / "3_2.txt", " <br /> ")
    # one level down, in a second tree: both are read
    _write(tmp_path / "more" / "aclImdb" / "test" / "pos" / "4_10.txt", "")
    _, patterns = resolve_input(spark, (str(root), str(tmp_path / "more")), "auto")
    raw = read_aclimdb_reviews(spark, patterns)
    by_file = {r["source_file"].rsplit("/", 1)[1]: r for r in raw.collect()}
    assert sorted(by_file) == ["1_9.txt", "2_1.txt", "3_2.txt", "4_10.txt"]
    assert (by_file["2_1.txt"]["raw_review"], by_file["2_1.txt"]["rating"]) == ("", 1)
    assert by_file["4_10.txt"]["source_split"] == "test"

    classified = clean_reviews(raw, config()).collect()
    reasons = sorted((r["source_file"].rsplit("/", 1)[1], r["reason"]) for r in classified)
    assert reasons == [
        ("1_9.txt", None),
        ("2_1.txt", "empty_text"),
        ("3_2.txt", "empty_text"),
        ("4_10.txt", "empty_text"),
    ]
