"""The A/B report: each challenger variant against the champion, ending in a verdict.

Per variant: invocations, 5xx and 4xx errors, model latency and, where ground truth
exists, accuracy. The verdict of a challenger:

- **not enough data**: a variant has no labelled predictions or fewer than
  `min_labelled`, or the accuracy difference is not significant and the sample is too
  small to detect a difference of `min_effect`: the report says how many labelled
  reviews per variant would detect the *observed* difference (alpha 0.05, power 0.8);
- **promote**: the challenger is significantly more accurate (two-proportion z-test,
  p < alpha) and not significantly more often failing (5xx);
- **keep**: the champion is significantly more accurate, the challenger fails
  significantly more often, or there is no significant difference in a sample large
  enough to detect `min_effect` (one accuracy point by default): whatever the challenger
  gains is smaller than that.

(A sample "large enough for the observed difference" cannot serve as the keep rule: at
that size the observed difference would itself be significant, z near 2.8.)

Summaries come from the local twin's request log (`summaries_from_request_log`) or from
CloudWatch sums per variant plus labelled batch results (`summary_from_metrics`).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ab_statistics import ALPHA, ProportionComparison, compare_proportions, required_sample_size

PROMOTE, KEEP, NOT_ENOUGH = "promote", "keep", "not enough data"
MIN_LABELLED = 100
# The smallest accuracy difference worth a switch of models.
MIN_EFFECT = 0.01


@dataclasses.dataclass
class VariantSummary:
    name: str
    invocations: int = 0
    errors_5xx: int = 0
    errors_4xx: int = 0
    # "mean", and from request logs "p50" and "p99", in milliseconds.
    latency_ms: dict[str, float] = dataclasses.field(default_factory=dict)
    labelled: int = 0
    correct: int = 0

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.labelled if self.labelled else None


@dataclasses.dataclass(frozen=True)
class Verdict:
    champion: str
    challenger: str
    decision: str
    reasons: tuple[str, ...]
    accuracy: ProportionComparison | None
    errors: ProportionComparison | None


def _percentile(ordered: Sequence[float], share: float) -> float:
    """Nearest-rank percentile of sorted values."""
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


def summaries_from_request_log(lines: Iterable[str | bytes]) -> dict[str, VariantSummary]:
    """Per variant, from the local twin's request log (local/request_log.py)."""
    summaries: dict[str, VariantSummary] = {}
    latencies: dict[str, list[float]] = {}
    for line in lines:
        if not line.strip():
            continue
        entry = json.loads(line)
        name = str(entry["variant"])
        summary = summaries.setdefault(name, VariantSummary(name))
        summary.invocations += 1
        status = int(entry["status"])
        summary.errors_5xx += status >= 500
        summary.errors_4xx += 400 <= status < 500
        latencies.setdefault(name, []).append(float(entry["latency_ms"]))
        for prediction in entry.get("predictions") or []:
            truth, label = prediction.get("true_label"), prediction.get("label")
            if truth is not None and label is not None:
                summary.labelled += 1
                summary.correct += label == truth
    for name, values in latencies.items():
        ordered = sorted(values)
        summaries[name].latency_ms = {
            "mean": sum(ordered) / len(ordered),
            "p50": _percentile(ordered, 0.5),
            "p99": _percentile(ordered, 0.99),
        }
    return summaries


def summary_from_metrics(
    name: str, sums: Mapping[str, float], labelled: int = 0, correct: int = 0
) -> VariantSummary:
    """From CloudWatch: Invocations, Invocation5XXErrors, Invocation4XXErrors (sums) and
    ModelLatency (average, microseconds as SageMaker publishes it)."""
    latency = sums.get("ModelLatency")
    return VariantSummary(
        name=name,
        invocations=int(sums.get("Invocations", 0)),
        errors_5xx=int(sums.get("Invocation5XXErrors", 0)),
        errors_4xx=int(sums.get("Invocation4XXErrors", 0)),
        latency_ms={} if latency is None else {"mean": latency / 1000},
        labelled=labelled,
        correct=correct,
    )


def _error_comparison(champion: VariantSummary, challenger: VariantSummary, alpha: float) -> Any:
    if not champion.invocations or not challenger.invocations:
        return None
    return compare_proportions(
        champion.errors_5xx,
        champion.invocations,
        challenger.errors_5xx,
        challenger.invocations,
        alpha=alpha,
    )


def _needed(required: int | None, min_labelled: int) -> str:
    if required is None:
        return f"at least {min_labelled} labelled reviews per variant"
    return f"about {max(required, min_labelled):,} labelled reviews per variant"


def _effect_sample(p_a: float, min_effect: float, alpha: float) -> int:
    """Per variant, to detect `min_effect` either way around the champion's accuracy."""
    sizes = [
        required_sample_size(p_a, min(max(p_a + sign * min_effect, 0.0), 1.0), alpha)
        for sign in (1, -1)
    ]
    return max(size or 0 for size in sizes)


def decide(
    champion: VariantSummary,
    challenger: VariantSummary,
    *,
    alpha: float = ALPHA,
    min_labelled: int = MIN_LABELLED,
    min_effect: float = MIN_EFFECT,
) -> Verdict:
    errors = _error_comparison(champion, challenger, alpha)

    def verdict(decision: str, reason: str, accuracy: Any = None) -> Verdict:
        return Verdict(champion.name, challenger.name, decision, (reason,), accuracy, errors)

    unlabelled = [v.name for v in (champion, challenger) if not v.labelled]
    if unlabelled:
        return verdict(NOT_ENOUGH, f"no ground truth for {', '.join(unlabelled)}")
    accuracy = compare_proportions(
        champion.correct, champion.labelled, challenger.correct, challenger.labelled, alpha
    )
    smallest = min(champion.labelled, challenger.labelled)
    p = f"p = {accuracy.p_value:.4f}"
    if smallest < min_labelled:
        needed = _needed(accuracy.n_required, min_labelled)
        return verdict(
            NOT_ENOUGH, f"{smallest} labelled reviews in a variant; need {needed}", accuracy
        )
    if accuracy.p_value < alpha and accuracy.difference > 0:
        if errors is not None and errors.p_value < alpha and errors.difference > 0:
            failing = f"5xx, p = {errors.p_value:.4f}"
            reason = f"more accurate ({p}) but fails significantly more often ({failing})"
            return verdict(KEEP, f"{challenger.name} is {reason}", accuracy)
        return verdict(PROMOTE, f"{challenger.name} is significantly more accurate ({p})", accuracy)
    if accuracy.p_value < alpha:
        return verdict(KEEP, f"{champion.name} is significantly more accurate ({p})", accuracy)
    effect_n = _effect_sample(accuracy.p_a, min_effect, alpha)
    if smallest >= effect_n:
        reason = (
            f"no significant difference ({p}) where {effect_n:,} per variant would show "
            f"one of {min_effect:.0%}"
        )
        return verdict(KEEP, reason, accuracy)
    required = accuracy.n_required or effect_n
    reason = (
        f"no significant difference yet ({p}); {_needed(required, min_labelled)} would detect "
        f"the observed {accuracy.difference:+.2%} ({required - smallest:,} more in the smaller)"
    )
    return verdict(NOT_ENOUGH, reason, accuracy)


def choose_champion(summaries: Mapping[str, VariantSummary], named: str | None = None) -> str:
    """The named variant, else the one with the most invocations (ties: first by name)."""
    if named is not None:
        if named not in summaries:
            raise KeyError(f"no variant {named!r} in the data; found {sorted(summaries)}")
        return named
    return min(summaries.values(), key=lambda v: (-v.invocations, v.name)).name
