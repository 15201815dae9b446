"""The job's Spark rules give what common/'s Python rules give, spelling for spelling.

Training and the API apply `review_labels` and `text_normalization` in Python; the job
applies the same tables as Spark expressions. A row the ETL keeps must be a row training
accepts, and a review the ETL calls empty must be one the API calls empty.
"""

from __future__ import annotations

import itertools
import random

import pytest
from glue_job_helpers import by_row, config

from etl_transforms import clean_reviews, label_expr, label_key_expr
from review_labels import LABEL_KEYS, label_key, parse_label
from text_normalization import is_empty_review

pytestmark = pytest.mark.spark

# Whitespace Python's \s and Java's (?U)\s both know, and the other edge characters.
EDGES = [" ", "\t", "\n", "\u00a0", "\u2007", "\u202f", "\u3000", "\u0085", "\u2028"]
EDGES += ["'", '"', "`", "(", ")", "[", "]", "{", "}", "<", ">", ".", ",", ";", ":", "!"]
EDGES += ["?", "*"]
NOT_LABELS = ["-1", "+1", "2", "1.00", "01", "neutral", "positif", "po s", "p\u200bos"]
NOT_LABELS += ["\uff30\uff2f\uff33", "n\u00e9gative", "1,0", "yes", "none", "null", "-"]


def spellings() -> list[str | None]:
    """Every key in several cases and paddings, near misses, blanks, and random mixes."""
    found: list[str | None] = [None, "", " Negative.", "POS", "'1'", "1.0", "0.0", "true"]
    found += ["FALSE", "-1", "neutral", "\u00a0pos\u3000", "\tneg\t", "(negative)", "'' ''"]
    for key in [*LABEL_KEYS, *NOT_LABELS]:
        found += [key, key.upper(), key.title()]
        found += [f"{left}{key}{right}" for left, right in itertools.product(EDGES[:9], "'.)")]
    rng = random.Random(20_251_202)
    pieces = [*EDGES, *LABEL_KEYS, *NOT_LABELS, "", "x", "-"]
    found += ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 4))) for _ in range(400)]
    found += ["".join(rng.choice(EDGES) for _ in range(rng.randint(1, 3))) for _ in range(50)]
    return found


def test_spark_label_expressions_equal_label_key_and_parse_label(spark):
    values = spellings()
    df = spark.createDataFrame([(i, v) for i, v in enumerate(values)], "i int, raw string")
    rows = df.select("i", label_key_expr(df.raw).alias("key"), label_expr(df.raw).alias("label"))
    got = {r["i"]: (r["key"], r["label"]) for r in rows.collect()}
    expected = {
        i: (None if v is None else label_key(v), parse_label(v)) for i, v in enumerate(values)
    }
    assert {values[i]: got[i] for i in got if got[i] != expected[i]} == {}
    # the sample is not trivial: both labels and plenty of refusals occur
    labels = [label for _, label in expected.values()]
    assert min(labels.count(0), labels.count(1), labels.count(None)) > 100


def test_missing_and_unknown_label_follow_the_label_key(make_raw, row):
    """missing_label: nothing is left of the label (null, blank, only edge characters);
    unknown_label: something is left that the table does not know."""
    values = spellings()
    raw = make_raw(
        [row(f"Review {i} is long enough to be kept.", v, row=i) for i, v in enumerate(values)]
    )
    rows = by_row(clean_reviews(raw, config()))
    reasons = {
        i: None
        if parse_label(value) is not None
        else "missing_label"
        if label_key(value) == ""
        else "unknown_label"
        for i, value in enumerate(values)
    }
    assert {values[i]: rows[i]["reason"] for i in rows if rows[i]["reason"] != reasons[i]} == {}
    assert {"missing_label", "unknown_label", None} <= set(reasons.values())


def test_information_separators_strip_alike(spark):
    values = ["\x1c1", "pos\x1f"]
    df = spark.createDataFrame([(v,) for v in values], "raw string")
    assert [r[0] for r in df.select(label_expr(df.raw)).collect()] == [
        parse_label(v) for v in values
    ]


EMPTY_LOOKING = [
    None,
    "",
    " ",
    "\t\n\r",
    "\u00a0\u3000\u2007",
    "\u200b\u200c\u200d\u2060\ufeff",
    "\x00\x07\x1b\x7f\x9f",
    "<br />",
    "<br /><br /> <p></p>",
    "&nbsp;",
    "&lt;br /&gt;",
    "&amp;nbsp;",
    "<i> </i>&#160;",
    "\u2028\u2029\x85",
    "&#8203;",
    "<" + "x" * 300 + ">",
    ".",
    "-",
    "0",
    "a",
    "<b>a</b>",
    "&amp;",
    "\ufb01",
    "&lt;",
    "<br",
]


def test_empty_text_is_exactly_is_empty_review(make_raw, row):
    rng = random.Random(7)
    pieces = [t for t in EMPTY_LOOKING if t is not None]
    mixed = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 5))) for _ in range(200)]
    texts = [*EMPTY_LOOKING, *mixed]
    raw = make_raw([row(t, "positive", row=i) for i, t in enumerate(texts)])
    rows = by_row(clean_reviews(raw, config(min_chars=0)))
    empty = {i for i, r in rows.items() if r["reason"] == "empty_text"}
    assert empty == {i for i, t in enumerate(texts) if is_empty_review(t)}
    assert 20 < len(empty) < len(texts) - 20
