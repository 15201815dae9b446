"""The drift measures both training and the drift job use: PSI, OOV, baseline bins."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from drift_features import (
    bin_shares,
    build_baseline,
    decile_edges,
    oov_rate,
    population_stability_index,
    review_tokens,
    seen_from_baseline,
)

SHARES = st.lists(st.floats(0.01, 1.0), min_size=10, max_size=10).map(
    lambda xs: [x / sum(xs) for x in xs]
)


@given(SHARES)
def test_psi_is_zero_for_identical_shares(shares):
    assert population_stability_index(shares, shares) == 0.0


@given(SHARES, st.floats(0.05, 0.5))
def test_psi_grows_as_mass_moves_further(shares, step):
    moved = [*shares]
    small = [*moved]
    small[0] += step / 2 * small[1]
    small[1] -= step / 2 * small[1]
    large = [*moved]
    large[0] += step * large[1]
    large[1] -= step * large[1]
    psi_small = population_stability_index(shares, small)
    psi_large = population_stability_index(shares, large)
    assert 0 < psi_small < psi_large


def test_decile_bins_hold_a_tenth_each_of_their_own_sample():
    rng = random.Random(7)
    values = [rng.random() for _ in range(10_000)]
    shares = bin_shares(values, decile_edges(values, 0.0, 1.0))
    assert len(shares) == 10
    assert all(abs(share - 0.1) < 0.005 for share in shares)


def test_oov_counts_tokens_training_never_saw_through_the_baseline():
    baseline = build_baseline(
        train_texts=["A great film, don't miss it."],
        validation_texts=["great film", "dull plot"],
        probability_positive=[0.9, 0.2],
        uncertainty_threshold=0.85,
    )
    seen = seen_from_baseline(baseline)
    assert review_tokens("Don't <b>miss</b> it!") == ["don't", "miss", "it"]
    assert oov_rate(["great film"], seen) == 0.0
    assert oov_rate(["great zebra"], seen) == 0.5
    assert baseline["oov"]["rate"] == 0.5  # "dull" and "plot": two unseen of four tokens
    assert baseline["uncertain_share"] == 0.5 and baseline["positive_share"] == 0.5
