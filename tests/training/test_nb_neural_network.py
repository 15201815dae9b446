"""The network member on hand-made matrices: column selection, NB scaling, folding."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import normalize
from training_helpers import random_binary

from nb_base import select_columns
from nb_neural_network import NBNeuralNetwork


@pytest.fixture(scope="module")
def separable():
    """Labels follow column 0 (positive) and column 1 (negative); the rest is noise."""
    y = np.tile([1, 0], 40)
    noise = random_binary(80, 300, 0.05, seed=1).tolil()
    for row, label in enumerate(y):
        noise[row, 0 if label else 1] = 1.0
    return noise.tocsr().astype(np.float32), y


def test_network_keeps_the_most_frequent_columns(separable):
    x, y = separable
    network = NBNeuralNetwork(hidden_units=4, max_features=50, epochs=5).fit(x, y)
    counts = np.asarray(x.sum(axis=0)).ravel()
    (columns,) = network.columns_
    assert columns.shape == (50,)
    assert np.all(np.diff(columns) > 0)  # sorted, for the searchsorted lookup
    # Every kept column is at least as frequent as every dropped one.
    dropped = np.setdiff1d(np.flatnonzero(counts), columns)
    assert counts[columns].min() >= counts[dropped].max()
    assert {0, 1} <= set(columns.tolist())


def test_network_selection_equals_column_indexing(separable):
    x, y = separable
    network = NBNeuralNetwork(hidden_units=4, max_features=60, epochs=5).fit(x, y)
    (columns,) = network.columns_
    selected = select_columns(x, columns)
    np.testing.assert_array_equal(selected.toarray(), x[:, columns].toarray())


def test_network_folding_matches_sklearn_on_scaled_features(separable):
    # The served forward pass (NB ratios folded into the first layer) must equal sklearn's
    # network on the explicitly scaled and normalised input it was trained on.
    x, y = separable
    network = NBNeuralNetwork(
        hidden_units=6, max_features=80, epochs=20, min_updates=0, random_state=3
    ).fit(x, y)
    assert network.epochs_ == 20
    kept = x[:, network.columns_[0]]
    p = 1.0 + np.asarray(kept[y == 1].sum(axis=0)).ravel()
    q = 1.0 + np.asarray(kept[y == 0].sum(axis=0)).ravel()
    ratio = (np.log(p / p.sum()) - np.log(q / q.sum())).astype(np.float32)
    scaled = normalize(kept.multiply(ratio).tocsr()).astype(np.float32)
    reference = MLPClassifier(
        hidden_layer_sizes=(6,), alpha=1e-4, batch_size=80, max_iter=20, random_state=3
    )
    with pytest.warns(Warning):  # sklearn warns on a fixed epoch budget
        reference.fit(scaled, y)
    np.testing.assert_allclose(
        network.predict_proba(x), reference.predict_proba(scaled), rtol=1e-4, atol=1e-5
    )


def test_network_blocks_are_scaled_and_normalised_separately(separable):
    # Two blocks: each keeps its own top columns and unit norm, joined with 1/sqrt(2).
    x, y = separable
    second = random_binary(80, 120, 0.1, seed=4)
    network = NBNeuralNetwork(
        hidden_units=5, max_features=(70, 40), epochs=15, min_updates=0, random_state=2
    ).fit([x, second], y)
    assert [c.shape[0] for c in network.columns_] == [70, 40]
    parts = []
    for block, columns in zip([x, second], network.columns_, strict=True):
        kept = block[:, columns]
        p = 1.0 + np.asarray(kept[y == 1].sum(axis=0)).ravel()
        q = 1.0 + np.asarray(kept[y == 0].sum(axis=0)).ravel()
        ratio = (np.log(p / p.sum()) - np.log(q / q.sum())).astype(np.float32)
        parts.append(normalize(kept.multiply(ratio).tocsr()) / np.sqrt(2))
    joined = sparse.hstack(parts, format="csr").astype(np.float32)
    reference = MLPClassifier(
        hidden_layer_sizes=(5,), alpha=1e-4, batch_size=80, max_iter=15, random_state=2
    )
    with pytest.warns(Warning):
        reference.fit(joined, y)
    np.testing.assert_allclose(
        network.predict_proba([x, second]), reference.predict_proba(joined), rtol=1e-4, atol=1e-5
    )
    with pytest.raises(ValueError, match="expected feature blocks"):
        network.decision_function([x])


def test_network_ignores_unseen_columns_and_learns(separable):
    x, y = separable
    # 80 rows are one mini-batch: min_updates, not the 3 epochs, sets the training length.
    network = NBNeuralNetwork(hidden_units=8, max_features=250, epochs=3).fit(x, y)
    assert network.epochs_ == 500
    assert (network.predict(x) == y).mean() == 1.0
    unused = np.setdiff1d(np.arange(x.shape[1]), network.columns_[0])
    assert unused.size >= 50
    rows = x[:2].tolil()
    rows[:, unused[:10]] = 1.0
    np.testing.assert_allclose(
        network.decision_function(rows.tocsr()), network.decision_function(x[:2]), rtol=1e-6
    )
    np.testing.assert_allclose(network.predict_proba(x).sum(axis=1), 1.0)
    with pytest.raises(ValueError, match="expected feature blocks"):
        network.decision_function(x[:, :10])
