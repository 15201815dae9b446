"""The one label table: which spellings of a sentiment the ETL job and training accept."""

from __future__ import annotations

import pytest
from module_imports import non_standard_imports

import review_labels
from review_labels import (
    LABEL_KEYS,
    NEGATIVE,
    POSITIVE,
    SENTIMENT_NAMES,
    accepted_spellings,
    label_key,
    parse_label,
)

ACCEPTED = {
    POSITIVE: ["positive", "pos", "1", "1.0", "true"],
    NEGATIVE: ["negative", "neg", "0", "0.0", "false"],
}


@pytest.mark.parametrize(("label", "spelling"), [(k, s) for k, v in ACCEPTED.items() for s in v])
def test_every_accepted_spelling_in_any_case_and_padding(label, spelling):
    for variant in (spelling, spelling.upper(), spelling.title()):
        for padded in (variant, f" {variant} ", f"'{variant}'", f'"{variant}."', f"[{variant}]"):
            assert parse_label(padded) == label, padded
        assert parse_label(f"\u00a0\t{variant}\u3000!") == label


def test_the_table_is_exactly_the_documented_spellings():
    assert dict(LABEL_KEYS) == {
        s: label for label, spellings in ACCEPTED.items() for s in spellings
    }
    assert SENTIMENT_NAMES == {0: "negative", 1: "positive"}
    assert accepted_spellings() == (
        "positive: positive/pos/1/1.0/true; negative: negative/neg/0/0.0/false"
    )


@pytest.mark.parametrize(
    "raw",
    ["-1", "+1", "2", "1.00", "neutral", "positif", "p os", "po\u200bs", "yes", "", "  ", None],
)
def test_anything_else_is_no_label(raw):
    assert parse_label(raw) is None


def test_keys_strip_only_the_edges_and_keep_signs():
    assert label_key(" Negative. ") == "negative"
    assert label_key("(('pos'))") == "pos"
    assert label_key("-1") == "-1"
    assert label_key("p o s") == "p o s"
    assert label_key(None) == label_key("") == label_key(" .'\t") == ""


def test_values_that_are_not_strings_read_as_their_text():
    # pandas and CSV readers hand over numbers and booleans, not only strings
    assert [parse_label(v) for v in (1, 0, 1.0, 0.0, True, False, 2)] == [1, 0, 1, 0, 1, 0, None]


def test_it_imports_only_the_standard_library():
    """It ships into Glue, SageMaker and Lambda without dependencies."""
    assert non_standard_imports(review_labels) == set()
