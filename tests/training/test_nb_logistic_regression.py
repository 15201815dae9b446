"""The linear member on hand-made and hashed matrices: NB scaling, unseen columns, pickling."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from scipy import sparse
from training_helpers import make_reviews

from nb_logistic_regression import NBLogisticRegression
from ngram_hashing import NgramHasher, normalize_review


def test_nb_logistic_regression_ignores_unseen_features():
    seen = sparse.csr_matrix(np.array([[1, 0, 0], [0, 1, 0], [1, 0, 0], [0, 1, 0]], np.float32))
    clf = NBLogisticRegression(C=10.0).fit(seen, [1, 0, 1, 0])
    unseen = sparse.csr_matrix(np.array([[0, 0, 1], [1, 0, 1]], dtype=np.float32))
    np.testing.assert_allclose(clf.weights_[2], [0.0, 0.0])
    assert clf.decision_function(unseen)[0] == pytest.approx(clf.intercept_)
    assert clf.predict(unseen)[1] == 1
    probabilities = clf.predict_proba(seen)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert (clf.predict(seen) == [1, 0, 1, 0]).all()
    with pytest.raises(ValueError, match="expected 3 features"):
        clf.decision_function(seen[:, :2])
    with pytest.raises(ValueError, match="exactly two classes"):
        NBLogisticRegression().fit(seen, [1, 1, 1, 1])


@pytest.fixture(scope="module")
def word_model() -> tuple[NBLogisticRegression, sparse.csr_matrix]:
    data = make_reviews(60, seed=11)
    words = NgramHasher("word", (1, 3), 14).transform(map(normalize_review, data["review"]))
    labels = (data["sentiment"] == "positive").astype(int).to_numpy()
    return NBLogisticRegression(C=64.0, min_df=3).fit(words, labels), words


def test_linear_weights_are_pickled_as_their_nonzero_rows(word_model):
    model, words = word_model
    weights = model.weights_
    state = model.__getstate__()
    assert "weights_" not in state
    shape, rows, values = state["weight_rows_"]
    assert shape == weights.shape
    assert 0 < rows.shape[0] < weights.shape[0]  # min_df and unseen buckets leave zeros
    assert np.count_nonzero(np.any(weights != 0, axis=1)) == rows.shape[0]
    np.testing.assert_array_equal(values, weights[rows])
    assert model.weights_ is weights  # the live model keeps its dense table
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.weights_, weights)
    np.testing.assert_array_equal(restored.decision_function(words), model.decision_function(words))
