"""What a model's drift baseline holds and how live traffic is measured against it.

Training computes the baseline on its validation split (`build_baseline`) and ships it
in the model artifact as `drift_baseline.json`; the drift job (and `make drift`) reads
captured traffic and compares it (`population_stability_index`, `oov_rate`). Both sides
measure reviews through the functions here, so "a token" or "a review's length" means
the same in training and in production. Standard library only: it ships into SageMaker
and Lambda.

Baseline JSON (version 2):
    {"version": 2,
     "score_edges": [11 floats: 0, the 9 deciles of probability_positive, 1],
     "length_edges": [11 floats: 0, the 9 deciles of word counts, +inf as 1e9],
     "score_shares": [10 floats], "length_shares": [10 floats],
     "positive_share": float, "uncertain_share": float, "uncertainty_threshold": float,
     "oov": {"bits": 20, "seen": "<base64 of a 2**bits-bit set>", "rate": float}}
The shares are the validation split's own, measured with `bin_shares` over those edges:
a tenth each when the deciles are distinct, less and more where ties repeat an edge
(word counts do), so identical traffic always scores a PSI of 0.
"""

from __future__ import annotations

import base64
import bisect
import math
import re
import zlib
from collections.abc import Iterable, Sequence
from typing import Any

from text_normalization import normalize_text

BASELINE_FILENAME = "drift_baseline.json"
BASELINE_VERSION = 2
OOV_BITS = 20
# Words and numbers, apostrophes kept ("don't"), after the shared normalisation.
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
# Keeps a bin that is empty on one side from making the index infinite.
_EPSILON = 1e-4
_LENGTH_CEILING = 1e9


def review_tokens(text: str) -> list[str]:
    return _TOKEN.findall(normalize_text(text).lower())


def word_count(text: str) -> int:
    return len(review_tokens(text))


def token_bucket(token: str, bits: int = OOV_BITS) -> int:
    return zlib.crc32(token.encode("utf-8")) & ((1 << bits) - 1)


def decile_edges(values: Sequence[float], low: float, high: float) -> list[float]:
    """`low`, the nine deciles of `values`, `high`: ten bins of equal mass."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values to take deciles of")
    inner = [ordered[min(len(ordered) - 1, (len(ordered) * k) // 10)] for k in range(1, 10)]
    return [low, *inner, high]


def bin_shares(values: Iterable[float], edges: Sequence[float]) -> list[float]:
    """Share of `values` in each of the len(edges) - 1 bins (right-open, last closed)."""
    counts = [0] * (len(edges) - 1)
    total = 0
    for value in values:
        index = min(max(bisect.bisect_right(edges, value) - 1, 0), len(counts) - 1)
        counts[index] += 1
        total += 1
    return [count / total for count in counts] if total else [0.0] * len(counts)


def population_stability_index(expected: Sequence[float], actual: Sequence[float]) -> float:
    """PSI = sum((a - e) * ln(a / e)): 0 for identical shares, growing with any shift."""
    total = 0.0
    for e, a in zip(expected, actual, strict=True):
        e, a = max(e, _EPSILON), max(a, _EPSILON)
        total += (a - e) * math.log(a / e)
    return total


def seen_set(texts: Iterable[str], bits: int = OOV_BITS) -> bytearray:
    seen = bytearray(1 << (bits - 3))
    for text in texts:
        for token in review_tokens(text):
            bucket = token_bucket(token, bits)
            seen[bucket >> 3] |= 1 << (bucket & 7)
    return seen


def oov_rate(texts: Iterable[str], seen: bytes | bytearray, bits: int = OOV_BITS) -> float:
    """Share of tokens whose bucket no training review filled (0 when there are none)."""
    unseen = total = 0
    for text in texts:
        for token in review_tokens(text):
            bucket = token_bucket(token, bits)
            total += 1
            unseen += not seen[bucket >> 3] & (1 << (bucket & 7))
    return unseen / total if total else 0.0


def build_baseline(
    *,
    train_texts: Sequence[str],
    validation_texts: Sequence[str],
    probability_positive: Sequence[float],
    uncertainty_threshold: float,
) -> dict[str, Any]:
    """The baseline of one model: its scores and inputs on the validation split."""
    if len(validation_texts) != len(probability_positive):
        raise ValueError("one probability per validation review")
    seen = seen_set(train_texts)
    lengths = [word_count(text) for text in validation_texts]
    confident = [max(p, 1 - p) >= uncertainty_threshold for p in probability_positive]
    score_edges = decile_edges(probability_positive, 0.0, 1.0)
    length_edges = decile_edges(lengths, 0.0, _LENGTH_CEILING)
    return {
        "version": BASELINE_VERSION,
        "score_edges": score_edges,
        "length_edges": length_edges,
        "score_shares": bin_shares(probability_positive, score_edges),
        "length_shares": bin_shares(lengths, length_edges),
        # Positive above one half, as the model labels (a tie is negative).
        "positive_share": sum(p > 0.5 for p in probability_positive) / len(lengths),
        "uncertain_share": 1 - sum(confident) / len(confident),
        "uncertainty_threshold": uncertainty_threshold,
        "oov": {
            "bits": OOV_BITS,
            "seen": base64.b64encode(zlib.compress(bytes(seen), 9)).decode("ascii"),
            "rate": oov_rate(validation_texts, seen),
        },
    }


def seen_from_baseline(baseline: dict[str, Any]) -> bytes:
    return zlib.decompress(base64.b64decode(baseline["oov"]["seen"]))
