"""The ensemble's online path (one gather per feature space) against its batch path."""

from __future__ import annotations

import numpy as np
import pytest

import nb_base
import sentiment_model
from ngram_hashing import normalize_review


@pytest.mark.training
def test_online_and_batch_paths_agree(small_ensemble, monkeypatch):
    model, reviews = small_ensemble
    normalized = [normalize_review(r) for r in reviews]
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
    # The switch lives in both the ensemble and the members' products: flip both.
    monkeypatch.setattr(sentiment_model, "GATHER_MAX_NNZ", 0)
    monkeypatch.setattr(nb_base, "GATHER_MAX_NNZ", 0)
    np.testing.assert_allclose(model.predict_proba(batch), alone, rtol=1e-5, atol=1e-7)
