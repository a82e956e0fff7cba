"""The pooled N-of-1 model (issue 22): closed-form checks, limits, invariants, refusals.

The closed-form reference for normal trial summaries is the normal-normal hierarchy with Delta
and each delta_i integrated analytically given tau (Delta | tau, y ~ N(M, 1/P) with
P = 1/s0^2 + sum 1/(v_i + tau^2); delta_i | tau, y has mean B y_i + (1 - B) M, B = tau^2 /
(v_i + tau^2)) and tau on a 40,001-node grid: the computation of ldn.domain.evidence.bayes,
written out here independently of ldn's (Delta, tau) grid.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special

from ldn.domain.errors import InputError
from ldn.domain.nof1.analysis import delta_posterior
from ldn.domain.nof1.hierarchy import EffectLikelihood, effect_likelihood, pool_series
from ldn.domain.nof1.hierarchy_grid import mixture_quantile, series_grid
from ldn.domain.nof1.network import pool_network
from ldn.domain.nof1.planner import simulate_trial
from ldn.domain.nof1.prior import MCID_NRS, NormalPrior, sceptical_prior

PRIOR = NormalPrior(-0.3, 0.8, "test N(-0.3, 0.8)", ("ldn-assumption",))
SHAPE = {"cycles": 3, "period_days": 28, "run_in_days": 14}


def normal_trials(est: list[float], se: list[float]) -> list[EffectLikelihood]:
    return [
        EffectLikelihood.from_estimate(f"p{i}", estimate_nrs=e, se_nrs=s)
        for i, (e, s) in enumerate(zip(est, se, strict=True))
    ]


def closed_form(
    est: np.ndarray, se: np.ndarray, prior: NormalPrior, tau_scale: float, threshold: float
) -> dict[str, float]:
    tau = np.linspace(0.0, 8.0, 40001)
    var = se[None, :] ** 2 + tau[:, None] ** 2
    prec = 1 / prior.sd**2 + np.sum(1 / var, axis=1)
    mean = (prior.mean / prior.sd**2 + np.sum(est / var, axis=1)) / prec
    quad = np.sum(est**2 / var, axis=1) + prior.mean**2 / prior.sd**2 - prec * mean**2
    logp = -0.5 * (np.sum(np.log(var), axis=1) + np.log(prec) + quad) - tau**2 / (2 * tau_scale**2)
    p = np.exp(logp - logp.max())
    p[[0, -1]] /= 2
    p /= p.sum()
    sd = 1 / np.sqrt(prec)
    cdf = np.cumsum(p) - p / 2
    b = tau[:, None] ** 2 / var
    pat_mean = b * est[None, :] + (1 - b) * mean[:, None]
    pat_sd = np.sqrt(b * se[None, :] ** 2 + (1 - b) ** 2 / prec[:, None])
    return {
        "delta_mean": float(p @ mean),
        "delta_lo": mixture_quantile(p, mean, sd, 0.025),
        "delta_hi": mixture_quantile(p, mean, sd, 0.975),
        "tau_mean": float(p @ tau),
        "tau_lo": float(np.interp(0.025, cdf, tau)),
        "tau_hi": float(np.interp(0.975, cdf, tau)),
        "share": float(p @ special.ndtr((-threshold - mean) / np.sqrt(tau**2 + sd**2))),
        "p0_mean": float(p @ pat_mean[:, 0]),
        "p0_lo": mixture_quantile(p, pat_mean[:, 0], pat_sd[:, 0], 0.025),
        "p0_hi": mixture_quantile(p, pat_mean[:, 0], pat_sd[:, 0], 0.975),
    }


def test_normal_summaries_match_the_closed_form() -> None:
    est = np.array([-1.9, -0.4, -1.2, 0.3, -0.9])
    se = np.array([0.35, 0.5, 0.3, 0.45, 0.6])
    ref = closed_form(est, se, PRIOR, 1.0, MCID_NRS.value)
    r = pool_series(normal_trials(list(est), list(se)), prior=PRIOR, tau_prior_scale_nrs=1.0)
    got = {
        "delta_mean": r.delta_mean_nrs,
        "delta_lo": r.delta_ci_nrs[0],
        "delta_hi": r.delta_ci_nrs[1],
        "tau_mean": r.tau_mean_nrs,
        "tau_lo": r.tau_ci_nrs[0],
        "tau_hi": r.tau_ci_nrs[1],
        "share": r.share_benefit_mcid,
        "p0_mean": r.patients[0].pooled_mean_nrs,
        "p0_lo": r.patients[0].pooled_ci_nrs[0],
        "p0_hi": r.patients[0].pooled_ci_nrs[1],
    }
    for key, value in ref.items():
        assert got[key] == pytest.approx(value, abs=2e-3), key


def test_tau_to_zero_is_the_fixed_effect_pool() -> None:
    """tau prior scale 1e-4: every patient has the common effect, posterior computed by hand."""
    est, se = [-1.5, -0.2, -0.8, -1.1], [0.4, 0.3, 0.5, 0.35]
    prec = 1 / PRIOR.sd**2 + sum(1 / s**2 for s in se)
    mean = (PRIOR.mean / PRIOR.sd**2 + sum(e / s**2 for e, s in zip(est, se, strict=True))) / prec
    r = pool_series(normal_trials(est, se), prior=PRIOR, tau_prior_scale_nrs=1e-4)
    half = 1.959964 / np.sqrt(prec)
    assert r.delta_mean_nrs == pytest.approx(mean, abs=1e-3)
    assert r.delta_ci_nrs == pytest.approx((mean - half, mean + half), abs=2e-3)
    assert r.tau_ci_nrs[1] < 1e-3
    for p in r.patients:
        assert p.pooled_mean_nrs == pytest.approx(mean, abs=2e-3)
    expected_share = special.ndtr((-MCID_NRS.value - mean) * np.sqrt(prec))  # P(Delta <= -1)
    assert r.share_benefit_mcid == pytest.approx(expected_share, abs=2e-3)


def _diary(
    delta: float, seed: int, rho: float = 0.5, sigma: float = 0.9
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t, y, x, _ = simulate_trial(
        delta=delta, rho=rho, sigma=sigma, rng=np.random.default_rng(seed), **SHAPE
    )
    return t, y, x


def test_effect_likelihood_times_a_prior_is_the_single_trial_posterior() -> None:
    """The vague prior is divided out exactly: the likelihood times any normal prior gives the
    single-trial analysis under that prior."""
    t, y, x = _diary(-1.0, 11)
    lk = effect_likelihood(t, y, x, label="A")
    post = delta_posterior(t, y, x, prior=PRIOR)
    v = lk.sds_nrs**2
    prec = 1 / v + 1 / PRIOR.sd**2
    m = (lk.means_nrs / v + PRIOR.mean / PRIOR.sd**2) / prec
    w = (
        lk.weights
        * np.exp(-0.5 * (lk.means_nrs - PRIOR.mean) ** 2 / (v + PRIOR.sd**2))
        / np.sqrt(v + PRIOR.sd**2)
    )
    w /= w.sum()
    mean = float(w @ m)
    sd = float(np.sqrt(w @ (1 / prec + m**2) - mean**2))
    assert mean == pytest.approx(post.mean, abs=1e-6)
    assert sd == pytest.approx(post.sd, abs=1e-6)
    est, se = lk.summary()
    assert lk.interval()[0] < est < lk.interval()[1]
    assert 0.2 < se < 0.8


def test_refusals() -> None:
    one = normal_trials([-1.0], [0.4])
    with pytest.raises(InputError, match="at least 2 trials"):
        pool_series(one, prior=PRIOR)
    with pytest.raises(InputError, match="distinct"):
        pool_series(one + one, prior=PRIOR)
    two = normal_trials([-1.0, 0.0], [0.4, 0.4])
    with pytest.raises(InputError, match="baseline"):
        pool_series(two, prior=PRIOR, baseline_nrs=12.0)
    with pytest.raises(InputError, match="tau_prior_scale_nrs"):
        pool_series(two, prior=PRIOR, tau_prior_scale_nrs=0.0)
    with pytest.raises(InputError):
        EffectLikelihood.from_estimate("x", estimate_nrs=-1.0, se_nrs=0.0)
    t, y, _ = _diary(-1.0, 3)
    with pytest.raises(InputError, match="both LDN and placebo"):
        effect_likelihood(t, y, np.zeros_like(t), label="one arm")
    with pytest.raises(InputError, match="at least 2 clinics"):
        pool_network({"A": two}, prior=PRIOR)


def test_diary_likelihoods_converge_on_a_finer_grid() -> None:
    """Halving h and the tau spacing moves nothing by more than 1e-3 (points or share)."""
    lks = [
        effect_likelihood(*_diary(d, s), label=f"P{s}")
        for d, s in ((-1.6, 1), (-0.2, 2), (-0.9, 3), (0.4, 4))
    ]
    a = pool_series(lks, prior=sceptical_prior(), baseline_nrs=6.0)
    b = pool_series(lks, prior=sceptical_prior(), baseline_nrs=6.0, resolution=2)
    for f in ("delta_mean_nrs", "tau_mean_nrs", "share_benefit_mcid", "share_benefit_30pct"):
        assert getattr(a, f) == pytest.approx(getattr(b, f), abs=1e-3), f
    for f in ("delta_ci_nrs", "tau_ci_nrs", "share_benefit_mcid_ci", "share_benefit_30pct_ci"):
        assert getattr(a, f) == pytest.approx(getattr(b, f), abs=1e-3), f
    for p, q in zip(a.patients, b.patients, strict=True):
        assert p.pooled_ci_nrs == pytest.approx(q.pooled_ci_nrs, abs=1e-3)
    assert a.threshold_30pct_nrs == pytest.approx(1.8)


trials_strategy = st.lists(
    st.tuples(st.floats(-3.0, 2.0), st.floats(0.2, 1.0)), min_size=2, max_size=6
)


@settings(max_examples=12, deadline=None)
@given(trials_strategy, st.floats(0.2, 2.5), st.floats(0.2, 2.5))
def test_share_is_a_probability_and_falls_with_the_threshold(
    trials: list[tuple[float, float]], t1: float, t2: float
) -> None:
    lks = normal_trials([e for e, _ in trials], [s for _, s in trials])
    post = series_grid(
        [(lk.weights, lk.means_nrs, lk.sds_nrs**2) for lk in lks],
        prior_mean=0.0,
        prior_sd=1.0,
        tau_prior_scale=1.0,
    )
    lo_t, hi_t = sorted((t1, t2))
    easy, hard = post.share(lo_t), post.share(hi_t)
    for s in (easy, hard):
        assert 0.0 <= s[1] <= s[0] <= s[2] <= 1.0
    assert hard[0] <= easy[0] + 1e-9
    assert hard[1] <= easy[1] + 1e-6 and hard[2] <= easy[2] + 1e-6


@settings(max_examples=10, deadline=None)
@given(trials_strategy)
def test_shrinkage_pulls_the_extreme_patients_in(trials: list[tuple[float, float]]) -> None:
    """E[delta_i | y] = E[B y_i + (1 - B) M(tau)] with M(tau) a weighted mean of the estimates
    and the prior mean: it lies within their range, so the highest and lowest move inward."""
    lks = normal_trials([e for e, _ in trials], [s for _, s in trials])
    r = pool_series(lks, prior=PRIOR)
    own = [p.own_mean_nrs for p in r.patients]
    hull = (min([*own, PRIOR.mean]) - 1e-3, max([*own, PRIOR.mean]) + 1e-3)
    for p in r.patients:
        assert hull[0] <= p.pooled_mean_nrs <= hull[1]
    top, bottom = r.patients[int(np.argmax(own))], r.patients[int(np.argmin(own))]
    if top.own_mean_nrs > max([PRIOR.mean, *(o for o in own if o != top.own_mean_nrs)]) + 0.05:
        assert top.pooled_mean_nrs < top.own_mean_nrs
    if (
        bottom.own_mean_nrs
        < min([PRIOR.mean, *(o for o in own if o != bottom.own_mean_nrs)]) - 0.05
    ):
        assert bottom.pooled_mean_nrs > bottom.own_mean_nrs


@settings(max_examples=8, deadline=None)
@given(trials_strategy, st.randoms(use_true_random=False))
def test_trial_order_does_not_matter(trials: list[tuple[float, float]], rnd: object) -> None:
    lks = normal_trials([e for e, _ in trials], [s for _, s in trials])
    shuffled = list(lks)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    a, b = pool_series(lks, prior=PRIOR), pool_series(shuffled, prior=PRIOR)
    assert (
        a.delta_mean_nrs,
        *a.delta_ci_nrs,
        a.tau_mean_nrs,
        *a.tau_ci_nrs,
        a.share_benefit_mcid,
    ) == pytest.approx(
        (b.delta_mean_nrs, *b.delta_ci_nrs, b.tau_mean_nrs, *b.tau_ci_nrs, b.share_benefit_mcid),
        abs=1e-9,
    )
    by_label = {p.label: p for p in b.patients}
    for p in a.patients:
        assert p.pooled_ci_nrs == pytest.approx(by_label[p.label].pooled_ci_nrs, abs=1e-9)


def test_sentence_says_small_numbers_are_small_and_the_result_serialises() -> None:
    r = pool_series(
        normal_trials([-0.3, 0.1, -0.2], [0.5, 0.6, 0.5]), prior=PRIOR, baseline_nrs=6.0
    )
    assert r.n_trials == 3
    assert "In 3 blinded trials LDN" in r.sentence
    assert "only 3 trials" in r.sentence and "small" in r.sentence
    assert "clinical judgement" in r.sentence
    assert any("Only 3 trials" in w for w in r.warnings)
    doc = json.loads(json.dumps(r.as_dict()))
    assert doc["mcid_source_ids"] == list(MCID_NRS.sources)
    assert (
        doc["share_benefit_30pct"] is not None and doc["tau_prior"] == "half-normal(1 NRS points)"
    )
    no_baseline = pool_series(normal_trials([-0.3, 0.1], [0.5, 0.6]), prior=PRIOR)
    assert no_baseline.share_benefit_30pct is None and no_baseline.share_benefit_30pct_ci is None


def test_network_with_one_level_switched_off_is_the_series_pool() -> None:
    """omega prior scale 1e-4: the clinics share one average, so the network is the series pool
    of all trials (two different computations: closed form on a (tau, omega) grid, and the
    (Delta, tau) grid)."""
    a = normal_trials([-1.9, -0.4, -1.2], [0.35, 0.5, 0.3])
    b = [
        EffectLikelihood.from_estimate(f"q{i}", estimate_nrs=e, se_nrs=s)
        for i, (e, s) in enumerate(((0.3, 0.45), (-0.9, 0.6)))
    ]
    net = pool_network({"A": a, "B": b}, prior=PRIOR, omega_prior_scale_nrs=1e-4)
    series = pool_series(a + b, prior=PRIOR)
    assert net.n_clinics == 2 and net.n_trials == 5
    assert net.delta_mean_nrs == pytest.approx(series.delta_mean_nrs, abs=2e-3)
    assert net.delta_ci_nrs == pytest.approx(series.delta_ci_nrs, abs=3e-3)
    assert net.tau_mean_nrs == pytest.approx(series.tau_mean_nrs, abs=3e-3)
    assert net.tau_ci_nrs == pytest.approx(series.tau_ci_nrs, abs=5e-3)
    assert net.share_benefit_mcid == pytest.approx(series.share_benefit_mcid, abs=2e-3)
    assert net.share_benefit_mcid_ci == pytest.approx(series.share_benefit_mcid_ci, abs=5e-3)
    assert net.omega_ci_nrs[1] < 1e-3
    json.dumps(net.as_dict())


def test_network_clinic_means_lie_between_their_own_data_and_the_network() -> None:
    far = normal_trials([-2.5, -2.2, -2.8, -2.4], [0.3] * 4)
    near = [
        EffectLikelihood.from_estimate(f"q{i}", estimate_nrs=e, se_nrs=0.3)
        for i, e in enumerate((-0.2, 0.1, -0.4))
    ]
    mid = [
        EffectLikelihood.from_estimate(f"r{i}", estimate_nrs=e, se_nrs=0.3)
        for i, e in enumerate((-1.1, -1.4))
    ]
    net = pool_network({"far": far, "near": near, "mid": mid}, prior=sceptical_prior())
    means = {label: mean for label, mean, _, _ in net.clinics}
    assert -2.475 < means["far"] < net.delta_mean_nrs  # raw mean of 'far' is -2.475
    assert net.delta_mean_nrs < means["near"] < -0.1667
    assert net.omega_mean_nrs > 0.5  # three clearly different clinics
    assert all(lo < m < hi for _, m, (lo, hi), _ in net.clinics)
    assert "3 clinics" in net.sentence
