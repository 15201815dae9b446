"""Hashed word and character n-grams: the model's only view of a review's text.

Token ids come from CRC-32 and n-gram ids from a fixed 64-bit mix, never from Python's
salted ``hash``, so a column means the same in every process: served models depend on
these exact columns, and changing the hash breaks every artifact.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from text_normalization import normalize_text

WORD_PATTERN = r"\w+|[^\w\s]"

# 64-bit mixing constants (splitmix64 / murmur3 finaliser) and an FNV prime for rolling
# n-gram hashes. Numpy uint64 arrays wrap on overflow, which is what a hash wants.
_MIX_1 = np.uint64(0xFF51AFD7ED558CCD)
_MIX_2 = np.uint64(0xC4CEB9FE1A85EC53)
_PRIME = np.uint64(0x100000001B3)
_SHIFT_33 = np.uint64(33)
_GOLDEN = 0x9E3779B97F4A7C15
_SALT = {"word": 0x5F3759DF, "char": 0x2545F491}


def normalize_review(text: object) -> str:
    """The model's view of a review: the shared ETL normalisation, then lower case."""
    return normalize_text(None if text is None else str(text)).lower()


def _mix(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> _SHIFT_33)
    h = h * _MIX_1
    h = h ^ (h >> _SHIFT_33)
    h = h * _MIX_2
    return h ^ (h >> _SHIFT_33)


def _ngram_hashes(units: np.ndarray, min_n: int, max_n: int, salt: int) -> np.ndarray:
    """64-bit hashes of all n-grams (min_n..max_n) of a sequence of unit hashes.

    A rolling polynomial hash gives the n-grams of length n from those of length n-1 in one
    vectorised step, so the cost is O(len * max_n) numpy work instead of a Python loop per
    n-gram (sklearn's char analyzers spend about 3 ms per review there).
    """
    parts = []
    h = units
    for n in range(1, min(max_n, units.shape[0]) + 1):
        if n > 1:
            h = h[:-1] * _PRIME + units[n - 1 :]
        if n >= min_n:
            parts.append(_mix(h ^ np.uint64((salt + n * _GOLDEN) % (1 << 64))))
    if not parts:
        return np.empty(0, dtype=np.uint64)
    return np.concatenate(parts)


class NgramHasher(TransformerMixin, BaseEstimator):
    """Binary bag of hashed word or character n-grams.

    Stateless like sklearn's HashingVectorizer (no vocabulary to store, so the artifact
    stays small), but vectorised with numpy and with a stable hash.

    analyzer: "word" (tokens matched by ``token_pattern``) or "char" (n-grams over the
    whole normalised text, spaces included, so they also span word boundaries).
    n_bits: the feature space has 2**n_bits columns.
    """

    def __init__(
        self,
        analyzer: str = "word",
        ngram_range: tuple[int, int] = (1, 3),
        n_bits: int = 23,
        token_pattern: str = WORD_PATTERN,
    ) -> None:
        self.analyzer = analyzer
        self.ngram_range = ngram_range
        self.n_bits = n_bits
        self.token_pattern = token_pattern

    def _check_params(self) -> None:
        if self.analyzer not in _SALT:
            raise ValueError(f"analyzer must be 'word' or 'char', got {self.analyzer!r}")
        min_n, max_n = self.ngram_range
        if not 1 <= min_n <= max_n:
            raise ValueError(f"ngram_range must satisfy 1 <= min <= max, got {self.ngram_range}")
        if not 4 <= self.n_bits <= 30:
            raise ValueError(f"n_bits must be between 4 and 30, got {self.n_bits}")

    def fit(self, texts: Iterable[str], y: object = None) -> NgramHasher:
        self._check_params()
        return self

    def _units(self, text: str, token_re: re.Pattern[str]) -> np.ndarray:
        if self.analyzer == "word":
            tokens = token_re.findall(text)
            # map() over builtins (UTF-8 is str.encode's default) runs without a Python
            # frame per token: half the cost of a generator expression.
            return np.fromiter(
                map(zlib.crc32, map(str.encode, tokens)), dtype=np.uint64, count=len(tokens)
            )
        # Code points as units: UTF-32 is fixed width, so no per-character Python loop.
        return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)

    def transform(self, texts: Iterable[str]) -> sp.csr_matrix:
        self._check_params()
        min_n, max_n = self.ngram_range
        token_re = re.compile(self.token_pattern)
        salt = _SALT[self.analyzer]
        shift = np.uint64(64 - self.n_bits)
        indptr = [0]
        columns = []
        for text in texts:
            hashes = _ngram_hashes(self._units(text, token_re), min_n, max_n, salt)
            cols = (hashes >> shift).astype(np.int32)
            # sort + neighbour compare: several times faster than np.unique on short rows
            cols.sort()
            if cols.shape[0] > 1:
                keep = np.empty(cols.shape[0], dtype=bool)
                keep[0] = True
                np.not_equal(cols[1:], cols[:-1], out=keep[1:])
                cols = cols[keep]
            columns.append(cols)
            indptr.append(indptr[-1] + cols.shape[0])
        indices = np.concatenate(columns) if columns else np.empty(0, dtype=np.int32)
        data = np.ones(indices.shape[0], dtype=np.float32)
        # int32 offsets while they fit: scipy then skips an index-type check (~20 us a call).
        offsets_type = np.int32 if indptr[-1] < np.iinfo(np.int32).max else np.int64
        return sp.csr_matrix(
            (data, indices, np.asarray(indptr, dtype=offsets_type)),
            shape=(len(indptr) - 1, 1 << self.n_bits),
        )
