"""The members' served maths: binary rows times folded weight tables, then the decisions.

One definition for training and serving: the members (``nb_logistic_regression``,
``nb_neural_network``) score through these functions, and so does the served model
(``serving_model``), which reads plain arrays. numpy and scipy.sparse only: serving must
not import scikit-learn.

Served lookups, per feature space (word or char n-grams): ``positions`` maps each hash
column to a compact row (0: never seen in training, a row of zeros); the compact rows hold
the linear member's two weights, and the first ``network_rows`` of them are the columns
the networks keep, in their order. ``table`` has a row per network column at the same
row number (row 0: zeros): the two linear weights, then the first layers of the networks
that read the space, side by side. So one product per space gives every member's sums,
its other columns reading the zero row. A batch comes column by column
(``ngram_hashing.BatchColumns``): a lookup in a 2**23-row table is a cache miss, a batch
of 64 reviews holds a third as many distinct columns as entries, and ascending columns
walk the tables forwards. scipy's sparse product then sums each row's weights in
ascending column order, as the members' products do, so the served sums equal the
members' to the bit (one row: a BLAS product, within 1e-7).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from ngram_hashing import BatchColumns

# The members' own products (training, evaluation): up to this many stored features, rows
# are summed by gathering table rows with numpy (a single row by one BLAS product); larger
# inputs go through scipy's sparse product, which costs about 0.1 ms per call but never
# materialises an (nnz, width) array.
GATHER_MAX_NNZ = 50_000
# The linear member's columns in front of a space's network table: r * w and r**2.
LINEAR_WIDTH = 2


def expit(x: np.ndarray) -> np.ndarray:
    """The logistic function; exp overflows to inf for very negative inputs, giving 0."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


def nonzero_norms(squared: np.ndarray) -> np.ndarray:
    """Square roots of squared row norms, with 1 for empty rows (they stay all zero)."""
    norms = np.sqrt(squared)
    norms[norms == 0] = 1.0
    return norms


