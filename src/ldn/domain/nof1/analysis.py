"""Exact Bayesian analysis of an N-of-1 trial, by quadrature (no MCMC).

Model for the analysed days t (daily average pain, NRS 0-10)::

    y_t = level + delta * on_LDN_t + beta * (t / 100) + e_t,   e_t = rho e_{t-1} + u_t,  u_t ~ N(0, sigma^2)

with e one stationary AR(1) process over every calendar day of the trial. The likelihood is the
exact Gaussian one (ldn.domain.nof1.likelihood): because AR(1) is Markov, the joint density of
the analysed days factorises exactly into a stationary start N(0, sigma^2/(1-rho^2)) and, for
each later day after a gap of g days, N(rho^g e_prev, sigma^2 (1-rho^(2g))/(1-rho^2)) (the
Prais-Winsten / Kalman-filter form) - every day counts, run-in gaps and missing days are bridged. The whitened residuals are linear in b = (level, delta, beta), so with
the normal prior b ~ N(m0, S0) — level N(5, 10^2), delta from the evidence or a sceptical prior,
beta N(0, 2^2) per 100 days — the posterior of b given (rho, sigma) is normal in closed form,
and so is the marginal likelihood. rho (uniform on -0.9..0.95) and sigma (Jeffreys: uniform in
log sigma on 0.05..5) are integrated by the trapezoid rule (ldn.domain.nof1.quadrature).
Because the prior on delta is in NRS points (not scaled by sigma), sigma is integrated on the
grid rather than by the normal-inverse-gamma identity; the result is exact up to the quadrature
(checked by grid refinement and against NUTS, tests/reference/nof1). The posterior of delta is
the weighted normal mixture over the grid nodes.

Warnings (the result is still given, the conclusion says so): fewer than 2 cycles with both LDN
and placebo days (a trend is confounded with the effect, little power, no frequentist check),
and a sparse diary (logged on under 70 % of the days it spans in each period).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize, special, stats

from ldn.domain.errors import InputError
from ldn.domain.nof1.design import MIN_CYCLES
from ldn.domain.nof1.likelihood import regression_posterior_grid
from ldn.domain.nof1.prior import MCID_NRS, NormalPrior
from ldn.domain.nof1.quadrature import DEFAULT_GRID, QuadratureGrid

__all__ = [
    "DeltaPosterior",
    "Nof1Result",
    "analyse_series",
    "conclusion_text",
    "delta_posterior",
    "diary_warnings",
    "frequentist_check",
]

LEVEL_PRIOR_NRS = (5.0, 10.0)  # mean, SD: weakly informative on the 0-10 scale
TREND_PRIOR_SD_NRS_PER_100D = 2.0
SPARSE_LOGGED_FRACTION = 0.7  # ldn-assumption: below this a diary is called sparse
MIN_ANALYSED_DAYS = 8
_NEGLIGIBLE_WEIGHT = 1e-14  # grid nodes below this share of the largest weight are dropped


@dataclass(frozen=True, slots=True)
class DeltaPosterior:
    """Posterior of delta: sum_i w_i N(mean_i, sd_i^2) over the quadrature nodes."""

    weights: np.ndarray
    means: np.ndarray
    sds: np.ndarray
    rho_mean: float
    sigma_mean_nrs: float

    @property
    def mean(self) -> float:
        return float(np.sum(self.weights * self.means))

    @property
    def sd(self) -> float:
        second = np.sum(self.weights * (self.sds**2 + self.means**2))
        return float(np.sqrt(max(second - self.mean**2, 0.0)))

    def cdf(self, delta_nrs: float) -> float:
        """P(delta <= delta_nrs | data); at the true delta this is the PIT value."""
        return float(np.sum(self.weights * special.ndtr((delta_nrs - self.means) / self.sds)))

    def quantile(self, q: float) -> float:
        """x with cdf(x) = q, by Brent's method on a bracket of +-8 component SDs."""
        lo = float(np.min(self.means - 8 * self.sds))
        hi = float(np.max(self.means + 8 * self.sds))
        return float(optimize.brentq(lambda v: self.cdf(v) - q, lo, hi, xtol=1e-12, rtol=1e-12))


