"""The ETL job's transforms on small DataFrames (local Spark)."""

from __future__ import annotations

import hashlib

import pytest
from glue_job_helpers import by_row, config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyspark.sql.types import IntegerType, StringType, StructField, StructType

from etl_transforms import assign_channels, clean_reviews, normalize_reviews
from etl_writers import processed_view, quarantine_view
from review_labels import parse_label
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
        known = parse_label(label) is not None
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
