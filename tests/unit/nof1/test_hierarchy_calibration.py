"""Calibration of the pooled N-of-1 posterior by simulation (small version of
benchmarks/nof1_calibration.py, whose 500-clinic table is in docs/benchmarks.md).

64 clinics of 5 trials, every parameter drawn from the model's own priors (Delta ~ N(-0.3, 0.8),
tau ~ half-normal(1), delta_i ~ N(Delta, tau^2)) and each trial seen through a normal summary
(se_i ~ U(0.25, 0.6), estimate ~ N(delta_i, se_i^2); the from_estimate path, so the test is
fast). For an exact posterior each 95 % interval then covers the true value with probability
exactly 0.95 (Cook, Gelman & Rubin 2006). Tolerance: with 64 clinics the count of covered
values has SD 1.7; at least 55 of 64 (86 %, 3.4 SDs below the expected 60.8) per quantity,
and the total over the three below 99 % (intervals that always cover are too wide).
Seeded, so deterministic.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from ldn.domain.nof1.hierarchy import EffectLikelihood, pool_series
from ldn.domain.nof1.prior import MCID_NRS, NormalPrior

PRIOR = NormalPrior(-0.3, 0.8, "test N(-0.3, 0.8)", ("ldn-assumption",))
N_CLINICS, N_TRIALS = 64, 5


def test_intervals_cover_the_truth_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(20261206)
    hits = np.zeros(3)
    for _ in range(N_CLINICS):
        delta = rng.normal(PRIOR.mean, PRIOR.sd)
        tau = abs(rng.normal(0.0, 1.0))
        effects = rng.normal(delta, tau, N_TRIALS)
        se = rng.uniform(0.25, 0.6, N_TRIALS)
        est = rng.normal(effects, se)
        lks = [
            EffectLikelihood.from_estimate(f"p{i}", estimate_nrs=e, se_nrs=s)
            for i, (e, s) in enumerate(zip(est, se, strict=True))
        ]
        r = pool_series(lks, prior=PRIOR, tau_prior_scale_nrs=1.0)
        share = special.ndtr((-MCID_NRS.value - delta) / tau)
        hits += [
            r.delta_ci_nrs[0] <= delta <= r.delta_ci_nrs[1],
            r.tau_ci_nrs[0] <= tau <= r.tau_ci_nrs[1],
            r.share_benefit_mcid_ci[0] <= share <= r.share_benefit_mcid_ci[1],
        ]
    assert np.all(hits >= 55), hits
    assert hits.sum() / (3 * N_CLINICS) < 0.99, hits
