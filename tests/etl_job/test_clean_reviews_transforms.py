"""The clean_reviews transforms and readers on small DataFrames and files (local Spark)."""

from __future__ import annotations

import gzip
import hashlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyspark.sql.types import IntegerType, StringType, StructField, StructType

from clean_reviews import (
    JobConfig,
    assign_channels,
    clean_reviews,
    config_from_glue_args,
    normalize_reviews,
    processed_view,
    quarantine_view,
    read_aclimdb_reviews,
    read_csv_reviews,
    resolve_input,
)
from text_normalization import normalize_text

pytestmark = pytest.mark.spark


def config(**options) -> JobConfig:
    return JobConfig.for_output_dir(["unused"], "/unused", **options)


def by_row(df) -> dict:
    return {r["source_row"]: r for r in df.collect()}


# ------------------------------------------------------------------ cleaning and labels


def test_normalize_reviews_cleans_text_and_derives_features(make_raw, row):
    texts = [
        "Great<br /><br />film &amp; cast!",
        "\uff27\uff32\uff25\uff21\uff34\u00a0\u00a0movie\u200b, truly\tfine",
        "&lt;i&gt;Nice&lt;/i&gt; one",
        "\ufb01ne cafe\u0301",
        None,
    ]
    rows = by_row(
        normalize_reviews(make_raw([row(t, "positive", row=i) for i, t in enumerate(texts)]))
    )
    expected = ["Great film & cast!", "GREAT movie, truly fine", "Nice one", "fine café", ""]
    for i, clean in enumerate(expected):
        got = rows[i]
        assert got["review"] == clean == normalize_text(texts[i])
        assert got["review_id"] == hashlib.sha256(clean.encode("utf-8")).hexdigest()
        assert got["char_count"] == len(clean)
        assert got["word_count"] == len(clean.split())


def test_labels_map_case_insensitively_and_bad_labels_are_quarantined(make_raw, row):
    cases = {
        "positive": (1, None),
        "POSITIVE": (1, None),
        " Pos ": (1, None),
        "\u00a0positive\t": (1, None),
        "1": (1, None),
        "negative": (0, None),
        "Neg": (0, None),
        "NEG ": (0, None),
        "0": (0, None),
        "neutral": (None, "unknown_label"),
        "2": (None, "unknown_label"),
        "1.0": (None, "unknown_label"),
        "positif": (None, "unknown_label"),
        None: (None, "missing_label"),
        "": (None, "missing_label"),
        "   ": (None, "missing_label"),
    }
    labels = list(cases)
    raw = make_raw(
        [
            row(f"Review number {i} is long enough to keep.", lab, row=i)
            for i, lab in enumerate(labels)
        ]
    )
    rows = by_row(clean_reviews(raw, config()))
    for i, label in enumerate(labels):
        expected_label, expected_reason = cases[label]
        assert (rows[i]["label"], rows[i]["reason"]) == (expected_label, expected_reason), label
        expected_sentiment = {1: "positive", 0: "negative", None: None}[expected_label]
        assert rows[i]["sentiment"] == expected_sentiment


def test_every_quarantine_reason_and_each_row_exactly_once(make_raw, row):
    valid = "A wonderful film with a superb cast."
    cases = [
        (valid, "positive", None, None),
        # the parser's partial fields look fine; the corrupt record decides
        ("Broken", "positive", "Broken, row, extra,positive", "unparseable"),
        ("A review that lost its label somewhere.", None, None, "missing_label"),
        ("A review whose label is only blanks here.", " \t ", None, "missing_label"),
        ("A review with a label nobody understands.", "neutral", None, "unknown_label"),
        ("<br /><br />", "negative", None, "empty_text"),
        (None, "positive", None, "empty_text"),
        ("Too short!", "pos", None, "too_short"),
        ("x" * 201, "neg", None, "too_long"),
        (valid, "positive", None, "duplicate"),
        ("A  wonderful film<br />with a superb   cast.", "1", None, "duplicate"),
        ("A dreadful, boring film from start to end.", "NEGATIVE", None, None),
    ]
    raw = make_raw([row(t, lab, row=i, record=rec) for i, (t, lab, rec, _) in enumerate(cases)])
    classified = clean_reviews(raw, config(min_chars=20, max_chars=200))
    rows = by_row(classified)
    assert {i: rows[i]["reason"] for i in rows} == {i: c[3] for i, c in enumerate(cases)}

    processed = [r["source_row"] for r in processed_view(classified).collect()]
    quarantined = quarantine_view(classified).collect()
    assert sorted(processed + [r["source_row"] for r in quarantined]) == list(range(len(cases)))
    # Nothing is lost: a quarantined row keeps what was read.
    raw_kept = {r["source_row"]: (r["raw_review"], r["raw_record"]) for r in quarantined}
    assert raw_kept[1] == ("Broken", "Broken, row, extra,positive")
    assert raw_kept[8] == ("x" * 201, None)


