"""Effect sizes and their variances, with the conversions stated.

- Mean difference from a reported difference and its 95 % CI: SE = (upper - lower) / (2 x 1.96).
- Standardized mean difference, Hedges' g = J d with J = 1 - 3 / (4 (n1 + n2) - 9);
  var(g) = J^2 ((n1 + n2) / (n1 n2) + d^2 / (2 (n1 + n2))) (Borenstein 2009, ch. 4).
- Crossover (paired) trials: from a within-person t (or z from a two-sided p), d_z = t / sqrt(n);
  d = d_z sqrt(2 (1 - r)) for within-person correlation r (default 0.5, changeable);
  var(d) = (1/n + d^2 / (2 n)) 2 (1 - r) (Borenstein 2009 ch. 4; Elbourne 2002).
- Mean difference reported with only a two-sided p: SE(MD) = |MD| / z(p) (normal approximation);
  a reported d is carried over as SMD = sign(MD) |d| with SE(d) = SE(MD) |d / MD|.
- Risk ratio / odds ratio from 2x2 counts, on the log scale, with 0.5 added to zero cells.
- Re-expressing an SMD as responders (Chinn 2000): ln OR = -SMD pi / sqrt(3) for improving, applied
  to a control (placebo) responder rate (source id chinn-2000).
"""

from __future__ import annotations

import math

from scipy import special

from ldn.domain.errors import InputError
from ldn.domain.facts import Fact

__all__ = [
    "hedges_g",
    "log_odds_ratio",
    "log_risk_ratio",
    "md_from_ci",
    "paired_smd_from_p",
    "responders_per_100",
    "smd_from_md_p_and_d",
    "z_from_p",
]

CROSSOVER_CORRELATION = Fact(
    0.5,
    unit="r",
    sources=("ldn-assumption", "elbourne-2002"),
    note="Within-person correlation for crossover trials when not reported; change with --correlation.",
)


def md_from_ci(
    *, estimate: float, ci_low: float, ci_high: float, level: float = 0.95
) -> tuple[float, float]:
    """(effect, variance) from an estimate and its confidence interval."""
    if ci_high <= ci_low:
        raise InputError.at("ci", "the upper limit must exceed the lower", "check the CI")
    se = (ci_high - ci_low) / (2 * special.ndtri((1 + level) / 2))
    return estimate, se * se


def hedges_g(
    *, mean1: float, sd1: float, n1: int, mean2: float, sd2: float, n2: int
) -> tuple[float, float]:
    """Hedges' g (group 1 minus group 2) and its variance."""
    sp = math.sqrt(((n1 - 1) * sd1**2 + (n2 - 1) * sd2**2) / (n1 + n2 - 2))
    d = (mean1 - mean2) / sp
    j = 1 - 3 / (4 * (n1 + n2) - 9)
    return j * d, j * j * ((n1 + n2) / (n1 * n2) + d * d / (2 * (n1 + n2)))


def z_from_p(p: float) -> float:
    if not 0 < p < 1:
        raise InputError.at("p", f"p must be in (0, 1), got {p}", "give the two-sided p-value")
    return float(-special.ndtri(p / 2))


def paired_smd_from_p(
    *, p_two_sided: float, n: int, direction: int, r: float = CROSSOVER_CORRELATION.value
) -> tuple[float, float]:
    """SMD (d_av scale) and variance for a crossover trial reported only with n and a p-value."""
    d_z = z_from_p(p_two_sided) / math.sqrt(n)
    d = direction * d_z * math.sqrt(2 * (1 - r))
    return d, (1 / n + d * d / (2 * n)) * 2 * (1 - r)


def log_risk_ratio(*, events1: int, n1: int, events2: int, n2: int) -> tuple[float, float]:
    a, c = events1, events2
    if 0 in (a, c):
        a, c, n1, n2 = a + 0.5, c + 0.5, n1 + 1, n2 + 1  # type: ignore[assignment]
    return math.log((a / n1) / (c / n2)), 1 / a - 1 / n1 + 1 / c - 1 / n2


def log_odds_ratio(*, events1: int, n1: int, events2: int, n2: int) -> tuple[float, float]:
    a, b, c, d = events1, n1 - events1, events2, n2 - events2
    if 0 in (a, b, c, d):
        a, b, c, d = a + 0.5, b + 0.5, c + 0.5, d + 0.5  # type: ignore[assignment]
    return math.log(a * d / (b * c)), 1 / a + 1 / b + 1 / c + 1 / d


def smd_from_md_p_and_d(*, md: float, p_two_sided: float, d: float) -> tuple[float, float]:
    """SMD (sign of MD, size of the reported d) and variance when MD is given with only a p-value."""
    if md == 0:
        raise InputError.at("estimate", "a mean difference of 0 has no direction", "give the CI")
    se_md = abs(md) / z_from_p(p_two_sided)
    se_d = se_md * abs(d / md)
    return math.copysign(abs(d), md), se_d * se_d


def responders_per_100(smd: float, control_per_100: float) -> float:
    """How many in 100 improve on LDN for a given SMD (negative = better) and placebo rate
    (Chinn 2000: ln OR = -SMD x pi / sqrt(3))."""
    odds = control_per_100 / (100 - control_per_100) * math.exp(-smd * math.pi / math.sqrt(3))
    return 100 * odds / (1 + odds)
