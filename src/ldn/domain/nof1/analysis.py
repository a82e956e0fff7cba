"""Exact Bayesian analysis of an N-of-1 trial, by quadrature (no MCMC).

Model for the analysed days t (daily average pain, NRS 0-10)::

    y_t = level + delta * on_LDN_t + beta * (t / 100) + e_t,   e_t = rho e_{t-1} + u_t,  u_t ~ N(0, sigma^2)

Conditioning on each previous day (pairs of consecutive observed days; a gap breaks the chain),
y_t - rho y_{t-1} is a linear Gaussian regression in (level, delta, beta). With a normal prior
b ~ N(m0, S0) — level N(5, 10^2), delta from the evidence or a sceptical prior, beta N(0, 2^2) —
the posterior of b given (rho, sigma) is normal in closed form, and so is the marginal likelihood.
rho (uniform on -0.9..0.95) and sigma (Jeffreys, uniform in log sigma) are integrated on a grid.
Because the prior on delta is in NRS points (not scaled by sigma), sigma is integrated on the grid
too, rather than by the normal-inverse-gamma identity; the result is exact up to the quadrature.
The posterior of delta is the weighted normal mixture over the grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from ldn.domain.errors import InputError
from ldn.domain.mixtures import normal_mixture_quantile
from ldn.domain.nof1.prior import MCID_NRS, NormalPrior

__all__ = ["Nof1Result", "analyse_series", "conclusion_text"]

RHO_GRID = np.linspace(-0.9, 0.95, 38)
LOG_SIGMA_GRID = np.linspace(np.log(0.05), np.log(5.0), 70)


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

    def as_dict(self) -> dict[str, Any]:
        return {"delta_mean": self.delta_mean, "delta_sd": self.delta_sd, "delta_ci_low": self.delta_ci_low,
                "delta_ci_high": self.delta_ci_high, "p_benefit": self.p_benefit, "p_clinically_meaningful": self.p_clinically_meaningful,
                "mcid_nrs": self.mcid_nrs, "rho_mean": self.rho_mean, "sigma_mean": self.sigma_mean, "n_days": self.n_days,
                "prior": {"mean": self.prior.mean, "sd": self.prior.sd, "label": self.prior.label, "source_ids": list(self.prior.source_ids)},
                "frequentist": self.frequentist, "conclusion": self.conclusion}  # fmt: skip


def conclusion_text(
    *, p_benefit: float, p_meaningful: float, mean: float, lo: float, hi: float
) -> str:
    size = f"pain about {abs(mean):.1f} points {'lower' if mean < 0 else 'higher'} on LDN (95% interval {-hi:.1f} to {-lo:.1f} points lower)"
    if p_benefit >= 0.95 and p_meaningful >= 0.5:
        return f"LDN very likely helps you: {size}."
    if p_benefit >= 0.95:
        return f"LDN very likely helps you a little, but probably less than a change most people notice: {size}."
    if p_benefit <= 0.05:
        return f"LDN very likely does not help you: {size}."
    if p_benefit >= 0.8:
        return f"LDN probably helps you ({p_benefit:.0%} likely), but the trial could not be sure: {size}."
    return f"The trial could not tell whether LDN helps you ({p_benefit:.0%} likely): {size}."


def analyse_series(t: np.ndarray, y: np.ndarray, on_ldn: np.ndarray, period: np.ndarray, *, prior: NormalPrior, trend: bool = True,
                   mcid_nrs: float = MCID_NRS.value) -> Nof1Result:  # fmt: skip
    """Posterior of delta from analysed days ``t`` (integer day numbers, increasing)."""
    t = np.asarray(t, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    x = np.asarray(on_ldn, dtype=np.float64)
    if len(t) < 8 or x.min() == x.max():
        raise InputError.at(
            "diary",
            "need analysed days on both LDN and placebo",
            "log the diary through at least one full cycle",
        )
    cols = [np.ones_like(t), x] + ([t / 100.0] if trend else [])
    design_x = np.column_stack(cols)
    pair = np.flatnonzero(np.diff(t) == 1) + 1  # rows with an observed previous day
    if len(pair) < 6:
        raise InputError.at(
            "diary",
            "too few consecutive days to estimate autocorrelation",
            "log the diary every day where possible",
        )
    m0 = np.array([5.0, prior.mean] + ([0.0] if trend else []))
    s0_inv = np.diag(1.0 / np.array([100.0, prior.sd**2] + ([4.0] if trend else [])))
    sig2 = np.exp(2 * LOG_SIGMA_GRID)
    logw, means, vars_ = [], [], []
    for rho in RHO_GRID:
        ys = y[pair] - rho * y[pair - 1]
        xs = design_x[pair] - rho * design_x[pair - 1]
        a, c, yy, n = xs.T @ xs, xs.T @ ys, float(ys @ ys), len(ys)
        prec = s0_inv[None] + a[None] / sig2[:, None, None]
        rhs = (s0_inv @ m0)[None] + c[None] / sig2[:, None]
        cov = np.linalg.inv(prec)
        mn = np.einsum("gij,gj->gi", cov, rhs)
        _, logdet = np.linalg.slogdet(prec)
        quad = yy / sig2 + m0 @ s0_inv @ m0 - np.einsum("gi,gi->g", mn, rhs)
        logw.append(-n * LOG_SIGMA_GRID - 0.5 * logdet - 0.5 * quad)
        means.append(mn[:, 1])
        vars_.append(cov[:, 1, 1])
    lw = np.array(logw)
    w = np.exp(lw - lw.max())
    w /= w.sum()
    m, v = np.array(means), np.array(vars_)
    s = np.sqrt(v)
    mean = float(np.sum(w * m))
    sd = float(np.sqrt(np.sum(w * (v + m**2)) - mean**2))
    lo, hi = normal_mixture_quantile(w, m, s, 0.025), normal_mixture_quantile(w, m, s, 0.975)
    p_benefit = float(np.sum(w * stats.norm.cdf(0.0, m, s)))
    p_meaningful = float(np.sum(w * stats.norm.cdf(-mcid_nrs, m, s)))
    # frequentist check: paired period means within cycles (LDN minus placebo)
    per = np.asarray(period)
    diffs = []
    for cyc in sorted({int(q) for q in (per + 1) // 2}):
        on = y[(x == 1) & ((per + 1) // 2 == cyc)]
        off = y[(x == 0) & ((per + 1) // 2 == cyc)]
        if len(on) and len(off):
            diffs.append(float(on.mean() - off.mean()))
    d = np.array(diffs)
    if len(d) >= 2:
        se = float(d.std(ddof=1) / np.sqrt(len(d)))
        tval = float(d.mean() / se) if se > 0 else float("inf")
        freq = {"mean_difference": float(d.mean()), "se": se, "t": tval, "df": float(len(d) - 1),
                "p_two_sided": float(2 * stats.t.sf(abs(tval), len(d) - 1)), "cycles": float(len(d))}  # fmt: skip
    else:
        freq = {
            "mean_difference": float(d.mean()) if len(d) else float("nan"),
            "cycles": float(len(d)),
        }
    rho_w = w.sum(axis=1)
    return Nof1Result(mean, sd, lo, hi, p_benefit, p_meaningful, mcid_nrs, float(np.sum(rho_w * RHO_GRID)),
                      float(np.sum(w.sum(axis=0) * np.exp(LOG_SIGMA_GRID))), len(t), prior, freq,
                      conclusion_text(p_benefit=p_benefit, p_meaningful=p_meaningful, mean=mean, lo=lo, hi=hi))  # fmt: skip
