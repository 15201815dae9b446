"""One definition of an empty review, shared by the ETL, the model and the API."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from text_normalization import is_empty_review, normalize_text


@pytest.mark.parametrize(
    "text", [None, "", "   ", "\u200b\ufeff", "<br /><br />", "&lt;br /&gt;", "\x00\x07 \t\n"]
)
def test_nothing_readable_is_empty(text):
    assert is_empty_review(text)


@pytest.mark.parametrize("text", ["ok", " <b>Great</b> ", "5/10", "\u00e9", "!"])
def test_any_readable_character_is_not_empty(text):
    assert not is_empty_review(text)
    assert normalize_text(text) == normalize_text(normalize_text(text))  # idempotent


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
def test_the_fast_path_agrees_with_normalising(text):
    assert is_empty_review(text) == (normalize_text(text) == "")


@given(st.text(alphabet="<>&;/#ablgtx0 \u200b\u00a0", max_size=40))
def test_the_fast_path_agrees_on_markup_and_entities(text):
    assert is_empty_review(text) == (normalize_text(text) == "")
