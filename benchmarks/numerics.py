"""Numerics goals of issue 21, each a ratio against a reference measured in the same run:

1. meta-analysis fit vs statsmodels ``combine_effects`` (k = 10, 100, 10,000), the same outputs
   requested from both (estimate, SE, CI with t, tau^2, Q, I^2): ldn Paule-Mandel + HKSJ against
   statsmodels' iterated Paule-Mandel with t (the same estimator; statsmodels has no REML), and
   ldn REML + HKSJ against the same reference; runs alternate, the median ratio is reported;
2. ``ldn evidence pool --csv`` with 10,000 studies, text output: CPU and wall time and peak memory
   of the whole process, against the import of the command module alone;
3. PK population 10,000 x 28 days on a 15-minute grid: the closed form writing both analytes vs
   a plain numpy write of arrays of the output's size and dtype (fresh memory for both, runs
   alternating, median); the closed form splits the patients across threads (the header says how
   many), the floor is one thread.

Run: python benchmarks/numerics.py  (prints the tables and rewrites the section between the
``<!-- numerics:begin -->`` and ``<!-- numerics:end -->`` markers in docs/benchmarks.md;
``--profile`` adds a cProfile summary of the slowest goal).
"""

from __future__ import annotations

import cProfile
import io
import pstats
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import _doc
import numpy as np
from statsmodels.stats.meta_analysis import combine_effects

from ldn.domain.evidence.meta import random_effects
from ldn.domain.pk.parameters import get_parameters
from ldn.domain.pk.population import simulate, threads_for
from ldn.domain.pk.regimen import daily

ROOT = Path(__file__).resolve().parent.parent
LDN = str(Path(sys.executable).with_name("ldn"))


