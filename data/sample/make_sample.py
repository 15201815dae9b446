"""Write the project's sample review data (deterministic; standard library only).

    python data/sample/make_sample.py            # rewrites the files beside this script
    python data/sample/make_sample.py --out DIR  # writes them elsewhere

Every review is generated here from a small vocabulary written for this project (no
text is taken from IMDb), so the sample can ship with the code. It has two layouts of
the same kind of data:

* ``reviews.csv``: ``review,sentiment`` CSV (RFC 4180) with clean reviews dressed in
  HTML tags, scripts, entities and odd Unicode and whitespace, a few in Windows-1252
  bytes, plus messy rows of every quarantine kind the ETL job knows: an unterminated
  quote that swallows the rows after it, unparseable records, undecodable bytes,
  missing and unknown labels, empty texts and texts without a letter, too short and too
  long texts, exact and near duplicates (markup, case, spacing).
* ``aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt``: a few dozen files in the layout
  of the Large Movie Review Dataset, with one text in both train and test and one text
  too short to keep.

Sentiment words are plain and consistent, so a bag-of-words model trained on the
curated train channel gets obvious reviews right.
"""

# Seeded random.Random on purpose: the sample must be reproducible, not secret.
# ruff: noqa: S311

from __future__ import annotations

import argparse
import csv
import io
import random
import re
import shutil
from pathlib import Path

# A sibling module: the script's own directory is on the path when it runs.
from sample_words import ASPECTS, MIDDLES, TITLES, WORDS

SEED = 20_251_122
CLEAN_REVIEWS_PER_LABEL = 150

# Unusual but accepted spellings of the two labels: the job maps them case-insensitively.
LABEL_SPELLINGS = {
    "positive": ["Positive", "POSITIVE", " pos ", "pos", "1"],
    "negative": ["Negative", "NEGATIVE", "neg ", "neg", "0"],
}

_ALL_ADJECTIVES = {w for words in WORDS.values() for w in words["adjectives"]}


def _review(rng: random.Random, sentiment: str) -> str:
    """One clean review: single spaces, no HTML, NFKC-stable (a normaliser fixed point)."""
    words = WORDS[sentiment]
    a1, a2 = rng.sample(words["adjectives"], 2)
    aspect, aspect2 = rng.sample(ASPECTS, 2)
    middle = rng.choice(MIDDLES).format(
        title=rng.choice(TITLES), a1=a1, a2=a2, aspect=aspect, aspect2=aspect2
    )
    # "a awful" -> "an awful"
    middle = re.sub(r"\ba (?=[aeiou])", "an ", middle)
    sentences = [rng.choice(words["openers"]), middle]
    if rng.random() < 0.6:
        sentences.append(rng.choice(words["closers"]))
    return " ".join(sentences)


def _fullwidth(word: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalpha() else c for c in word)


def _dress(rng: random.Random, text: str) -> str:
    """Return ``text`` in a messier form that the shared normaliser turns back into it."""
    sentences = text.split(". ")
    join = rng.choice([". <br /><br />", ".<br /><br />", ".  ", ".\n", ".\t", ". \u00a0"])
    dressed = join.join(sentences)
    dressed = dressed.replace("&", "&amp;").replace("'", "&#39;")
    dressed = dressed.replace('"', rng.choice(['"', "&quot;"]))
    if rng.random() < 0.3:
        dressed = dressed.replace("film", "\ufb01lm")  # the "fi" ligature
    if rng.random() < 0.3:
        dressed = dressed.replace("Café", "Cafe\u0301")  # decomposed accent
    if rng.random() < 0.2:
        adjective = next((w for w in dressed.split() if w.strip(",.") in _ALL_ADJECTIVES), None)
        if adjective:
            core = adjective.strip(",.")
            dressed = dressed.replace(core, _fullwidth(core), 1)
    if rng.random() < 0.2:
        dressed = dressed.replace("e", "e\u200b", 1)  # zero-width space
    return rng.choice(["", " ", "\n"]) + dressed + rng.choice(["", " ", "<br />"])


def _label(rng: random.Random, sentiment: str) -> str:
    return rng.choice(LABEL_SPELLINGS[sentiment]) if rng.random() < 0.12 else sentiment


def _clean_rows(rng: random.Random, per_label: int) -> list[tuple[str, str]]:
    seen: set[str] = set()
    rows = []
    for sentiment in ("positive", "negative"):
        made = 0
        while made < per_label:
            text = _review(rng, sentiment)
            if text in seen:
                continue
            seen.add(text)
            rows.append((text, sentiment))
            made += 1
    rng.shuffle(rows)
    return rows


