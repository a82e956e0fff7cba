"""Fit ldn's naltrexone / 6-beta-naltrexol model and its occupancy model to the published values.

Run:  .venv/bin/python tests/reference/pk/fit_pk.py            (1-3 minutes on 2 cores)
      .venv/bin/python tests/reference/pk/fit_pk.py --markdown (tables for docs/pk.md, no refit)
Writes tests/reference/pk/fit_pk_output.json, which parameters.py, occupancy.py and
uncertainty.py copy (tests/reference/pk/test_pk_reference.py checks they agree) and docs/pk.md
quotes (the same test checks every observation's prediction is in docs/pk.md).

Method (docs/pk.md has the reasoning):

1. Pharmacokinetics. Ten apparent parameters theta (log scale; phi on the logit scale) are fitted
   to the observations in ldn.domain.pk.observations with use == "fit" by maximising

       -1/2 sum_i r_i(theta, tau)^2 - sum_i ln sigma_i(tau) - 1/2 sum_k ((theta_k - m_k) / s_k)^2

   (r_i, sigma_i: observations.residual / sigma; m, s: the weak priors below), i.e. weighted least
   squares on the log scale with each value weighted by its n and spread plus a between-study
   spread tau, profiled over a grid and refined. scipy.optimize.least_squares from 8 starts drawn
   from the priors; the best is kept. Parameter uncertainty: the Laplace approximation, covariance
   = (J'J)^-1 at the optimum with the prior rows included in J.
2. Occupancy, given the fitted pharmacokinetics. Three structures are fitted to the occupancy
   observations with use == "fit" (logit scale): receptor binding with slow dissociation (kon,
   koff), an effect compartment (ke0, EC50; Sheiner 1979) and a direct Emax on plasma naltrexone
   (EC50); the one with the lowest AIC (weighted SSE + 2 k) is shipped.
3. Every observation (fitted and held out) is predicted with the result and with the earlier
   one-compartment model (occupancy from its plasma Emax, EC50 1.5 ng/mL), for the table in
   docs/pk.md.
"""

from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import least_squares, minimize_scalar

from ldn.domain.pk.observations import OBSERVATIONS, predict, residual, sigma
from ldn.domain.pk.occupancy import BindingParameters
from ldn.domain.pk.parameters import PARAMETER_SETS, PkParameters

OUT = Path(__file__).with_name("fit_pk_output.json")
PK_NAMES = tuple(f.name for f in fields(PkParameters) if f.name != "name")

#: weak priors (median, SD on the log scale; phi: logit scale) — ldn's assumptions, stated in docs/pk.md
PK_PRIORS: dict[str, tuple[float, float]] = {
    "ka_per_h": (1.0, 1.0),  # Licko 1981: 0.72 /h; labels: peak within 1 h
    "v1_l": (2000.0, 1.5),
    "cl_l_per_h": (500.0, 1.0),  # research notes: CL/F 450-700 L/h from the 50-100 mg AUCs
    "q_l_per_h": (300.0, 1.5),
    "v2_l": (3000.0, 1.5),
    "phi": (0.8, 1.5),  # most 6BN formed in the first pass (both peak within 1 h, labels)
    "vm_l": (500.0, 1.5),
    "clm_l_per_h": (40.0, 1.0),
    "qm_l_per_h": (30.0, 1.5),
    "vm2_l": (300.0, 1.5),
}
PD_PRIORS = {
    "kon_per_nm_h": (0.05, 2.0),
    "koff_per_h": (math.log(2) / 24.0, 2.0),
    "ke0_per_h": (0.1, 2.0),
    "ec50_ng_ml": (0.5, 2.0),
}
TAU_GRID = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4)
STARTS = 8


def to_x(values: dict[str, float]) -> np.ndarray:
    return np.array(
        [math.log(v / (1 - v)) if k == "phi" else math.log(v) for k, v in values.items()]
    )


