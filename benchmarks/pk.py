"""Population PK benchmark: 10,000 virtual patients x 28 days on a 15-minute grid, both analytes.

Measured in the same run, on the same machine:
- the closed form (Bateman superposition, vectorised over patients) — wall time and peak memory;
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


def ode_patient(reg: object, prm: dict[str, np.ndarray], i: int, t: np.ndarray) -> None:
    ka, v, cl, _vm, km = (prm[k][i] for k in ("ka", "ntx_v", "ntx_cl", "bn_v", "bn_k"))
    k = cl / v

    def rhs(_t: float, y: np.ndarray) -> list[float]:
        return [-ka * y[0], ka * y[0] - k * y[1], ka * y[0] - km * y[2]]

    y = np.zeros(3)
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
    print(f"| {N:,} x {DAYS} d | {len(t):,} x 2 analytes | {closed_s:.2f} s | {ode_s:,.0f} s | {ode_s / closed_s:,.0f}x | "
          f"{floor_s:.2f} s | {closed_s / floor_s:.1f}x | {closed_peak / 2**20:,.0f} MiB / {floor_peak / 2**20:,.0f} MiB = {closed_peak / floor_peak:.2f}x |")  # fmt: skip
    print(
        f"(output {out_bytes / 2**20:,.0f} MiB {np.dtype(dtype).name}; computation in float64, chunks of 2,000 patients)"
    )


if __name__ == "__main__":
    main()
