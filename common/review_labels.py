"""The one label table: which spellings of a sentiment mean positive and negative.

Used by the Glue job (as a Spark expression built from the same constants) and by
`train.py` (through `parse_label`), so a row the ETL keeps is a row training accepts,
and the other way round. Standard library only: it ships into Glue and SageMaker.

A raw label is compared by its *key*: surrounding whitespace and punctuation removed,
then lower-cased, so ``" Negative."``, ``"POS"`` and ``"'1'"`` all find their entry.
"""

from __future__ import annotations

import re

POSITIVE = 1
NEGATIVE = 0
# label -> the name the lake, the API and the model's output use.
SENTIMENT_NAMES = {NEGATIVE: "negative", POSITIVE: "positive"}

# key -> label. "1.0"/"0.0": spreadsheets and pandas write integer labels as floats.
LABEL_KEYS: dict[str, int] = {
    **dict.fromkeys(("positive", "pos", "1", "1.0", "true"), POSITIVE),
    **dict.fromkeys(("negative", "neg", "0", "0.0", "false"), NEGATIVE),
}

# Characters stripped from both ends of a raw label before lookup: whitespace, quotes,
# brackets and sentence punctuation. Signs stay ("-1" must not become "1"). Written so
# that Java (Spark's regexp_replace) and Python read the class the same way: Python's \s
# also holds the information separators U+001C-U+001F, Java's does not, so they are named.
EDGE_CHARACTERS = r"""[\s\u001c-\u001f\u00a0\u2007\u202f\u3000"'`()\[\]{}<>.,;:!?*]"""
# Spark needs (?U) for Unicode whitespace in \s; Python's re is Unicode by default.
EDGE_PATTERN = rf"^{EDGE_CHARACTERS}+|{EDGE_CHARACTERS}+$"
_EDGES = re.compile(EDGE_PATTERN)


def label_key(raw: object) -> str:
    """The lookup key of a raw label: edges stripped, lower case ("" when nothing is left)."""
    if raw is None:
        return ""
    return _EDGES.sub("", str(raw)).lower()


def parse_label(raw: object) -> int | None:
    """1 (positive), 0 (negative), or None for a spelling the table does not know."""
    return LABEL_KEYS.get(label_key(raw))


def accepted_spellings() -> str:
    """For error messages: the keys, grouped by sentiment."""
    groups = (
        f"{name}: {'/'.join(key for key, label in LABEL_KEYS.items() if label == value)}"
        for value, name in sorted(SENTIMENT_NAMES.items(), reverse=True)
    )
    return "; ".join(groups)
