"""Drift measures against a baseline: PSI figures of controlled shifts, worked out by hand."""

from __future__ import annotations

import base64
import math
import zlib
from datetime import UTC, datetime

import pytest
from capture_fixtures import sample_baseline

from capture_records import ScoredReview
from drift_features import bin_shares, population_stability_index, seen_set
from drift_metrics import (
    BaselineError,
    check_baseline,
    measure,
    metric_data,
    psi,
    variant_drift,
)

DECILES = [k / 10 for k in range(11)]


def hand_baseline(**overrides) -> dict:
    seen = seen_set(["good film great acting"])
    baseline = {
        "version": 2,
        "score_edges": DECILES,
        "length_edges": [k * 10 for k in range(10)] + [1e9],
        "score_shares": [0.1] * 10,
        "length_shares": [0.1] * 10,
        "positive_share": 0.5,
        "uncertain_share": 0.2,
        "uncertainty_threshold": 0.75,
        "oov": {
            "bits": 20,
            "seen": base64.b64encode(zlib.compress(bytes(seen))).decode(),
            "rate": 0.1,
        },
    }
    return {**baseline, **overrides}


def reviews(probabilities, words=15, uncertain=None) -> list[ScoredReview]:
    return [ScoredReview(" ".join(["good"] * words), p, uncertain) for p in probabilities]


def uniform(per_bin: int) -> list[float]:
    return [k / 10 + 0.05 for k in range(10) for _ in range(per_bin)]


def test_traffic_like_the_baseline_has_no_drift():
    assert psi(uniform(10), DECILES, [0.1] * 10) == pytest.approx(0.0, abs=1e-12)


def test_all_traffic_in_one_bin():
    # Nine empty bins (floored at 1e-4) and one holding everything:
    # 9 * (1e-4 - 0.1) * ln(1e-4 / 0.1) + (1 - 0.1) * ln(1 / 0.1) = 6.210763 + 2.072327.
    assert psi([0.95] * 50, DECILES, [0.1] * 10) == pytest.approx(8.283089, abs=1e-6)


def test_half_the_traffic_piling_into_the_top_bin():
    # Shares 0.05 in bins 0-8 and 0.55 in bin 9:
    # 9 * (0.05 - 0.1) * ln(0.5) + (0.55 - 0.1) * ln(5.5) = 0.311916 + 0.767137.
    values = [k / 10 + 0.05 for k in range(9) for _ in range(5)] + [0.95] * 55
    assert psi(values, DECILES, [0.1] * 10) == pytest.approx(1.079053, abs=1e-6)


def test_repeated_deciles_do_not_read_as_drift():
    # 20 % of the baseline scored exactly 1.0, so the top three edges coincide; the
    # baseline stores its own shares (an empty bin, a double one), so traffic shaped
    # exactly like it gives 0, where assuming a tenth per bin would give
    # (1e-4 - 0.1) * ln(1e-3) + (0.2 - 0.1) * ln(2) = 0.690085 + 0.069315.
    edges = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 1.0, 1.0, 1.0]
    values = [k / 10 + 0.05 for k in range(7) for _ in range(10)] + [0.85] * 10 + [1.0] * 20
    shares = bin_shares(values, edges)
    assert shares == pytest.approx([0.1] * 8 + [0.0, 0.2])
    assert psi(values, edges, shares) == pytest.approx(0.0, abs=1e-12)
    raw = population_stability_index([0.1] * 10, [0.1] * 8 + [0.0, 0.2])
    assert raw == pytest.approx(0.759399, abs=1e-6)


def test_measure_reads_scores_lengths_vocabulary_and_shares():
    baseline = hand_baseline()
    traffic = reviews([0.95] * 30, words=3) + [ScoredReview("good unseenword", 0.2, True)] * 10
    metrics = measure(traffic, baseline)
    # Scores: 30 in bin 9, 10 in bin 2; lengths: all under 10 words (bin 0).
    expected_score = population_stability_index([0.1] * 10, [0, 0, 0.25] + [0] * 6 + [0.75])
    assert metrics["ScorePsi"] == pytest.approx(expected_score)
    assert metrics["LengthPsi"] == pytest.approx(8.283089, abs=1e-6)
    # Tokens: 90 "good" + 10 "good" + 10 "unseenword": 10 of 110 unseen.
    assert metrics["OovRate"] == pytest.approx(10 / 110)
    assert metrics["PositiveShare"] == pytest.approx(0.75)
    # Reviews without an `uncertain` field fall back on the baseline threshold (0.95 is sure).
    assert metrics["UncertainShare"] == pytest.approx(0.25)
    assert metrics["Reviews"] == 40


def test_fewer_than_min_reviews_publishes_nothing():
    baseline = hand_baseline()
    small = variant_drift("ep", "AllTraffic", reviews(uniform(9)), baseline, min_reviews=100)
    assert small.metrics is None and small.reviews == 90
    assert metric_data(small, datetime(2026, 1, 31, tzinfo=UTC)) == []
    enough = variant_drift("ep", "AllTraffic", reviews(uniform(10)), baseline, min_reviews=100)
    data = metric_data(enough, datetime(2026, 1, 31, tzinfo=UTC))
    assert [d["MetricName"] for d in data] == [
        "ScorePsi",
        "LengthPsi",
        "OovRate",
        "PositiveShare",
        "UncertainShare",
        "Reviews",
    ]
    assert data[0]["Dimensions"] == [
        {"Name": "EndpointName", "Value": "ep"},
        {"Name": "VariantName", "Value": "AllTraffic"},
    ]
    assert data[-1]["Unit"] == "Count" and data[-1]["Value"] == 100


def test_a_baseline_from_training_passes_the_check_and_bad_ones_do_not():
    probabilities = [i / 200 for i in range(200)]
    texts = [f"review number {i} " + "word " * (i % 40) for i in range(200)]
    built = sample_baseline()
    assert check_baseline(built) is built
    metrics = measure(
        [ScoredReview(t, p, None) for t, p in zip(texts, probabilities, strict=True)], built
    )
    assert metrics["ScorePsi"] < 0.01 and metrics["LengthPsi"] < 0.05
    assert metrics["OovRate"] == 0.0
    for bad in (
        {**built, "version": 1},  # the old schema, without per-bin shares
        {**built, "score_edges": [1, 0]},
        {k: v for k, v in built.items() if k != "oov"},
        [],
    ):
        with pytest.raises(BaselineError):
            check_baseline(bad)
    # Above one half is positive, as the model labels: 99 of 200 (0.5 itself is negative).
    assert math.isclose(built["positive_share"], 99 / 200)
