"""The model's building blocks on hand-made matrices: NB scaling, column selection, folding."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import normalize

from sentiment_model import NBNeuralNetwork, NgramNBEnsemble, _select_columns, normalize_review


def _random_binary(rows: int, columns: int, density: float, seed: int) -> sparse.csr_matrix:
    matrix = sparse.random(rows, columns, density=density, random_state=seed, format="csr")
    matrix.data[:] = 1.0
    return matrix.astype(np.float32)


@pytest.fixture(scope="module")
def separable():
    """Labels follow column 0 (positive) and column 1 (negative); the rest is noise."""
    y = np.tile([1, 0], 40)
    noise = _random_binary(80, 300, 0.05, seed=1).tolil()
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
    selected = _select_columns(x, columns)
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
    second = _random_binary(80, 120, 0.1, seed=4)
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


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"word_weight": -0.1}, "must be >= 0"),
        ({"word_weight": 0, "char_weight": 0, "network_weight": 0}, "positive sum"),
        ({"word_networks": 0, "joint_networks": 0}, "needs word_networks or joint"),
        ({"word_networks": -1}, "must be >= 0"),
        ({"network_char_features": 0}, "feature limits"),
        ({"network_word_features": (1 << 24) + 1}, "feature limits"),
    ],
)
def test_ensemble_rejects_bad_member_weights(params, message):
    with pytest.raises(ValueError, match=message):
        NgramNBEnsemble(**params).fit(["good film", "bad film"], [1, 0])


@pytest.fixture(scope="module")
def small_ensemble():
    from training_helpers import make_reviews

    data = make_reviews(60, seed=11)
    labels = (data["sentiment"] == "positive").astype(int).to_numpy()
    model = NgramNBEnsemble(
        word_bits=14, char_bits=12, network_word_features=300, network_char_features=200
    ).fit(data["review"].tolist(), labels)
    return model, data["review"].tolist()


def test_online_and_batch_paths_agree(small_ensemble, monkeypatch):
    import sentiment_model

    model, reviews = small_ensemble
    normalized = [sentiment_model.normalize_review(r) for r in reviews]
    spaces = (model.word_hasher_.transform(normalized), model.char_hasher_.transform(normalized))
    batch = model._members_one_by_one(spaces)
    lookups = model._members_from_lookups(spaces)
    assert set(batch) == {"word", "char", "network_0", "network_1"}
    for name, expected in batch.items():
        np.testing.assert_allclose(lookups[name], expected, rtol=1e-5, atol=1e-7)
    # predict_proba picks the path by size; both sides of the switch give one answer, and a
    # review's score does not depend on its neighbours, even empty ones (no char 2-grams in
    # "a", nothing at all in "") at the start, middle or end of a batch.
    batch = ["a", reviews[0], "", reviews[1], "?", reviews[2], "a", ""]
    alone = np.vstack([model.predict_proba([review]) for review in batch])
    np.testing.assert_allclose(model.predict_proba(batch), alone, rtol=1e-5, atol=1e-7)
    monkeypatch.setattr(sentiment_model, "_GATHER_MAX_NNZ", 0)
    np.testing.assert_allclose(model.predict_proba(batch), alone, rtol=1e-5, atol=1e-7)


def test_serving_lookups_are_not_pickled(small_ensemble):
    import pickle

    model, reviews = small_ensemble
    expected = model.warm_up().predict_proba(reviews[:5])
    normalized = [normalize_review(r) for r in reviews[:5]]
    words = model.word_hasher_.transform(normalized)
    model.network_models_[0].decision_function(words)  # builds that network's _slots
    restored = pickle.loads(pickle.dumps(model))
    # Pickling must not strip the live model, and derived lookups stay out of the pickle.
    assert model._tables is not None
    assert model.network_models_[0]._slots is not None
    assert getattr(restored, "_tables", None) is None
    assert all(getattr(n, "_slots", None) is None for n in restored.network_models_)
    np.testing.assert_allclose(restored.predict_proba(reviews[:5]), expected)
    # The networks' first layers reach the ensemble's output with weight 0.8.
    members = restored.member_probabilities(reviews[:5])
    word, char, *networks = (members[k] for k in ("word", "char", "network_0", "network_1"))
    mixed = 0.15 * word + 0.05 * char + 0.4 * networks[0] + 0.4 * networks[1]
    np.testing.assert_allclose(expected[:, 1], mixed, rtol=1e-6)


def test_linear_weights_are_pickled_as_their_nonzero_rows(small_ensemble):
    model, _ = small_ensemble
    weights = model.word_model_.weights_
    state = model.word_model_.__getstate__()
    assert "weights_" not in state
    shape, rows, values = state["weight_rows_"]
    assert shape == weights.shape
    assert 0 < rows.shape[0] < weights.shape[0]  # min_df and unseen buckets leave zeros
    assert np.count_nonzero(np.any(weights != 0, axis=1)) == rows.shape[0]
    np.testing.assert_array_equal(values, weights[rows])
    assert model.word_model_.weights_ is weights  # the live model keeps its dense table


def test_refit_replaces_the_serving_lookups():
    from training_helpers import make_reviews

    data = make_reviews(40, seed=12)
    texts = data["review"].tolist()
    labels = (data["sentiment"] == "positive").astype(int).to_numpy()
    params = {"word_bits": 12, "char_bits": 10, "network_word_features": 200}
    model = NgramNBEnsemble(**params).fit(texts, labels)
    first = model.predict_proba(texts)  # builds the lookups
    flipped = model.fit(texts, 1 - labels).predict_proba(texts)
    fresh = NgramNBEnsemble(**params).fit(texts, 1 - labels).predict_proba(texts)
    np.testing.assert_allclose(flipped, fresh, rtol=1e-6)
    assert (np.argmax(flipped, axis=1) != np.argmax(first, axis=1)).mean() > 0.9