def row_sums(indptr: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per CSR row (``indptr``), the sum of its ``values`` rows, as float64."""
    rows = indptr.shape[0] - 1
    if values.shape[0] == 0:
        return np.zeros((rows, values.shape[1]))
    if rows == 1:
        return (np.ones(values.shape[0], dtype=values.dtype) @ values)[None, :].astype(np.float64)
    # reduceat needs every start to index a row: a zero row past the end serves trailing
    # empty rows without shortening the last non-empty one.
    padded = np.concatenate([values, np.zeros((1, values.shape[1]), dtype=values.dtype)])
    starts = indptr[:-1]
    sums = np.add.reduceat(padded, starts, axis=0)
    sums[starts == indptr[1:]] = 0.0  # reduceat returns a value, not 0, for empty rows
    return sums.astype(np.float64)


def binary_products(indptr: np.ndarray, indices: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Per row, the sum of ``table`` rows at that row's ``indices`` (binary CSR @ table)."""
    if indices.shape[0] > GATHER_MAX_NNZ:
        product = sp.csr_matrix(
            (np.ones(indices.shape[0], dtype=table.dtype), indices, indptr),
            shape=(indptr.shape[0] - 1, table.shape[0]),
        )
        return np.asarray(product @ table, dtype=np.float64)
    return row_sums(indptr, np.take(table, indices, axis=0))


def kept_entries(indptr: np.ndarray, position: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(indptr, position) of the stored entries whose new ``position`` is not negative.

    ``position`` is each stored entry's new column number, or -1 where the column is
    dropped; usually ``slots[x.indices]``, one gather per entry (scipy's
    ``x[:, columns]`` would cost most of a single prediction).
    """
    keep = position >= 0
    kept_before = np.concatenate([[0], np.cumsum(keep, dtype=np.int64)])
    return kept_before[indptr], position[keep]


def linear_decision(products: np.ndarray, intercept: float) -> np.ndarray:
    """The linear member's log-odds from binary rows times its (r * w, r**2) table."""
    return products[:, 0] / nonzero_norms(products[:, 1]) + intercept


def network_decision(
    block_products: list[np.ndarray],
    hidden_bias: np.ndarray,
    output_weights: np.ndarray,
    output_bias: float,
) -> np.ndarray:
    """A network's log-odds from each block's binary rows times its folded first layer."""
    hidden = np.tile(hidden_bias.astype(np.float64), (block_products[0].shape[0], 1))
    for products in block_products:
        hidden += products[:, :-1] / nonzero_norms(products[:, -1])[:, None]
    np.maximum(hidden, 0.0, out=hidden)
    return hidden @ output_weights + output_bias


class SpaceTables(NamedTuple):
    """Everything one feature space serves (see the module docstring)."""

    positions: np.ndarray  # int32 per hash column: compact row + 1, or 0
    # Per compact row + 1 (row 0 all zeros), the linear member's two float32 weights as
    # one 8-byte item: numpy gathers 1-d 8-byte items several times faster than rows of
    # a 2-d array.
    linear: np.ndarray
    network_rows: int
    # float32 (network_rows + 1, LINEAR_WIDTH + the networks' widths), row 0 all zeros
    table: np.ndarray | None


def space_tables(
    width: int,
    columns: np.ndarray,
    linear: np.ndarray,
    network_rows: int,
    table: np.ndarray | None,
) -> SpaceTables:
    """The lookups of one space from its compact rows (``columns``: their hash columns)."""
    if not 0 <= network_rows <= columns.shape[0]:
        raise ValueError(f"network_rows {network_rows} outside 0..{columns.shape[0]}")
    if table is not None and table.shape[0] != network_rows + 1:
        raise ValueError(f"table has {table.shape[0]} rows, expected {network_rows + 1}")
    # np.zeros maps untouched pages lazily: building costs the scattered rows only.
    positions = np.zeros(width, dtype=np.int32)
    positions[columns] = np.arange(1, columns.shape[0] + 1, dtype=np.int32)
    padded = np.zeros((columns.shape[0] + 1, 2), dtype=np.float32)
    padded[1:] = linear
    return SpaceTables(positions, padded.view(np.uint64).ravel(), network_rows, table)


def _batch_matrix(batch: BatchColumns, n_rows: int) -> sp.csc_matrix:
    """The batch's binary rows as a CSC matrix over its distinct columns."""
    data = np.ones(batch.rows.shape[0], dtype=np.float32)
    return sp.csc_matrix(
        (data, batch.rows, batch.indptr), shape=(n_rows, batch.indptr.shape[0] - 1)
    )


def _sums(rows: sp.csc_matrix | None, values: np.ndarray) -> np.ndarray:
    """Per row, the sum of ``values[j]`` over its columns ``j``, as float64.

    scipy's product adds each row's values in ascending column order, as the members'
    products do; one row (``rows`` None) holds every column, summed by a BLAS product.
    """
    if rows is None:
        return (np.ones(values.shape[0], dtype=values.dtype) @ values)[None, :].astype(np.float64)
    return np.asarray(rows @ values, dtype=np.float64)


def space_products(
    tables: SpaceTables, batch: BatchColumns, n_rows: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """(linear products, products over the table's columns or None) of a batch's rows.

    One lookup per distinct column of the batch; each row sums its entries in ascending
    column order, as the members do, and unseen columns add exact zeros, so the sums
    equal the members' own. A network's block is its columns of the table (model.json).
    """
    compact = np.take(tables.positions, batch.columns)
    weights = np.take(tables.linear, compact).view(np.float32).reshape(-1, 2)
    if n_rows == 1:
        # One row holds each column once: sum the network columns' table rows alone.
        linear = _sums(None, weights)
        if tables.table is None:
            return linear, None
        kept = compact[compact <= tables.network_rows]
        products = _sums(None, np.take(tables.table, kept, axis=0))
        products[:, :LINEAR_WIDTH] = linear
        return linear, products
    rows = _batch_matrix(batch, n_rows)
    if tables.table is None:
        return _sums(rows, weights), None
    # One product for all members: the network columns' rows of the table, the zero row
    # for the others, and every column's linear weights in front. Zeros add nothing to a
    # float sum, so each member's sums stay as they were; and scipy need not pick the
    # network columns out.
    values = np.take(tables.table, np.where(compact <= tables.network_rows, compact, 0), axis=0)
    values[:, :LINEAR_WIDTH] = weights
    products = _sums(rows, values)
    return products[:, :LINEAR_WIDTH], products


class MemberBlend:
    """``predict_proba`` and ``predict`` of an ensemble from its members' probabilities.

    The member probabilities are averaged with the (word, char, networks) shares, the
    networks' share split equally among them; the fitted ensemble and the served model
    blend the same way.
    """

    classes_: np.ndarray

    def member_probabilities(self, texts: Iterable[object]) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def blend_weights(self) -> tuple[float, float, float]:
        raise NotImplementedError

    def predict_proba(self, texts: Iterable[object]) -> np.ndarray:
        members = self.member_probabilities(texts)
        word_weight, char_weight, network_weight = self.blend_weights()
        networks = [value for name, value in members.items() if name.startswith("network_")]
        positive = word_weight * members["word"] + char_weight * members["char"]
        for network in networks:
            positive += network_weight / len(networks) * network
        return np.column_stack([1.0 - positive, positive])

    def predict(self, texts: Iterable[object]) -> np.ndarray:
        # Ties go to the first class, as argmax over predict_proba would.
        return self.classes_[(self.predict_proba(texts)[:, 1] > 0.5).astype(int)]
