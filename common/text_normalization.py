"""Review text normalisation, shared by the Glue ETL job, the model and the predict API.

This is the single definition of "clean review text" and of "an empty review". The Glue
job ships it as an extra Python file, training and serving ship it in their source
directories and the Lambda in its bundle, so every step cleans text identically.
Standard library only: it must import inside Glue, SageMaker containers and Lambda.
"""

from __future__ import annotations

import html
import re
import unicodedata

# Markup, in the order a browser's tokenizer would see it:
# * comments, and <script>/<style> elements with their contents, which a reader never
#   sees; unclosed, they run to the end of the text, as they do in a browser;
# * tags of any length, as their grammar has them: a name after "<" or "</", then
#   attributes (names, name=value, quoted values may hold ">"), then an optional "/" and
#   ">"; or "<!" / "<?" up to ">". So "<3", "a < b" and "</3" stay text, and a stray
#   "film<book by far. ... 4/5 -> ..." loses no prose to a later ">";
# * an unclosed tag that has attributes ("<img src=x onerror=alert(1)" with no ">"): the
#   name and its name=value pairs go. Without ">" nothing says where the tag ends, and
#   taking the rest of the review (what a browser does) would drop prose after a stray "<".
# A run of markup is matched whole, so "<br /><br />" is one gap.
_MARKUP_ITEM = (
    r"<!--.*?(?:-->|\Z)"
    r"|<(?i:script)\b[^>]*>.*?(?:</(?i:script)\s*>|\Z)"
    r"|<(?i:style)\b[^>]*>.*?(?:</(?i:style)\s*>|\Z)"
    r"|</?[A-Za-z][\w:-]*(?:\s+[^\s<>=/\"']+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s<>\"']+))?)*\s*/?>"
    r"|<[!?][^<>]*>"
    r"|<[A-Za-z][\w:-]*(?:\s+[\w:-]+\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s<>\"']+))+"
    r"|</?[A-Za-z][\w:-]*\s*\Z"
)
_MARKUP = re.compile(rf"(?:{_MARKUP_ITEM})(?:\s*(?:{_MARKUP_ITEM}))*", re.DOTALL)
# A gap left by markup becomes a space so words either side do not fuse ("great.<br />The"
# -> "great. The"), but not between a word and the punctuation that closes it, or an
# opening bracket and its word, where the space would be an artefact ("film<br />." ->
# "film.", "(<i>Heat</i>)" -> "(Heat)"). Between two marks it stays: "left...<br />...so"
# is "left... ...so", "Sad :(<br />Then" is "Sad :( Then".
_CLOSING = frozenset(".,;:!?)]}")
_OPENING = frozenset("([{")
# Zero-width characters join or hide nothing a reader sees: drop them.
_ZERO_WIDTH = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff]")
# C0/C1 control characters other than whitespace carry no meaning in a review.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# One scan decides whether either substitution above is needed; most reviews hold
# neither, and two full regex passes per review cost more than the rest combined.
_ODD = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _gap(match: re.Match[str]) -> str:
    text, start, end = match.string, match.start(), match.end()
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    if before.isalnum() and after in _CLOSING:
        return ""
    # The bracket opens a word if a space or other markup stands before it ("<p>(<i>").
    opening = before in _OPENING and (
        start < 2 or text[start - 2].isspace() or text[start - 2] == ">"
    )
    return "" if opening and after.isalnum() else " "


def _strip_markup(text: str) -> str:
    # Removing one tag can complete another around it ("<b x <br /> y>"): repeat until
    # nothing changes, so normalising clean text again finds nothing more.
    for _ in range(3):
        if "<" not in text:
            break
        stripped = _MARKUP.sub(_gap, text)
        if stripped == text:
            break
        text = stripped
    return text


def normalize_text(text: str | None) -> str:
    """Return review text without HTML, in Unicode NFKC, with single spaces.

    Entities are decoded once, before markup is removed: IMDb text holds escaped tags
    (``&lt;br /&gt;``) as well as literal ones, and both go; ``&amp;lt;`` stays the text
    ``&lt;`` it stands for. Case is kept: the model lower-cases on its own, and the
    processed layer should stay readable. ``None`` gives the empty string, which callers
    treat as a missing review.
    """
    if text is None:
        return ""
    # NFKC first: it turns fullwidth "＜br＞" into a tag, which must go in this same pass
    # (training normalises the ETL's clean text again and must find nothing more).
    cleaned = _strip_markup(unicodedata.normalize("NFKC", html.unescape(str(text))))
    if _ODD.search(cleaned):
        cleaned = _ZERO_WIDTH.sub("", cleaned)
        cleaned = _CONTROL.sub(" ", cleaned)
    # str.split() splits on exactly the characters regex \s matches (str.isspace), so this
    # collapses every whitespace run to one space and strips the ends, several times
    # faster than re.sub(r"\s+", " ", ...) on review-length text.
    return " ".join(cleaned.split())


# Normalisation never removes an ASCII letter or digit except inside markup, and without
# "&" there are no entities to decode into new markup.
_PLAINLY_READABLE = re.compile(r"[A-Za-z0-9]")


def is_empty_review(text: str | None) -> bool:
    """True when nothing a model could read is left after normalisation.

    Whitespace, zero-width characters, control characters and markup alone are empty.
    The ETL quarantines such rows (`empty_text`), the API answers `empty_review`, and the
    model's `input_fn` refuses them, all through this one function.
    """
    if text is None:
        return True
    text = str(text)
    if "&" not in text:
        # The common case, far cheaper than normalising a whole review: a letter or digit
        # before the first "<" is outside any markup; else drop markup as normalize_text
        # does (the gaps do not matter here) and look again.
        first_tag = text.find("<")
        if _PLAINLY_READABLE.search(text, 0, len(text) if first_tag < 0 else first_tag):
            return False
        if first_tag >= 0 and _PLAINLY_READABLE.search(_MARKUP.sub("", text)):
            return False
    return not normalize_text(text)
