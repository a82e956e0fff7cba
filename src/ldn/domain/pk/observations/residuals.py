"""The weighted-least-squares terms of the fit (tests/reference/pk/fit_pk.py)::

    PK, log scale:        r = (ln predicted - ln observed) / sigma,
                          sigma^2 = ln(1 + CV^2) / n + tau^2
    occupancy, logit:     r = (logit predicted - logit observed) / sigma

CV = SD / mean when the study reports an SD, else DEFAULT_CV; n = the number of subjects, else
DEFAULT_N; tau is the between-study spread, estimated in the fit. For occupancy, a single
subject's value has sigma = the between-subject SD of logit occupancy in Rabiner's three 5 mg
subjects (0.32); a mean +/- SD of n has sigma = SD / (p (1 - p)) / sqrt(n); a published range
counts its half-width (on the logit or log scale) as one SD.

The facts below are listed in docs/facts.md under ``pk.observations`` (the package re-exports
them, and it is walked first).
"""

from __future__ import annotations

import math

from ldn.domain.facts import Fact
from ldn.domain.pk.observations.record import Observation

__all__ = ["DEFAULT_CV", "DEFAULT_N", "RABINER_SD_LOGIT", "residual", "sigma"]

DEFAULT_CV = Fact(
    0.35,
    unit="CV",
    sources=("chinese-be-naltrexone-20", "bertolotti-1997", "ldn-assumption"),
    note="Spread assumed when a source gives none: naltrexone Cmax CV 45 % (n = 20) and AUC CV 48 % (n = 7) in the studies that report one.",
)
DEFAULT_N = Fact(
    10,
    unit="subjects",
    sources=("ldn-assumption",),
    note="Size assumed for a label or review value that gives none (a typical single-dose PK study).",
)
RABINER_SD_LOGIT = Fact(
    0.32,
    unit="logit",
    sources=("rabiner-2011", "trostheim-2022"),
    note="SD of logit occupancy of the three subjects given 5 mg (43, 46, 58 %).",
)


def _logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


def sigma(obs: Observation, tau: float) -> float:
    """The residual's standard deviation (module doc); ``tau`` applies to the log-scale (PK) terms."""
    if obs.scale == "logit":
        if obs.low is not None and obs.high is not None:
            return (_logit(obs.high) - _logit(obs.low)) / 2.0
        if obs.sd is not None and obs.value is not None and obs.n:
            p = obs.value
            return obs.sd / (p * (1 - p)) / math.sqrt(obs.n)
        return RABINER_SD_LOGIT.value
    if obs.low is not None and obs.high is not None:
        return math.log(obs.high / obs.low) / 2.0
    assert obs.value is not None
    cv = obs.sd / obs.value if obs.sd is not None else DEFAULT_CV.value
    n = obs.n or DEFAULT_N.value
    return math.sqrt(math.log1p(cv * cv) / n + tau * tau)


def residual(obs: Observation, predicted: float, tau: float) -> float:
    """(transformed predicted - transformed observed) / sigma."""
    assert obs.value is not None
    if obs.scale == "logit":
        return (_logit(predicted) - _logit(obs.value)) / sigma(obs, tau)
    return (math.log(predicted) - math.log(obs.value)) / sigma(obs, tau)
