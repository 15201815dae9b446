"""Write the project's sample review data (deterministic; standard library only).

    python data/sample/make_sample.py            # rewrites the files beside this script
    python data/sample/make_sample.py --out DIR  # writes them elsewhere

Every review is generated here from a small vocabulary written for this project (no
text is taken from IMDb), so the sample can ship with the code. It has two layouts of
the same kind of data:

* ``reviews.csv``: ``review,sentiment`` CSV (RFC 4180) with clean reviews dressed in
  HTML tags, entities and odd Unicode and whitespace, plus messy rows of every
  quarantine kind the ETL job knows: unparseable records, missing and unknown labels,
  empty, too short and too long texts, exact and near duplicates.
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

SEED = 20_251_122
CLEAN_REVIEWS_PER_LABEL = 150

TITLES = [
    "The Lighthouse Keeper",
    "Midnight Harbor",
    "Paper Moons",
    "The Last Orchard",
    "Copper Sky",
    "A Winter in Lisbon",
    "The Glass Garden",
    "Salt and Thunder",
    "Northbound",
    "The Quiet Engine",
    "Café Nights",
    "River of Lanterns",
    "The Cartographer",
    "Small Hours",
    "Iron Meadow",
    "The Velvet Signal",
    "Harvest of Ghosts",
    "Blue Canyon Road",
    "The Ninth Summer",
    "Echoes of Marlow",
]
ASPECTS = [
    "script",
    "soundtrack",
    "camera work",
    "pacing",
    "lead performance",
    "dialogue",
    "editing",
    "set design",
    "supporting cast",
    "final act",
    "score",
    "story",
]
WORDS = {
    "positive": {
        "adjectives": [
            "wonderful",
            "brilliant",
            "excellent",
            "superb",
            "delightful",
            "beautiful",
            "gripping",
            "charming",
            "moving",
            "outstanding",
            "fantastic",
            "memorable",
        ],
        "openers": [
            "I loved this film.",
            "What a wonderful surprise.",
            "A true masterpiece.",
            "Easily one of the best films of the year.",
            "I enjoyed every minute.",
            "I didn't expect much, and it blew me away.",
        ],
        "closers": [
            "Highly recommended.",
            "I would happily watch it again.",
            "Go and see it.",
            "Ten out of ten.",
            "A joy from start to finish.",
            "The cast & crew should be proud.",
        ],
    },
    "negative": {
        "adjectives": [
            "awful",
            "boring",
            "terrible",
            "dull",
            "clumsy",
            "tedious",
            "dreadful",
            "lifeless",
            "painful",
            "forgettable",
            "weak",
            "horrible",
        ],
        "openers": [
            "I hated this film.",
            "What a waste of time.",
            "A complete disaster.",
            "Easily one of the worst films of the year.",
            "I regretted every minute.",
            "I didn't expect much, and it was even worse.",
        ],
        "closers": [
            "Avoid it.",
            "I want my money back.",
            "Do not bother.",
            "One out of ten.",
            "A chore from start to finish.",
            "The cast & crew should be ashamed.",
        ],
    },
}
MIDDLES = [
    '"{title}" is a {a1} film and the {aspect} is {a2}.',
    "The {aspect} is {a1}, and the {aspect2} is just as {a2}.",
    "{title} has a {a1} {aspect} and a {a2} {aspect2}.",
    "Honestly, the {aspect} felt {a1} and the {aspect2} was {a2}.",
]
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


def make_reviews_csv(rng: random.Random) -> str:
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
    return "review,sentiment\n" + "".join(line for _, line in records)


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
    (out / "reviews.csv").write_text(make_reviews_csv(random.Random(SEED)), encoding="utf-8")
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