def _time(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def paired(
    a: Callable[[], object], b: Callable[[], object], repeat: int
) -> tuple[float, float, float]:
    """(median time of a, median of b, median ratio a/b), runs alternating a b a b ..."""
    ta, tb = [], []
    for _ in range(repeat):
        ta.append(_time(a))
        tb.append(_time(b))
    ratio = statistics.median(x / y for x, y in zip(ta, tb, strict=True))
    return statistics.median(ta), statistics.median(tb), ratio


def meta_rows() -> list[str]:
    rng = np.random.default_rng(42)
    rows = [
        "| k | ldn PM + HKSJ | statsmodels PM (iterated, t) | ratio (goal ≤ 1.5×) "
        "| ldn REML + HKSJ | REML / statsmodels |",
        "|---|---|---|---|---|---|",
    ]
    for k in (10, 100, 10_000):
        v = rng.uniform(0.01, 0.2, k)
        y = rng.normal(-0.3, np.sqrt(v + 0.05))

        def ldn(method: str, y: np.ndarray = y, v: np.ndarray = v) -> object:
            r = random_effects(y, v, method=method, hksj=True)
            return r.estimate, r.se, r.ci_low, r.ci_high, r.tau2, r.q, r.i2

        def sm(y: np.ndarray = y, v: np.ndarray = v) -> object:
            r = combine_effects(y, v, method_re="iterated", use_t=True)
            return r.mean_effect_re, r.sd_eff_w_re, r.conf_int(use_t=True), r.tau2, r.q, r.i2

        repeat = 200 if k < 10_000 else 40
        for _ in range(3):  # warm-up
            ldn("PM"), ldn("REML"), sm()
        t_pm, t_sm, r_pm = paired(lambda: ldn("PM"), sm, repeat)
        t_reml, _, r_reml = paired(lambda: ldn("REML"), sm, repeat)
        rows.append(
            f"| {k:,} | {t_pm * 1e3:.2f} ms | {t_sm * 1e3:.2f} ms | {r_pm:.2f}× "
            f"| {t_reml * 1e3:.2f} ms | {r_reml:.2f}× |"
        )
    return rows


def _run(cmd: list[str], out: Path) -> tuple[float, float, int]:
    """(wall s, CPU s, peak RSS KiB) of one child process (its own rusage)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    with out.open("w") as fh:
        subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, after.ru_maxrss


def pool_rows(tmp: Path) -> list[str]:
    k = 10_000
    rng = np.random.default_rng(1)
    v = rng.uniform(0.01, 0.2, k)
    y = rng.normal(-0.3, np.sqrt(v + 0.05))
    csv = tmp / "studies.csv"
    csv.write_text(
        "study,yi,vi\n" + "".join(f"S{i},{y[i]:.6f},{v[i]:.6f}\n" for i in range(k)),
        encoding="utf-8",
    )
    pool = [LDN, "evidence", "pool", "--csv", str(csv)]
    floor = [sys.executable, "-c", "import ldn.cli.evidence"]
    runs, refs = [], []
    for _ in range(3):
        runs.append(_run(pool, tmp / "pool.txt"))
        refs.append(_run(floor, tmp / "floor.txt"))
    wall, cpu = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
    f_wall, f_cpu = statistics.median(r[0] for r in refs), statistics.median(r[1] for r in refs)
    peak = max(r[2] for r in runs)  # ru_maxrss of children is the largest child so far
    lines = (tmp / "pool.txt").read_text(encoding="utf-8").count("\n")
    return [
        "| command | wall | CPU | peak memory | module import alone (CPU) | CPU / import |",
        "|---|---|---|---|---|---|",
        f"| `ldn evidence pool --csv` ({k:,} studies, text, {lines:,} lines) | {wall:.2f} s "
        f"| {cpu:.2f} s | {peak / 1024:.0f} MiB | {f_cpu:.2f} s (wall {f_wall:.2f} s) "
        f"| {cpu / f_cpu:.1f}× |",
    ]


def pk_rows() -> list[str]:
    n, days, step_h = 10_000, 28, 0.25
    p = get_parameters("recommended")
    reg = daily(dose_mg=4.5, days=days)
    t = np.arange(0.0, days * 24.0, step_h)
    threads = threads_for(n * len(t))
    rows = [
        f"| output dtype | closed form ({threads} thread{'s' * (threads > 1)}) "
        "| numpy write floor (1 thread) | time / floor (goal ≤ 1.5× for float64) |",
        "|---|---|---|---|",
    ]
    for dtype in (np.float64, np.float32):

        def closed(dtype: type[np.floating] = dtype) -> None:
            simulate(reg, p, times_h=t, n=n, seed=1, dtype=dtype)

        def floor(dtype: type[np.floating] = dtype) -> None:
            for _ in range(2):
                np.empty((n, len(t)), dtype=dtype).fill(1.0)

        closed()  # warm-up
        t_c, t_f, ratio = paired(closed, floor, 5)
        rows.append(f"| {np.dtype(dtype).name} | {t_c:.2f} s | {t_f:.2f} s | {ratio:.2f}× |")
    return rows


def profile_summary(fn: Callable[[], object], lines: int = 12) -> list[str]:
    pr = cProfile.Profile()
    pr.enable()
    fn()
    pr.disable()
    buf = io.StringIO()
    pstats.Stats(pr, stream=buf).sort_stats("tottime").print_stats(lines)
    text = re.sub(r"/[^ ]*/(site-packages|src)/", "", buf.getvalue())
    return ["```", *[ln.rstrip() for ln in text.strip().splitlines()], "```"]


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        tables = {
            "Meta-analysis fit, same outputs requested (median of alternating runs)": meta_rows(),
            "Evidence pool from the command line (median of 3 runs)": pool_rows(Path(d)),
            "PK population, 10,000 × 28 days, 2,688 points × 2 analytes (median of 5)": pk_rows(),
        }
    body = [f"Measured {date.today().isoformat()} by `python benchmarks/numerics.py`.", ""]
    for title, rows in tables.items():
        body += [f"**{title}**", "", *rows, ""]
    if "--profile" in sys.argv:
        rng = np.random.default_rng(42)
        v = rng.uniform(0.01, 0.2, 10_000)
        y = rng.normal(-0.3, np.sqrt(v + 0.05))
        body += ["cProfile of 20 REML + HKSJ fits, k = 10,000 (by own time):", ""]
        body += profile_summary(
            lambda: [random_effects(y, v, method="REML", hksj=True) for _ in range(20)]
        )
        body.append("")
    text = "\n".join(body)
    print(text)
    _doc.rewrite_block("numerics", text)


if __name__ == "__main__":
    main()
