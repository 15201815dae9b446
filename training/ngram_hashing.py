"""Hashed word and character n-grams: the model's only view of a review's text.

Token ids come from CRC-32 and n-gram ids from a fixed 64-bit mix, never from Python's
salted ``hash``, so a column means the same in every process: served models depend on
these exact columns, and changing the hash breaks every artifact.

Serving imports this module, so it needs numpy only; ``transform`` builds a scipy CSR
matrix for training and imports scipy where it does so.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from itertools import accumulate, chain
from typing import Any, NamedTuple

import numpy as np

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
# Units (tokens or characters) hashed per step: bounds the temporaries at a few tens of
# MB while a training set is hashed, and is far above any served request.
_CHUNK_UNITS = 1 << 20


def normalize_review(text: object) -> str:
    """The model's view of a review: the shared ETL normalisation, then lower case."""
    return normalize_text(None if text is None else str(text)).lower()


def _mix_in_place(h: np.ndarray) -> None:
    """The murmur3 finaliser on every element, in place (one temporary, no copies)."""
    t = h >> _SHIFT_33
    h ^= t
    h *= _MIX_1
    np.right_shift(h, _SHIFT_33, out=t)
    h ^= t
    h *= _MIX_2
    np.right_shift(h, _SHIFT_33, out=t)
    h ^= t


class BatchColumns(NamedTuple):
    """Binary rows of a batch, column by column: the entries of ``columns[j]`` are the
    rows ``rows[indptr[j]:indptr[j + 1]]`` (a CSC matrix over the batch's columns)."""

    columns: np.ndarray  # distinct columns, ascending (int32)
    indptr: np.ndarray  # int32
    rows: np.ndarray  # ascending within a column (int32)