def delta_posterior(
    day: np.ndarray,
    pain_nrs: np.ndarray,
    on_ldn: np.ndarray,
    *,
    prior: NormalPrior,
    trend: bool = True,
    grid: QuadratureGrid = DEFAULT_GRID,
) -> DeltaPosterior:
    """Integrate the closed-form conditional posterior of delta over the (rho, log sigma) grid:
    weight_ij ∝ a_i b_j p(y | rho_i, sigma_j) (trapezoid weights a, b; flat priors on the grid)."""
    t = np.asarray(day, dtype=np.float64)
    cols = [np.ones_like(t), np.asarray(on_ldn, dtype=np.float64)] + ([t / 100.0] if trend else [])
    post = regression_posterior_grid(
        t,
        np.asarray(pain_nrs, dtype=np.float64),
        np.column_stack(cols),
        prior_mean=np.array([LEVEL_PRIOR_NRS[0], prior.mean] + ([0.0] if trend else [])),
        prior_sd=np.array(
            [LEVEL_PRIOR_NRS[1], prior.sd] + ([TREND_PRIOR_SD_NRS_PER_100D] if trend else [])
        ),
        rho=grid.rho,
        log_sigma=grid.log_sigma,
    )
    lw = post.log_marginal + grid.log_weights()
    w = np.exp(lw - lw.max())
    w /= w.sum()
    rho_mean = float(np.sum(w.sum(axis=1) * grid.rho))
    sigma_mean = float(np.sum(w.sum(axis=0) * np.exp(grid.log_sigma)))
    keep = w > _NEGLIGIBLE_WEIGHT * w.max()
    wk = w[keep] / w[keep].sum()
    return DeltaPosterior(
        wk, post.mean[..., 1][keep], np.sqrt(post.var[..., 1][keep]), rho_mean, sigma_mean
    )


@dataclass(frozen=True, slots=True)
class Nof1Result:
    delta_mean: float
    delta_sd: float
    delta_ci_low: float
    delta_ci_high: float
    p_benefit: float
    p_clinically_meaningful: float
    mcid_nrs: float
    rho_mean: float
    sigma_mean: float
    n_days: int
    prior: NormalPrior
    frequentist: dict[str, float]
    conclusion: str
    warnings: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "delta_mean": self.delta_mean,
            "delta_sd": self.delta_sd,
            "delta_ci_low": self.delta_ci_low,
            "delta_ci_high": self.delta_ci_high,
            "p_benefit": self.p_benefit,
            "p_clinically_meaningful": self.p_clinically_meaningful,
            "mcid_nrs": self.mcid_nrs,
            "rho_mean": self.rho_mean,
            "sigma_mean": self.sigma_mean,
            "n_days": self.n_days,
            "prior": {
                "mean": self.prior.mean,
                "sd": self.prior.sd,
                "label": self.prior.label,
                "source_ids": list(self.prior.source_ids),
            },
            "frequentist": self.frequentist,
            "warnings": list(self.warnings),
            "conclusion": self.conclusion,
        }


def conclusion_text(
    *,
    p_benefit: float,
    p_meaningful: float,
    mean: float,
    lo: float,
    hi: float,
    warnings: tuple[str, ...] = (),
) -> str:
    size = f"pain about {abs(mean):.1f} points {'lower' if mean < 0 else 'higher'} on LDN (95% interval {-hi:.1f} to {-lo:.1f} points lower)"
    if p_benefit >= 0.95 and p_meaningful >= 0.5:
        text = f"LDN very likely helps you: {size}."
    elif p_benefit >= 0.95:
        text = f"LDN very likely helps you a little, but probably less than a change most people notice: {size}."
    elif p_benefit <= 0.05:
        text = f"LDN very likely does not help you: {size}."
    elif p_benefit >= 0.8:
        text = f"LDN probably helps you ({p_benefit:.0%} likely), but the trial could not be sure: {size}."
    else:
        text = f"The trial could not tell whether LDN helps you ({p_benefit:.0%} likely): {size}."
    return text + (" Caution: " + " ".join(warnings) if warnings else "")


def _cycles(period: np.ndarray) -> np.ndarray:
    return (np.asarray(period, dtype=np.int64) + 1) // 2


