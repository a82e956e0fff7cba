"""The closed form agrees with scipy.integrate.solve_ivp on the same model, for random regimens and
random parameters; the binding integrator agrees with solve_ivp; populations are reproducible and
keep parameter uncertainty apart from between-person variability."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from ldn.domain.errors import InputError
from ldn.domain.pk.model import MG_6BN_PER_MG_NTX, DoseGrid, auc_0_t, impulse_response, superpose
from ldn.domain.pk.occupancy import binding_occupancy
from ldn.domain.pk.parameters import PARAMETER_SETS, get_parameters
from ldn.domain.pk.population import sample_parameters, simulate
from ldn.domain.pk.regimen import Regimen, daily

NAMES = (
    "ka_per_h",
    "v1_l",
    "cl_l_per_h",
    "q_l_per_h",
    "v2_l",
    "phi",
    "vm_l",
    "clm_l_per_h",
    "qm_l_per_h",
    "vm2_l",
)


def ode_reference(
    reg: Regimen, prm: dict[str, float], times: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Amounts in gut, NTX central/peripheral and 6BN central/peripheral, integrated between doses
    (impulses into the gut): the model of ldn.domain.pk.model written as its ODEs."""
    ka, v1, cl, q, v2, phi, vm, clm, qm, vm2 = (prm[k] for k in NAMES)
    k10, k12, k21, km, k34, k43 = cl / v1, q / v1, q / v2, clm / vm, qm / vm, qm / vm2

    def rhs(_t: float, y: np.ndarray) -> list[float]:
        g, a1, a2, m1, m2 = y
        return [
            -ka * g,
            ka * g - (k10 + k12) * a1 + k21 * a2,
            k12 * a1 - k21 * a2,
            phi * ka * g + (1 - phi) * k10 * a1 - (km + k34) * m1 + k43 * m2,
            k34 * m1 - k43 * m2,
        ]

    y = np.zeros(5)
    out_n = np.zeros_like(times)
    out_m = np.zeros_like(times)
    edges = [*reg.dose_times_h, float(times[-1]) + 1.0]
    for i, (t0, t1) in enumerate(itertools.pairwise(edges)):
        y = y + np.array([reg.base_mg[i], 0.0, 0.0, 0.0, 0.0])
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
                out_n[mask] = sol.y[1] * 1000 / v1
                out_m[mask] = sol.y[3] * 1000 * MG_6BN_PER_MG_NTX / vm
            y = sol.sol(t1)
    return out_n, out_m


@settings(max_examples=15, deadline=None)
@given(
    st.lists(st.tuples(st.floats(0.5, 40.0), st.floats(0.5, 6.0)), min_size=1, max_size=6),
    st.integers(0, 10_000),
)
def test_closed_form_matches_solve_ivp(gaps_doses: list[tuple[float, float]], seed: int) -> None:
    """Random regimens; parameters drawn from the fit's posterior and between-person variability."""
    times_d = np.cumsum([0.0] + [g for g, _ in gaps_doses[1:]])
    reg = Regimen(tuple(float(x) for x in times_d), tuple(d for _, d in gaps_doses))
    p = get_parameters("recommended")
    prm = sample_parameters(p, n=1, seed=seed, uncertainty=True)
    t = np.linspace(0.0, times_d[-1] + 48.0, 400)
    sim = simulate(reg, p, times_h=t, n=1, seed=seed, uncertainty=True)
    ref_n, ref_m = ode_reference(reg, {k: float(prm[k][0]) for k in NAMES}, t)
    for got, ref in ((sim.ntx_ng_ml[0], ref_n), (sim.bn_ng_ml[0], ref_m)):
        assert np.max(np.abs(got - ref)) <= 1e-6 * np.max(np.abs(ref))


