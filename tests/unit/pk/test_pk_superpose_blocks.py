"""The blocked, threaded superposition gives each patient the same curve however the patients are
split (blocks of patients, chunks, threads), in every output dtype, and skips only rates that add
nothing."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from ldn.domain.pk import model, population
from ldn.domain.pk.model import DoseGrid, impulse_response, superpose
from ldn.domain.pk.parameters import get_parameters
from ldn.domain.pk.population import sample_parameters, simulate
from ldn.domain.pk.regimen import daily

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


def _population(n: int, seed: int = 11) -> model.ImpulseResponse:
    prm = sample_parameters(get_parameters("recommended"), n=n, seed=seed, uncertainty=True)
    return impulse_response(**{k: prm[k] for k in NAMES})


@pytest.mark.parametrize(
    ("times", "doses"),
    [
        (np.arange(0.0, 96.0, 0.25), np.arange(0.0, 96.0, 24.0)),  # last day a body block
        (np.arange(-2.0, 130.0, 0.5), np.arange(0.0, 72.0, 12.0)),  # lead and a longer last block
        (np.linspace(0.0, 80.0, 257), np.array([0.0, 10.0, 37.0])),  # no blocks: gather path
    ],
)
def test_each_patient_is_computed_alone(times: np.ndarray, doses: np.ndarray) -> None:
    """Blocks of patients (not a multiple of the block size) equal one patient at a time."""
    ir = _population(2 * model._BLOCK_PATIENTS + 3)
    grid = DoseGrid(times, doses)
    amounts = np.linspace(1.0, 4.0, len(doses))
    together = superpose(grid, amounts, ir.rates, [ir.ntx, ir.bn])
    for i in (0, model._BLOCK_PATIENTS - 1, model._BLOCK_PATIENTS, len(ir.rates) - 1):
        one = superpose(grid, amounts, ir.rates[i : i + 1], [ir.ntx[i : i + 1], ir.bn[i : i + 1]])
        for a, b in zip(together, one, strict=True):
            np.testing.assert_allclose(a[i], b[0], rtol=1e-14, atol=1e-300)


def test_float32_output_is_the_float64_result_cast() -> None:
    ir = _population(150)
    grid = DoseGrid(np.arange(0.0, 72.0, 0.25), np.arange(0.0, 72.0, 24.0))
    wide = superpose(grid, np.full(3, 4.0), ir.rates, [ir.ntx, ir.bn])
    narrow: list[Any] = [np.empty(w.shape, dtype=np.float32) for w in wide]
    superpose(grid, np.full(3, 4.0), ir.rates, [ir.ntx, ir.bn], out=narrow)
    for w, n in zip(wide, narrow, strict=True):
        assert np.array_equal(w.astype(np.float32), n)


def test_zero_coefficients_are_skipped_exactly() -> None:
    """Rates with a zero coefficient for every patient add nothing (outer ones are skipped, inner
    ones multiplied by 0); all-zero coefficients give zero curves."""
    ir = _population(20)
    grid = DoseGrid(np.arange(0.0, 48.0, 0.5), np.array([0.0, 24.0]))
    c = ir.bn.copy()
    c[:, [0, 2, 4]] = 0.0
    (fast,) = superpose(grid, np.full(2, 3.0), ir.rates, [c])
    general = DoseGrid(grid.times_h, grid.dose_times_h, batched=False)
    (slow,) = superpose(general, np.full(2, 3.0), ir.rates, [c])
    np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-14)
    (zero,) = superpose(grid, np.full(2, 3.0), ir.rates, [np.zeros_like(c)])
    assert not zero.any()


def test_threads_write_the_same_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    """A population large enough for threads equals the one-thread run exactly."""
    p = get_parameters("recommended")
    t = np.arange(0.0, 10 * 24.0, 0.25)
    n = population._THREADED_MIN_POINTS * 2 // len(t) + 1
    threaded = simulate(daily(dose_mg=4.5, days=10), p, times_h=t, n=n, seed=3, chunk=500)
    monkeypatch.setattr(population, "THREADS", 1)
    single = simulate(daily(dose_mg=4.5, days=10), p, times_h=t, n=n, seed=3)
    assert np.array_equal(threaded.ntx_ng_ml, single.ntx_ng_ml)
    assert np.array_equal(threaded.bn_ng_ml, single.bn_ng_ml)
