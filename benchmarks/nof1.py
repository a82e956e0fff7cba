"""N-of-1 analysis benchmark (issue 24): speed, power and calibration of the exact AR(1) analysis.

1. Speed: the quadrature posterior for one 3-cycle trial, and NUTS on the same model when
   NumPyro is installed (pip install -e '.[bench]'), in the same run.
2. Power to conclude benefit (P(delta < 0) >= 0.95) at a true delta = -1, and the false-positive
   rate at delta = 0, for (rho, sigma) in {(0.9, 0.5), (0.7, 0.7), (0.4, 1.0)}: 3 cycles of
   28-day periods with 14 run-in days, sceptical N(0, 1) prior. The analysis ldn used before
   issue 24 (conditional likelihood, equal node weights; frozen below) and the exact one see
   the same simulated trials; the exact column is checked to equal `ldn trial plan-power`.
3. Calibration: trials with every parameter drawn from the analysis prior (delta N(0, 1),
   rho U(-0.9, 0.95), log sigma U(log 0.05, log 5), level N(5, 10^2), trend N(0, 2^2) per 100 d):
   coverage of the 95 % interval and the PIT P(delta <= true delta | data), which is uniform for
   an exact posterior (Cook, Gelman & Rubin 2006; Kolmogorov-Smirnov test). Also coverage at
   each fixed (rho, sigma) of the power table with delta drawn from the prior.
4. The shipped example trial, old and new, sceptical prior.
Run: python benchmarks/nof1.py  (about a minute without NumPyro; NUTS adds a few minutes)
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from pathlib import Path

import numpy as np
from scipy import stats

from ldn.domain.nof1.analysis import DeltaPosterior, analyse_series, delta_posterior
from ldn.domain.nof1.planner import DECISION_P, plan_power, simulate_trial
from ldn.domain.nof1.prior import NormalPrior, sceptical_prior

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "reference" / "nof1"))
SCENARIOS = ((0.9, 0.5), (0.7, 0.7), (0.4, 1.0))
N_POWER = 200  # trials per scenario and arm (effect and null)
N_CALIBRATION = 2000
N_COVERAGE = 1000  # per scenario
SHAPE = {"cycles": 3, "period_days": 28, "run_in_days": 14}


def conditional_posterior(
    t: np.ndarray, y: np.ndarray, x: np.ndarray, *, prior: NormalPrior
) -> DeltaPosterior | None:
    """ldn's analysis before issue 24, frozen for comparison: only pairs of consecutive days
    (y_t - rho y_{t-1} on the same for X), equal weights on a 38 x 70 grid. None where it
    refused (fewer than 6 pairs)."""
    rho_grid = np.linspace(-0.9, 0.95, 38)
    log_sigma = np.linspace(np.log(0.05), np.log(5.0), 70)
    design_x = np.column_stack([np.ones_like(t), x, t / 100.0])
    pair = np.flatnonzero(np.diff(t) == 1) + 1
    if len(pair) < 6:
        return None
    m0 = np.array([5.0, prior.mean, 0.0])
    s0_inv = np.diag(1.0 / np.array([100.0, prior.sd**2, 4.0]))
    sig2 = np.exp(2 * log_sigma)
    logw, means, vars_ = [], [], []
    for rho in rho_grid:
        ys = y[pair] - rho * y[pair - 1]
        xs = design_x[pair] - rho * design_x[pair - 1]
        prec = s0_inv[None] + (xs.T @ xs)[None] / sig2[:, None, None]
        rhs = (s0_inv @ m0)[None] + (xs.T @ ys)[None] / sig2[:, None]
        cov = np.linalg.inv(prec)
        mn = np.einsum("gij,gj->gi", cov, rhs)
        quad = float(ys @ ys) / sig2 + m0 @ s0_inv @ m0 - np.einsum("gi,gi->g", mn, rhs)
        logw.append(-len(ys) * log_sigma - 0.5 * np.linalg.slogdet(prec)[1] - 0.5 * quad)
        means.append(mn[:, 1])
        vars_.append(cov[:, 1, 1])
    lw = np.array(logw)
    w = np.exp(lw - lw.max())
    w /= w.sum()
    return DeltaPosterior(
        w.ravel(),
        np.array(means).ravel(),
        np.sqrt(np.array(vars_)).ravel(),
        float(w.sum(axis=1) @ rho_grid),
        float(w.sum(axis=0) @ np.exp(log_sigma)),
    )


def exact(t: np.ndarray, y: np.ndarray, x: np.ndarray, *, prior: NormalPrior) -> DeltaPosterior:
    return delta_posterior(t, y, x, prior=prior)


def speed() -> None:
    t, y, x, per = simulate_trial(
        delta=-1.2, rho=0.4, sigma=1.0, rng=np.random.default_rng(3), **SHAPE
    )
    analyse_series(t, y, x, per, prior=sceptical_prior())
    reps = 50
    t0 = time.perf_counter()
    for _ in range(reps):
        r = analyse_series(t, y, x, per, prior=sceptical_prior())
    exact_s = (time.perf_counter() - t0) / reps
    t0 = time.perf_counter()
    for _ in range(reps):  # the same summaries as analyse_series: interval and probabilities
        old = conditional_posterior(t, y, x, prior=sceptical_prior())
        assert old is not None
        _ = (old.quantile(0.025), old.quantile(0.975), old.cdf(0.0), old.cdf(-1.0))
    old_s = (time.perf_counter() - t0) / reps
    assert old is not None
    print(
        f"| exact quadrature (45 x 81 nodes) | {exact_s * 1e3:.1f} ms per trial | delta {r.delta_mean:.3f} (sd {r.delta_sd:.3f}) |"
    )
    print(
        f"| conditional, before #24 (38 x 70 nodes) | {old_s * 1e3:.1f} ms per trial | delta {old.mean:.3f} (sd {old.sd:.3f}) |"
    )
    if importlib.util.find_spec("numpyro") is None:
        print(
            "NumPyro is not installed: the NUTS comparison was not run (pip install -e '.[bench]')."
        )
        return
    from make_nuts_reference import fit_nuts  # type: ignore[import-not-found]

    t0 = time.perf_counter()
    d, _ = fit_nuts(list(t), list(y), list(x), chains=4, dense=False)
    nuts_s = time.perf_counter() - t0
    d = np.asarray(d)
    print(
        f"| NUTS (NumPyro, exact AR(1) likelihood, 4 chains x 7,000 iterations, incl. compilation) | {nuts_s:.2f} s | delta {d.mean():.3f} (sd {d.std():.3f}) |"
    )
    print(f"exact is {nuts_s / exact_s:,.0f}x faster than NUTS in this run")


def power(*, seed: int = 1) -> None:
    prior = sceptical_prior()
    print(
        "\n| rho, sigma | conditional (before #24): power | false pos. | exact: power | false pos. | plan-power |"
    )
    print("|---|---|---|---|---|---|")
    for rho, sigma in SCENARIOS:
        # the planner's random stream: effect and null trials interleaved
        rng = np.random.default_rng(seed)
        hits = {"old": [0, 0], "new": [0, 0]}
        for _ in range(N_POWER):
            for arm, delta in ((0, -1.0), (1, 0.0)):
                t, y, x, _ = simulate_trial(delta=delta, rho=rho, sigma=sigma, rng=rng, **SHAPE)
                old = conditional_posterior(t, y, x, prior=prior)
                hits["old"][arm] += old is not None and old.cdf(0.0) >= DECISION_P
                hits["new"][arm] += exact(t, y, x, prior=prior).cdf(0.0) >= DECISION_P
        plan = plan_power(
            delta_true=-1.0,
            cycles=3,
            period_days=28,
            run_in_days=14,
            rho=rho,
            sigma=sigma,
            n_sims=N_POWER,
            seed=seed,
        )
        assert plan.p_conclusive == hits["new"][0] / N_POWER, (
            "the planner must use the exact likelihood"
        )
        o, n = hits["old"], hits["new"]
        print(
            f"| {rho}, {sigma} | {o[0]}/{N_POWER} = {o[0] / N_POWER:.0%} | {o[1] / N_POWER:.1%} | "
            f"{n[0]}/{N_POWER} = {n[0] / N_POWER:.0%} | {n[1] / N_POWER:.1%} | {plan.p_conclusive:.0%} |"
        )


def _coverage_and_pit(
    trials: list[tuple[float, np.ndarray, np.ndarray, np.ndarray]], prior: NormalPrior
) -> dict[str, str]:
    out = {}
    for name, fit in (("conditional", conditional_posterior), ("exact", exact)):
        cover, pit = [], []
        for delta, t, y, x in trials:
            post = fit(t, y, x, prior=prior)
            if post is None:
                continue
            cover.append(post.quantile(0.025) <= delta <= post.quantile(0.975))
            pit.append(post.cdf(delta))
        ks = stats.kstest(pit, "uniform").pvalue
        out[name] = f"{np.mean(cover):.1%} (PIT KS p = {ks:.2f}; n = {len(cover)})"
    return out


def calibration(*, seed: int = 2026) -> None:
    prior = sceptical_prior()
    rng = np.random.default_rng(seed)
    trials = []
    for _ in range(N_CALIBRATION):
        delta = float(rng.normal(prior.mean, prior.sd))
        rho = float(rng.uniform(-0.9, 0.95))
        sigma = float(np.exp(rng.uniform(np.log(0.05), np.log(5.0))))
        level, beta = float(rng.normal(5.0, 10.0)), float(rng.normal(0.0, 2.0))
        t, y, x, _ = simulate_trial(delta=delta, rho=rho, sigma=sigma, rng=rng, **SHAPE)
        trials.append((delta, t, y + (level - 5.0) + beta * t / 100.0, x))
    res = _coverage_and_pit(trials, prior)
    print(
        f"\n| calibration | conditional (before #24) | exact |\n|---|---|---|\n| all parameters from the prior, {N_CALIBRATION} trials | {res['conditional']} | {res['exact']} |"
    )
    for rho, sigma in SCENARIOS:
        trials = []
        for _ in range(N_COVERAGE):
            delta = float(rng.normal(prior.mean, prior.sd))
            t, y, x, _ = simulate_trial(delta=delta, rho=rho, sigma=sigma, rng=rng, **SHAPE)
            trials.append((delta, t, y, x))
        res = _coverage_and_pit(trials, prior)
        print(
            f"| rho {rho}, sigma {sigma}, delta from the prior, {N_COVERAGE} trials | {res['conditional']} | {res['exact']} |"
        )


def example_trial() -> None:
    from make_nuts_reference import TRIAL, load

    t, y, x = (np.array(a) for a in load())
    per = t.astype(int) // json.loads((TRIAL / "design.json").read_text())["period_days"] + 1
    old = conditional_posterior(t, y, x, prior=sceptical_prior())
    new = analyse_series(t, y, x, per, prior=sceptical_prior())
    assert old is not None
    print(
        f"\nexample trial (sceptical prior): conditional {old.mean:.3f} (sd {old.sd:.3f}, 95% {old.quantile(0.025):.2f} to "
        f"{old.quantile(0.975):.2f}, P(benefit) {old.cdf(0.0):.3f}); exact {new.delta_mean:.3f} (sd {new.delta_sd:.3f}, "
        f"95% {new.delta_ci_low:.2f} to {new.delta_ci_high:.2f}, P(benefit) {new.p_benefit:.3f}), rho {new.rho_mean:.2f}"
    )


def main() -> None:
    t0 = time.perf_counter()
    example_trial()
    power()
    calibration()
    print(f"\n(power, calibration and example: {time.perf_counter() - t0:.0f} s)\n")
    speed()


if __name__ == "__main__":
    main()
