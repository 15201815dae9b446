"""Deduplication: which copy of a review is kept, and that copies never reach two channels."""

from __future__ import annotations

from collections import Counter

import pytest
from glue_job_helpers import by_row, config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyspark.sql import functions as F  # noqa: N812

from etl_transforms import clean_reviews, comparison_key
from review_labels import parse_label
from text_normalization import normalize_text

pytestmark = pytest.mark.spark


def keys_of(spark, texts) -> set[str]:
    """The comparison keys of clean texts, as the job computes them."""
    if not texts:
        return set()
    df = spark.createDataFrame([(t,) for t in texts], "review string")
    return {r[0] for r in df.select(comparison_key(df.review)).collect()}


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
def test_every_input_row_lands_exactly_once(spark, make_raw, row, rows):
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
    # Oracle: one kept row per distinct review among rows that pass the other checks. A
    # review is its comparison key (the issue moved deduplication from the clean text to
    # the key, so the oracle counts keys, through the job's own key expression).
    passing = set()
    for text, label, _, record in rows:
        clean = normalize_text(text)
        known = parse_label(label) is not None
        has_words = any(c.isalpha() for c in clean)
        if record is None and known and has_words and min_chars <= len(clean) <= max_chars:
            passing.add(clean)
    kept = [r for r in result if r["reason"] is None]
    assert len(kept) == len(keys_of(spark, passing))
    assert len({r["review_id"] for r in kept}) == len(kept)


# ------------------------------------------------------------------ the comparison key


def test_the_key_folds_case_and_drops_spaces(spark):
    texts = [
        "A Superb film, truly. Loved it!",
        "a superb FILM , truly.Loved it !",
        "A superb film,truly .  Loved it!",
        "A superbfilm, truly. Loved it!",
        # other words or other punctuation are another review
        "A superb film, truly. Loved it?",
        "A superb film truly. Loved it!",
        "A superb film, truly. Loved it all!",
    ]
    df = spark.createDataFrame([(i, t) for i, t in enumerate(texts)], "i int, review string")
    rows = df.select("i", comparison_key(df.review).alias("key")).collect()
    keys = {r["i"]: r["key"] for r in rows}
    assert keys[0] == keys[1] == keys[2] == keys[3] == "asuperbfilm,truly.lovedit!"
    assert len({keys[0], keys[4], keys[5], keys[6]}) == 4
    # non-ASCII letters fold too
    (row,) = (
        spark.createDataFrame([("\u00c9T\u00c9 \u00c0 CAF\u00c9",)], "r string")
        .select(comparison_key(F.col("r")))
        .collect()
    )
    assert row[0] == "\u00e9t\u00e9\u00e0caf\u00e9"


def test_copies_differing_in_case_spacing_and_markup_are_one_review(make_raw, row):
    kept = "A Superb film, truly. Loved it."
    copies = [
        ("A Superb film, truly.<br /><br />Loved it.", "test", 1),
        ("a superb FILM , truly. Loved it.", "test", 3),
        ("A superb film,truly.<br />loved it<br />.", "train", 0),
        ("A SUPERB FILM, TRULY. LOVED IT.", "unsplit", 2),
    ]
    other = "A superb film, truly. Hated it."
    raw = make_raw(
        [row(t, "positive", split=s, row=r) for t, s, r in copies]
        + [row(other, "negative", split="train", row=4)]
    )
    rows = by_row(clean_reviews(raw, config()))
    assert {r: rows[r]["reason"] for r in rows} == {
        0: "duplicate",
        1: None,  # the test split's copy with the smallest source key, its case kept
        2: "duplicate",
        3: "duplicate",
        4: None,
    }
    assert rows[1]["review"] == kept and rows[1]["split"] == "test"
    assert len({rows[r]["review_id"] for r in range(4)}) == 1
    assert rows[4]["review_id"] != rows[1]["review_id"]
    assert not any(rows[r]["conflicting_label"] for r in rows)


def test_copies_never_land_in_two_channels(make_raw, row):
    """Three copies of one review once went two to test and one to train: each review
    is now kept once, so it has one channel, and the quotas stay exact per label."""
    variants = [
        lambda t: t,
        lambda t: t.upper().replace(", ", " ,"),
        lambda t: t.lower().replace(". ", ".<br /><br />"),
    ]
    rows = []
    for i in range(60):
        label = "positive" if i % 3 else "negative"
        text = f"Review {i}: a {label} film, with a cast. Seen {i * 7} times."
        for copy, variant in enumerate(variants):
            rows.append(row(variant(text), label, row=3 * i + copy))
    classified = clean_reviews(make_raw(rows), config(test_percent=30, validation_percent=30))
    kept = [r for r in classified.collect() if r["reason"] is None]
    assert len(kept) == 60
    assert len({r["review_id"] for r in kept}) == 60
    assert Counter((r["split"], r["sentiment"]) for r in kept) == {
        ("test", "positive"): 12,
        ("validation", "positive"): 12,
        ("train", "positive"): 16,
        ("test", "negative"): 6,
        ("validation", "negative"): 6,
        ("train", "negative"): 8,
    }