def test_length_thresholds_are_inclusive(make_raw, row):
    lengths = [9, 10, 20, 21]
    raw = make_raw([row(chr(97 + i) * n, "positive", row=n) for i, n in enumerate(lengths)])
    rows = by_row(clean_reviews(raw, config(min_chars=10, max_chars=20)))
    assert {n: rows[n]["reason"] for n in lengths} == {
        9: "too_short",
        10: None,
        20: None,
        21: "too_long",
    }


# ------------------------------------------------------------------------ deduplication


def test_duplicates_keep_test_then_train_then_unsplit_then_smallest_source_key(make_raw, row):
    x = "An excellent and moving film about family."
    y = "A gripping thriller with a clever ending."
    w = "A charming comedy that made me laugh a lot."
    a, c, d = "file:/raw/a.csv", "file:/raw/c.csv", "file:/raw/d.csv"
    cases = [
        # text, label, split, file, source_row, expected reason
        (x, "positive", "unsplit", a, 0, "duplicate"),
        (x, "positive", "train", a, 1, "duplicate"),
        (x, "positive", "test", d, 2, "duplicate"),
        (x, "positive", "test", c, 9, "duplicate"),
        (x, "positive", "test", c, 4, None),  # test split, smallest (file, row)
        # an invalid copy never wins over a valid one
        (y, "maybe", "unsplit", a, 5, "unknown_label"),
        (y, "positive", "unsplit", a, 6, None),
        # copies of a rejected text keep their own reason
        ("Great!", "positive", "unsplit", a, 7, "too_short"),
        ("Great!", "positive", "unsplit", a, 8, "too_short"),
        # same text, opposite label: the later copy is a conflicting duplicate
        (w, "positive", "unsplit", a, 10, None),
        (w, "negative", "unsplit", a, 11, "duplicate"),
        # equal only after normalisation: still the same review
        (w.replace(" a ", " a&nbsp; "), "positive", "unsplit", a, 12, "duplicate"),
    ]
    raw = make_raw(
        [row(t, lab, split=s, file=f, row=r) for t, lab, s, f, r, _ in cases],
    )
    # Reordered and split across partitions: the kept copy must not depend on input order.
    rows = by_row(
        clean_reviews(raw.orderBy("source_row", ascending=False).repartition(3), config())
    )
    assert {r: rows[r]["reason"] for r in rows} == {c[4]: c[5] for c in cases}
    conflicting = {r for r in rows if rows[r]["conflicting_label"]}
    assert conflicting == {11}


@settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    rows=st.lists(
        st.tuples(
            st.one_of(
                st.sampled_from(
                    [
                        "A superb film with a wonderful cast.",
                        "A superb  film with a <b>wonderful</b> cast.",
                        "A dull film with a dreadful script.",
                        "A dull film with a dreadful script.",
                        "<br />",
                        "Short.",
                        "x" * 80,
                        "",
                    ]
                ),
                st.none(),
                st.text(max_size=40),
            ),
            st.sampled_from(["positive", "NEG", "1", "0", "meh", "", None]),
            st.sampled_from(["train", "test", "unsplit"]),
            st.one_of(st.none(), st.just("a,broken,record")),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_every_input_row_lands_exactly_once(make_raw, row, rows):
    raw = make_raw(
        [
            row(text, label, split=split, row=i, record=record)
            for i, (text, label, split, record) in enumerate(rows)
        ]
    )
    min_chars, max_chars = 10, 60
    result = clean_reviews(raw, config(min_chars=min_chars, max_chars=max_chars)).collect()

    assert sorted(r["source_row"] for r in result) == list(range(len(rows)))
    for r in result:
        # kept rows have a channel and no reason; rejected rows the other way round
        assert (r["reason"] is None) == (r["split"] is not None)
    # Oracle: one kept row per distinct clean text among rows that pass the other checks.
    passing = set()
    for text, label, _, record in rows:
        clean = normalize_text(text)
        known = label is not None and label.strip().lower() in {"positive", "neg", "1", "0"}
        if record is None and known and min_chars <= len(clean) <= max_chars:
            passing.add(clean)
    kept = [r for r in result if r["reason"] is None]
    assert len(kept) == len(passing)
    assert len({r["review_id"] for r in kept}) == len(kept)


# ------------------------------------------------------------------------------ channels

CHANNEL_SCHEMA = StructType(
    [
        StructField("reason", StringType()),
        StructField("source_split", StringType()),
        StructField("label", IntegerType()),
        StructField("review_id", StringType()),
    ]
)


def _channel_rows() -> list[tuple]:
    rows = []
    pools = [("unsplit", 1, 120), ("unsplit", 0, 80), ("train", 1, 50), ("train", 0, 30)]
    pools += [("test", 1, 20), ("test", 0, 20)]
    for split, label, size in pools:
        for i in range(size):
            rid = hashlib.sha256(f"{split}-{label}-{i}".encode()).hexdigest()
            rows.append((None, split, label, rid))
    rows += [("duplicate", "unsplit", 1, hashlib.sha256(b"dup").hexdigest())]
    return rows


def test_channels_are_exact_stratified_quotas_in_review_id_order(spark):
    df = spark.createDataFrame(_channel_rows(), CHANNEL_SCHEMA)
    result = assign_channels(df, validation_percent=10, test_percent=20).collect()

    counts: dict[tuple, int] = {}
    for r in result:
        key = (r["source_split"], r["label"], r["split"])
        counts[key] = counts.get(key, 0) + 1
    assert counts == {
        # no original split: 20 % test and 10 % validation of each label
        ("unsplit", 1, "test"): 24,
        ("unsplit", 1, "validation"): 12,
        ("unsplit", 1, "train"): 84,
        ("unsplit", 0, "test"): 16,
        ("unsplit", 0, "validation"): 8,
        ("unsplit", 0, "train"): 56,
        # original train: validation only; original test: untouched
        ("train", 1, "validation"): 5,
        ("train", 1, "train"): 45,
        ("train", 0, "validation"): 3,
        ("train", 0, "train"): 27,
        ("test", 1, "test"): 20,
        ("test", 0, "test"): 20,
        ("unsplit", 1, None): 1,  # a rejected row gets no channel
    }
    positives = sorted(
        (r["review_id"], r["split"])
        for r in result
        if r["source_split"] == "unsplit" and r["label"] == 1 and r["reason"] is None
    )
    assert [s for _, s in positives] == ["test"] * 24 + ["validation"] * 12 + ["train"] * 84


def test_channels_do_not_depend_on_row_order_or_partitioning(spark):
    rows = _channel_rows()
    first = spark.createDataFrame(rows, CHANNEL_SCHEMA)
    second = spark.createDataFrame(list(reversed(rows)), CHANNEL_SCHEMA).repartition(5)
    assignments = [
        {
            r["review_id"]: r["split"]
            for r in assign_channels(df, validation_percent=15, test_percent=5).collect()
        }
        for df in (first, second)
    ]
    assert assignments[0] == assignments[1]
    assert set(assignments[0].values()) == {"train", "validation", "test", None}


# ------------------------------------------------------------------------------- readers


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


# -------------------------------------------------------------------------------- config


@pytest.mark.parametrize(
    "options",
    [
        {"input_format": "json"},
        {"min_chars": 50, "max_chars": 10},
        {"validation_percent": 60, "test_percent": 40},
        {"test_percent": -1},
        {"max_quarantine_share": 1.5},
    ],
)
def test_config_rejects_nonsense(options):
    with pytest.raises(ValueError):
        config(**options)


def test_glue_arguments_become_a_config():
    args = {
        "JOB_NAME": "clean",
        "raw_path": "s3://raw-bucket/raw/train.csv.gz, s3://raw-bucket/raw/test.csv.gz",
        "processed_path": "s3://p/processed/",
        "quarantine_path": "s3://q/quarantine/",
        "curated_path": "s3://c/curated/",
        "summary_path": "s3://c/summary/summary.json",
        "min_chars": "5",
        "validation_percent": "12.5",
        "split_from_filename": "true",
    }
    cfg = config_from_glue_args(args)
    assert cfg.input_paths == (
        "s3://raw-bucket/raw/train.csv.gz",
        "s3://raw-bucket/raw/test.csv.gz",
    )
    assert (cfg.min_chars, cfg.validation_percent, cfg.split_from_filename) == (5, 12.5, True)
    # absent options keep the defaults the local twin uses
    assert (cfg.max_chars, cfg.test_percent, cfg.input_format) == (20_000, 10.0, "auto")
    assert (
        config_from_glue_args({**args, "split_from_filename": "false"}).split_from_filename is False
    )
