"""The closed form agrees with scipy.integrate.solve_ivp on the same model, for random regimens."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from ldn.domain.errors import InputError
from ldn.domain.pk.parameters import get_parameters
from ldn.domain.pk.population import sample_parameters, simulate
from ldn.domain.pk.regimen import Regimen, daily


def ode_reference(
    reg: Regimen, ka: float, v: float, k: float, vm: float, km: float, times: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Amounts in depot, NTX and 6BN compartments integrated between doses (impulses into the depot)."""

    def rhs(_t: float, y: np.ndarray) -> list[float]:
        a_d, a_n, a_m = y
        return [-ka * a_d, ka * a_d - k * a_n, ka * a_d - km * a_m]

    y = np.zeros(3)
    out_n = np.zeros_like(times)
    out_m = np.zeros_like(times)
    edges = [*reg.dose_times_h, float(times[-1]) + 1.0]
    for i, (t0, t1) in enumerate(itertools.pairwise(edges)):
        y = y + np.array([reg.base_mg[i], 0.0, 0.0])
        mask = (times >= t0) & (times < t1)
        if t1 > t0:
            sol = solve_ivp(
                rhs,
                (t0, t1),
                y,
                t_eval=times[mask] if mask.any() else None,
                rtol=1e-11,
                atol=1e-14,
                method="LSODA",
                dense_output=True,
            )
            if mask.any():
                out_n[mask] = sol.y[1] * 1000 / v
                out_m[mask] = sol.y[2] * 1000 / vm
            y = sol.sol(t1)
    return out_n, out_m


@settings(max_examples=15, deadline=None)
@given(
    st.lists(st.tuples(st.floats(0.5, 40.0), st.floats(0.5, 6.0)), min_size=1, max_size=6),
    st.integers(0, 10_000),
)
def test_closed_form_matches_solve_ivp(gaps_doses: list[tuple[float, float]], seed: int) -> None:
    times_d = np.cumsum([0.0] + [g for g, _ in gaps_doses[1:]])
    reg = Regimen(tuple(float(x) for x in times_d), tuple(d for _, d in gaps_doses))
    prm = sample_parameters(get_parameters("recommended"), n=1, seed=seed)
    t = np.linspace(0.0, times_d[-1] + 48.0, 400)
    sim = simulate(reg, get_parameters("recommended"), times_h=t, n=1, seed=seed)
    ref_n, ref_m = ode_reference(
        reg,
        prm["ka"][0],
        prm["ntx_v"][0],
        prm["ntx_cl"][0] / prm["ntx_v"][0],
        prm["bn_v"][0],
        prm["bn_k"][0],
        t,
    )
    for got, ref in ((sim.ntx_ng_ml[0], ref_n), (sim.bn_ng_ml[0], ref_m)):
        assert np.max(np.abs(got - ref)) <= 1e-6 * np.max(np.abs(ref))


def test_population_is_seeded_and_reproducible() -> None:
    p = get_parameters("recommended")
    t = np.arange(0, 48, 0.5)
    a = simulate(daily(dose_mg=4.5, days=2), p, times_h=t, n=50, seed=7)
    b = simulate(daily(dose_mg=4.5, days=2), p, times_h=t, n=50, seed=7)
    assert np.array_equal(a.ntx_ng_ml, b.ntx_ng_ml)
    lo, mid, hi = a.percentiles("ntx")
    assert np.all(lo <= mid) and np.all(mid <= hi)


def test_missed_and_doubled_doses() -> None:
    p = get_parameters("recommended")
    reg = daily(dose_mg=4.5, days=3)
    t = np.arange(0, 72, 0.1)
    base = simulate(reg, p, times_h=t).ntx_ng_ml[0]
    missed = simulate(reg.with_missed(1), p, times_h=t).ntx_ng_ml[0]
    doubled = simulate(reg.with_doubled(1), p, times_h=t).ntx_ng_ml[0]
    day2 = (t >= 24) & (t < 48)
    assert missed[day2].max() < base[day2].max() < doubled[day2].max()


def test_bad_regimens() -> None:
    with pytest.raises(InputError, match="positive"):
        daily(dose_mg=0, days=1)
    with pytest.raises(InputError, match="interval"):
        daily(dose_mg=4.5, days=1, interval_h=0)
    with pytest.raises(InputError, match="outside 1-365"):
        daily(dose_mg=4.5, days=400)