def _csv_line(review: str, label: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([review, label])
    return buffer.getvalue()


def _long_review() -> str:
    """A positive review just over the default max_chars (20,000)."""
    rng = random.Random(SEED - 1)
    parts: list[str] = []
    while sum(len(p) + 1 for p in parts) < 20_100:
        parts.append(_review(rng, "positive"))
    return " ".join(parts)


def _harden(rng: random.Random, records: list[tuple[str | None, str]]) -> list[bytes]:
    """The CSV records as bytes, with the messier rows of the hardening added: Windows-1252
    bytes, undecodable bytes, reviews without a letter, copies that differ in case and
    punctuation spacing, scripts and unclosed tags, and an unterminated quote.

    Its own random stream, so the rows made before it stay as they were."""
    encoded = [line.encode("utf-8") for _, line in records]
    plain = [
        i
        for i, (text, line) in enumerate(records)
        if text is not None and line.rstrip("\n").rsplit(",", 1)[0] == text
    ]
    # Windows-1252 (a spreadsheet's "CSV"): the same clean text once decoded.
    for i in [i for i in plain if "\u00e9" in records[i][1]][:2]:
        encoded[i] = records[i][1].encode("cp1252")
    # Markup that must go entirely: a script with its contents, an unclosed tag.
    markup = ["<script>alert('x')</script>", " <img src=x onerror=alert(1)"]
    utf8_plain = [i for i in plain if "\u00e9" not in records[i][1]]
    for i, extra in zip(rng.sample(utf8_plain, len(markup)), markup, strict=True):
        text, line = records[i]
        encoded[i] = _csv_line(f"{text}{extra}", line.rstrip("\n").rsplit(",", 1)[1]).encode()
    # Copies equal only once case and the spaces around punctuation are ignored.
    for number, i in enumerate(rng.sample(plain, 2)):
        text, line = records[i]
        label = line.rstrip("\n").rsplit(",", 1)[1]
        copy = text.upper() if number == 0 else text.replace(". ", " .").replace(", ", ",")
        encoded.insert(rng.randint(i + 1, len(encoded)), _csv_line(copy, label).encode())
    messy = [
        # invalid_encoding: bytes that are neither UTF-8 nor Windows-1252
        b"A review saved in an encoding nobody knows: \x81\x8d\x90 and more,positive\n",
        # no_words: not one letter
        _csv_line("10/10 !!! :-) 10/10 !!!", "positive").encode(),
        _csv_line("\U0001f44d\U0001f44d\U0001f44d \u2605\u2605\u2605\u2605\u2605", "pos").encode(),
        _csv_line("0/10 ... -_- ??? 0/10", "negative").encode(),
        # unterminated_quote: the first line's quote swallows the next three lines
        b'"An unterminated quote swallows the rows after it,positive\n'
        b"A row the broken quote swallowed whole and never read,negative\n"
        b"Another row lost to the same quote and never read,positive\n"
        b'"A quoted row, where the quote is finally closed",negative\n',
    ]
    for line in messy:
        encoded.insert(rng.randrange(len(encoded) + 1), line)
    return encoded


def make_reviews_csv(rng: random.Random) -> bytes:
    clean = _clean_rows(rng, CLEAN_REVIEWS_PER_LABEL)
    # (clean text or None, CSV record); the text lets duplicates go after their original.
    records: list[tuple[str | None, str]] = [
        (t, _csv_line(_dress(rng, t) if rng.random() < 0.5 else t, _label(rng, s)))
        for t, s in clean
    ]
    messy = [
        # unparseable: an unquoted comma splits the text; a record with no label column
        "Loved it, honestly, a wonderful film,positive\n",
        "This line has no label column at all and cannot be read as a review row\n",
        # missing_label
        _csv_line("A perfectly fine review whose label went missing.", ""),
        _csv_line("Another review that somebody forgot to label at all.", ""),
        _csv_line("A third review with only blanks where the label goes.", "   "),
        # unknown_label
        _csv_line("It was fine, some good parts and some bad parts.", "neutral"),
        _csv_line("A review labelled with a star count instead of a label.", "5 stars"),
        _csv_line("A brilliant film with a misspelled label on it.", "positve"),
        # empty_text
        _csv_line("", "positive"),
        _csv_line("<br /><br />", "negative"),
        _csv_line("&nbsp; \t ", "positive"),
        # too_short (fewer than 20 characters after cleaning)
        _csv_line("Loved it!", "positive"),
        _csv_line("Awful.", "negative"),
        _csv_line("Great <b>film</b>.", "positive"),
        # too_long
        _csv_line(_long_review(), "positive"),
    ]
    for line in messy:
        records.insert(rng.randrange(len(records) + 1), (None, line))
    # duplicates: three exact copies, three that only normalise equal, one with the
    # opposite label; each goes somewhere after the row it copies, which is kept.
    for number, (text, sentiment) in enumerate(rng.sample(clean[:100], 7)):
        if number < 3:
            line = _csv_line(text, sentiment)
        elif number < 6:
            line = _csv_line(_dress(rng, text), sentiment)
        else:
            line = _csv_line(text, "negative" if sentiment == "positive" else "positive")
        first = next(i for i, (original, _) in enumerate(records) if original == text)
        records.insert(rng.randint(first + 1, len(records)), (None, line))
    return b"review,sentiment\n" + b"".join(_harden(random.Random(SEED + 2), records))


def make_aclimdb(rng: random.Random) -> dict[str, str]:
    """Relative path -> file text for a small aclImdb tree."""
    files: dict[str, str] = {}
    texts = {
        (split, sentiment): [_review(rng, sentiment) for _ in range(8)]
        for split in ("train", "test")
        for sentiment in ("positive", "negative")
    }
    # The same review in train and test: the job keeps the test copy.
    texts[("test", "positive")][3] = texts[("train", "positive")][5]
    texts[("train", "negative")][7] = "Dull. Avoid."  # too short
    for (split, sentiment), reviews in texts.items():
        folder = "pos" if sentiment == "positive" else "neg"
        for number, text in enumerate(reviews):
            rating = rng.randint(7, 10) if sentiment == "positive" else rng.randint(1, 4)
            body = text.replace(". ", ". <br /><br />", 1) if number % 3 == 0 else text
            files[f"{split}/{folder}/{number}_{rating}.txt"] = body
    files["README"] = (
        "Generated by data/sample/make_sample.py in the layout of the Large Movie Review "
        "Dataset. Only {train,test}/{pos,neg}/*.txt are reviews; this file is ignored.\n"
    )
    return files


def write_sample(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "reviews.csv").write_bytes(make_reviews_csv(random.Random(SEED)))
    tree = out / "aclImdb"
    if tree.exists():
        shutil.rmtree(tree)
    for relative, text in make_aclimdb(random.Random(SEED + 1)).items():
        path = tree / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    write_sample(parser.parse_args().out)


if __name__ == "__main__":
    main()
