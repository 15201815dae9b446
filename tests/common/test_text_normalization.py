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


# ------------------------------------------------------------------------------- markup


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        # unclosed tags: the name and its attributes go, prose after them stays
        ("Nice film <img src=x onerror=alert(1)", "Nice film"),
        ('Nice <img src="x" onerror="alert(1)" and more', "Nice and more"),
        ("It ends mid-tag <br", "It ends mid-tag"),
        # tags of any length
        ("<a title='" + "t" * 300 + "'>Good</a> film", "Good film"),
        ("<" + "x" * 250 + ">Fine", "Fine"),
        # script and style elements go with their contents, in any case, even unclosed
        ("Good<script>alert('x')</script> film", "Good film"),
        ("Good<SCRIPT type='a'>steal()</Script> film", "Good film"),
        ("Good <style>p { color: red }</style>film", "Good film"),
        ("Good film <script>document.write('never closed')", "Good film"),
        ("Good <!-- <b>hidden</b> --> film", "Good film"),
        # entities are decoded once: an escaped tag is a tag, an escaped entity is text
        ("Fine&lt;br /&gt;film", "Fine film"),
        ("Write &amp;lt;b&amp;gt; for bold", "Write &lt;b&gt; for bold"),
        ("Tom &amp; Jerry &#8230; &eacute;", "Tom & Jerry ... é"),
        # no space artefacts before closing or after opening punctuation
        ("What an ending<br /><br />.", "What an ending."),
        ("See (<i>Heat</i>), then <b>Ronin</b>!", "See (Heat), then Ronin!"),
        ("great.<br /><br />The cast", "great. The cast"),
        # between two marks the gap stays: an ellipsis or an emoticon is not a sentence end
        ("He left...<br /><br />...and came back", "He left... ...and came back"),
        ("Sad :(<br />Then it got better", "Sad :( Then it got better"),
        # "<" is a tag only before a letter, "/letter", "!" or "?", as in HTML
        ("I <3 it, a < b, EVER!</3", "I <3 it, a < b, EVER!</3"),
        ("Cast (<sp?) fine. Next", "Cast (<sp?) fine. Next"),
        # a "<" that starts no well-formed tag eats no prose up to a later ">"
        ("Cast (<sp?) fine.<br /><br />> Next", "Cast (<sp?) fine. > Next"),
        (
            "i.e. film<book by far.<br />Rating: 4/5 -> again",
            "i.e. film<book by far. Rating: 4/5 -> again",
        ),
        # a tag that removing another completes goes too: normalising twice changes nothing
        ("<b x <br /> y>fine", "fine"),
        ("Fullwidth ＜br＞brackets", "Fullwidth brackets"),
        ("<p>(<i>Heat</i>)</p>", "(Heat)"),
    ],
)
def test_markup_is_really_removed(text, clean):
    assert normalize_text(text) == clean
    if "&" not in clean:
        # Training normalises the ETL's clean text again; only text that spells an
        # entity ("&lt;" for a literal "&amp;lt;") reads differently a second time.
        assert normalize_text(clean) == clean
    assert not is_empty_review(text)


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "<style>b{}</style> <!-- 42 -->",
        "<img src=x onerror=alert(1)",
        "<p title='" + "9" * 300 + "'></p>",
        "&lt;script&gt;var a = 1;&lt;/script&gt;",
    ],
)
def test_markup_alone_is_empty(text):
    assert is_empty_review(text)
    assert normalize_text(text) == ""


MARKUP_PIECES = [
    "<br />",
    "<b>",
    "</i>",
    "<script>",
    "</script>",
    "<style>",
    "</STYLE>",
    "<!--",
    "-->",
    "<img src=x onerror=alert(1) ",
    "<a title='" + "7" * 210 + "'>",
    "&lt;",
    "&gt;",
    "&amp;",
    "<",
    ">",
    "(",
    ")",
    ".",
    " ",
    "\u200b",
    "x",
    "7",
    "\u00e9",
]


@given(st.lists(st.sampled_from(MARKUP_PIECES), max_size=12).map("".join))
def test_the_fast_path_agrees_on_scripts_comments_and_unclosed_tags(text):
    assert is_empty_review(text) == (normalize_text(text) == "")
