"""Produce the NUTS reference for the exact N-of-1 posterior (kept, as lifelines keeps its R calls).

Run with a Python that has NumPyro (the project's ``bench`` extra, not a runtime dependency):

    .venv/bin/pip install -e '.[bench]'      # or: pip install numpyro
    .venv/bin/python tests/reference/nof1/make_nuts_reference.py

It reads the example trial (examples/trial) with the standard library only, fits the same model
and priors as ldn.domain.nof1.analysis with NUTS (4 chains x 5,000 draws after 2,000 warm-up),
and writes nuts_reference.json beside this file.

Model (the exact Gaussian AR(1) likelihood, written independently of ldn's whitening): the
analysed days y ~ MultivariateNormal(mu, Sigma) with mu_t = level + delta x_t + beta t/100 and
the dense stationary AR(1) covariance Sigma_ij = sigma^2 / (1 - rho^2) * rho^|t_i - t_j| over
the trial's day numbers t, so gaps (run-in days, missing days) are bridged by rho^g.
Priors: level N(5, 10^2), delta N(0, 1) (sceptical), beta N(0, 2^2), rho U(-0.9, 0.95),
log sigma U(log 0.05, log 5).
"""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
TRIAL = ROOT / "examples" / "trial"


def load() -> tuple[list[float], list[float], list[float]]:
    design = json.loads((TRIAL / "design.json").read_text())
    ldn = json.loads((TRIAL / "allocation.json").read_text())["allocation"]["ldn_bottle"]
    pain = {r["date"]: float(r["pain_avg"]) for r in csv.DictReader((TRIAL / "diary.csv").open())}
    start = date.fromisoformat(design["start"])
    t, y, x = [], [], []
    for p in design["periods"]:
        d, end = date.fromisoformat(p["analysed_from"]), date.fromisoformat(p["end"])
        while d <= end:
            if d.isoformat() in pain:
                t.append(float((d - start).days))
                y.append(pain[d.isoformat()])
                x.append(1.0 if p["bottle"] == ldn else 0.0)
            d += timedelta(days=1)
    return t, y, x


def fit_nuts(
    t_in: list[float],
    y_in: list[float],
    x_in: list[float],
    *,
    seed: int = 2026,
    chains: int = 4,
    dense: bool = True,
) -> tuple[Any, Any]:
    """NUTS on the same model; returns (samples of delta, the MCMC object).

    ``dense=True`` (the stored reference): MultivariateNormal with the dense AR(1) covariance,
    O(n^3) per step. ``dense=False`` (benchmarks/nof1.py, for speed): the same density as the
    product of its one-step conditionals, first day N(0, s^2/(1-rho^2)), then
    N(rho^g e_prev, s^2 (1-rho^2g)/(1-rho^2)) after a gap of g days, O(n) per step."""
    import jax
    import jax.numpy as jnp
    import numpy as np
    import numpyro  # type: ignore[import-untyped]
    import numpyro.distributions as dist  # type: ignore[import-untyped]
    from numpyro.infer import MCMC, NUTS  # type: ignore[import-untyped]

    numpyro.enable_x64()  # float64 throughout, like ldn (the dense Cholesky needs it at high rho)
    t, y, x = (np.array(a) for a in (t_in, y_in, x_in))
    lag = np.abs(t[:, None] - t[None, :]).astype(np.int64)
    odd = (lag % 2).astype(np.float64)  # rho^lag = sign(rho)^lag |rho|^lag (jnp.power of a
    lag_f = lag.astype(np.float64)  # negative base to a float power would be NaN)
    gap = np.diff(t)
    gap_odd = (gap.astype(np.int64) % 2).astype(np.float64)

    def model() -> None:
        level = numpyro.sample("level", dist.Normal(5.0, 10.0))
        delta = numpyro.sample("delta", dist.Normal(0.0, 1.0))
        beta = numpyro.sample("beta", dist.Normal(0.0, 2.0))
        rho = numpyro.sample("rho", dist.Uniform(-0.9, 0.95))
        log_sigma = numpyro.sample("log_sigma", dist.Uniform(jnp.log(0.05), jnp.log(5.0)))
        mu = level + delta * x + beta * t / 100.0
        var0 = jnp.exp(2 * log_sigma) / (1.0 - rho**2)
        if dense:
            rho_lag = jnp.where(odd == 1.0, jnp.sign(rho), 1.0) * jnp.abs(rho) ** lag_f
            numpyro.sample(
                "obs", dist.MultivariateNormal(mu, covariance_matrix=var0 * rho_lag), obs=y
            )
            return
        e = jnp.asarray(y) - mu
        phi = jnp.where(gap_odd == 1.0, jnp.sign(rho), 1.0) * jnp.abs(rho) ** gap
        numpyro.sample("first", dist.Normal(0.0, jnp.sqrt(var0)), obs=e[0])
        numpyro.sample(
            "rest", dist.Normal(phi * e[:-1], jnp.sqrt(var0 * (1.0 - phi**2))), obs=e[1:]
        )

    mcmc = MCMC(
        NUTS(model),
        num_warmup=2000,
        num_samples=5000,
        num_chains=chains,
        progress_bar=False,
        chain_method="sequential",
    )
    mcmc.run(jax.random.PRNGKey(seed))
    return np.asarray(mcmc.get_samples()["delta"]), mcmc


def main() -> None:
    import numpy as np
    import numpyro

    d, mcmc = fit_nuts(*load())
    d = np.asarray(d)
    ess = float(
        numpyro.diagnostics.effective_sample_size(
            np.asarray(mcmc.get_samples(group_by_chain=True)["delta"])
        )
    )
    out = {
        "delta_mean": float(d.mean()),
        "delta_sd": float(d.std()),
        "ess": ess,
        "mcse_mean": float(d.std() / np.sqrt(ess)),
        "draws": int(d.size),
        "numpyro": numpyro.__version__,
        "prior": "sceptical N(0, 1)",
        "likelihood": "exact Gaussian AR(1) (dense multivariate normal over the analysed days)",
    }
    (Path(__file__).with_name("nuts_reference.json")).write_text(json.dumps(out, indent=2) + "\n")
    print(out)


if __name__ == "__main__":
    main()
