"""Population PK benchmark: 10,000 virtual patients x 28 days on a 15-minute grid, both analytes.

Model: two-compartment naltrexone with first-order absorption, two-compartment 6-beta-naltrexol
formed in the first pass and from systemic naltrexone (five exponentials; ldn.domain.pk.model).
Measured in the same run, on the same machine:
- the closed form (partial fractions + superposition, vectorised over patients) — wall time and
  peak memory;
- scipy.integrate.solve_ivp on the same model, per patient, on a sample of patients, scaled to
  the population (the ODE reference);
- the memory-bandwidth floor: a plain numpy write of arrays the size of the output.
Run: python benchmarks/pk.py  (prints a Markdown table for docs/benchmarks.md)
"""

from __future__ import annotations

import time
import tracemalloc

import numpy as np
from scipy.integrate import solve_ivp

from ldn.domain.pk.parameters import get_parameters
from ldn.domain.pk.population import sample_parameters, simulate
from ldn.domain.pk.regimen import daily

N, DAYS, STEP_H, SAMPLE = 10_000, 28, 0.25, 20
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


def ode_patient(reg: object, prm: dict[str, np.ndarray], i: int, t: np.ndarray) -> None:
    ka, v1, cl, q, v2, phi, vm, clm, qm, vm2 = (prm[k][i] for k in NAMES)
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
    edges = [*reg.dose_times_h, float(t[-1]) + 1e-9]  # type: ignore[attr-defined]
    for j in range(len(edges) - 1):
        y[0] += reg.base_mg[j]  # type: ignore[attr-defined]
        mask = (t >= edges[j]) & (t < edges[j + 1])
        sol = solve_ivp(
            rhs,
            (edges[j], edges[j + 1]),
            y,
            t_eval=t[mask],
            rtol=1e-8,
            atol=1e-12,
            dense_output=True,
        )
        y = sol.sol(edges[j + 1])


def main() -> None:
    for dtype in (np.float64, np.float32):
        run(dtype)


def run(dtype: type[np.floating]) -> None:
    p = get_parameters("recommended")
    reg = daily(dose_mg=4.5, days=DAYS)
    t = np.arange(0.0, DAYS * 24.0, STEP_H)
    out_bytes = 2 * N * len(t) * np.dtype(dtype).itemsize

    tracemalloc.start()
    t0 = time.perf_counter()
    sim = simulate(reg, p, times_h=t, n=N, seed=1, dtype=dtype)
    closed_s = time.perf_counter() - t0
    _, closed_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert sim.ntx_ng_ml.shape == (N, len(t))

    tracemalloc.start()
    t0 = time.perf_counter()
    a = np.empty((N, len(t)), dtype=dtype)
    a.fill(1.0)
    b = np.empty((N, len(t)), dtype=dtype)
    b.fill(1.0)
    floor_s = time.perf_counter() - t0
    _, floor_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del a, b

    prm = sample_parameters(p, n=N, seed=1)
    t0 = time.perf_counter()
    for i in range(SAMPLE):
        ode_patient(reg, prm, i, t)
    ode_s = (time.perf_counter() - t0) / SAMPLE * N

    print(
        f"| population | grid points | closed form | solve_ivp (scaled from {SAMPLE}) | speed-up | numpy write floor | time / floor | peak memory / floor |"
    )
    print("|---|---|---|---|---|---|---|---|")
    print(
        f"| {N:,} x {DAYS} d | {len(t):,} x 2 analytes | {closed_s:.2f} s | {ode_s:,.0f} s | {ode_s / closed_s:,.0f}x | "
        f"{floor_s:.2f} s | {closed_s / floor_s:.1f}x | {closed_peak / 2**20:,.0f} MiB / {floor_peak / 2**20:,.0f} MiB = {closed_peak / floor_peak:.2f}x |"
    )
    print(
        f"(output {out_bytes / 2**20:,.0f} MiB {np.dtype(dtype).name}; computation in float64, chunks of 2,000 patients)"
    )


if __name__ == "__main__":
    main()
