"""Bytes that are not UTF-8, and rows an unterminated quote swallowed (local Spark)."""

from __future__ import annotations

import gzip
import random
import re

import pytest
from glue_job_helpers import by_row, config

from etl_raw_text import BYTE_CHARSET, decode_fields
from etl_readers import read_aclimdb_reviews, read_csv_reviews, resolve_input
from etl_transforms import clean_reviews

pytestmark = pytest.mark.spark

_NOT_WINDOWS_1252 = rb"[\x81\x8d\x8f\x90\x9d\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_UTF8_SEQUENCE = rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"


def python_decode(data: bytes) -> tuple[str, str | None]:
    """The rule of etl_raw_text, written with Python's codecs: the test's oracle."""
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if re.search(_NOT_WINDOWS_1252 + b"|" + _UTF8_SEQUENCE, data):
        return data.decode("latin-1"), None
    return data.decode("cp1252"), "windows-1252"


REAL_BYTES = {
    # Windows-1252: accents, smart quotes, dashes, the euro sign
    b"caf\xe9": ("caf\u00e9", "windows-1252"),
    b"\x93Quoted\x94 \x96 and \x97, \x85 it\x92s \x80 5": (
        "\u201cQuoted\u201d \u2013 and \u2014, \u2026 it\u2019s \u20ac 5",
        "windows-1252",
    ),
    # UTF-8 and ASCII
    "caf\u00e9 \u201cok\u201d \U0001f600".encode(): (
        "caf\u00e9 \u201cok\u201d \U0001f600",
        "utf-8",
    ),
    b"plain ascii, tab\there": ("plain ascii, tab\there", "utf-8"),
    "\ufffd stays".encode(): ("\ufffd stays", "utf-8"),
    # neither: bytes Windows-1252 leaves undefined, binary, or two encodings in one field
    b"bad \x81 byte": ("bad \x81 byte", None),
    b"\x00\x01binary\xff\xfe": ("\x00\x01binary\xff\xfe", None),
    "caf\u00e9".encode() + b" \x93mixed\x94": ("caf\u00c3\u00a9 \x93mixed\x94", None),
}


def _decoded_by_spark(spark, samples: list[bytes]) -> list[tuple[str, str | None]]:
    df = spark.createDataFrame(
        [(i, s.decode(BYTE_CHARSET)) for i, s in enumerate(samples)], "i int, raw string"
    )
    (text,), encoding = decode_fields(df.raw)
    rows = df.select("i", text.alias("text"), encoding.alias("encoding")).collect()
    return [(r["text"], r["encoding"]) for r in sorted(rows, key=lambda r: r["i"])]


def test_real_windows_1252_is_decoded_and_other_bytes_are_refused(spark):
    samples = list(REAL_BYTES)
    assert _decoded_by_spark(spark, samples) == [REAL_BYTES[s] for s in samples]
    assert [python_decode(s) for s in samples] == [REAL_BYTES[s] for s in samples]
    # the raw text of a refused field gives the bytes back
    assert "bad \x81 byte".encode("latin-1") == b"bad \x81 byte"


def test_the_spark_rule_equals_the_python_oracle_on_random_bytes(spark):
    rng = random.Random(11)
    pieces = [b"a", b" ", b"\xe9", b"\x93", b"\x81", b"\x00", "\u00e9\u20ac".encode(), b"\xc3"]
    samples = [bytes(rng.randrange(256) for _ in range(rng.randint(0, 12))) for _ in range(300)]
    samples += [b"".join(rng.choices(pieces, k=rng.randint(1, 8))) for _ in range(300)]
    got = _decoded_by_spark(spark, samples)
    assert {s: g for s, g in zip(samples, got, strict=True) if g != python_decode(s)} == {}
    encodings = {g[1] for g in got}
    assert encodings == {"utf-8", "windows-1252", None}


def _write_bytes(path, data: bytes, *, gz: bool = False) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data) if gz else data)
    return str(path)