@pytest.mark.parametrize("name", ["one_compartment", "fast_6bn", "chinese_be"])
def test_earlier_sets_are_the_bateman_function(name: str) -> None:
    """Q = Qm = 0 and phi = 1 reduce the model to the earlier one-compartment Bateman functions
    C = D ka / (V (ka - k)) (exp(-k t) - exp(-ka t)) for both analytes."""
    p = PARAMETER_SETS[name]
    t = np.linspace(0.0, 72.0, 300)
    sim = simulate(daily(dose_mg=4.5, days=1), p, times_h=t)
    d = 4.5 * 341.41 / 377.86
    k, km = p.cl_l_per_h / p.v1_l, p.clm_l_per_h / p.vm_l
    ntx = (
        1000
        * d
        * p.ka_per_h
        / (p.v1_l * (p.ka_per_h - k))
        * (np.exp(-k * t) - np.exp(-p.ka_per_h * t))
    )
    bn = (
        1000
        * d
        * MG_6BN_PER_MG_NTX
        * p.ka_per_h
        / (p.vm_l * (p.ka_per_h - km))
        * (np.exp(-km * t) - np.exp(-p.ka_per_h * t))
    )
    np.testing.assert_allclose(sim.ntx_ng_ml[0], ntx, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(sim.bn_ng_ml[0], bn, rtol=1e-9, atol=1e-12)


def test_blocked_grid_equals_general_path() -> None:
    """The batched-matrix path (regular grid, doses on grid points) and the gather path agree."""
    p = get_parameters("recommended")
    prm = sample_parameters(p, n=5, seed=3)
    ir = impulse_response(**{k: prm[k] for k in NAMES})
    for times, doses in (
        (np.arange(0, 96, 0.25), np.arange(0, 96, 24.0)),
        (np.arange(-2, 130, 0.5), np.arange(0, 72, 12.0)),
    ):
        grid = DoseGrid(times, doses)
        assert grid.blocks is not None
        fast = superpose(grid, np.full(len(doses), 3.0), ir.rates, [ir.ntx, ir.bn])
        slow = superpose(
            DoseGrid(times, doses, batched=False),
            np.full(len(doses), 3.0),
            ir.rates,
            [ir.ntx, ir.bn],
        )
        for a, b in zip(fast, slow, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_coincident_rates_are_continuous() -> None:
    """ka equal to a disposition rate (a double pole) gives the limit of its neighbours."""
    p = get_parameters("recommended")
    base = {k: np.array([getattr(p, k)]) for k in NAMES}
    ir = impulse_response(**base)
    a = float(ir.rates[0, 1])
    t = np.linspace(0.0, 48.0, 200)
    curves = []
    for ka in (a, a * (1 + 1e-4), a * (1 - 1e-4)):
        r = impulse_response(**(base | {"ka_per_h": np.array([ka])}))
        (c,) = superpose(DoseGrid(t, np.array([0.0])), np.array([1.0]), r.rates, [r.bn])
        curves.append(c[0])
    np.testing.assert_allclose(curves[0], 0.5 * (curves[1] + curves[2]), rtol=1e-5, atol=1e-8)


def test_auc_is_the_integral() -> None:
    p = get_parameters("recommended")
    ir = p.impulse()
    t = np.arange(0.0, 600.0, 0.01)
    (c,) = superpose(DoseGrid(t, np.array([0.0])), np.array([1.0]), ir.rates, [ir.ntx])
    assert float(auc_0_t(math.inf, ir.rates, ir.ntx)[0]) == pytest.approx(
        np.trapezoid(c[0], t), rel=1e-4
    )


@pytest.mark.parametrize(("dose_mg", "tol"), [(4.5, 2e-4), (50.0, 1e-3)])
def test_binding_integrator_matches_solve_ivp(dose_mg: float, tol: float) -> None:
    """d occ/dt = kon C (1 - occ) - koff occ on a 0.05 h grid, against LSODA on the exact C(t)."""
    p = get_parameters("recommended")
    ir = p.impulse()
    kon, koff = 0.0542, 0.0149
    t = np.arange(0.0, 240.0, 0.05)
    d = dose_mg * 341.41 / 377.86
    (c,) = superpose(DoseGrid(t, np.array([0.0])), np.array([d]), ir.rates, [ir.ntx])
    occ = binding_occupancy(t, c, kon_per_nm_h=kon, koff_per_h=koff)[0]

    def conc_nm(x: float) -> float:
        return float(np.sum(ir.ntx[0] * np.exp(-ir.rates[0] * x))) * d * 1000 / 341.41

    ref = solve_ivp(
        lambda x, y: [kon * conc_nm(x) * (1 - y[0]) - koff * y[0]],
        (0, t[-1]),
        [0.0],
        t_eval=t,
        rtol=1e-10,
        atol=1e-12,
        max_step=0.05,
    ).y[0]
    assert np.max(np.abs(occ - ref)) < tol


def test_population_is_seeded_and_reproducible() -> None:
    p = get_parameters("recommended")
    t = np.arange(0, 48, 0.5)
    a = simulate(daily(dose_mg=4.5, days=2), p, times_h=t, n=50, seed=7)
    b = simulate(daily(dose_mg=4.5, days=2), p, times_h=t, n=50, seed=7)
    assert np.array_equal(a.ntx_ng_ml, b.ntx_ng_ml)
    lo, mid, hi = a.percentiles("ntx")
    assert np.all(lo <= mid) and np.all(mid <= hi)


def test_uncertainty_and_variability_are_separate() -> None:
    """Variability alone changes only the five IIV parameters around the fitted values;
    uncertainty alone moves every parameter and the binding rates; neither is the typical patient."""
    p = get_parameters("recommended")
    typ = sample_parameters(p, n=100, seed=-1)
    var = sample_parameters(p, n=100, seed=5, variability=True, uncertainty=False)
    unc = sample_parameters(p, n=100, seed=5, variability=False, uncertainty=True)
    assert np.all(typ["cl_l_per_h"] == p.cl_l_per_h)
    assert np.all(var["q_l_per_h"] == p.q_l_per_h) and np.all(
        var["kon_per_nm_h"] == typ["kon_per_nm_h"]
    )
    assert np.std(np.log(var["cl_l_per_h"])) == pytest.approx(math.sqrt(math.log(1.25)), rel=0.25)
    assert np.std(np.log(unc["q_l_per_h"])) > 0.2 and np.std(np.log(unc["koff_per_h"])) > 0.05
    both = sample_parameters(p, n=100, seed=5, variability=True, uncertainty=True)
    assert not np.array_equal(both["cl_l_per_h"], unc["cl_l_per_h"])


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
    with pytest.raises(InputError, match="--population"):
        sample_parameters(get_parameters("recommended"), n=0, seed=1)
