"""Invariants of the meta-analysis engine, effect sizes, Bayesian pooling and the curated data."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ldn.domain.errors import InputError
from ldn.domain.evidence.answer import CONDITIONS, answer
from ldn.domain.evidence.bayes import bayes_random_effects
from ldn.domain.evidence.dataset import load_trials, poolable
from ldn.domain.evidence.effect_sizes import hedges_g, log_odds_ratio, log_risk_ratio, md_from_ci
from ldn.domain.evidence.meta import METHODS, fixed_effect, meta_analysis, random_effects
from ldn.domain.evidence.prior import population_prior
from ldn.domain.evidence.sensitivity import cumulative, egger_test, leave_one_out, subgroups
from ldn.domain.sources import unresolved

effects = st.lists(st.tuples(st.floats(-3, 3), st.floats(0.01, 2)), min_size=3, max_size=12)


@settings(max_examples=60, deadline=None)
@given(effects, st.sampled_from(METHODS))
def test_estimate_within_range_and_permutation_invariant(
    data: list[tuple[float, float]], method: str
) -> None:
    y = [a for a, _ in data]
    v = [b for _, b in data]
    r = meta_analysis(y, v, method=method)
    assert min(y) - 1e-9 <= r.estimate <= max(y) + 1e-9
    assert r.tau2 >= 0
    perm = np.random.default_rng(0).permutation(len(y))
    r2 = meta_analysis([y[i] for i in perm], [v[i] for i in perm], method=method)
    assert r2.estimate == pytest.approx(r.estimate, abs=1e-8)
    assert r2.tau2 == pytest.approx(r.tau2, abs=1e-8)


@settings(max_examples=30, deadline=None)
@given(
    st.floats(-2, 2),
    st.floats(0.01, 1),
    st.integers(2, 10),
    st.sampled_from(["DL", "REML", "PM", "ML"]),
)
def test_identical_studies_have_no_heterogeneity(y: float, v: float, k: int, method: str) -> None:
    r = random_effects([y] * k, [v] * k, method=method)
    fe = fixed_effect([y] * k, [v] * k)
    assert r.tau2 == pytest.approx(0.0, abs=1e-10)
    assert r.estimate == pytest.approx(fe.estimate)
    assert r.se == pytest.approx(fe.se)


def test_bad_inputs() -> None:
    with pytest.raises(InputError, match="at least 2"):
        random_effects([0.1], [0.1], method="REML")
    with pytest.raises(InputError, match=r"row 2 \(b\)\.vi"):
        random_effects([0.1, 0.2], [0.1, 0.0], labels=["a", "b"])
    with pytest.raises(InputError, match="not a number"):
        random_effects([0.1, float("nan")], [0.1, 0.1])
    with pytest.raises(InputError, match="unknown method"):
        random_effects([0.1, 0.2], [0.1, 0.1], method="XX")


def test_effect_sizes() -> None:
    """Borenstein 2009 formulas; MD from a CI recovers SE = width / 3.92."""
    _est, var = md_from_ci(estimate=-0.34, ci_low=-0.95, ci_high=0.27)
    assert np.sqrt(var) == pytest.approx(1.22 / 3.92, rel=1e-3)
    g, vg = hedges_g(mean1=10, sd1=2, n1=20, mean2=11, sd2=2, n2=20)
    assert g == pytest.approx(-0.5 * (1 - 3 / 151))
    assert vg > 0
    assert log_risk_ratio(events1=10, n1=100, events2=20, n2=100)[0] == pytest.approx(np.log(0.5))
    assert log_odds_ratio(events1=0, n1=10, events2=5, n2=10)[1] > 0


def test_sensitivity_tools() -> None:
    y = [-0.4, -0.2, -0.3, 0.0, -0.5]
    v = [0.04, 0.05, 0.03, 0.06, 0.05]
    labels = list("abcde")
    assert len(leave_one_out(y, v, labels)) == 5
    assert [lab for lab, _ in cumulative(y, v, labels, [2001, 1999, 2005, 2003, 2010])][-1] == "e"
    sg = subgroups(y, v, ["x", "x", "y", "y", "y"])
    assert 0 <= sg.p_between <= 1
    assert egger_test(y, v).k == 5


def test_bayes_shrinks_toward_data_and_predictive_is_wider() -> None:
    b = bayes_random_effects([-0.4, -0.2, -0.3], [0.04, 0.05, 0.03])
    assert -0.4 < b.mu_mean < -0.2
    assert b.predictive_sd > b.mu_sd
    assert b.predictive_ci[0] < b.mu_ci[0]


def test_every_trial_resolves_to_a_source() -> None:
    assert unresolved([t.source_id for t in load_trials()]) == []
    assert len(poolable("fibromyalgia")) >= 2


def test_answers_and_prior() -> None:
    for c in CONDITIONS:
        a = answer(c)
        assert a.certainty in ("high", "moderate", "low", "very low", "no evidence")
    p = population_prior("fibromyalgia")
    assert p.mean_nrs < 0
    assert p.sd_nrs > 0
    with pytest.raises(InputError):
        population_prior("gout")
