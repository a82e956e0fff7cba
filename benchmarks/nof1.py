"""N-of-1 analysis benchmark: the exact (quadrature) posterior for one 3-cycle trial, and NUTS on
the same model when NumPyro is installed (pip install -e '.[bench]'), in the same run.
Run: python benchmarks/nof1.py
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

import numpy as np

from ldn.domain.nof1.analysis import analyse_series
from ldn.domain.nof1.planner import simulate_trial
from ldn.domain.nof1.prior import sceptical_prior


def main() -> None:
    rng = np.random.default_rng(3)
    t, y, x, per = simulate_trial(
        delta=-1.2, cycles=3, period_days=28, run_in_days=14, rho=0.4, sigma=1.0, rng=rng
    )
    analyse_series(t, y, x, per, prior=sceptical_prior())
    reps = 50
    t0 = time.perf_counter()
    for _ in range(reps):
        r = analyse_series(t, y, x, per, prior=sceptical_prior())
    exact_s = (time.perf_counter() - t0) / reps
    print(
        f"| exact quadrature | {exact_s * 1e3:.1f} ms per trial | delta {r.delta_mean:.3f} (sd {r.delta_sd:.3f}) |"
    )
    if importlib.util.find_spec("numpyro") is None:
        print(
            "NumPyro is not installed: the NUTS comparison was not run (pip install -e '.[bench]')."
        )
        return
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "reference" / "nof1"))
    from make_nuts_reference import fit_nuts

    t0 = time.perf_counter()
    d, _ = fit_nuts(list(t), list(y), list(x), chains=4)
    nuts_s = time.perf_counter() - t0
    d = np.asarray(d)
    print(
        f"| NUTS (NumPyro, 4 chains x 7,000 iterations, incl. compilation) | {nuts_s:.2f} s | delta {d.mean():.3f} (sd {d.std():.3f}) |"
    )
    print(f"exact is {nuts_s / exact_s:,.0f}x faster than NUTS in this run")


if __name__ == "__main__":
    main()
