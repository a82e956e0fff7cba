"""Meta-analysis benchmark: REML + HKSJ for k = 10, 100 and 10,000 studies, against statsmodels
combine_effects in the same run (statsmodels has no REML; its iterated Paule-Mandel estimator
"iterated" with use_t is the nearest comparable model, and ldn's PM is timed beside it), and
ldn's leave-one-out (all k REML pools without one study each).
Run: python benchmarks/meta.py  (prints a Markdown table for docs/benchmarks.md)
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from statsmodels.stats.meta_analysis import combine_effects

from ldn.domain.evidence.meta import random_effects
from ldn.domain.evidence.sensitivity import leave_one_out


def best_of(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    rng = np.random.default_rng(42)
    print(
        "| k | ldn REML + HKSJ | ldn PM + HKSJ | statsmodels PM (iterated, t) | ldn PM / statsmodels "
        "| ldn REML leave-one-out (k pools) |"
    )
    print("|---|---|---|---|---|---|")
    for k in (10, 100, 10_000):
        v = rng.uniform(0.01, 0.2, k)
        y = rng.normal(-0.3, np.sqrt(v + 0.05))
        repeat = 20 if k < 10_000 else 5
        t_reml = best_of(lambda y=y, v=v: random_effects(y, v, method="REML", hksj=True), repeat)
        t_pm = best_of(lambda y=y, v=v: random_effects(y, v, method="PM", hksj=True), repeat)
        t_sm = best_of(
            lambda y=y, v=v: combine_effects(y, v, method_re="iterated", use_t=True), repeat
        )
        labels = [str(i) for i in range(k)]
        t_loo = best_of(lambda y=y, v=v, labels=labels: leave_one_out(y, v, labels), 3)
        print(
            f"| {k:,} | {t_reml * 1e3:.2f} ms | {t_pm * 1e3:.2f} ms | {t_sm * 1e3:.2f} ms | {t_pm / t_sm:.2f}x "
            f"| {t_loo * 1e3:.0f} ms |"
        )


if __name__ == "__main__":
    main()
