"""A clinic's series of blinded N-of-1 trials pooled by one hierarchical model (issue 22).

Model (NRS points; negative = less pain on LDN, as in ldn.domain.nof1.analysis)::

    patient i's diary | delta_i   the single-trial model: level, delta_i on LDN days, trend,
                                  stationary AR(1) noise (rho_i, sigma_i), each patient's own
    delta_i ~ N(Delta, tau^2)     patients' effects scatter around the clinic's average effect
    Delta ~ N(m0, s0^2)           the evidence prior the single-trial analysis takes
    tau ~ half-normal(scale)      TAU_PRIOR_SCALE_NRS, an ldn assumption (weakly informative)

The single-trial likelihood of delta_i, with level, trend, rho_i and sigma_i integrated out
under their single-trial priors, is a normal mixture: the analysis' posterior under a very vague
normal prior N(0, VAGUE_SD_NRS^2) is sum_k w_k N(mu_k, s_k^2) over the (rho, sigma) nodes, and
dividing each node's normal by the prior exactly (precision 1/v_k = 1/s_k^2 - 1/V, mean
a_k = v_k mu_k / s_k^2, weight w_k / N(0; a_k, v_k + V)) leaves p(y_i | delta_i) ∝
sum_k w_k' N(delta_i; a_k, v_k) with nothing assumed flat. The pooled posterior is then computed
exactly up to quadrature (ldn.domain.nof1.hierarchy_grid).

Outputs: Delta and tau with 95 % credible intervals; the expected share of patients whose
benefit is at least the MCID (1 point, MCID_NRS) and at least 30 % of the baseline pain
(IMMPACT 'moderately important', IMMPACT_MODERATE_PCT), share = Phi((-threshold - Delta)/tau),
each with its interval; and each patient's shrunken delta_i beside their own trial's estimate
(the trial's data alone: the normalised likelihood, flat prior).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ldn.domain.errors import InputError
from ldn.domain.facts import Fact
from ldn.domain.instruments.nrs import IMMPACT_MODERATE_PCT
from ldn.domain.nof1.analysis import MIN_ANALYSED_DAYS, delta_posterior
from ldn.domain.nof1.hierarchy_grid import mixture_quantile, series_grid
from ldn.domain.nof1.hierarchy_text import series_sentence, series_warnings
from ldn.domain.nof1.prior import MCID_NRS, NormalPrior
from ldn.domain.nof1.quadrature import DEFAULT_GRID, QuadratureGrid

__all__ = [
    "TAU_PRIOR_SCALE_NRS",
    "EffectLikelihood",
    "PatientShrinkage",
    "SeriesResult",
    "effect_likelihood",
    "pool_series",
    "prior_dict",
]

TAU_PRIOR_SCALE_NRS = Fact(
    1.0,
    unit="NRS points",
    sources=("ldn-assumption", "roever-2021"),
    note="Half-normal(1 point) prior on tau, the SD of LDN's effect between patients "
    "of one clinic: a modelling choice, not a clinical fact. Weakly informative in "
    "the sense of Röver 2021: P(tau > 1) = 32 %, P(tau > 2) = 4.6 %, i.e. patients' "
    "effects spreading over more than +-4 points around the average is a priori "
    "unlikely on a 0-10 scale.",
)
VAGUE_SD_NRS = 100.0  # the vague prior divided out of the single-trial posterior (exactly)
_TRIM = 1e-12  # mixture components carrying this share of the weight together are dropped


@dataclass(frozen=True, slots=True)
class EffectLikelihood:
    """p(y_i | delta_i) ∝ sum_k weights_k N(delta_i; means_k, sds_k^2), in NRS points."""

    label: str
    weights: np.ndarray
    means_nrs: np.ndarray
    sds_nrs: np.ndarray

    def __post_init__(self) -> None:
        w, m, s = (
            np.atleast_1d(np.asarray(a, dtype=np.float64))
            for a in (self.weights, self.means_nrs, self.sds_nrs)
        )
        ok = w.ndim == 1 and w.shape == m.shape == s.shape and len(w) > 0
        if (
            not ok
            or not np.all(np.isfinite(np.concatenate([w, m, s])))
            or np.any(w < 0)
            or not w.sum() > 0
            or np.any(s <= 0)
        ):
            raise InputError.at(
                f"trials.{self.label}",
                "the effect likelihood needs matching weights (>= 0, not all 0), means and SDs (> 0)",
                "give an estimate and a standard error above 0",
            )
        object.__setattr__(self, "weights", w / w.sum())
        object.__setattr__(self, "means_nrs", m)
        object.__setattr__(self, "sds_nrs", s)

    @classmethod
    def from_estimate(cls, label: str, *, estimate_nrs: float, se_nrs: float) -> EffectLikelihood:
        """A trial known only by its estimate and standard error (normal approximation)."""
        return cls(
            label, np.array([1.0]), np.array([float(estimate_nrs)]), np.array([float(se_nrs)])
        )

    def summary(self) -> tuple[float, float]:
        """(estimate_nrs, se_nrs): mean and SD of the normalised likelihood."""
        mean = float(np.sum(self.weights * self.means_nrs))
        second = float(np.sum(self.weights * (self.sds_nrs**2 + self.means_nrs**2)))
        return mean, float(np.sqrt(max(second - mean**2, 0.0)))

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """The equal-tailed interval of the normalised likelihood (the trial's data alone)."""
        a = (1 - level) / 2
        w, m, s = self.weights, self.means_nrs, self.sds_nrs
        return mixture_quantile(w, m, s, a), mixture_quantile(w, m, s, 1 - a)


def effect_likelihood(
    day: np.ndarray,
    pain_nrs: np.ndarray,
    on_ldn: np.ndarray,
    *,
    label: str,
    trend: bool = True,
    grid: QuadratureGrid = DEFAULT_GRID,
) -> EffectLikelihood:
    """p(y | delta) of one trial's analysed diary (the inputs of analysis.delta_posterior), as a
    normal mixture over the (rho, sigma) nodes: the posterior under N(0, VAGUE_SD_NRS^2) with
    that prior divided out node by node (module docstring)."""
    t = np.asarray(day, dtype=np.float64)
    x = np.asarray(on_ldn, dtype=np.float64)
    if len(t) < MIN_ANALYSED_DAYS or x.min() == x.max():
        raise InputError.at(
            f"trials.{label}",
            f"need at least {MIN_ANALYSED_DAYS} analysed days, on both LDN and placebo",
            "pool only trials logged through at least one full cycle",
        )
    vague = NormalPrior(0.0, VAGUE_SD_NRS, "vague (divided out)", ("ldn-assumption",))
    post = delta_posterior(
        t, np.asarray(pain_nrs, dtype=np.float64), x, prior=vague, trend=trend, grid=grid
    )
    s2, v0 = post.sds**2, VAGUE_SD_NRS**2
    prec = 1 / s2 - 1 / v0
    if np.any(prec <= 1e-9 / s2):
        raise InputError.at(
            f"trials.{label}",
            "the diary carries no information on the effect",
            "check the LDN/placebo days",
        )
    v = 1 / prec
    a = v * post.means / s2
    log_w = np.log(post.weights) + 0.5 * np.log(v + v0) + 0.5 * a**2 / (v + v0)
    w = np.exp(log_w - log_w.max())
    order = np.argsort(w)[::-1]
    keep = order[: int(np.searchsorted(np.cumsum(w[order]) / w.sum(), 1 - _TRIM)) + 1]
    return EffectLikelihood(label, w[keep], a[keep], np.sqrt(v[keep]))


@dataclass(frozen=True, slots=True)
class PatientShrinkage:
    label: str
    own_mean_nrs: float
    own_ci_nrs: tuple[float, float]
    pooled_mean_nrs: float
    pooled_ci_nrs: tuple[float, float]


@dataclass(frozen=True, slots=True)
class SeriesResult:
    n_trials: int
    delta_mean_nrs: float
    delta_ci_nrs: tuple[float, float]
    tau_mean_nrs: float
    tau_ci_nrs: tuple[float, float]
    share_benefit_mcid: float
    share_benefit_mcid_ci: tuple[float, float]
    mcid_nrs: float
    share_benefit_30pct: float | None
    share_benefit_30pct_ci: tuple[float, float] | None
    patients: tuple[PatientShrinkage, ...]
    prior: NormalPrior
    tau_prior_scale_nrs: float
    sentence: str
    warnings: tuple[str, ...]
    baseline_nrs: float | None = None
    threshold_30pct_nrs: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "n_trials": self.n_trials,
            "delta_mean_nrs": self.delta_mean_nrs,
            "delta_ci_nrs": list(self.delta_ci_nrs),
            "tau_mean_nrs": self.tau_mean_nrs,
            "tau_ci_nrs": list(self.tau_ci_nrs),
            "share_benefit_mcid": self.share_benefit_mcid,
            "share_benefit_mcid_ci": list(self.share_benefit_mcid_ci),
            "mcid_nrs": self.mcid_nrs,
            "mcid_source_ids": list(MCID_NRS.sources),
            "share_benefit_30pct": self.share_benefit_30pct,
            "share_benefit_30pct_ci": None
            if self.share_benefit_30pct_ci is None
            else list(self.share_benefit_30pct_ci),
            "baseline_nrs": self.baseline_nrs,
            "threshold_30pct_nrs": self.threshold_30pct_nrs,
            "threshold_30pct_source_ids": list(IMMPACT_MODERATE_PCT.sources),
            "patients": [
                {
                    "label": p.label,
                    "own_mean_nrs": p.own_mean_nrs,
                    "own_ci_nrs": list(p.own_ci_nrs),
                    "pooled_mean_nrs": p.pooled_mean_nrs,
                    "pooled_ci_nrs": list(p.pooled_ci_nrs),
                }
                for p in self.patients
            ],
            "prior": prior_dict(self.prior),
            "tau_prior": f"half-normal({self.tau_prior_scale_nrs:g} NRS points)",
            "tau_prior_scale_nrs": self.tau_prior_scale_nrs,
            "tau_prior_source_ids": list(TAU_PRIOR_SCALE_NRS.sources),
            "sentence": self.sentence,
            "warnings": list(self.warnings),
        }


