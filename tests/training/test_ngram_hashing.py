"""Hashed n-grams: stable columns, binary rows, the model's view of review text."""

from __future__ import annotations

import numpy as np
import pytest

import ngram_hashing
from ngram_hashing import NgramHasher, normalize_review

# Recorded from the first implementation (word 1-2 grams, 2**20 columns; char 2-3, 2**16).
EXPECTED_WORD_COLUMNS = [69984, 138982, 457982, 459859, 514343, 639915, 964460]
EXPECTED_CHAR_COLUMNS = [26484, 26940, 36096, 38694, 43359, 46843, 55586]


def test_hashing_is_stable_across_processes():
    # Served models depend on these exact columns: changing the hash breaks every artifact.
    words = NgramHasher("word", (1, 2), 20).fit_transform(["a great film !"])
    chars = NgramHasher("char", (2, 3), 16).fit_transform(["abc d"])
    assert words.indices.tolist() == EXPECTED_WORD_COLUMNS
    assert chars.indices.tolist() == EXPECTED_CHAR_COLUMNS
    assert words.data.tolist() == [1.0] * len(EXPECTED_WORD_COLUMNS)


def test_rows_are_binary_and_empty_texts_give_empty_rows():
    hasher = NgramHasher("word", (1, 3), 12)
    rows = hasher.transform(["great great great", "", "a"])
    assert rows.shape == (3, 1 << 12)
    assert rows.data.tolist() == [1.0] * rows.nnz  # presence, not counts
    # "great", "great great", "great great great": one column each, none repeated
    assert rows[0].nnz == 3
    assert rows[1].nnz == 0
    # char 2-grams need two characters: "a" has none
    assert NgramHasher("char", (2, 5), 12).transform(["a"]).nnz == 0


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"analyzer": "bytes"}, "analyzer"),
        ({"ngram_range": (3, 2)}, "ngram_range"),
        ({"n_bits": 31}, "n_bits"),
    ],
)
def test_hasher_rejects_bad_parameters(params, message):
    with pytest.raises(ValueError, match=message):
        NgramHasher(**params).fit(["text"])


def test_normalize_review_is_the_etl_normalisation_in_lower_case():
    plain = "A wonderful film. I loved it"
    marked = "A <i>wonderful</i> film.<br /><br />I&nbsp;LOVED it"
    assert normalize_review(marked) == normalize_review(plain) == "a wonderful film. i loved it"
    assert normalize_review(None) == ""
    assert normalize_review(42) == "42"
    assert np.array_equal(
        NgramHasher().transform([normalize_review(marked)]).indices,
        NgramHasher().transform([normalize_review(plain)]).indices,
    )


TEXTS = ["a great film !", "", "great great great", "abc d", "a", "x" * 9, "a great film !"]


@pytest.mark.parametrize("analyzer", ["word", "char"])
def test_batch_columns_are_the_rows_column_by_column(analyzer):
    # The served layout (distinct columns ascending, each with its rows) holds exactly the
    # CSR rows training sees, for one text, a few, and all of them.
    hasher = NgramHasher(analyzer, (1, 3), 10)
    for size in (1, 2, len(TEXTS)):
        expected = hasher.transform(TEXTS[:size]).tocsc()
        expected.sort_indices()
        columns, indptr, rows = hasher.batch_columns(TEXTS[:size])
        assert columns.tolist() == np.flatnonzero(np.diff(expected.indptr)).tolist()
        assert rows.tolist() == expected.indices.tolist()
        assert np.diff(indptr).tolist() == np.diff(expected.indptr)[columns].tolist()
    assert NgramHasher(analyzer, (2, 3), 10).batch_columns([""]).columns.shape == (0,)


def test_texts_are_hashed_alone_whatever_their_neighbours_and_chunks(monkeypatch):
    # n-grams never run from one text into the next, and chunked hashing (a training set)
    # equals hashing at once.
    hasher = NgramHasher("char", (2, 5), 12)
    alone = [hasher.transform([text]).indices.tolist() for text in TEXTS]
    together = hasher.transform(TEXTS)
    assert [together[i].indices.tolist() for i in range(len(TEXTS))] == alone
    monkeypatch.setattr(ngram_hashing, "_CHUNK_UNITS", 3)
    chunked = hasher.transform(TEXTS)
    assert chunked.indptr.tolist() == together.indptr.tolist()
    assert chunked.indices.tolist() == together.indices.tolist()
