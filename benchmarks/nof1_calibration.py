"""Calibration of the pooled N-of-1 model (issue 22) by simulation: coverage of the 95 % intervals.

1. Parameters from the priors (the check of an exact posterior; Cook, Gelman & Rubin 2006):
   N_PRIOR clinics of 12 three-cycle trials (28-day periods, 14 run-in days). Delta ~ the
   sceptical N(0, 1), tau ~ half-normal(TAU_PRIOR_SCALE_NRS), delta_i ~ N(Delta, tau^2); each
   patient's own rho ~ U(-0.9, 0.95) and trend ~ N(0, 2^2) per 100 days (the single-trial
   priors), level ~ N(5, 1.5^2) and sigma log-uniform on 0.3-3 (a realistic part of the
   single-trial prior's 0.05-5: the extremes put trials of 100-fold different precision in one
   clinic, a case ldn handles (coarse-grid warning) but a slow one to simulate 6,000 times; the
   nuisance parameters are estimated from 84 diary days, so narrowing their draw changes the
   coverage of Delta and tau very little). Every diary goes through effect_likelihood and
   pool_series, as in use. For an exact posterior the coverage is 95 % in expectation; the
   binomial SD with 500 clinics is 1.0 point.
2. Fixed (Delta, tau), N_FIXED clinics each, rho 0.5 and sigma 1 for everyone: the frequentist
   coverage of Bayesian intervals, which need not be 95 % at a given parameter value (with 12
   trials the tau interval leans on the half-normal prior: too wide near tau = 0, too narrow far
   above the prior's scale).
Run: python benchmarks/nof1_calibration.py   (about 5-10 minutes on 2 busy cores)
"""

from __future__ import annotations

import sys
import time

import numpy as np
from scipy import special

from ldn.domain.nof1.hierarchy import TAU_PRIOR_SCALE_NRS, effect_likelihood, pool_series
from ldn.domain.nof1.planner import simulate_trial
from ldn.domain.nof1.prior import MCID_NRS, sceptical_prior

N_PRIOR = 500
N_FIXED = 100
N_TRIALS = 12
SHAPE = {"cycles": 3, "period_days": 28, "run_in_days": 14}
FIXED = ((-1.0, 0.5), (-0.5, 1.0), (0.0, 0.3))


def simulate_clinic(
    delta: float, tau: float, rng: np.random.Generator, *, fixed_noise: bool
) -> list:  # type: ignore[type-arg]
    lks = []
    for i in range(N_TRIALS):
        d_i = float(rng.normal(delta, tau))
        if fixed_noise:
            rho, sigma, level, beta = 0.5, 1.0, 5.0, 0.0
        else:
            rho = float(rng.uniform(-0.9, 0.95))
            sigma = float(np.exp(rng.uniform(np.log(0.3), np.log(3.0))))
            level, beta = float(rng.normal(5.0, 1.5)), float(rng.normal(0.0, 2.0))
        t, y, x, _ = simulate_trial(delta=d_i, rho=rho, sigma=sigma, rng=rng, **SHAPE)
        lks.append(effect_likelihood(t, y + (level - 5.0) + beta * t / 100.0, x, label=f"P{i}"))
    return lks


def coverage(
    truths: list[tuple[float, float]], rng: np.random.Generator, *, fixed_noise: bool
) -> dict[str, float]:
    prior = sceptical_prior()
    hits = np.zeros(3)
    widths = np.zeros(3)
    for delta, tau in truths:
        r = pool_series(simulate_clinic(delta, tau, rng, fixed_noise=fixed_noise), prior=prior)
        share = (
            float(special.ndtr((-MCID_NRS.value - delta) / tau))
            if tau > 0
            else float(delta < -MCID_NRS.value)
        )
        cis = (r.delta_ci_nrs, r.tau_ci_nrs, r.share_benefit_mcid_ci)
        hits += [lo <= v <= hi for (lo, hi), v in zip(cis, (delta, tau, share), strict=True)]
        widths += [hi - lo for lo, hi in cis]
    n = len(truths)
    return {
        "n": n,
        **{f"cover_{k}": h / n for k, h in zip(("delta", "tau", "share"), hits, strict=True)},
        **{f"width_{k}": w / n for k, w in zip(("delta", "tau", "share"), widths, strict=True)},
    }


def main(n_prior: int = N_PRIOR, n_fixed: int = N_FIXED, seed: int = 2026) -> None:
    rng = np.random.default_rng(seed)
    prior = sceptical_prior()
    t0 = time.perf_counter()
    truths = [
        (
            float(rng.normal(prior.mean, prior.sd)),
            float(abs(rng.normal(0.0, TAU_PRIOR_SCALE_NRS.value))),
        )
        for _ in range(n_prior)
    ]
    rows = [
        (
            "Delta, tau from the priors; rho, sigma, level, trend vary",
            coverage(truths, rng, fixed_noise=False),
        )
    ]
    for delta, tau in FIXED if n_fixed else ():
        rows.append(
            (
                f"Delta {delta:g}, tau {tau:g} fixed; rho 0.5, sigma 1",
                coverage([(delta, tau)] * n_fixed, rng, fixed_noise=True),
            )
        )
    print(
        "| clinics of 12 trials | n | Delta | tau | share >= 1 point | mean widths (Delta, tau, share) |"
    )
    print("|---|---|---|---|---|---|")
    for name, c in rows:
        print(
            f"| {name} | {c['n']} | {c['cover_delta']:.1%} | {c['cover_tau']:.1%} | {c['cover_share']:.1%} | "
            f"{c['width_delta']:.2f}, {c['width_tau']:.2f}, {c['width_share']:.2f} |"
        )
    print(
        f"\n({time.perf_counter() - t0:.0f} s, {n_prior + len(FIXED) * n_fixed} clinics, {(n_prior + len(FIXED) * n_fixed) * N_TRIALS} diaries)"
    )


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
