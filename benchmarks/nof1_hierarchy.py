"""NUTS reference for the pooled N-of-1 model (issue 22), kept as lifelines keeps its R calls.

Writes tests/reference/nof1/hierarchy_nuts.json (beside the single-trial nuts_reference.json),
which tests/reference/nof1/test_hierarchy_nuts.py compares with ldn's exact grid posterior.
Run with NumPyro installed (the ``bench`` extra, not a runtime dependency):

    .venv/bin/python -m pip install -q numpyro
    .venv/bin/python benchmarks/nof1_hierarchy.py          # about 5-15 minutes on 2 busy cores
    .venv/bin/python benchmarks/nof1_hierarchy.py --speed  # ldn's time only (seconds)

The clinic: 12 trials of 3 cycles (28-day periods, 14 run-in days), simulated from the AR(1)
model with seed 2026 (true Delta -0.8, tau 0.7 points; each patient's own rho in 0.2-0.8, sigma
in 0.6-1.3, level around 5.5), about 10 % of the analysed days dropped at random (missed diary
days), pain rounded to 0.01. The data are stored in the JSON, so the test does not depend on the
simulator's random stream.

The NUTS model is the same model written independently of ldn: Delta ~ N(m0, s0^2) (sceptical
N(0, 1)), tau ~ HalfNormal(TAU_PRIOR_SCALE_NRS), delta_i = Delta + tau z_i with z_i ~ N(0, 1)
(non-centred), and per trial level ~ N(5, 10^2), trend ~ N(0, 2^2) per 100 days, rho ~
U(-0.9, 0.95), log sigma ~ U(log 0.05, log 5), the exact AR(1) likelihood over the analysed days
as a product of one-step conditionals (first day N(0, s^2/(1-rho^2)); after a gap of g days
N(rho^g e_prev, s^2 (1-rho^2g)/(1-rho^2))), in float64; 4 chains x 3,000 draws after 1,500
warm-up, run one after another (the machine is shared). Monte Carlo error: the mean's MCSE from
NumPyro's ESS; each quantile's MCSE by batch means (each chain cut into 5 batches of 600
draws, the SD of the 20 batch quantiles / sqrt 20).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from ldn.domain.nof1.hierarchy import TAU_PRIOR_SCALE_NRS
from ldn.domain.nof1.planner import simulate_trial
from ldn.domain.nof1.prior import MCID_NRS, sceptical_prior

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "reference" / "nof1" / "hierarchy_nuts.json"
SEED = 2026
N_TRIALS = 12
TRUE_DELTA, TRUE_TAU = -0.8, 0.7
BASELINE_NRS = 6.0  # for the 30 % threshold (1.8 points)
SHAPE = {"cycles": 3, "period_days": 28, "run_in_days": 14}


def make_clinic(
    *, seed: int = SEED, n_trials: int = N_TRIALS, delta: float = TRUE_DELTA, tau: float = TRUE_TAU
) -> list[dict[str, Any]]:
    """Simulated trials: label, analysed day numbers, pain (NRS, rounded to 0.01), on LDN."""
    rng = np.random.default_rng(seed)
    trials = []
    for i in range(n_trials):
        d_i = float(rng.normal(delta, tau))
        rho, sigma = float(rng.uniform(0.2, 0.8)), float(rng.uniform(0.6, 1.3))
        t, y, x, _ = simulate_trial(delta=d_i, rho=rho, sigma=sigma, rng=rng, **SHAPE)
        y = y + float(rng.normal(0.5, 1.0))
        keep = rng.random(len(t)) > 0.1
        trials.append(
            {
                "label": f"P{i + 1:02d}",
                "true_delta": d_i,
                "day": t[keep].astype(int).tolist(),
                "pain": np.round(y[keep], 2).tolist(),
                "on_ldn": x[keep].astype(int).tolist(),
            }
        )
    return trials


def fit_nuts(
    trials: list[dict[str, Any]],
    *,
    prior_mean: float,
    prior_sd: float,
    tau_scale: float,
    seed: int = SEED,
    warmup: int = 1500,
    samples: int = 3000,
    chains: int = 4,
) -> tuple[dict[str, np.ndarray], Any]:
    import jax
    import jax.numpy as jnp
    import numpyro  # type: ignore[import-untyped]
    import numpyro.distributions as dist  # type: ignore[import-untyped]
    from numpyro.infer import MCMC, NUTS  # type: ignore[import-untyped]

    numpyro.enable_x64()
    n = len(trials)
    width = max(len(tr["day"]) for tr in trials)
    t, y, x, mask = (np.zeros((n, width)) for _ in range(4))
    gap = np.ones((n, width))  # padding: any finite gap (masked out)
    for i, tr in enumerate(trials):
        k = len(tr["day"])
        t[i, :k], y[i, :k], x[i, :k], mask[i, :k] = tr["day"], tr["pain"], tr["on_ldn"], 1.0
        gap[i, 1:k] = np.diff(tr["day"])
    first = np.zeros((n, width))
    first[:, 0] = 1.0
    odd = (gap.astype(np.int64) % 2).astype(np.float64)

    def model() -> None:
        big_delta = numpyro.sample("Delta", dist.Normal(prior_mean, prior_sd))
        tau = numpyro.sample("tau", dist.HalfNormal(tau_scale))
        z = numpyro.sample("z", dist.Normal(0.0, 1.0).expand([n]))
        delta = numpyro.deterministic("delta", big_delta + tau * z)
        level = numpyro.sample("level", dist.Normal(5.0, 10.0).expand([n]))
        beta = numpyro.sample("beta", dist.Normal(0.0, 2.0).expand([n]))
        rho = numpyro.sample("rho", dist.Uniform(-0.9, 0.95).expand([n]))
        log_sigma = numpyro.sample(
            "log_sigma", dist.Uniform(jnp.log(0.05), jnp.log(5.0)).expand([n])
        )
        e = y - (level[:, None] + delta[:, None] * x + beta[:, None] * t / 100.0)
        r = rho[:, None]
        phi = jnp.where(
            first == 1.0, 0.0, jnp.where(odd == 1.0, jnp.sign(r), 1.0) * jnp.abs(r) ** gap
        )
        var0 = jnp.exp(2 * log_sigma)[:, None] / (1.0 - r**2)
        var = var0 * (1.0 - phi**2)
        e_prev = jnp.concatenate([jnp.zeros((n, 1)), e[:, :-1]], axis=1)
        ll = -0.5 * (jnp.log(2 * jnp.pi * var) + (e - phi * e_prev) ** 2 / var)
        numpyro.factor("diaries", jnp.sum(mask * ll))

    mcmc = MCMC(
        NUTS(model, target_accept_prob=0.9),
        num_warmup=warmup,
        num_samples=samples,
        num_chains=chains,
        progress_bar=False,
        chain_method="sequential",
    )
    mcmc.run(jax.random.PRNGKey(seed))
    draws = mcmc.get_samples(group_by_chain=True)
    return {k: np.asarray(v) for k, v in draws.items()}, mcmc


def summarise(draws: np.ndarray) -> dict[str, float]:
    """Mean, 2.5 and 97.5 % quantiles of (chains, draws) samples, with their Monte Carlo SEs."""
    import numpyro

    flat = draws.ravel()
    ess = float(numpyro.diagnostics.effective_sample_size(draws[..., None])[0])
    batches = draws.reshape(draws.shape[0] * 5, -1)
    out = {
        "mean": float(flat.mean()),
        "sd": float(flat.std()),
        "ess": ess,
        "mcse_mean": float(flat.std() / np.sqrt(ess)),
    }
    for name, q in (("q025", 0.025), ("q975", 0.975)):
        out[name] = float(np.quantile(flat, q))
        out[f"mcse_{name}"] = float(
            np.quantile(batches, q, axis=1).std(ddof=1) / np.sqrt(len(batches))
        )
    return out


def share(big_delta: np.ndarray, tau: np.ndarray, threshold: float) -> np.ndarray:
    from scipy import special

    return np.asarray(special.ndtr((-threshold - big_delta) / tau))


def speed(nuts_seconds: float | None = None) -> None:
    """ldn on the reference clinic (12 diaries) and on 20 diaries: effect_likelihood for each and
    pool_series, median of 5 runs after a warm-up (the demo pool another service runs per request)."""
    from ldn.domain.nof1.hierarchy import effect_likelihood, pool_series

    clinics = {"12 (the NUTS clinic)": make_clinic(), "20": make_clinic(seed=7, n_trials=20)}
    for name, trials in clinics.items():
        times = []
        for _ in range(6):
            t0 = time.perf_counter()
            lks = [
                effect_likelihood(
                    np.array(tr["day"]),
                    np.array(tr["pain"]),
                    np.array(tr["on_ldn"]),
                    label=tr["label"],
                )
                for tr in trials
            ]
            pool_series(lks, prior=sceptical_prior(), baseline_nrs=BASELINE_NRS)
            times.append(time.perf_counter() - t0)
        best = float(np.median(times[1:]))
        ratio = (
            f" (NUTS {nuts_seconds:.0f} s: {nuts_seconds / best:,.0f}x)"
            if nuts_seconds and name.startswith("12")
            else ""
        )
        print(f"ldn, {name} diaries: {best:.2f} s{ratio}")


def main() -> None:
    import numpyro

    prior = sceptical_prior()
    tau_scale = TAU_PRIOR_SCALE_NRS.value
    trials = make_clinic()
    t0 = time.perf_counter()
    draws, mcmc = fit_nuts(trials, prior_mean=prior.mean, prior_sd=prior.sd, tau_scale=tau_scale)
    seconds = time.perf_counter() - t0
    divergences = int(np.sum(np.asarray(mcmc.get_extra_fields()["diverging"])))
    best = int(np.argmin([tr["true_delta"] for tr in trials]))  # the most shrunken, and P01
    patients = {0: trials[0]["label"], best: trials[best]["label"]}
    threshold30 = 0.3 * BASELINE_NRS
    result = {
        "Delta": summarise(draws["Delta"]),
        "tau": summarise(draws["tau"]),
        "share_mcid": summarise(share(draws["Delta"], draws["tau"], MCID_NRS.value)),
        "share_30pct": summarise(share(draws["Delta"], draws["tau"], threshold30)),
        "patients": {label: summarise(draws["delta"][..., i]) for i, label in patients.items()},
    }
    doc = {
        "generator": "benchmarks/nof1_hierarchy.py",
        "numpyro": numpyro.__version__,
        "chains": 4,
        "warmup": 1500,
        "draws_per_chain": 3000,
        "divergences": divergences,
        "seconds": round(seconds, 1),
        "prior": {"mean": prior.mean, "sd": prior.sd, "label": prior.label},
        "tau_prior_scale_nrs": tau_scale,
        "mcid_nrs": MCID_NRS.value,
        "baseline_nrs": BASELINE_NRS,
        "threshold_30pct_nrs": threshold30,
        "true": {"Delta": TRUE_DELTA, "tau": TRUE_TAU},
        "result": result,
        "trials": trials,
    }
    OUT.write_text(json.dumps(doc, indent=1) + "\n")
    print(json.dumps({k: v for k, v in doc.items() if k != "trials"}, indent=1))
    speed(seconds)


if __name__ == "__main__":
    if "--speed" in sys.argv:  # ldn only (the NUTS time from the stored reference)
        speed(json.loads(OUT.read_text())["seconds"])
    elif "--quick" in sys.argv:  # a smoke run of the sampler (not written)
        d, m = fit_nuts(
            make_clinic(),
            prior_mean=0.0,
            prior_sd=1.0,
            tau_scale=1.0,
            warmup=200,
            samples=200,
            chains=1,
        )
        print({k: float(v.mean()) for k, v in d.items() if v.ndim == 2})
    else:
        main()
