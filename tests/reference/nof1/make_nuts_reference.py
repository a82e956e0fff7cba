"""Produce the NUTS reference for the exact N-of-1 posterior (kept, as lifelines keeps its R calls).

Run with a Python that has NumPyro (not a project dependency):

    python3 -m venv /tmp/nuts && /tmp/nuts/bin/pip install numpyro
    /tmp/nuts/bin/python tests/reference/nof1/make_nuts_reference.py

It reads the example trial (examples/trial) with the standard library only, fits the same model
and priors as ldn.domain.nof1.analysis with NUTS (4 chains x 5,000 draws after 2,000 warm-up),
and writes nuts_reference.json beside this file.
Model: y_t - rho y_{t-1} = (b - rho b_prev) for consecutive analysed days, b = level + delta x + beta t/100;
priors level N(5, 10^2), delta N(0, 1) (sceptical), beta N(0, 2^2), rho U(-0.9, 0.95),
log sigma U(log 0.05, log 5).
"""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from pathlib import Path

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
    t_in: list[float], y_in: list[float], x_in: list[float], *, seed: int = 2026, chains: int = 4
) -> tuple[object, object]:
    """NUTS on the same model; returns (samples of delta, the MCMC object)."""
    import jax
    import jax.numpy as jnp
    import numpy as np
    import numpyro
    import numpyro.distributions as dist
    from numpyro.infer import MCMC, NUTS

    t, y, x = (np.array(a) for a in (t_in, y_in, x_in))
    pair = np.flatnonzero(np.diff(t) == 1) + 1
    prev = pair - 1

    def model() -> None:
        level = numpyro.sample("level", dist.Normal(5.0, 10.0))
        delta = numpyro.sample("delta", dist.Normal(0.0, 1.0))
        beta = numpyro.sample("beta", dist.Normal(0.0, 2.0))
        rho = numpyro.sample("rho", dist.Uniform(-0.9, 0.95))
        log_sigma = numpyro.sample("log_sigma", dist.Uniform(jnp.log(0.05), jnp.log(5.0)))
        mu = level + delta * x + beta * t / 100.0
        resid = (y[pair] - mu[pair]) - rho * (y[prev] - mu[prev])
        numpyro.sample("obs", dist.Normal(0.0, jnp.exp(log_sigma)), obs=resid)

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
    )  # type: ignore[attr-defined]
    out = {
        "delta_mean": float(d.mean()),
        "delta_sd": float(d.std()),
        "ess": ess,
        "mcse_mean": float(d.std() / np.sqrt(ess)),
        "draws": int(d.size),
        "numpyro": numpyro.__version__,
        "prior": "sceptical N(0, 1)",
    }
    (Path(__file__).with_name("nuts_reference.json")).write_text(json.dumps(out, indent=2) + "\n")
    print(out)


if __name__ == "__main__":
    main()
