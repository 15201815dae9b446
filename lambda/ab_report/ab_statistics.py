"""Two proportions compared: accuracy (or error rate) of a challenger against a champion.

- The two-proportion z-test with the pooled proportion under H0 (no difference):
  ``z = (p_b - p_a) / sqrt(p (1 - p) (1/n_a + 1/n_b))``, two-sided p-value.
- The 95 % (Wald) confidence interval of the difference ``p_b - p_a`` with the unpooled
  standard error ``sqrt(p_a (1 - p_a) / n_a + p_b (1 - p_b) / n_b)``.
- The sample size per variant that detects the observed difference with a two-sided
  test at `alpha` with `power` (Fleiss, without continuity correction):
  ``n = (z_{1-a/2} sqrt(2 p (1 - p)) + z_{power} sqrt(p_a (1 - p_a) + p_b (1 - p_b)))^2
  / (p_a - p_b)^2`` with ``p = (p_a + p_b) / 2``.

Standard library only (statistics.NormalDist): it runs in Lambda without scipy.
"""

from __future__ import annotations

import dataclasses
import math
from statistics import NormalDist

ALPHA = 0.05
POWER = 0.8
_NORMAL = NormalDist()


@dataclasses.dataclass(frozen=True)
class ProportionComparison:
    successes_a: int
    n_a: int
    successes_b: int
    n_b: int
    z: float
    p_value: float
    # The confidence interval of p_b - p_a at 1 - alpha.
    ci_low: float
    ci_high: float
    # Per variant, to detect the observed difference; None when there is none to detect.
    n_required: int | None
    # What the interval and the sample size were computed at.
    alpha: float = ALPHA
    power: float = POWER

    @property
    def p_a(self) -> float:
        return self.successes_a / self.n_a

    @property
    def p_b(self) -> float:
        return self.successes_b / self.n_b

    @property
    def difference(self) -> float:
        return self.p_b - self.p_a


def required_sample_size(
    p_a: float, p_b: float, alpha: float = ALPHA, power: float = POWER
) -> int | None:
    """Observations per variant for a two-sided test to detect p_a vs p_b (None if equal)."""
    if p_a == p_b:
        return None
    pooled = (p_a + p_b) / 2
    z_alpha = _NORMAL.inv_cdf(1 - alpha / 2)
    z_power = _NORMAL.inv_cdf(power)
    spread = z_alpha * math.sqrt(2 * pooled * (1 - pooled)) + z_power * math.sqrt(
        p_a * (1 - p_a) + p_b * (1 - p_b)
    )
    return math.ceil(spread**2 / (p_a - p_b) ** 2)


def compare_proportions(
    successes_a: int,
    n_a: int,
    successes_b: int,
    n_b: int,
    alpha: float = ALPHA,
    power: float = POWER,
) -> ProportionComparison:
    """Variant B against variant A; both need at least one observation."""
    if n_a <= 0 or n_b <= 0:
        raise ValueError("each variant needs at least one observation")
    if not (0 <= successes_a <= n_a and 0 <= successes_b <= n_b):
        raise ValueError("successes must lie between 0 and the number of observations")
    p_a, p_b = successes_a / n_a, successes_b / n_b
    pooled = (successes_a + successes_b) / (n_a + n_b)
    pooled_se = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    # Both all right (or all wrong): no variance, no evidence of a difference.
    z = (p_b - p_a) / pooled_se if pooled_se > 0 else 0.0
    p_value = 2 * (1 - _NORMAL.cdf(abs(z)))
    se = math.sqrt(p_a * (1 - p_a) / n_a + p_b * (1 - p_b) / n_b)
    margin = _NORMAL.inv_cdf(1 - alpha / 2) * se
    return ProportionComparison(
        successes_a=successes_a,
        n_a=n_a,
        successes_b=successes_b,
        n_b=n_b,
        z=z,
        p_value=p_value,
        ci_low=(p_b - p_a) - margin,
        ci_high=(p_b - p_a) + margin,
        n_required=required_sample_size(p_a, p_b, alpha, power),
        alpha=alpha,
        power=power,
    )