def from_x(x: np.ndarray, name: str = "fit") -> PkParameters:
    v = {
        k: (1 / (1 + math.exp(-xi)) if k == "phi" else math.exp(xi))
        for k, xi in zip(PK_NAMES, x, strict=True)
    }
    return PkParameters(name, **v)


PRIOR_M = to_x({k: m for k, (m, _) in PK_PRIORS.items()})
PRIOR_S = np.array([s for _, s in PK_PRIORS.values()])
FIT_PK = [o for o in OBSERVATIONS if o.use == "fit" and o.analyte != "mu" and o.value is not None]
FIT_PD = [o for o in OBSERVATIONS if o.use == "fit" and o.analyte == "mu" and o.value is not None]
NO_PD = BindingParameters(1.0, 1.0)  # PK observations never call the occupancy model


def pk_residuals(x: np.ndarray, tau: float) -> np.ndarray:
    pk = from_x(x)
    r = [residual(o, predict(o, pk, NO_PD), tau) for o in FIT_PK]
    return np.concatenate([r, (x - PRIOR_M) / PRIOR_S])


def pk_objective(x: np.ndarray, tau: float) -> float:
    r = pk_residuals(x, tau)
    return 0.5 * float(r @ r) + sum(math.log(sigma(o, tau)) for o in FIT_PK)


def fit_pk() -> dict[str, Any]:
    rng = np.random.default_rng(20261201)
    starts = [PRIOR_M + rng.normal(0, 1, len(PRIOR_M)) * PRIOR_S * 0.5 for _ in range(STARTS)]
    best = None
    for x0 in starts:
        try:
            r = least_squares(pk_residuals, x0, args=(0.2,), max_nfev=3000)
        except (ValueError, FloatingPointError):
            continue
        if best is None or r.cost < best.cost:
            best = r
    assert best is not None
    x = best.x
    profile = []
    for tau in TAU_GRID:
        x = least_squares(pk_residuals, x, args=(tau,), max_nfev=3000).x
        profile.append((pk_objective(x, tau), tau, x))
    _, tau0, x = min(profile, key=lambda z: z[0])

    def prof(log_tau: float) -> float:
        nonlocal x
        x = least_squares(pk_residuals, x, args=(math.exp(log_tau),), max_nfev=3000).x
        return pk_objective(x, math.exp(log_tau))

    res = minimize_scalar(
        prof,
        bounds=(math.log(tau0) - 0.4, math.log(tau0) + 0.4),
        method="bounded",
        options={"xatol": 0.01},
    )
    tau = math.exp(res.x)
    fit = least_squares(pk_residuals, x, args=(tau,), max_nfev=3000)
    cov = np.linalg.inv(fit.jac.T @ fit.jac)
    return {
        "x": fit.x,
        "tau": tau,
        "cov": cov,
        "objective": pk_objective(fit.x, tau),
        "profile": [(t, o) for o, t, _ in profile],
        "n_obs": len(FIT_PK),
    }


@dataclass(frozen=True)
class EffectCompartment:
    """d Ce/dt = ke0 (C - Ce), occupancy = Ce / (Ce + EC50) (Sheiner 1979); exact steps, C linear."""

    ke0_per_h: float
    ec50_ng_ml: float

    def occupancy(self, t: np.ndarray, c: np.ndarray) -> np.ndarray:
        c = np.atleast_2d(c)
        ce = np.zeros_like(c)
        h = np.diff(t)
        e = np.exp(-self.ke0_per_h * h)
        # exact for C linear over a step: Ce1 = Ce0 e + C0 (1 - e) + (C1 - C0)(1 - (1 - e)/(ke0 h))
        ramp = 1 - (1 - e) / (self.ke0_per_h * h)
        for i in range(len(t) - 1):
            ce[:, i + 1] = (
                ce[:, i] * e[i] + c[:, i] * (1 - e[i]) + (c[:, i + 1] - c[:, i]) * ramp[i]
            )
        return ce / (ce + self.ec50_ng_ml)


