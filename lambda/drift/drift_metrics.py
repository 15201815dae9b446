"""Live traffic of one endpoint variant against its model's drift baseline.

The measures are those of `drift_features` (shared with training, which wrote the
baseline): PSI of the distribution of P(positive) over the baseline's score deciles,
PSI of review lengths (words) over its length deciles, the share of tokens no training
review held (OOV), the share of positive predictions and of uncertain ones. A group with
fewer than `min_reviews` reviews publishes nothing: a handful of reviews makes any PSI
look like drift.

The baseline's bins hold a tenth of the validation split each, *unless* a decile repeats
(many reviews with the same score or length): a bin between two equal edges can hold
nothing, while the reviews it stood for sit at the repeated value, in the next bin.
`psi` merges such empty-by-construction bins into the next one, so a model with many
saturated scores does not report drift on identical traffic.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from capture_records import ScoredReview
from drift_features import (
    BASELINE_VERSION,
    bin_shares,
    oov_rate,
    population_stability_index,
    seen_from_baseline,
    word_count,
)

NAMESPACE = "ReviewSentiment/Drift"
METRIC_UNITS = {
    "ScorePsi": "None",
    "LengthPsi": "None",
    "OovRate": "None",
    "PositiveShare": "None",
    "UncertainShare": "None",
    "Reviews": "Count",
}


class BaselineError(ValueError):
    """A drift baseline this job cannot read."""


@dataclasses.dataclass(frozen=True)
class VariantDrift:
    endpoint: str
    variant: str
    reviews: int
    # None: fewer reviews than min_reviews, nothing measured or published.
    metrics: Mapping[str, float] | None
    baseline: Mapping[str, float]


def check_baseline(baseline: Any) -> dict[str, Any]:
    if not isinstance(baseline, dict) or baseline.get("version") != BASELINE_VERSION:
        raise BaselineError(f"not a version {BASELINE_VERSION} drift baseline")
    for kind in ("score", "length"):
        edges, shares = baseline.get(f"{kind}_edges"), baseline.get(f"{kind}_shares")
        if not isinstance(edges, list) or len(edges) < 2 or edges != sorted(edges):
            raise BaselineError(f"baseline {kind}_edges must be a sorted list of bin edges")
        if not isinstance(shares, list) or len(shares) != len(edges) - 1:
            raise BaselineError(f"baseline {kind}_shares must hold one share per bin")
    try:
        seen_from_baseline(baseline)
        float(baseline["positive_share"]), float(baseline["uncertain_share"])
        float(baseline["uncertainty_threshold"])
    except (KeyError, TypeError, ValueError) as err:
        raise BaselineError(f"baseline is incomplete: {err!r}") from err
    return baseline


def psi(values: Sequence[float], edges: Sequence[float], expected: Sequence[float]) -> float:
    """PSI of `values` over the baseline's bins against the validation split's own shares
    in them (a repeated edge makes an empty bin on both sides, which adds nothing)."""
    return population_stability_index(expected, bin_shares(values, edges))


def measure(reviews: Sequence[ScoredReview], baseline: dict[str, Any]) -> dict[str, float]:
    """The published metrics of a group of reviews (at least one)."""
    texts = [item.review for item in reviews]
    probabilities = [item.probability_positive for item in reviews]
    threshold = float(baseline["uncertainty_threshold"])
    uncertain = [
        item.uncertain
        if item.uncertain is not None
        else max(item.probability_positive, 1 - item.probability_positive) < threshold
        for item in reviews
    ]
    return {
        "ScorePsi": psi(probabilities, baseline["score_edges"], baseline["score_shares"]),
        "LengthPsi": psi(
            [word_count(text) for text in texts],
            baseline["length_edges"],
            baseline["length_shares"],
        ),
        "OovRate": oov_rate(texts, seen_from_baseline(baseline), int(baseline["oov"]["bits"])),
        # Above one half, as the model labels and build_baseline counts positives.
        "PositiveShare": sum(p > 0.5 for p in probabilities) / len(reviews),
        "UncertainShare": sum(uncertain) / len(reviews),
        "Reviews": float(len(reviews)),
    }


def baseline_figures(baseline: Mapping[str, Any]) -> dict[str, float]:
    """What the baseline says the same measures were on the validation split."""
    return {
        "ScorePsi": 0.0,
        "LengthPsi": 0.0,
        "OovRate": float(baseline["oov"]["rate"]),
        "PositiveShare": float(baseline["positive_share"]),
        "UncertainShare": float(baseline["uncertain_share"]),
    }


def variant_drift(
    endpoint: str,
    variant: str,
    reviews: Sequence[ScoredReview],
    baseline: dict[str, Any],
    min_reviews: int,
) -> VariantDrift:
    enough = len(reviews) >= max(min_reviews, 1)
    return VariantDrift(
        endpoint=endpoint,
        variant=variant,
        reviews=len(reviews),
        metrics=measure(reviews, baseline) if enough else None,
        baseline=baseline_figures(baseline),
    )


def metric_data(drift: VariantDrift, timestamp: datetime) -> list[dict[str, Any]]:
    """PutMetricData entries of one variant (none when it had too few reviews)."""
    if drift.metrics is None:
        return []
    dimensions = [
        {"Name": "EndpointName", "Value": drift.endpoint},
        {"Name": "VariantName", "Value": drift.variant},
    ]
    return [
        {
            "MetricName": name,
            "Dimensions": dimensions,
            "Timestamp": timestamp,
            "Value": value,
            "Unit": METRIC_UNITS[name],
        }
        for name, value in drift.metrics.items()
    ]
