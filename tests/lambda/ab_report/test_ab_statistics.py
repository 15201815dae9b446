"""The A/B statistics against figures worked out by hand (and checked with scipy once)."""

from __future__ import annotations

import math

import pytest

from ab_statistics import compare_proportions, required_sample_size


def test_a_clear_difference_850_vs_900_of_1000():
    # Pooled p = 1750/2000 = 0.875; SE = sqrt(0.875 * 0.125 * (2/1000)) = 0.0147902;
    # z = 0.05 / 0.0147902 = 3.38062; two-sided p = 2 * (1 - Phi(3.38062)) = 0.000723.
    # Unpooled SE = sqrt(0.85 * 0.15 / 1000 + 0.9 * 0.1 / 1000) = 0.0147479;
    # CI = 0.05 -+ 1.959964 * 0.0147479 = [0.021095, 0.078905].
    test = compare_proportions(850, 1000, 900, 1000)
    assert test.difference == pytest.approx(0.05)
    assert test.z == pytest.approx(3.380617, abs=1e-6)
    assert test.p_value == pytest.approx(0.000723233, rel=1e-5)
    assert (test.ci_low, test.ci_high) == (
        pytest.approx(0.0210947, abs=1e-6),
        pytest.approx(0.0789053, abs=1e-6),
    )
    # (1.959964 * sqrt(2 * 0.875 * 0.125) + 0.841621 * sqrt(0.1275 + 0.09))^2 / 0.05^2
    # = (0.916685 + 0.392509)^2 / 0.0025 = 685.6 -> 686 per variant.
    assert test.n_required == 686


def test_a_small_difference_needs_a_large_sample():
    test = compare_proportions(880, 1000, 890, 1000)
    assert test.z == pytest.approx(0.700914, abs=1e-6)
    assert test.p_value == pytest.approx(0.483357, abs=1e-6)
    assert test.ci_low < 0 < test.ci_high
    assert test.n_required == 15976


def test_required_sample_size_is_symmetric_and_none_without_difference():
    assert required_sample_size(0.85, 0.9) == required_sample_size(0.9, 0.85) == 686
    assert required_sample_size(0.9, 0.9) is None
    # Halving the difference roughly quadruples the sample.
    assert 3.5 < required_sample_size(0.875, 0.9) / 686 < 4.5


def test_no_variance_means_no_evidence():
    test = compare_proportions(100, 100, 100, 100)
    assert (test.z, test.p_value, test.ci_low, test.ci_high) == (0.0, 1.0, 0.0, 0.0)
    assert test.n_required is None


@pytest.mark.parametrize("arguments", [(1, 0, 1, 1), (5, 4, 1, 1), (-1, 4, 1, 1)])
def test_impossible_counts_are_refused(arguments):
    with pytest.raises(ValueError):
        compare_proportions(*arguments)


def test_the_p_value_matches_the_normal_tail():
    test = compare_proportions(45, 50, 48, 50)
    assert test.p_value == pytest.approx(math.erfc(abs(test.z) / math.sqrt(2)), rel=1e-9)
    assert test.p_value == pytest.approx(0.239678, abs=1e-6)
