"""Parameter uncertainty of the fitted model, kept apart from between-person variability.

The fit (tests/reference/pk/fit_pk.py) gives a Laplace approximation of the posterior: the
transformed parameters x (log of each apparent parameter; logit of phi) are normal around the
fitted values with covariance (J'J)^-1, J the Jacobian of the weighted residuals including the
prior rows. The pharmacokinetic and the binding parameters were fitted in two stages, so their
covariances are separate blocks (the binding fit is conditional on the fitted pharmacokinetics).

A prediction for people not yet studied also carries the spread between studies: the fit
estimated it as tau, the SD of log exposure between study populations (at the same dose, the
published Cmax and AUC values differ by up to 2.5-fold). :func:`draw` multiplies all
concentrations of a draw by exp(N(0, tau^2)) when ``between_study`` is set, by dividing every
apparent volume and clearance by that factor (a different F).
"""

from __future__ import annotations

from dataclasses import fields

import numpy as np

from ldn.domain.facts import Fact
from ldn.domain.pk.occupancy import BINDING, BindingParameters
from ldn.domain.pk.parameters import PARAMETER_SETS, PkParameters

__all__ = ["BETWEEN_STUDY_SD", "PD_LOG_COVARIANCE", "PK_LOG_COVARIANCE", "PK_ORDER", "draw"]

PK_ORDER = tuple(f.name for f in fields(PkParameters) if f.name != "name")
_SOURCES = (
    "swiss-fachinfo-naltrexon",
    "chinese-be-naltrexone",
    "bertolotti-1997",
    "johnson-2010",
    "wall-1981",
    "yancey-wrona-2011",
    "ldn-assumption",
)

PK_LOG_COVARIANCE = Fact(
    (
        (0.09272, 0.06004, -0.006505, -0.08591, -0.05918, -0.0461, 0.0411, -0.01703, -0.08829, -0.06175),
        (0.06004, 0.05946, -0.005557, -0.07408, -0.052, -0.03015, 0.027, -0.01112, -0.05753, -0.04028),
        (-0.006505, -0.005557, 0.01142, 0.01142, 0.008829, 0.00431, -0.0005468, 0.002209, 0.01031, 0.006145),
        (-0.08591, -0.07408, 0.01142, 0.2042, 0.1365, 0.05205, -0.0278, 0.02013, 0.08124, 0.05504),
        (-0.05918, -0.052, 0.008829, 0.1365, 0.1429, 0.03939, -0.01806, 0.01373, 0.05577, 0.03554),
        (-0.0461, -0.03015, 0.00431, 0.05205, 0.03939, 2.118, 0.2965, -0.006067, 0.1391, -0.02498),
        (0.0411, 0.027, -0.0005468, -0.0278, -0.01806, 0.2965, 0.1099, -0.01387, -0.05935, -0.06815),
        (-0.01703, -0.01112, 0.002209, 0.02013, 0.01373, -0.006067, -0.01387, 0.03927, 0.03419, 0.05219),
        (-0.08829, -0.05753, 0.01031, 0.08124, 0.05577, 0.1391, -0.05935, 0.03419, 0.3349, 0.1621),
        (-0.06175, -0.04028, 0.006145, 0.05504, 0.03554, -0.02498, -0.06815, 0.05219, 0.1621, 0.1674),
    ),
    unit="covariance of log parameters (logit for phi), order PK_ORDER",
    sources=_SOURCES,
    note="Laplace approximation at the fit (weak priors included); phi is barely informed by the data (its SD 1.46 on the logit scale is the prior's 1.5).",
)  # fmt: skip
PD_LOG_COVARIANCE = Fact(
    ((0.007825, 0.006071), (0.006071, 0.02304)),
    unit="covariance of log kon, log koff",
    sources=(
        "rabiner-2011",
        "swiss-fachinfo-naltrexon",
        "lee-1988",
        "weerts-2008",
        "ldn-assumption",
    ),
    note="Laplace approximation of the binding fit, conditional on the fitted pharmacokinetics.",
)
BETWEEN_STUDY_SD = Fact(
    0.1736,
    unit="SD of log exposure between study populations",
    sources=_SOURCES,
    note="tau, estimated with the pharmacokinetic fit (profile likelihood); applied to predictions for a new population.",
)

_SCALE = ("v1_l", "cl_l_per_h", "q_l_per_h", "v2_l", "vm_l", "clm_l_per_h", "qm_l_per_h", "vm2_l")


#: keeps logs finite for the older parameter sets (first-pass share exactly 0 or 1, zero rates)
_PHI_EPS = 1e-9


def _to_x(p: PkParameters) -> np.ndarray:
    phi = min(max(p.phi, _PHI_EPS), 1.0 - _PHI_EPS)
    # a zero rate (a one-compartment older set) stays effectively zero: log of a tiny positive value
    return np.array(
        [
            np.log(phi / (1 - phi)) if k == "phi" else np.log(max(getattr(p, k), _PHI_EPS))
            for k in PK_ORDER
        ]
    )


def draw(
    n: int,
    *,
    seed: int,
    pk: PkParameters | None = None,
    binding: BindingParameters | None = None,
    between_study: bool = True,
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """``n`` draws of the pharmacokinetic parameters (dict of (n,) arrays, keys PK_ORDER) and of
    kon, koff from the approximate posterior (optionally with the between-study spread)."""
    pk = pk or PARAMETER_SETS["recommended"]
    binding = binding or BINDING
    rng = np.random.default_rng(seed)
    x = rng.multivariate_normal(
        _to_x(pk), np.asarray(PK_LOG_COVARIANCE.value), size=n, method="cholesky"
    )
    out = {
        k: (1.0 / (1.0 + np.exp(-x[:, i])) if k == "phi" else np.exp(x[:, i]))
        for i, k in enumerate(PK_ORDER)
    }
    if between_study:
        factor = np.exp(rng.normal(0.0, BETWEEN_STUDY_SD.value, n))
        for k in _SCALE:
            out[k] = out[k] / factor
    b = rng.multivariate_normal(
        np.log([binding.kon_per_nm_h, binding.koff_per_h]),
        np.asarray(PD_LOG_COVARIANCE.value),
        size=n,
        method="cholesky",
    )
    return out, np.exp(b[:, 0]), np.exp(b[:, 1])