class NgramHasher:
    """Binary bag of hashed word or character n-grams.

    Stateless like sklearn's HashingVectorizer (no vocabulary to store, so the artifact
    stays small), but vectorised with numpy over a whole batch and with a stable hash.

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
        self.ngram_range = (int(ngram_range[0]), int(ngram_range[1]))
        self.n_bits = n_bits
        self.token_pattern = token_pattern

    def config(self) -> dict[str, Any]:
        """The constructor arguments, for the artifact's metadata."""
        return {
            "analyzer": self.analyzer,
            "ngram_range": list(self.ngram_range),
            "n_bits": self.n_bits,
            "token_pattern": self.token_pattern,
        }

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

    def _units(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(unit hashes of all texts one after the other, units per text)."""
        if self.analyzer == "word":
            token_re = re.compile(self.token_pattern)
            tokens = [token_re.findall(text) for text in texts]
            lengths = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
            # map() over builtins (UTF-8 is str.encode's default) runs without a Python
            # frame per token: half the cost of a generator expression.
            units = np.fromiter(
                map(zlib.crc32, map(str.encode, chain.from_iterable(tokens))),
                dtype=np.uint64,
                count=int(lengths.sum()),
            )
            return units, lengths
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        # Code points as units: UTF-32 is fixed width, so no per-character Python loop.
        joined = "".join(texts).encode("utf-32-le")
        return np.frombuffer(joined, dtype=np.uint32).astype(np.uint64), lengths

    def _column_hashes(self, units: np.ndarray) -> tuple[np.ndarray, list[int]]:
        """The column (uint64) of every n-gram: those of length min_n first, then the next
        length...; and how many there are of each length."""
        min_n, max_n = self.ngram_range
        sizes = [units.shape[0] - n + 1 for n in range(min_n, min(max_n, units.shape[0]) + 1)]
        hashes = np.empty(sum(sizes), dtype=np.uint64)
        ends = list(accumulate(sizes, initial=0))
        h = units
        # A rolling polynomial hash gives the n-grams of length n from those of length
        # n-1 in one vectorised step, written straight into their run of ``hashes``.
        for n in range(1, min_n + len(sizes)):
            run = hashes[ends[n - min_n] : ends[n - min_n + 1]] if n >= min_n else None
            if n == 1:
                if run is not None:
                    run[:] = units
            else:
                h = np.multiply(h[:-1], _PRIME, out=run)
                h += units[n - 1 :]
        # Salted per length; then mixed and cut to the top n_bits, all lengths at once
        # (a few numpy calls, not a few per length: most of a single review's hashing).
        for index in range(len(sizes)):
            salt = (_SALT[self.analyzer] + (min_n + index) * _GOLDEN) % (1 << 64)
            hashes[ends[index] : ends[index + 1]] ^= np.uint64(salt)
        _mix_in_place(hashes)
        hashes >>= np.uint64(64 - self.n_bits)
        return hashes, sizes

    def _unique_keys(self, texts: list[str], row_bits: int | None) -> np.ndarray:
        """The sorted unique (text, column) pairs of some texts as integer keys.

        Row-major keys (``row << n_bits | column``) when ``row_bits`` is None, else
        column-major ones (``column << row_bits | row``), as uint32 when they fit: half
        the bytes to sort.
        """
        units, lengths = self._units(texts)
        columns, sizes = self._column_hashes(units)
        narrow = row_bits is not None and self.n_bits + row_bits < 32
        dtype: type[np.unsignedinteger[Any]] = np.uint32 if narrow else np.uint64
        keys = columns.astype(dtype) if narrow else columns
        if row_bits:
            keys <<= dtype(row_bits)
        crossing = []
        if len(texts) > 1:
            # Row-major keys carry the row above the column bits.
            row_shift = dtype(self.n_bits if row_bits is None else 0)
            rows = np.repeat(np.arange(len(texts), dtype=dtype) << row_shift, lengths)
            ends = np.cumsum(lengths[:-1])[:, None]
            start, min_n = 0, self.ngram_range[0]
            for n, size in zip(range(min_n, min_n + len(sizes)), sizes, strict=True):
                keys[start : start + size] |= rows[:size]
                # The n-grams starting in the last n - 1 units of a text run into the
                # next one (the last text's are never computed).
                runs_over = (ends - np.arange(1, n)).ravel()
                crossing.append(start + runs_over[(runs_over >= 0) & (runs_over < size)])
                start += size
        # No whole n-gram has the largest key: the ones that run into the next text get it.
        sentinel = ~dtype(0)
        if crossing:
            keys[np.concatenate(crossing)] = sentinel
        # Sort + neighbour compare: np.unique is many times slower on these sizes.
        keys.sort()
        if crossing:
            keys = keys[: np.searchsorted(keys, sentinel)]
        if keys.shape[0] > 1:
            keep = np.empty(keys.shape[0], dtype=bool)
            keep[0] = True
            np.not_equal(keys[1:], keys[:-1], out=keep[1:])
            keys = keys[keep]
        return keys

    def _hash_chunk(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """CSR parts (indptr, sorted unique columns per row) of a few texts."""
        keys = self._unique_keys(texts, None)
        rows = (keys >> np.uint64(self.n_bits)).astype(np.intp)
        columns = (keys & np.uint64((1 << self.n_bits) - 1)).astype(np.int32)
        indptr = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=len(texts)), out=indptr[1:])
        return indptr, columns

    def batch_columns(self, texts: Iterable[str]) -> BatchColumns:
        """The binary rows of a batch column by column (the served model's layout).

        For a batch, one lookup per distinct column instead of one per row and column
        (64 reviews hold 177k char n-grams but 52k distinct ones), in ascending column
        order, so lookups walk the weight tables forwards.
        """
        self._check_params()
        texts = list(texts)
        row_bits = (len(texts) - 1).bit_length()  # 0 for one text: its keys are columns
        keys = self._unique_keys(texts, row_bits)
        # int32 throughout: a batch holds far fewer than 2**31 entries, and scipy takes
        # int32 CSC parts without converting them (a fifth of a 64-review product).
        columns = (keys >> keys.dtype.type(row_bits)).astype(np.int32)
        if len(texts) == 1:
            # Every column once, in row 0.
            indptr = np.arange(columns.shape[0] + 1, dtype=np.int32)
            return BatchColumns(columns, indptr, np.zeros(columns.shape[0], dtype=np.int32))
        rows = (keys & keys.dtype.type((1 << row_bits) - 1)).astype(np.int32)
        indptr = np.zeros(1, dtype=np.int32)
        if columns.shape[0]:
            starts = np.flatnonzero(columns[1:] != columns[:-1]).astype(np.int32) + 1
            indptr = np.concatenate([indptr, starts, [columns.shape[0]]], dtype=np.int32)
        return BatchColumns(columns[indptr[:-1]], indptr, rows)

    def rows(self, texts: Iterable[str]) -> tuple[np.ndarray, np.ndarray]:
        """(indptr, indices) of the binary rows: sorted unique columns per text."""
        self._check_params()
        texts = list(texts)
        indptrs, indices = [np.zeros(1, dtype=np.int64)], list[np.ndarray]()
        start = offset = 0
        while start < len(texts) or not indices:
            stop, units = start, 0
            while stop < len(texts) and (stop == start or units < _CHUNK_UNITS):
                units += len(texts[stop])
                stop += 1
            indptr, columns = self._hash_chunk(texts[start:stop])
            indptrs.append(indptr[1:] + offset)
            indices.append(columns)
            offset += columns.shape[0]
            start = stop
        return np.concatenate(indptrs), np.concatenate(indices)

    def transform(self, texts: Iterable[str]) -> Any:  # scipy.sparse.csr_matrix
        """The binary rows as a float32 CSR matrix of 2**n_bits columns."""
        import scipy.sparse as sp

        indptr, indices = self.rows(texts)
        # int32 offsets while they fit: scipy then skips an index-type check (~20 us a call).
        if indptr[-1] < np.iinfo(np.int32).max:
            indptr = indptr.astype(np.int32)
        return sp.csr_matrix(
            (np.ones(indices.shape[0], dtype=np.float32), indices, indptr),
            shape=(indptr.shape[0] - 1, 1 << self.n_bits),
        )

    def fit_transform(self, texts: Iterable[str], y: object = None) -> Any:
        return self.fit(texts).transform(texts)