@dataclass(frozen=True)
class DirectEmax:
    ec50_ng_ml: float

    def occupancy(self, t: np.ndarray, c: np.ndarray) -> np.ndarray:
        c = np.atleast_2d(c)
        return c / (c + self.ec50_ng_ml)


PD_STRUCTURES = {
    "binding": (("kon_per_nm_h", "koff_per_h"), BindingParameters),
    "effect_compartment": (("ke0_per_h", "ec50_ng_ml"), EffectCompartment),
    "direct_emax": (("ec50_ng_ml",), DirectEmax),
}


def fit_pd(pk: PkParameters) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, (keys, cls) in PD_STRUCTURES.items():
        m = np.log([PD_PRIORS[k][0] for k in keys])
        s = np.array([PD_PRIORS[k][1] for k in keys])

        def res(
            lx: np.ndarray,
            keys: tuple[str, ...] = keys,
            cls: type = cls,
            m: np.ndarray = m,
            s: np.ndarray = s,
        ) -> np.ndarray:
            model = cls(*np.exp(lx))
            r = [residual(o, predict(o, pk, model), 0.0) for o in FIT_PD]
            return np.concatenate([r, (lx - m) / s])

        best = None
        for shift in (0.0, -1.0, 1.0):
            r = least_squares(res, m + shift, max_nfev=500)
            if best is None or r.cost < best.cost:
                best = r
        assert best is not None
        data_sse = float(np.sum(best.fun[: len(FIT_PD)] ** 2))
        out[name] = {
            "values": dict(zip(keys, np.exp(best.x).tolist(), strict=True)),
            "x": best.x.tolist(),
            "cov": np.linalg.inv(best.jac.T @ best.jac).tolist(),
            "weighted_sse": data_sse,
            "aic": data_sse + 2 * len(keys),
            "n_obs": len(FIT_PD),
        }
    return out


def ldn_answers(pk: PkParameters, pd: Any) -> dict[str, dict[str, float | None]]:
    """Typical-patient blockade after one dose of 1.5 / 3 / 4.5 mg and on day 28 of once-daily dosing."""
    from ldn.domain.pk.model import DoseGrid, superpose
    from ldn.domain.pk.occupancy import blockade_summary
    from ldn.domain.pk.parameters import SALT_TO_BASE

    ir = pk.impulse()
    out: dict[str, dict[str, float | None]] = {}
    for dose in (1.5, 3.0, 4.5):
        for n in (1, 28):
            dose_times = np.arange(n, dtype=np.float64) * 24.0
            t = np.arange(0.0, dose_times[-1] + 14 * 24 + 1e-9, 0.05)
            (c,) = superpose(
                DoseGrid(t, dose_times), np.full(n, dose * SALT_TO_BASE.value), ir.rates, [ir.ntx]
            )
            occ = np.asarray(pd.occupancy(t, c)).reshape(-1)
            after = t >= dose_times[-1]
            summary = blockade_summary(t[after] - dose_times[-1], occ[after])
            if n > 1:
                summary["trough_percent"] = float(100 * occ[np.argmin(np.abs(t - dose_times[-1]))])
            out[f"{dose:g} mg {'single' if n == 1 else 'day 28'}"] = summary
    return out


