"""The served maths (one lookup per distinct column of a batch) against the fitted members."""

from __future__ import annotations

import numpy as np
import pytest

import member_lookups
from model_artifact import export_model, serving_model
from serving_model import ServingModel


def serving_model_of(model) -> ServingModel:
    """The served model of a fitted ensemble, built in memory as load_model builds it."""
    return serving_model(*export_model(model))


@pytest.mark.training
@pytest.mark.parametrize("gather_max_nnz", [0, 50_000])
def test_served_model_scores_as_the_fitted_ensemble(small_ensemble, monkeypatch, gather_max_nnz):
    # Both of the members' paths (sparse product, gather) give what the served lookups give.
    monkeypatch.setattr(member_lookups, "GATHER_MAX_NNZ", gather_max_nnz)
    model, reviews = small_ensemble
    served = serving_model_of(model)
    assert set(served.member_probabilities(reviews)) == {"word", "char", "network_0", "network_1"}
    expected = model.predict_proba(reviews)
    if gather_max_nnz == 0:
        # The members' sparse products add the same float32 values in the same column
        # order as the served ones: equal to the bit.
        np.testing.assert_array_equal(served.predict_proba(reviews), expected)
    else:
        # numpy's reduceat sums in another order (pairwise): float32 rounding apart.
        np.testing.assert_allclose(served.predict_proba(reviews), expected, rtol=1e-6, atol=1e-7)
    # One row goes through a BLAS product on the networks' tables side by side.
    alone = np.vstack([served.predict_proba([review]) for review in reviews])
    np.testing.assert_allclose(alone, expected, rtol=1e-6, atol=1e-7)
    assert served.predict(reviews).tolist() == model.predict(reviews).tolist()


@pytest.mark.training
def test_a_score_does_not_depend_on_its_neighbours(small_ensemble):
    # Empty reviews ("a" has no char 2-grams, "" nothing at all) at the start, middle or end
    # of a batch, and batches larger than one scoring slice.
    model, reviews = small_ensemble
    served = serving_model_of(model)
    batch = ["a", reviews[0], "", reviews[1], "?", reviews[2], "a", ""]
    alone = np.vstack([served.predict_proba([review]) for review in batch])
    np.testing.assert_allclose(served.predict_proba(batch), alone, rtol=1e-6, atol=1e-7)
    many = reviews * 5  # 300 reviews: two slices of at most 256
    np.testing.assert_array_equal(
        served.predict_proba(many), np.vstack([served.predict_proba(reviews)] * 5)
    )
