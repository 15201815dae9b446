"""The uncertain band: which answers are too unsure to act on, and how training bounds it.

IMDb's labelled reviews leave out 5-6 star ratings, so the model has no neutral class: a
lukewarm review still gets a label, with a probability near one half. Rather than invent
a third class, every answer carries ``uncertain``: true when ``score``, the probability
of the returned label, is below a threshold. Callers may abstain on those.

Training chooses the threshold on the validation split (never test): the lowest t in
[0.5, 1) at which the predictions with ``score >= t`` reach the target accuracy. The set
of kept predictions only changes at observed scores, so the candidates are 0.5 (keep
everything) and each observed score below 1: the threshold chosen is the score of the
least confident prediction still kept. When no candidate reaches the target (a weak
model, a tiny split), the most accurate one is taken, the lowest of equals.

Standard library only: serving imports it (``model_fn`` checks the override with it),
and so does training.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

# Set by the serving stack (serving.uncertainty_threshold) and the local twin.
THRESHOLD_ENV = "UNCERTAINTY_THRESHOLD"
# Every score is at least one half: this threshold marks nothing uncertain. Models
# trained without a validation split, and artifacts older than the band, carry it.
NO_BAND = 0.5
DEFAULT_TARGET_ACCURACY = 0.97


def label_and_score(p_positive: float) -> tuple[int, float]:
    """(1, p) above one half, else (0, 1 - p): ties go to negative, as argmax does."""
    if p_positive > 0.5:
        return 1, p_positive
    return 0, 1.0 - p_positive


def check_target_accuracy(value: float) -> float:
    if not 0.5 < value < 1.0:
        raise ValueError(f"the target accuracy must be between 0.5 and 1 (exclusive), got {value}")
    return value


def check_threshold(value: float, source: str) -> float:
    """A threshold a model may carry: in [0.5, 1); ValueError naming where it came from."""
    if not (math.isfinite(value) and NO_BAND <= value < 1.0):
        raise ValueError(f"{source}: uncertainty threshold must be in [0.5, 1), got {value!r}")
    return value


def override_threshold(raw: str | None) -> float | None:
    """The serving override from ``UNCERTAINTY_THRESHOLD``: None when unset or blank.

    A set value must lie strictly between 0.5 and 1 (0.5 would switch the band off, 1
    would mark every answer uncertain); anything else is a deployment mistake that must
    stop the model from loading rather than silently serve another band.
    """
    if raw is None or not raw.strip():
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{THRESHOLD_ENV}={raw!r} is not a number") from None
    if not 0.5 < value < 1.0:
        raise ValueError(f"{THRESHOLD_ENV}={raw!r} must be between 0.5 and 1 (exclusive)")
    return value


def _scored(p_positive: Sequence[float], labels: Sequence[int]) -> list[tuple[float, bool]]:
    """(score, correct) per prediction, the most confident first."""
    pairs = []
    for p, label in zip(p_positive, labels, strict=True):
        predicted, score = label_and_score(float(p))
        pairs.append((score, predicted == int(label)))
    pairs.sort(key=lambda pair: pair[0], reverse=True)
    return pairs


def choose_threshold(
    p_positive: Sequence[float], labels: Sequence[int], target_accuracy: float
) -> float:
    """The lowest threshold whose kept predictions reach ``target_accuracy`` (module doc)."""
    check_target_accuracy(target_accuracy)
    pairs = _scored(p_positive, labels)
    if not pairs:
        raise ValueError("no predictions to choose a threshold from")
    # (threshold, accuracy of the predictions kept at it), from the highest threshold down.
    candidates: list[tuple[float, float]] = []
    kept = correct = 0
    index = 0
    while index < len(pairs):
        score = pairs[index][0]
        while index < len(pairs) and pairs[index][0] == score:  # ties are kept together
            correct += pairs[index][1]
            kept += 1
            index += 1
        if score < 1.0:
            candidates.append((score, correct / kept))
    candidates.append((NO_BAND, correct / kept))
    reaching = [threshold for threshold, accuracy in candidates if accuracy >= target_accuracy]
    if reaching:
        return min(reaching)
    best = max(accuracy for _, accuracy in candidates)
    return min(threshold for threshold, accuracy in candidates if accuracy == best)


def band_figures(
    p_positive: Sequence[float], labels: Sequence[int], threshold: float
) -> dict[str, Any]:
    """Coverage (share answered with confidence) and the accuracy of those answers."""
    pairs = _scored(p_positive, labels)
    kept = [correct for score, correct in pairs if score >= threshold]
    return {
        "threshold": threshold,
        "coverage": len(kept) / len(pairs) if pairs else 0.0,
        # None when nothing is kept: an accuracy of no answers is undefined.
        "kept_accuracy": sum(kept) / len(kept) if kept else None,
    }