def test_csv_reader_decodes_each_field_and_keeps_undecodable_bytes(spark, tmp_path):
    body = (
        b"review,sentiment\n"
        b'"Caf\xe9 Society: \x93charming\x94 \x96 truly",positive\n'
        + "Caf\u00e9 Society in UTF-8 is fine,negative\n".encode()
        + b"Broken \x81 bytes in this review,positive\n"
        + b"A fine review with a Windows label,\xa0pos\xa0\n"
    )
    # a UTF-8 byte order mark and gzip: the header still reads as review,sentiment
    first = _write_bytes(tmp_path / "a.csv.gz", b"\xef\xbb\xbf" + body, gz=True)
    second = _write_bytes(tmp_path / "b.csv", body)
    raw = read_csv_reviews(spark, [first, second])
    rows = sorted(raw.collect(), key=lambda r: (r["source_file"], r["source_row"]))
    assert [(r["raw_review"], r["raw_sentiment"], r["source_encoding"]) for r in rows[:4]] == [
        ("Caf\u00e9 Society: \u201ccharming\u201d \u2013 truly", "positive", "windows-1252"),
        ("Caf\u00e9 Society in UTF-8 is fine", "negative", "utf-8"),
        ("Broken \x81 bytes in this review", "positive", None),
        ("A fine review with a Windows label", "\u00a0pos\u00a0", "windows-1252"),
    ]
    assert [r["source_encoding"] for r in rows[4:]] == [r["source_encoding"] for r in rows[:4]]

    reasons = {
        (r["source_file"], r["source_row"]): r for r in clean_reviews(raw, config()).collect()
    }
    assert [reasons[(r["source_file"], r["source_row"])]["reason"] for r in rows[:4]] == [
        None,
        None,
        "invalid_encoding",
        None,
    ]


def test_aclimdb_reader_decodes_windows_1252_and_refuses_other_bytes(spark, tmp_path):
    root = tmp_path / "aclImdb"
    _write_bytes(root / "train" / "pos" / "1_9.txt", b"A caf\xe9 with \x93style\x94, loved it.")
    _write_bytes(root / "train" / "neg" / "2_1.txt", "Na\u00efve, slow and very dull.".encode())
    _write_bytes(root / "test" / "neg" / "3_2.txt", b"\x8f\x90 not text \x9d at all")
    _, patterns = resolve_input(spark, (str(root),), "auto")
    raw = read_aclimdb_reviews(spark, patterns)
    got = {r["source_id"]: (r["raw_review"], r["source_encoding"]) for r in raw.collect()}
    assert got == {
        "1": ("A caf\u00e9 with \u201cstyle\u201d, loved it.", "windows-1252"),
        "2": ("Na\u00efve, slow and very dull.", "utf-8"),
        "3": ("\x8f\x90 not text \x9d at all", None),
    }
    reasons = {r["source_id"]: r["reason"] for r in clean_reviews(raw, config()).collect()}
    assert reasons == {"1": None, "2": None, "3": "invalid_encoding"}


# ------------------------------------------------------------------- unterminated quotes

LINES = [
    "review,sentiment",
    "A first review that is perfectly fine.,positive",
    # the broken row: its quote is never closed
    '"An unterminated quote swallows what follows,positive',
    "A row the broken quote swallowed whole,negative",
    "Another row lost to the same quote,positive",
]


@pytest.mark.parametrize(
    ("tail", "absorbed"),
    [
        # the quote runs to the end of the file
        ([], 2),
        # a later quoted row ends it: that row is swallowed too (a corrupt record) ...
        (['"A quoted row, with a comma",negative'], 3),
        # ... or closes a valid-looking record whose review holds the rows
        (['"A ""quoted"" row",negative'], 3),
    ],
)
def test_a_swallowing_quote_is_found_and_its_lines_counted(spark, tmp_path, tail, absorbed):
    text = "\n".join([*LINES, *tail]) + "\n"
    path = _write_bytes(tmp_path / "broken.csv", text.encode())
    raw = read_csv_reviews(spark, [path])
    rows = by_row(clean_reviews(raw, config()))
    assert {i: (r["reason"], r["absorbed_lines"]) for i, r in rows.items()} == {
        0: (None, None),
        1: ("unterminated_quote", absorbed),
    }


def test_a_multiline_review_is_not_a_swallow(spark, tmp_path):
    text = (
        "review,sentiment\n"
        '"First line of a long review,\nsecond line, with, commas,\nand the end, positive",1\n'
        '"He said ""wow"",\ntwice",negative\n'
    )
    rows = by_row(
        clean_reviews(
            read_csv_reviews(spark, [_write_bytes(tmp_path / "m.csv", text.encode())]), config()
        )
    )
    assert {i: (r["reason"], r["absorbed_lines"]) for i, r in rows.items()} == {
        0: (None, None),
        1: (None, None),
    }
