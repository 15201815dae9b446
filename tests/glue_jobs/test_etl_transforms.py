"""The ETL job's transforms on small DataFrames (local Spark)."""

from __future__ import annotations

import hashlib

import pytest
from glue_job_helpers import by_row, config
from pyspark.sql.types import IntegerType, StringType, StructField, StructType

from etl_transforms import REASONS, assign_channels, clean_reviews, normalize_reviews
from etl_writers import processed_view, quarantine_view
from text_normalization import normalize_text

pytestmark = pytest.mark.spark


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
        # review_id hashes the comparison key (lower case, no spaces), so copies
        # differing only in case or spacing share it
        key = clean.lower().replace(" ", "")
        assert got["review_id"] == hashlib.sha256(key.encode("utf-8")).hexdigest()
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
        # the one label table, as train.py reads it: floats, booleans, padding
        "1.0": (1, None),
        "0.0": (0, None),
        " Negative.": (0, None),
        "'1'": (1, None),
        "[pos]": (1, None),
        "TRUE": (1, None),
        "false": (0, None),
        "-1": (None, "unknown_label"),
        "1.5": (None, "unknown_label"),
        "positif": (None, "unknown_label"),
        None: (None, "missing_label"),
        "": (None, "missing_label"),
        "   ": (None, "missing_label"),
        "\u3000\t": (None, "missing_label"),
        # nothing left once quotes and punctuation are stripped: no label was given
        '""': (None, "missing_label"),
        "?": (None, "missing_label"),
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


def test_a_review_without_a_letter_is_no_words(make_raw, row):
    texts = {
        "!!! ??? ...": "no_words",
        "10/10": "no_words",  # before too_short: the better reason
        "\U0001f44d\U0001f44d\U0001f44d \U0001f600 \u2605\u2605\u2605\u2605\u2605": "no_words",
        "<b>100%</b> &amp; 5/5 &#9733;": "no_words",
        "\uff11\uff10/\uff11\uff10 \uff01": "no_words",  # full-width digits are digits
        "10/10 a": None,
        "\u00c7a, 10/10": None,
        "\u6620\u753b \u6700\u9ad8": None,  # letters of any script
        "\u03a9\u03c1\u03b1\u03af\u03b1!": None,
        "\u05d8\u05d5\u05d1 10": None,
    }
    raw = make_raw([row(t, "positive", row=i) for i, t in enumerate(texts)])
    rows = by_row(clean_reviews(raw, config(min_chars=1)))
    assert [rows[i]["reason"] for i in range(len(texts))] == list(texts.values())


def test_the_first_failing_check_names_the_reason(make_raw, row):
    # the new reasons in their place: each before the reason it is more specific than
    for earlier, later in [
        ("unterminated_quote", "unparseable"),
        ("invalid_encoding", "missing_label"),
        ("no_words", "too_short"),
    ]:
        assert REASONS.index(earlier) + 1 == REASONS.index(later)
    assert REASONS.index("unparseable") < REASONS.index("invalid_encoding")
    assert REASONS.index("empty_text") + 1 == REASONS.index("no_words")
    cases = [
        # text, label, record, encoding, absorbed lines, expected reason
        ("Swallowed, all,\nof it,positive", "x", "rec", "utf-8", 1, "unterminated_quote"),
        ("Cut \x81 off", "positive", "Cut \x81 off,positive,extra", None, None, "unparseable"),
        ("Bytes \x81 of no known encoding here", None, None, None, None, "invalid_encoding"),
        (
            "A review in Windows-1252, caf\u00e9 \u201cgood\u201d",
            "pos",
            None,
            "windows-1252",
            None,
            None,
        ),
        ("1234", "positive", None, "utf-8", None, "no_words"),
    ]
    raw = make_raw(
        [
            row(t, lab, row=i, record=rec, encoding=enc, absorbed=n)
            for i, (t, lab, rec, enc, n, _) in enumerate(cases)
        ]
    )
    rows = by_row(clean_reviews(raw, config()))
    assert [rows[i]["reason"] for i in range(len(cases))] == [c[5] for c in cases]
    quarantined = {
        r["source_row"]: r for r in quarantine_view(clean_reviews(raw, config())).collect()
    }
    assert quarantined[0]["absorbed_lines"] == 1
    assert quarantined[2]["raw_review"] == "Bytes \x81 of no known encoding here"
    assert quarantined[2]["source_encoding"] is None
    (kept,) = processed_view(clean_reviews(raw, config())).collect()
    assert kept["source_encoding"] == "windows-1252"


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
