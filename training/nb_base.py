"""What the NB members share: binary n-gram rows, NB log-count ratios, folded products.

Both members (``NBLogisticRegression``, ``NBNeuralNetwork``) scale binary features by NB
log-count ratios (Wang & Manning 2012) and L2-normalise each row. After fitting they fold
that scaling into a weight table whose last column holds the squared ratios, so that
a binary row times the table gives both the numerator of the decision and the squared
row norm: prediction is one sparse-dense product (or gather) per feature space, done by
``member_lookups``, which serving shares.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import unique_labels

from member_lookups import expit, kept_entries, nonzero_norms


def binary(features: sp.spmatrix) -> sp.csr_matrix:
    """Features as float32 CSR with every stored value 1 (presence, not counts)."""
    if (
        sp.issparse(features)
        and features.format == "csr"
        and features.dtype == np.float32
        and bool(np.all(features.data == 1.0))
    ):
        return features  # NgramHasher output already is binary CSR: skip the copy
    result = sp.csr_matrix(features, dtype=np.float32, copy=True)
    result.eliminate_zeros()
    result.data[:] = 1.0
    return result


def two_classes(y: Iterable[object]) -> tuple[np.ndarray, np.ndarray]:
    """(classes, mask of rows in the second class); ValueError unless exactly two classes."""
    labels = np.asarray(y)
    classes = unique_labels(labels)
    if classes.shape[0] != 2:
        raise ValueError(f"need exactly two classes, got {classes.tolist()}")
    return classes, labels == classes[1]


def class_counts(x: sp.csr_matrix, positive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per column, how many positive and how many negative rows hold it (float64)."""
    pos_counts = np.asarray(x[positive].sum(axis=0), dtype=np.float64).ravel()
    neg_counts = np.asarray(x[~positive].sum(axis=0), dtype=np.float64).ravel()
    return pos_counts, neg_counts


def nb_log_ratio(pos_counts: np.ndarray, neg_counts: np.ndarray, alpha: float) -> np.ndarray:
    """r = log(p / |p|_1) - log(q / |q|_1) with p, q the alpha-smoothed class counts."""
    p = alpha + pos_counts
    q = alpha + neg_counts
    return np.log(p / p.sum()) - np.log(q / q.sum())


def scaled_unit_rows(
    x: sp.csr_matrix, ratio: np.ndarray, scale: float | np.float32 = 1.0
) -> sp.csr_matrix:
    """Binary ``x`` times ``ratio`` per column, each row then of L2 norm ``scale``."""
    rows = x.multiply(ratio).tocsr()
    norms = nonzero_norms(np.asarray(rows.multiply(rows).sum(axis=1)).ravel())
    return sp.diags((scale / norms).astype(np.float32)) @ rows


def column_slots(columns: np.ndarray, width: int) -> np.ndarray:
    """Per column of a ``width``-wide space, its position in ``columns`` (-1 if absent)."""
    slots = np.full(width, -1, dtype=np.int32)
    slots[columns] = np.arange(columns.shape[0], dtype=np.int32)
    return slots


def select_columns(x: sp.csr_matrix, columns: np.ndarray) -> sp.csr_matrix:
    """``x[:, columns]`` for binary CSR ``x`` and sorted ``columns``."""
    indptr, indices = kept_entries(x.indptr, column_slots(columns, x.shape[1])[x.indices])
    return sp.csr_matrix(
        (np.ones(indices.shape[0], dtype=np.float32), indices, indptr),
        shape=(x.shape[0], columns.shape[0]),
    )


class NBBinaryClassifier(ClassifierMixin, BaseEstimator):
    """Probabilities and labels from a subclass's ``decision_function`` (log-odds)."""

    classes_: np.ndarray

    def decision_function(self, features: sp.spmatrix | list[sp.spmatrix]) -> np.ndarray:
        raise NotImplementedError

    def positive_proba(self, features: sp.spmatrix | list[sp.spmatrix]) -> np.ndarray:
        """Probability of ``classes_[1]`` for each row."""
        return expit(self.decision_function(features))

    def predict_proba(self, features: sp.spmatrix | list[sp.spmatrix]) -> np.ndarray:
        positive = self.positive_proba(features)
        return np.column_stack([1.0 - positive, positive])

    def predict(self, features: sp.spmatrix | list[sp.spmatrix]) -> np.ndarray:
        return self.classes_[(self.decision_function(features) > 0).astype(int)]
