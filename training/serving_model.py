"""The served model: the fitted ensemble's arithmetic on plain arrays, numpy and scipy only.

``model_artifact.load_model`` builds it from ``model.npz`` and ``model.json``; it scores
exactly as the fitted ``sentiment_model.NgramNBEnsemble`` does (same hashing, same
sums in the same order, same decisions: ``member_lookups``), without scikit-learn, its
classes or a pickle, so a serving process starts in a fraction of a second.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

import numpy as np

from member_lookups import (
    MemberBlend,
    SpaceTables,
    expit,
    linear_decision,
    network_decision,
    space_products,
)
from ngram_hashing import NgramHasher, normalize_review
from uncertainty import NO_BAND

# Texts hashed and scored at once: a request holds at most 256; scoring a whole data set
# in slices bounds the temporaries (a few MB per text) without changing any score.
CHUNK_TEXTS = 256


class ServedNetwork(NamedTuple):
    """One network member: the spaces it reads and its columns in their tables."""

    spaces: tuple[str, ...]
    columns: tuple[slice, ...]  # per space read, its block of that space's ``table``
    hidden_bias: np.ndarray
    output_weights: np.ndarray
    output_bias: float


class ServedSpace(NamedTuple):
    """One feature space: how text becomes columns, and what the columns weigh."""

    hasher: NgramHasher
    tables: SpaceTables
    intercept: float  # the linear member's on this space


class ServingModel(MemberBlend):
    """``predict_proba`` of raw review strings, like the fitted ensemble's."""

    def __init__(
        self,
        *,
        classes: np.ndarray,
        spaces: dict[str, ServedSpace],
        networks: list[ServedNetwork],
        member_weights: tuple[float, float, float],
        uncertainty_threshold: float = NO_BAND,
        card: dict[str, Any] | None = None,
    ) -> None:
        if set(spaces) != {"word", "char"}:
            raise ValueError(f"need the word and char spaces, got {sorted(spaces)}")
        for network in networks:
            unknown = set(network.spaces) - set(spaces)
            if unknown or any(spaces[s].tables.table is None for s in network.spaces):
                raise ValueError(f"a network reads spaces without tables: {network.spaces}")
        self.classes_ = classes
        self.spaces = spaces
        self.networks = networks
        self.member_weights = member_weights
        # Below it an answer is "uncertain" (inference.py); model_fn may override it.
        self.uncertainty_threshold = uncertainty_threshold
        self.threshold_source = "model.json"
        # The model card train.py wrote beside the arrays, answered as it is.
        self.card = card

    def member_probabilities(self, texts: Iterable[object]) -> dict[str, np.ndarray]:
        """Each member's positive-class probability, by name (as the ensemble names them)."""
        normalized = [normalize_review(text) for text in texts]
        if len(normalized) <= CHUNK_TEXTS:
            return self._members(normalized)
        parts = [
            self._members(normalized[start : start + CHUNK_TEXTS])
            for start in range(0, len(normalized), CHUNK_TEXTS)
        ]
        return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}

    def _members(self, normalized: list[str]) -> dict[str, np.ndarray]:
        members: dict[str, np.ndarray] = {}
        products: dict[str, np.ndarray | None] = {}
        for name, space in self.spaces.items():
            batch = space.hasher.batch_columns(normalized)
            linear, products[name] = space_products(space.tables, batch, len(normalized))
            members[name] = expit(linear_decision(linear, space.intercept))
        for index, network in enumerate(self.networks):
            blocks = [
                products[space][:, columns]  # type: ignore[index]  # checked in __init__
                for space, columns in zip(network.spaces, network.columns, strict=True)
            ]
            decision = network_decision(
                blocks, network.hidden_bias, network.output_weights, network.output_bias
            )
            members[f"network_{index}"] = expit(decision)
        return members

    def blend_weights(self) -> tuple[float, float, float]:
        return self.member_weights

    def warm_up(self) -> ServingModel:
        """Score one short review, so the first request finds every code path warm."""
        self.predict_proba(["A warm-up review."])
        return self
