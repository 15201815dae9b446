"""Raw bytes -> text, and records an unterminated quote ran into: the readers' rules.

Both readers hand every field over as an ISO-8859-1 string, one character per byte, so
no byte has been replaced yet when these rules look at it. ``decode_fields`` then decides
per field:

* valid UTF-8 (ASCII included) is UTF-8;
* otherwise Windows-1252, when every byte is one that code page defines, no control
  character other than tab, CR or LF appears, and no byte sequence would also read as a
  UTF-8 character (that would be a mix of two encodings in one field);
* otherwise the field is undecodable: the row is quarantined as ``invalid_encoding``
  with its raw text kept one character per byte (``raw_review.encode("latin-1")`` gives
  the bytes back), instead of guessing.

Windows-1252 is the one fallback because it is what non-UTF-8 review text in practice
is: spreadsheet exports and old web pages on Windows, with smart quotes and dashes in
0x80-0x9F; ISO-8859-1 text decodes the same way, byte for byte.

Spark expressions only: they run in the JVM, and a Python pass over every review would
cost more than the decoding itself.
"""

from __future__ import annotations

import re

from pyspark.sql import Column
from pyspark.sql import functions as F  # noqa: N812 (the PySpark convention)

from review_labels import EDGE_CHARACTERS, LABEL_KEYS

# What the readers decode bytes with: every byte is one character, nothing is replaced.
BYTE_CHARSET = "ISO-8859-1"
UTF8 = "utf-8"
WINDOWS_1252 = "windows-1252"
# The source_encoding values of a decoded row; null means undecodable.
DECODED_ENCODINGS = (UTF8, WINDOWS_1252)

_NON_ASCII = r"[\x80-\xff]"
# Bytes Windows-1252 leaves undefined, and control bytes no text file holds.
_NOT_WINDOWS_1252 = r"[\x81\x8d\x8f\x90\x9d\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
# A UTF-8 multi-byte sequence: a lead byte and its continuation bytes.
_UTF8_SEQUENCE = r"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"


def _decoded(field: Column) -> tuple[Column, Column]:
    """(text, encoding) of one field held as bytes-as-characters; encoding null when
    neither rule applies, and then the text is the field as it is."""
    data = F.encode(field, BYTE_CHARSET)
    utf8 = F.decode(data, "UTF-8")
    ascii_only = ~field.rlike(_NON_ASCII)
    # Java replaces a malformed sequence with U+FFFD: the round trip then differs.
    is_utf8 = ascii_only | (F.encode(utf8, "UTF-8") == data)
    is_windows_1252 = ~field.rlike(f"{_NOT_WINDOWS_1252}|{_UTF8_SEQUENCE}")
    text = (
        F.when(ascii_only, field)
        .when(is_utf8, utf8)
        .when(is_windows_1252, F.decode(data, "windows-1252"))
        .otherwise(field)
    )
    encoding = (
        F.when(field.isNull() | is_utf8, F.lit(UTF8))
        .when(is_windows_1252, F.lit(WINDOWS_1252))
        .otherwise(F.lit(None).cast("string"))
    )
    return text, encoding


def decode_fields(*fields: Column) -> tuple[list[Column], Column]:
    """Each field's text, and the row's ``source_encoding``: null when any field is
    undecodable, else windows-1252 when any field needed it, else utf-8."""
    decoded = [_decoded(field) for field in fields]
    encodings = [encoding for _, encoding in decoded]
    undecodable = F.lit(False)
    fallback = F.lit(False)
    for encoding in encodings:
        undecodable = undecodable | encoding.isNull()
        fallback = fallback | (encoding == WINDOWS_1252)
    row_encoding = (
        F.when(undecodable, F.lit(None).cast("string"))
        .when(fallback, F.lit(WINDOWS_1252))
        .otherwise(F.lit(UTF8))
    )
    return [text for text, _ in decoded], row_encoding


# ------------------------------------------------------------------- unterminated quotes

_LABEL = "(?:" + "|".join(map(re.escape, LABEL_KEYS)) + ")"
# A physical line that is a record of its own: its label first or last, beside a comma.
_LABELLED_LINE = (
    rf"(?iU)^{EDGE_CHARACTERS}*{_LABEL}{EDGE_CHARACTERS}*,"
    rf"|,{EDGE_CHARACTERS}*{_LABEL}{EDGE_CHARACTERS}*$"
)


def _is_record_line(line: Column) -> Column:
    # An even number of quotes: the line closes every quote it opens, so it is a whole
    # record, not the last line of a quoted multi-line field ('...end of text",pos').
    quotes = F.length(line) - F.length(F.translate(line, '"', ""))
    return line.rlike(_LABELLED_LINE) & (quotes % 2 == 0)


def _absorbed(text: Column) -> tuple[Column, Column]:
    """(lines after the first, whether one of them is a record) for one text."""
    lines = F.split(F.regexp_replace(text, r"\r?\n\z", ""), r"\r?\n")
    later = F.filter(lines, lambda _, index: index > 0)
    return F.size(later), F.exists(later, _is_record_line)


def absorbed_lines(raw_record: Column, fields: list[Column]) -> Column:
    """How many input lines an unterminated quote swallowed into this record, else null.

    Spark's multi-line CSV parser reads an unterminated quoted field on to the next
    quote that can close it, or to the end of the file: the rows in between become part
    of one field, of a corrupt record or of a valid-looking one. A record is taken for
    such a swallow when one of its later physical lines is a record of its own; the lines
    after its first are what it absorbed. A corrupt record is looked at whole. In a
    valid-looking one the parser gave up on the quote and kept it: the field starts with
    '"', which a correctly quoted field's value does not (its quotes are stripped).
    """
    record_lines, record_swallowed = _absorbed(raw_record)
    field_lines, field_swallowed = F.lit(0), F.lit(False)
    for field in fields:
        size, found = _absorbed(field)
        field_lines = field_lines + F.coalesce(size, F.lit(0))
        field_swallowed = field_swallowed | F.coalesce(field.startswith('"') & found, F.lit(False))
    corrupt = raw_record.isNotNull()
    # A record without a line break (almost all) is never split: "and" short-circuits.
    multiline = F.lit(False)
    for text in (raw_record, *fields):
        multiline = multiline | F.coalesce(text.contains("\n"), F.lit(False))
    swallowed = F.when(corrupt, record_swallowed).otherwise(field_swallowed)
    lines = F.when(corrupt, record_lines).otherwise(field_lines)
    return F.when(multiline & swallowed, lines).cast("int")
