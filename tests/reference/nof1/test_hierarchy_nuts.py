"""The pooled N-of-1 posterior (issue 22) against NUTS on the same data, model and priors.

Provenance (2026-12-06): benchmarks/nof1_hierarchy.py, run with NumPyro 0.22.0 / JAX 0.10.2 in
float64 (4 chains x 3,000 draws after 1,500 warm-up, seed 2026, 0 divergences, 410 s), on a
simulated clinic of 12 three-cycle trials stored in hierarchy_nuts.json with the results: the
same three-level model written independently of ldn (non-centred delta_i = Delta + tau z_i, each
trial's level, trend, rho and log sigma sampled, the exact AR(1) likelihood as one-step
conditionals), sceptical N(0, 1) prior on Delta, half-normal(1) on tau. NUTS gave Delta -1.084
(95 % -1.447 to -0.702), tau 0.349 (0.016 to 0.890), share benefiting >= 1 point 0.616;
ldn -1.086 (-1.449 to -0.703), 0.343 (0.017 to 0.881), 0.619: every compared value within
1.7 Monte Carlo SEs.

Tolerance: 4 MCSE of the NUTS value (the mean's from NumPyro's ESS, each quantile's by batch
means over 20 batches of 600 draws) plus 0.003 for ldn's quadrature (within 2e-4 of a grid 4
times finer) and for the MCSE estimates' own error. Quantiles pinned at 0 or 1 (the share when
tau may be near 0) have an MCSE near 0, so the 0.003 is their whole allowance.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ldn.domain.nof1.hierarchy import SeriesResult, effect_likelihood, pool_series
from ldn.domain.nof1.prior import NormalPrior

REF = json.loads(Path(__file__).with_name("hierarchy_nuts.json").read_text())
QUADRATURE = 0.003


@pytest.fixture(scope="module")
def pooled() -> SeriesResult:
    lks = [
        effect_likelihood(
            np.array(tr["day"]), np.array(tr["pain"]), np.array(tr["on_ldn"]), label=tr["label"]
        )
        for tr in REF["trials"]
    ]
    prior = NormalPrior(REF["prior"]["mean"], REF["prior"]["sd"], REF["prior"]["label"], ())
    return pool_series(
        lks,
        prior=prior,
        baseline_nrs=REF["baseline_nrs"],
        tau_prior_scale_nrs=REF["tau_prior_scale_nrs"],
    )


def _check(name: str, ours: tuple[float, float, float], ref: dict[str, Any]) -> None:
    for value, key in zip(ours, ("mean", "q025", "q975"), strict=True):
        tol = 4 * ref["mcse_mean" if key == "mean" else f"mcse_{key}"] + QUADRATURE
        assert abs(value - ref[key]) <= tol, (
            f"{name} {key}: ldn {value:.4f}, NUTS {ref[key]:.4f} (tolerance {tol:.4f})"
        )


def test_average_effect_and_spread_match_nuts(pooled: SeriesResult) -> None:
    _check("Delta", (pooled.delta_mean_nrs, *pooled.delta_ci_nrs), REF["result"]["Delta"])
    _check("tau", (pooled.tau_mean_nrs, *pooled.tau_ci_nrs), REF["result"]["tau"])


def test_shares_match_nuts(pooled: SeriesResult) -> None:
    assert pooled.share_benefit_30pct is not None and pooled.share_benefit_30pct_ci is not None
    _check(
        "share >= MCID",
        (pooled.share_benefit_mcid, *pooled.share_benefit_mcid_ci),
        REF["result"]["share_mcid"],
    )
    _check(
        "share >= 30 %",
        (pooled.share_benefit_30pct, *pooled.share_benefit_30pct_ci),
        REF["result"]["share_30pct"],
    )


def test_two_shrunken_patients_match_nuts(pooled: SeriesResult) -> None:
    by_label = {p.label: p for p in pooled.patients}
    assert len(REF["result"]["patients"]) == 2
    for label, ref in REF["result"]["patients"].items():
        p = by_label[label]
        _check(label, (p.pooled_mean_nrs, *p.pooled_ci_nrs), ref)