def prior_dict(prior: NormalPrior) -> dict[str, Any]:
    return {
        "mean": prior.mean,
        "sd": prior.sd,
        "label": prior.label,
        "source_ids": list(prior.source_ids),
    }


def check_pool_inputs(labels: Sequence[str], prior: NormalPrior, scales: dict[str, float]) -> None:
    """Refuse what the pooled model cannot use (shared with the network pool)."""
    if len(labels) < 2:
        raise InputError.at(
            "trials",
            f"pooling needs at least 2 trials, got {len(labels)}: with one trial the spread "
            "between patients cannot be estimated",
            "analyse a single trial on its own",
        )
    if len(set(labels)) != len(labels):
        raise InputError.at(
            "trials", "trial labels must be distinct", "give each trial its own label"
        )
    if not (np.isfinite(prior.mean) and np.isfinite(prior.sd) and prior.sd > 0):
        raise InputError.at(
            "prior", "the prior on the average effect needs a finite mean and an SD above 0"
        )
    for name, value in scales.items():
        if not (np.isfinite(value) and value > 0):
            raise InputError.at(name, f"must be above 0 NRS points, got {value}")


def pool_series(
    likelihoods: Sequence[EffectLikelihood],
    *,
    prior: NormalPrior,
    baseline_nrs: float | None = None,
    tau_prior_scale_nrs: float = TAU_PRIOR_SCALE_NRS.value,
    mcid_nrs: float = MCID_NRS.value,
    resolution: int = 1,
) -> SeriesResult:
    """The pooled posterior of a clinic's trials (module docstring). ``baseline_nrs``: the
    patients' mean baseline pain (0-10), for the 30 % threshold; None leaves that share out."""
    check_pool_inputs(
        [lk.label for lk in likelihoods],
        prior,
        {"tau_prior_scale_nrs": tau_prior_scale_nrs, "mcid_nrs": mcid_nrs},
    )
    threshold30 = None
    if baseline_nrs is not None:
        if not (0 < baseline_nrs <= 10):
            raise InputError.at(
                "baseline_nrs",
                f"baseline pain must be above 0 and at most 10 on the NRS, got {baseline_nrs}",
            )
        threshold30 = IMMPACT_MODERATE_PCT.value / 100 * baseline_nrs
    mixes = [(lk.weights, lk.means_nrs, lk.sds_nrs**2) for lk in likelihoods]
    post = series_grid(
        mixes,
        prior_mean=prior.mean,
        prior_sd=prior.sd,
        tau_prior_scale=tau_prior_scale_nrs,
        resolution=resolution,
    )
    d_mean, d_lo, d_hi = post.delta_summary()
    t_mean, t_lo, t_hi = post.tau_summary()
    s_mean, s_lo, s_hi = post.share(mcid_nrs)
    s30 = post.share(threshold30) if threshold30 is not None else None
    patients = []
    for i, lk in enumerate(likelihoods):
        p_mean, p_lo, p_hi = post.patient_summary(i)
        patients.append(
            PatientShrinkage(lk.label, lk.summary()[0], lk.interval(), p_mean, (p_lo, p_hi))
        )
    n = len(likelihoods)
    warnings = series_warnings(
        n_trials=n,
        tau_ci=(t_lo, t_hi),
        tau_scale=tau_prior_scale_nrs,
        widened_out=post.widened >= 4,
        coarse=post.coarse,
    )
    sentence = series_sentence(
        n_trials=n,
        delta=(d_mean, d_lo, d_hi),
        tau=(t_mean, t_lo, t_hi),
        share=(s_mean, s_lo, s_hi),
        mcid_nrs=mcid_nrs,
        share30=s30,
        threshold30=threshold30,
    )
    return SeriesResult(
        n,
        d_mean,
        (d_lo, d_hi),
        t_mean,
        (t_lo, t_hi),
        s_mean,
        (s_lo, s_hi),
        mcid_nrs,
        None if s30 is None else s30[0],
        None if s30 is None else (s30[1], s30[2]),
        tuple(patients),
        prior,
        tau_prior_scale_nrs,
        sentence,
        warnings,
        baseline_nrs,
        threshold30,
    )
