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

# Tags such as <br />, <i>, </a href=...>. A tag becomes a space so words either side
# of "<br />" do not fuse ("great.<br />The" -> "great. The").
_TAG = re.compile(r"<[^<>]{0,200}>")
# Zero-width characters join or hide nothing a reader sees: drop them.
_ZERO_WIDTH = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff]")
# C0/C1 control characters other than whitespace carry no meaning in a review.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# One scan decides whether either substitution above is needed; most reviews hold
# neither, and two full regex passes per review cost more than the rest combined.
_ODD = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def normalize_text(text: str | None) -> str:
    """Return review text without HTML, in Unicode NFKC, with single spaces.

    Entities are decoded before and after tag removal because IMDb text holds both
    literal tags (``<br />``) and escaped ones (``&lt;br /&gt;``). Case is kept: the
    model lower-cases on its own, and the processed layer should stay readable.
    ``None`` gives the empty string, which callers treat as a missing review.
    """
    if text is None:
        return ""
    cleaned = html.unescape(str(text))
    cleaned = _TAG.sub(" ", cleaned)
    cleaned = html.unescape(cleaned)
    cleaned = _TAG.sub(" ", cleaned)
    cleaned = unicodedata.normalize("NFKC", cleaned)
    if _ODD.search(cleaned):
        cleaned = _ZERO_WIDTH.sub("", cleaned)
        cleaned = _CONTROL.sub(" ", cleaned)
    # str.split() splits on exactly the characters regex \s matches (str.isspace), so this
    # collapses every whitespace run to one space and strips the ends, several times
    # faster than re.sub(r"\s+", " ", ...) on review-length text.
    return " ".join(cleaned.split())


# Normalisation never removes an ASCII letter or digit except inside a tag, and without
# "&" there are no entities to decode into new tags.
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
        # The common case, far cheaper than normalising a whole review: drop tags the
        # way normalize_text does (twice) and look for one letter or digit.
        text_outside_tags = _TAG.sub(" ", _TAG.sub(" ", text)) if "<" in text else text
        if _PLAINLY_READABLE.search(text_outside_tags):
            return False
    return not normalize_text(text)
