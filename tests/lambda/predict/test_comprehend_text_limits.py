"""Comprehend takes at most 5,000 UTF-8 bytes per text: longer reviews are cut on a
character boundary, and their answers say so."""

from __future__ import annotations

import pytest
from comprehend_fakes import expect, positives

from comprehend_service import cut_to_bytes


@pytest.mark.parametrize(
    ("text", "kept_bytes", "truncated"),
    [
        ("a" * 5000, 5000, False),
        ("a" * 5001, 5000, True),
        # 2-byte characters: 2,500 fit exactly; one more ASCII byte pushes the last one out.
        ("é" * 2500, 5000, False),
        ("a" + "é" * 2500, 4999, True),
        # 3 bytes each: 1,666 take 4,998 bytes, the 1,667th would end at 5,001.
        ("€" * 2000, 4998, True),
        # 4 bytes each (outside the BMP): 1,250 fit exactly; after "ab", only 1,249.
        ("😀" * 1250, 5000, False),
        ("ab" + "😀" * 1250, 4998, True),
        # A combining accent is a character of its own and may be cut from its letter.
        ("a" * 4999 + "e\u0301", 5000, True),
    ],
    ids=["ascii-5000", "ascii-5001", "2-byte-exact", "2-byte-over", "3-byte", "4-byte-exact",
         "4-byte-over", "combining"],
)  # fmt: skip
def test_cuts_never_split_a_character(text, kept_bytes, truncated):
    cut, was_cut = cut_to_bytes(text)
    assert len(cut.encode("utf-8")) == kept_bytes
    assert was_cut is truncated
    assert text.startswith(cut)


def test_a_long_review_is_sent_cut_and_answered_truncated(comprehend):
    api, stubber = comprehend
    short, long = "Fine film.", "Tres " + "é" * 2999  # 5 + 5,998 bytes, 3,004 characters
    sent = "Tres " + "é" * 2497  # 5 + 4,994 = 4,999 bytes: one more é would end at 5,001
    expect(stubber, [short, sent], positives(2))

    answer = api.predict({"reviews": [short, long]})

    assert answer.status == 200
    first, second = answer.json["predictions"]
    assert "truncated" not in first
    assert second == {"label": "positive", "score": 0.9, "uncertain": False, "truncated": True}


def test_a_truncated_review_that_fails_says_both(comprehend):
    api, stubber = comprehend
    error = {"Index": 0, "ErrorCode": "INTERNAL_SERVER_ERROR", "ErrorMessage": "oops"}
    expect(stubber, ["x" * 5000], {"ResultList": [], "ErrorList": [error]})
    (prediction,) = api.predict({"review": "x" * 5500}).json["predictions"]
    assert prediction["error"]["code"] == "backend_item_error"
    assert prediction["truncated"] is True


def test_comprehend_reads_the_text_the_model_reads(comprehend):
    """Markup and entities are cleaned away first, as the model cleans them."""
    api, stubber = comprehend
    expect(stubber, ["Great film. The cast & crew shine."], positives(1))
    review = "Great film.<br /><br />The cast &amp; crew   shine."
    assert api.predict({"review": review}).status == 200


def test_the_cut_applies_to_the_cleaned_text(comprehend):
    api, stubber = comprehend
    expect(stubber, ["y" * 4990], positives(1))  # 5,050 characters, 4,990 of them text
    (prediction,) = api.predict({"review": "<br />" * 10 + "y" * 4990}).json["predictions"]
    assert "truncated" not in prediction
