"""The uncertain band's rules: the threshold training chooses and the serving override."""

from __future__ import annotations

import pytest

from uncertainty import (
    NO_BAND,
    band_figures,
    check_threshold,
    choose_threshold,
    label_and_score,
    override_threshold,
)

# A hand-made validation split (probabilities exact in binary, so no rounding plays a
# part). Sorted by score, with whether the label is right:
#   0.9375 right, 0.9375 right | 0.875 right, 0.875 WRONG | 0.75 right, 0.75 right |
#   0.625 WRONG, 0.625 right | 0.5625 right, 0.5625 WRONG
# Kept accuracy from each score down: 2/2, 3/4, 5/6, 6/8, 7/10 (and 7/10 at 0.5).
P_POSITIVE = [0.9375, 0.0625, 0.875, 0.125, 0.75, 0.25, 0.625, 0.375, 0.5625, 0.4375]
LABELS = [1, 0, 1, 1, 1, 0, 0, 0, 1, 1]


@pytest.mark.parametrize(
    ("target", "threshold", "coverage", "kept_accuracy"),
    [
        # 5/6 >= 0.8 at 0.75; 6/8 below 0.75 misses: the lowest threshold reaching it.
        (0.8, 0.75, 0.6, 5 / 6),
        (0.97, 0.9375, 0.2, 1.0),
        # The whole split is accurate enough: nothing needs to be marked uncertain.
        (0.7, NO_BAND, 1.0, 0.7),
        # 3/4 at 0.875 and 6/8 at 0.625 both reach 0.75; the lower one wins.
        (0.75, 0.625, 0.8, 0.75),
    ],
)
def test_threshold_is_the_lowest_reaching_the_target(target, threshold, coverage, kept_accuracy):
    chosen = choose_threshold(P_POSITIVE, LABELS, target)
    assert chosen == threshold
    figures = band_figures(P_POSITIVE, LABELS, chosen)
    assert figures == {
        "threshold": threshold,
        "coverage": pytest.approx(coverage),
        "kept_accuracy": pytest.approx(kept_accuracy),
    }


def test_ties_are_kept_or_dropped_together():
    # At 0.875 the wrong answer is kept with the right one: 3/4, not 3/3.
    assert band_figures(P_POSITIVE, LABELS, 0.875)["kept_accuracy"] == 0.75
    assert choose_threshold(P_POSITIVE, LABELS, 0.9) == 0.9375


def test_unreachable_target_takes_the_most_accurate_threshold():
    # Kept accuracy: 0/1 at 0.875, 1/2 at 0.75, 1/3 at 0.625 and 0.5.
    assert choose_threshold([0.875, 0.75, 0.625], [0, 1, 0], 0.9) == 0.75


def test_a_threshold_stays_below_one():
    # A saturated probability is no candidate: 1 would mark every answer uncertain.
    assert choose_threshold([1.0, 0.75], [1, 0], 0.97) == NO_BAND


def test_measured_on_another_split_nothing_may_be_kept():
    figures = band_figures([0.6, 0.3], [1, 0], 0.9)
    assert figures == {"threshold": 0.9, "coverage": 0.0, "kept_accuracy": None}


def test_ties_at_one_half_are_negative():
    assert label_and_score(0.5) == (0, 0.5)
    assert label_and_score(0.75) == (1, 0.75)
    assert label_and_score(0.25) == (0, 0.75)


@pytest.mark.parametrize("target", [0.5, 1.0, 0.2, 1.5])
def test_target_accuracy_must_be_between_one_half_and_one(target):
    with pytest.raises(ValueError, match="target accuracy"):
        choose_threshold(P_POSITIVE, LABELS, target)


@pytest.mark.parametrize(
    ("raw", "expected"), [(None, None), ("", None), ("  ", None), ("0.9", 0.9)]
)
def test_override_is_optional(raw, expected):
    assert override_threshold(raw) == expected


@pytest.mark.parametrize("raw", ["0.5", "1", "1.0", "0.3", "-0.9", "nan", "inf", "ninety"])
def test_bad_override_fails_loudly(raw):
    with pytest.raises(ValueError, match="UNCERTAINTY_THRESHOLD"):
        override_threshold(raw)


@pytest.mark.parametrize("value", [0.4, 1.0, float("nan")])
def test_a_model_cannot_carry_an_invalid_threshold(value):
    with pytest.raises(
        ValueError, match=r"model.json: uncertainty threshold must be in \[0.5, 1\)"
    ):
        check_threshold(value, "model.json")
    assert check_threshold(0.5, "model.json") == 0.5
