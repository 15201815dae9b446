"""The network member: one hidden ReLU layer on NB-scaled binary n-grams."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.utils.validation import check_is_fitted

from member_lookups import binary_products, kept_entries, network_decision
from nb_base import (
    NBBinaryClassifier,
    binary,
    class_counts,
    column_slots,
    nb_log_ratio,
    scaled_unit_rows,
    select_columns,
    two_classes,
)


class NBNeuralNetwork(NBBinaryClassifier):
    """One-hidden-layer ReLU network on NB-scaled, L2-normalised binary n-grams.

    Input: one sparse matrix, or a list of them (feature blocks such as word and char
    n-grams). Each block keeps its ``max_features`` columns found in most training
    documents (a dense first layer over all 2**23 hash buckets would not fit the artifact
    budget; an int applies to every block, a tuple gives one limit per block), is scaled by
    its NB log-count ratios as in ``NBLogisticRegression`` and L2-normalised on its own;
    the blocks are joined and divided by sqrt(number of blocks), so every row has unit norm.

    sklearn's MLPClassifier (Adam, L2 penalty ``l2``) trains it for ``epochs`` passes,
    which cross-validation chose, but for at least ``min_updates`` mini-batch steps: a few
    hundred reviews make only a few batches per epoch, too few steps to leave the random
    start. Its errors differ from the linear members' enough that averaging helps.

    After fitting, the NB scaling is folded into the first layer and each block's squared
    ratios are appended as one more column, so prediction is one sparse-dense product per
    block, a ReLU and a dot product; sklearn's network object is not kept.
    """

    def __init__(
        self,
        hidden_units: int = 32,
        max_features: int | tuple[int, ...] = 100_000,
        epochs: int = 3,
        l2: float = 1e-4,
        learning_rate: float = 1e-3,
        batch_size: int = 128,
        min_updates: int = 500,
        alpha: float = 1.0,
        random_state: int | None = 0,
    ) -> None:
        self.hidden_units = hidden_units
        self.max_features = max_features
        self.epochs = epochs
        self.l2 = l2
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.min_updates = min_updates
        self.alpha = alpha
        self.random_state = random_state

    @staticmethod
    def _blocks(features: sp.spmatrix | list[sp.spmatrix]) -> list[sp.csr_matrix]:
        blocks: list[Any] = [features] if sp.issparse(features) else list(features)
        if not blocks or len({block.shape[0] for block in blocks}) != 1:
            raise ValueError("need one or more feature blocks with the same number of rows")
        return [binary(block) for block in blocks]

    def _limits(self, n_blocks: int) -> tuple[int, ...]:
        if isinstance(self.max_features, int | np.integer):
            limits = (int(self.max_features),) * n_blocks
        else:
            limits = tuple(int(limit) for limit in self.max_features)
        if len(limits) != n_blocks or min(limits) < 1:
            raise ValueError(f"max_features {self.max_features!r} does not fit {n_blocks} blocks")
        return limits

    def _scaled_block(
        self, block: sp.csr_matrix, positive: np.ndarray, limit: int, scale: np.float32
    ) -> tuple[np.ndarray, np.ndarray, sp.csr_matrix]:
        """(kept columns, their NB ratios, the block's rows on them scaled to norm ``scale``)."""
        pos_counts, neg_counts = class_counts(block, positive)
        document_counts = pos_counts + neg_counts
        present = np.flatnonzero(document_counts > 0)
        # Most frequent first; a stable sort keeps ties in column order, so runs agree.
        order = np.argsort(-document_counts[present], kind="stable")[:limit]
        columns = np.sort(present[order]).astype(np.int32)
        ratio = nb_log_ratio(pos_counts[columns], neg_counts[columns], self.alpha)
        ratio = ratio.astype(np.float32)
        return columns, ratio, scaled_unit_rows(select_columns(block, columns), ratio, scale)

    def fit(
        self, features: sp.spmatrix | list[sp.spmatrix], y: Iterable[object]
    ) -> NBNeuralNetwork:
        blocks = self._blocks(features)
        self._slots: list[np.ndarray] | None = None  # lookups of a previous fit
        self.classes_, positive = two_classes(y)
        self.block_widths_ = tuple(block.shape[1] for block in blocks)
        block_scale = np.float32(1.0 / np.sqrt(len(blocks)))
        self.columns_: list[np.ndarray] = []
        ratios, scaled = [], []
        for block, limit in zip(blocks, self._limits(len(blocks)), strict=True):
            columns, ratio, rows = self._scaled_block(block, positive, limit, block_scale)
            self.columns_.append(columns)
            ratios.append(ratio)
            scaled.append(rows)
        joined = sp.hstack(scaled, format="csr", dtype=np.float32)

        batch_size = min(self.batch_size, joined.shape[0])
        batches_per_epoch = -(-joined.shape[0] // batch_size)
        self.epochs_ = max(self.epochs, -(-self.min_updates // batches_per_epoch))
        network = MLPClassifier(
            hidden_layer_sizes=(self.hidden_units,),
            alpha=self.l2,
            batch_size=batch_size,
            learning_rate_init=self.learning_rate,
            max_iter=self.epochs_,
            random_state=self.random_state,
        )
        with warnings.catch_warnings():
            # A fixed epoch budget is the design, not a convergence failure.
            warnings.simplefilter("ignore", ConvergenceWarning)
            network.fit(joined, positive.astype(np.int8))
        first, second = network.coefs_
        self.input_weights_: list[np.ndarray] = []
        start = 0
        for ratio in ratios:
            rows = first[start : start + ratio.shape[0]]
            start += ratio.shape[0]
            self.input_weights_.append(
                np.column_stack([ratio[:, None] * rows * block_scale, ratio * ratio]).astype(
                    np.float32
                )
            )
        self.hidden_bias_ = network.intercepts_[0].astype(np.float32)
        self.output_weights_ = second.ravel().astype(np.float32)
        self.output_bias_ = float(network.intercepts_[1][0])
        return self

    def decision_function(self, features: sp.spmatrix | list[sp.spmatrix]) -> np.ndarray:
        check_is_fitted(self, "input_weights_")
        blocks = self._blocks(features)
        widths = tuple(block.shape[1] for block in blocks)
        if widths != self.block_widths_:
            raise ValueError(f"expected feature blocks {self.block_widths_}, got {widths}")
        slots = getattr(self, "_slots", None)
        if slots is None:
            # Column -> row maps, built on first use and not pickled (32 MB for 2**23 columns).
            slots = self._slots = [
                column_slots(columns, width)
                for columns, width in zip(self.columns_, self.block_widths_, strict=True)
            ]
        return self.decision_from_products(
            [
                binary_products(*kept_entries(block.indptr, block_slots[block.indices]), weights)
                for block, block_slots, weights in zip(
                    blocks, slots, self.input_weights_, strict=True
                )
            ]
        )

    def decision_from_products(self, block_products: list[np.ndarray]) -> np.ndarray:
        """The output given each block's binary rows times its ``input_weights_``."""
        return network_decision(
            block_products, self.hidden_bias_, self.output_weights_, self.output_bias_
        )

    def __getstate__(self) -> dict:
        state = dict(super().__getstate__())  # a copy: object's default is __dict__ itself
        state.pop("_slots", None)  # derived from columns_; rebuilt after loading
        return state
