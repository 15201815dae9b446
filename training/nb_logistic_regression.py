"""The linear member: logistic regression on NB-scaled binary n-grams (NBSVM's recipe)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from member_lookups import binary_products, linear_decision
from nb_base import (
    NBBinaryClassifier,
    binary,
    class_counts,
    nb_log_ratio,
    scaled_unit_rows,
    two_classes,
)


class NBLogisticRegression(NBBinaryClassifier):
    """Binary logistic regression on NB log-count-ratio scaled, L2-normalised features.

    Features are binarised, scaled by r = log(p / |p|_1) - log(q / |q|_1) with p, q the
    alpha-smoothed feature counts of the positive and negative class (Wang & Manning 2012),
    then each row is L2-normalised before a liblinear logistic regression. Features found in
    fewer than ``min_df`` training documents get r = 0, so they neither vote nor change the
    norm (like CountVectorizer's min_df, but on hash buckets); their weights stay zero,
    which also keeps the compressed artifact small.

    After fitting, the scaling is folded into one (n_features, 2) float32 matrix: column 0
    holds r * w (the numerator of the decision), column 1 holds r**2 (the squared row norm
    of a binary row), so prediction is a single sparse-dense product.
    """

    def __init__(
        self,
        C: float = 64.0,  # noqa: N803 (sklearn's name for the inverse regularisation)
        alpha: float = 1.0,
        min_df: int = 1,
        max_iter: int = 1000,
        tol: float = 1e-4,
        random_state: int | None = 0,
    ) -> None:
        self.C = C
        self.alpha = alpha
        self.min_df = min_df
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def fit(self, features: sp.spmatrix, y: Iterable[object]) -> NBLogisticRegression:
        x = binary(features)
        self.classes_, positive = two_classes(y)
        pos_counts, neg_counts = class_counts(x, positive)
        ratio = nb_log_ratio(pos_counts, neg_counts, self.alpha)
        ratio[(pos_counts + neg_counts) < max(self.min_df, 1)] = 0.0
        ratio = ratio.astype(np.float32)

        # The dual liblinear solver suits n_features >> n_samples; random_state fixes its
        # coordinate order, so a seed gives identical coefficients.
        lr = LogisticRegression(
            C=self.C,
            solver="liblinear",
            dual=True,
            max_iter=self.max_iter,
            tol=self.tol,
            random_state=self.random_state,
        )
        lr.fit(scaled_unit_rows(x, ratio), positive.astype(np.int8))
        weights = lr.coef_.ravel()
        self.weights_ = np.column_stack([ratio * weights, ratio * ratio]).astype(np.float32)
        self.intercept_ = float(lr.intercept_[0])
        self.n_features_in_ = x.shape[1]
        self.n_iter_ = int(np.max(lr.n_iter_))
        return self

    def decision_function(self, features: sp.spmatrix | list[sp.spmatrix]) -> np.ndarray:
        check_is_fitted(self, "weights_")
        x = binary(features)
        if x.shape[1] != self.n_features_in_:
            raise ValueError(f"expected {self.n_features_in_} features, got {x.shape[1]}")
        return self.decision_from_products(binary_products(x.indptr, x.indices, self.weights_))

    def decision_from_products(self, products: np.ndarray) -> np.ndarray:
        """The decision given the binary rows times ``weights_``."""
        return linear_decision(products, self.intercept_)

    def __getstate__(self) -> dict:
        # Nine in ten hash buckets were never seen (or dropped by min_df): pickle the others
        # only. Nothing is served from a pickle any more (model_artifact.py); this keeps
        # joblib's copies of fitted members between training processes small.
        state = dict(super().__getstate__())
        weights = state.pop("weights_", None)
        if weights is not None:
            rows = np.flatnonzero(np.any(weights != 0, axis=1)).astype(np.int32)
            state["weight_rows_"] = (weights.shape, rows, weights[rows])
        return state

    def __setstate__(self, state: dict) -> None:
        state = dict(state)
        stored = state.pop("weight_rows_", None)
        if stored is not None:
            shape, rows, values = stored
            weights = np.zeros(shape, dtype=np.float32)
            weights[rows] = values
            state["weights_"] = weights
        super().__setstate__(state)