def sensitivity(pk: PkParameters, pd_fits: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """LDN answers under each fitted structure, and with Rabiner's scans taken as 1-4 h or 4-8 h."""
    from dataclasses import replace

    global FIT_PD
    res: dict[str, Any] = {}
    for name, (keys, cls) in PD_STRUCTURES.items():
        if name == "direct_emax":
            continue
        res[name] = ldn_answers(pk, cls(*(pd_fits[name]["values"][k] for k in keys)))
    saved = FIT_PD
    for window in ((1.0, 4.0), (4.0, 8.0)):
        FIT_PD = [replace(o, window_h=window) if o.id.startswith("rabiner") else o for o in saved]
        fits = fit_pd(pk)
        b = fits["binding"]
        res[f"binding, Rabiner scans {window[0]:g}-{window[1]:g} h"] = {
            "values": b["values"],
            "weighted_sse": b["weighted_sse"],
            "answers": ldn_answers(
                pk, BindingParameters(*(b["values"][k] for k in ("kon_per_nm_h", "koff_per_h")))
            ),
        }
    FIT_PD = saved
    return res


def table(
    pk: PkParameters, pd: Any, before_pk: PkParameters, before_pd: Any, tau: float
) -> list[dict[str, Any]]:
    rows = []
    for o in OBSERVATIONS:
        pred = predict(o, pk, pd)
        old = predict(o, before_pk, before_pd)
        row: dict[str, Any] = {"id": o.id, "study": o.study, "use": o.use, "analyte": o.analyte, "quantity": o.quantity,
                                  "dose_mg": o.dose_mg, "observed": o.value, "low": o.low, "high": o.high, "unit": o.unit,
                                  "predicted": pred, "before": old}  # fmt: skip
        if o.value is not None:
            row["ratio"] = pred / o.value
            row["before_ratio"] = old / o.value
            row["residual"] = residual(o, pred, tau)
        elif o.low is not None and o.high is not None:
            row["ratio"] = pred / math.sqrt(o.low * o.high)
            row["before_ratio"] = old / math.sqrt(o.low * o.high)
        rows.append(row)
    return rows


def _fmt(x: float | None, unit: str) -> str:
    if x is None:
        return ""
    if unit == "fraction":
        return f"{100 * x:.0f} %"
    return f"{x:.4g}" if abs(x) >= 1000 else f"{x:.3g}"


def observation_table(result: dict[str, Any]) -> list[str]:
    """The per-observation table of docs/pk.md (tests check docs/pk.md carries it)."""
    obs = {o.id: o for o in OBSERVATIONS}
    out = [
        "| id | study | dose mg | analyte, quantity | published | before (ratio) | fitted model (ratio) | use |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in result["observations"]:
        o = obs[r["id"]]
        pub = (
            _fmt(o.value, o.unit)
            if o.value is not None
            else (
                f"{_fmt(o.low, o.unit)}–{_fmt(o.high, o.unit)}"
                if o.low is not None
                else "qualitative"
            )
        )
        if o.sd is not None:
            pub += f" ± {_fmt(o.sd, o.unit)}"
        if o.n:
            pub += f" (n {o.n})"
        unit = "" if o.unit == "fraction" else f" {o.unit}"
        before = f"{_fmt(r['before'], o.unit)}" + (
            f" ({r['before_ratio']:.2f})" if r.get("before_ratio") is not None else ""
        )
        now = f"{_fmt(r['predicted'], o.unit)}" + (
            f" ({r['ratio']:.2f})" if r.get("ratio") is not None else ""
        )
        out.append(
            f"| `{o.id}` | {o.study} | {o.dose_mg:g} | {o.analyte} {o.quantity.replace('_', ' ')} | {pub}{unit} | "
            f"{before} | {now} | {o.use} |"
        )
    return out


def markdown(result: dict[str, Any]) -> str:
    """The tables of docs/pk.md from the stored result (and the domain's blockade bands)."""
    from ldn.domain.pk.blockade import blockade

    out = [
        *observation_table(result),
        "",
        "| structure | fitted values | weighted SSE | AIC |",
        "|---|---|---|---|",
    ]
    for name, f in result["pd"]["structures"].items():
        vals = ", ".join(f"{k} {v:.3g}" for k, v in f["values"].items())
        out.append(
            f"| {name.replace('_', ' ')} | {vals} | {f['weighted_sse']:.1f} | {f['aic']:.1f} |"
        )
    out += [
        "",
        "| dose | one dose: peak % | hours ≥ 50 % | below 10 % after (h) | day 28: trough % | peak % | hours ≥ 50 % a day | after the last dose: below 10 % after (h) |",
        "|---|---|---|---|---|---|---|---|",
    ]

    def band(b: dict[str, Any]) -> str:
        if b["typical"] is None:
            return "never"
        return (
            f"{b['typical']:.0f} ({b['p5']:.0f}–{b['p95']:.0f})"
            if b["p5"] is not None
            else f"{b['typical']:.0f}"
        )

    for dose in (1.5, 3.0, 4.5):
        one, ss = blockade(dose), blockade(dose, steady_state=True)
        out.append(
            f"| {dose:g} mg | {band(one['peak_percent'])} | {band(one['hours_above_50'])} | {band(one['below_10_after_h'])} | "
            f"{band(ss['trough_percent'])} | {band(ss['peak_percent'])} | {band(ss['hours_above_50_per_day'])} | "
            f"{band(ss['below_10_after_h'])} |"
        )
    out += [
        "",
        "| structure / assumption | dose | one dose: peak % | hours ≥ 50 % | below 10 % after (h) | day 28: trough % | after the last dose: below 10 % after (h) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, v in result["sensitivity"].items():
        answers = v.get("answers", v)
        for dose in ("1.5", "3", "4.5"):
            a, b = answers[f"{dose} mg single"], answers[f"{dose} mg day 28"]
            out.append(
                f"| {name.replace('_', ' ')} | {dose} mg | {a['peak_percent']:.0f} | {a['hours_above_50']:.0f} | "
                f"{a['below_10_after_h']:.0f} | {b['trough_percent']:.0f} | {b['below_10_after_h']:.0f} |"
            )
    return "\n".join(out) + "\n"


def main() -> None:
    if "--markdown" in sys.argv:
        print(markdown(json.loads(OUT.read_text(encoding="utf-8"))))
        return
    t0 = time.perf_counter()
    pk_fit = fit_pk()
    pk = from_x(pk_fit["x"], "recommended")
    print(
        f"PK fitted in {time.perf_counter() - t0:.0f} s, tau {pk_fit['tau']:.3f}", file=sys.stderr
    )
    pd_fits = fit_pd(pk)
    chosen = min(pd_fits, key=lambda k: float(pd_fits[k]["aic"]))
    keys, cls = PD_STRUCTURES[chosen]
    pd = cls(*(pd_fits[chosen]["values"][k] for k in keys))
    rows = table(pk, pd, PARAMETER_SETS["one_compartment"], DirectEmax(1.5), float(pk_fit["tau"]))
    se = np.sqrt(np.diag(pk_fit["cov"]))
    result: dict[str, Any] = {
        "method": __doc__.split("Method")[1].strip() if __doc__ else "",
        "pk": {
            "names": list(PK_NAMES),
            "values": {k: getattr(pk, k) for k in PK_NAMES},
            "se_log": dict(zip(PK_NAMES, se.tolist(), strict=True)),
            "cov_log": np.asarray(pk_fit["cov"]).tolist(),
            "tau": pk_fit["tau"],
            "objective": pk_fit["objective"],
            "tau_profile": pk_fit["profile"],
            "n_obs": pk_fit["n_obs"],
            "priors": PK_PRIORS,
        },
        "pd": {"chosen": chosen, "structures": pd_fits, "priors": PD_PRIORS},
        "observations": rows,
        "ldn_answers_typical": ldn_answers(pk, pd),
        "sensitivity": sensitivity(pk, pd_fits),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    OUT.write_text(json.dumps(result, indent=1, default=float) + "\n", encoding="utf-8")
    for r in rows:
        ratio = r.get("ratio")
        print(
            f"{r['id']:28s} {r['use']:9s} obs {r['observed']!s:>8s} pred {float(r['predicted']):10.4g} "
            f"ratio {'' if ratio is None else f'{float(ratio):.2f}'}"
        )
    print(
        json.dumps(
            {
                "pk": result["pk"]["values"],
                "tau": pk_fit["tau"],
                "pd": {k: (v["values"], v["aic"]) for k, v in pd_fits.items()},
            },
            indent=1,
            default=float,
        )
    )


if __name__ == "__main__":
    main()
