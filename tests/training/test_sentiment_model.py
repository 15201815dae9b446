"""The ensemble: member weights, fitting, blending, refitting."""

from __future__ import annotations

import numpy as np
import pytest
from training_helpers import make_reviews

from sentiment_model import NgramNBEnsemble, build_model
from train import HYPERPARAMETERS


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


def test_member_weights_are_normalised():
    weights = build_model(word_weight=1, char_weight=1, network_weight=2).member_weights()
    assert weights == (0.25, 0.25, 0.5)
    assert sum(build_model().member_weights()) == pytest.approx(1.0)


def test_every_model_parameter_is_a_hyperparameter_of_train_py():
    # train.py takes its defaults from the model: a parameter it lacks could not be tuned.
    assert set(build_model().get_params()) == set(HYPERPARAMETERS)


@pytest.mark.training
def test_members_blend_with_their_weights(small_ensemble):
    # The networks' first layers reach the ensemble's output with weight 0.8.
    model, reviews = small_ensemble
    expected = model.predict_proba(reviews[:5])
    members = model.member_probabilities(reviews[:5])
    word, char, *networks = (members[k] for k in ("word", "char", "network_0", "network_1"))
    mixed = 0.15 * word + 0.05 * char + 0.4 * networks[0] + 0.4 * networks[1]
    np.testing.assert_allclose(expected[:, 1], mixed, rtol=1e-6)
    np.testing.assert_allclose(expected.sum(axis=1), 1.0)


@pytest.mark.training
def test_refit_replaces_the_derived_lookups():
    data = make_reviews(40, seed=12)
    texts = data["review"].tolist()
    labels = (data["sentiment"] == "positive").astype(int).to_numpy()
    params = {"word_bits": 12, "char_bits": 10, "network_word_features": 200}
    model = NgramNBEnsemble(**params).fit(texts, labels)
    first = model.predict_proba(texts)  # builds the networks' column lookups
    flipped = model.fit(texts, 1 - labels).predict_proba(texts)
    fresh = NgramNBEnsemble(**params).fit(texts, 1 - labels).predict_proba(texts)
    np.testing.assert_allclose(flipped, fresh, rtol=1e-6)
    assert (np.argmax(flipped, axis=1) != np.argmax(first, axis=1)).mean() > 0.9