def frequentist_check(
    pain_nrs: np.ndarray, on_ldn: np.ndarray, period: np.ndarray
) -> dict[str, float]:
    """Paired t-test on period means within cycles (LDN minus placebo); needs 2 cycles."""
    cyc = _cycles(period)
    diffs = []
    for c in sorted(set(cyc.tolist())):
        on = pain_nrs[(on_ldn == 1) & (cyc == c)]
        off = pain_nrs[(on_ldn == 0) & (cyc == c)]
        if len(on) and len(off):
            diffs.append(float(on.mean() - off.mean()))
    d = np.array(diffs)
    if len(d) < 2:
        return {
            "mean_difference": float(d.mean()) if len(d) else float("nan"),
            "cycles": float(len(d)),
        }
    se = float(d.std(ddof=1) / np.sqrt(len(d)))
    tval = float(d.mean() / se) if se > 0 else float("inf")
    return {
        "mean_difference": float(d.mean()),
        "se": se,
        "t": tval,
        "df": float(len(d) - 1),
        "p_two_sided": float(2 * stats.t.sf(abs(tval), len(d) - 1)),
        "cycles": float(len(d)),
    }


def diary_warnings(day: np.ndarray, on_ldn: np.ndarray, period: np.ndarray) -> tuple[str, ...]:
    """Plain-language cautions: too few cycles (trend confounding, power, no frequentist check)
    and a sparse diary (power)."""
    out: list[str] = []
    cyc = _cycles(period)
    both = sum(
        1 for c in set(cyc.tolist()) if len(set(on_ldn[cyc == c].tolist())) == 2
    )  # cycles with LDN and placebo days
    if both < MIN_CYCLES.value:
        out.append(
            f"Only {both} cycle{'' if both == 1 else 's'} had analysed days on both LDN and placebo. A change over time "
            "(the condition easing or worsening, the season, expectation) cannot be told apart from an effect of LDN, "
            f"and so few periods give the trial little power: treat the result as provisional and complete at least "
            f"{MIN_CYCLES.value} cycles."
        )
        out.append(
            f"No frequentist check: it compares LDN and placebo period means within cycles and needs at least "
            f"{MIN_CYCLES.value} cycles with both."
        )
    spans = [np.ptp(day[period == p]) + 1 for p in set(np.asarray(period).tolist())]
    span = int(sum(spans))
    if len(day) < SPARSE_LOGGED_FRACTION * span:
        out.append(
            f"Sparse diary: pain was logged on {len(day)} of the {span} days between the first and the last logged day of each "
            f"period ({len(day) / span:.0%}). The missing days are bridged by the autocorrelation model, but the "
            "trial carries less information than a daily diary: the interval is wider and the power lower."
        )
    return tuple(out)


def analyse_series(
    day: np.ndarray,
    pain_nrs: np.ndarray,
    on_ldn: np.ndarray,
    period: np.ndarray,
    *,
    prior: NormalPrior,
    trend: bool = True,
    mcid_nrs: float = MCID_NRS.value,
    grid: QuadratureGrid = DEFAULT_GRID,
) -> Nof1Result:
    """Posterior of delta from analysed days ``day`` (integer day numbers from the trial start,
    increasing; any gaps), pain on each (NRS), on LDN (1) or placebo (0), and period index."""
    t = np.asarray(day, dtype=np.float64)
    y = np.asarray(pain_nrs, dtype=np.float64)
    x = np.asarray(on_ldn, dtype=np.float64)
    per = np.asarray(period)
    if len(t) < MIN_ANALYSED_DAYS or x.min() == x.max():
        raise InputError.at(
            "diary",
            f"need at least {MIN_ANALYSED_DAYS} analysed days, on both LDN and placebo",
            "log the diary through at least one full cycle",
        )
    post = delta_posterior(t, y, x, prior=prior, trend=trend, grid=grid)
    mean, sd = post.mean, post.sd
    lo, hi = post.quantile(0.025), post.quantile(0.975)
    p_benefit, p_meaningful = post.cdf(0.0), post.cdf(-mcid_nrs)
    warnings = diary_warnings(t, x, per)
    text = conclusion_text(
        p_benefit=p_benefit, p_meaningful=p_meaningful, mean=mean, lo=lo, hi=hi, warnings=warnings
    )
    return Nof1Result(
        mean,
        sd,
        lo,
        hi,
        p_benefit,
        p_meaningful,
        mcid_nrs,
        post.rho_mean,
        post.sigma_mean_nrs,
        len(t),
        prior,
        frequentist_check(y, x, per),
        text,
        warnings,
    )
