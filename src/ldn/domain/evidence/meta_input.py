"""The input of the meta-analysis (:mod:`ldn.domain.evidence.meta`): effects y_i and their
sampling variances v_i, checked and scaled.

Stated range (double precision, not a clinical limit): |yi| <= 1e100 and vi <= 1e200; every vi
within a factor 1e40 of the median vi, every yi within 1e40 median standard errors of the
median yi. Inside it the data are centred and scaled (z = (y - median y) / s, u = v / s^2 with
s^2 ~ median v, a power of 2), which every estimator here is equivariant to, so no sum overflows or loses
digits; outside it validate_effects raises an InputError naming the row, the field and the fix.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from ldn.domain.errors import InputError, Problem

Floats = Sequence[float] | NDArray[np.float64]

__all__ = [
    "EFFECT_MAX",
    "SPREAD_MAX",
    "VARIANCE_MAX",
    "Floats",
    "range_problems",
    "scaled",
    "validate_effects",
]

#: the stated range (double precision): |yi|, vi, and the spread relative to the median
EFFECT_MAX = 1e100
VARIANCE_MAX = 1e200
SPREAD_MAX = 1e40


def range_problems(y: np.ndarray, v: np.ndarray, loc: Callable[[int, str], str]) -> list[Problem]:
    """Values outside the stated range (module docstring), at most one problem per cell;
    ``loc(i, "yi")`` names the cell (row i, 0-based)."""
    y_abs, v_abs = ~(np.abs(y) <= EFFECT_MAX), ~(v <= VARIANCE_MAX)
    c = float(np.median(y[~y_abs])) if not y_abs.all() else 0.0
    med_v = float(np.median(v[~v_abs])) if not v_abs.all() else 1.0
    sd = math.sqrt(med_v)
    with np.errstate(all="ignore"):
        y_rel = ~y_abs & (np.abs(y - c) > SPREAD_MAX * sd)
        v_rel = ~v_abs & ((v < med_v / SPREAD_MAX) | (v > med_v * SPREAD_MAX))
    fix = "check the value and its units"
    out = []
    for i in map(int, np.flatnonzero(y_abs | y_rel | v_abs | v_rel)):
        if y_abs[i]:
            out.append(
                Problem(
                    loc(i, "yi"),
                    f"{y[i]:g} is outside the range ldn computes with (|yi| <= {EFFECT_MAX:g})",
                    fix,
                )
            )
        elif y_rel[i]:
            out.append(
                Problem(
                    loc(i, "yi"),
                    f"{y[i]:g} is more than {SPREAD_MAX:g} median standard errors ({sd:.3g}) "
                    f"from the median effect {c:.3g}",
                    f"{fix}; ldn pools effects within that range",
                )
            )
        if v_abs[i]:
            out.append(
                Problem(
                    loc(i, "vi"),
                    f"{v[i]:g} is outside the range ldn computes with (vi <= {VARIANCE_MAX:g})",
                    fix,
                )
            )
        elif v_rel[i]:
            side = "smaller" if v[i] < med_v else "larger"
            out.append(
                Problem(
                    loc(i, "vi"),
                    f"{v[i]:g} is more than {SPREAD_MAX:g} times {side} than the median "
                    f"variance {med_v:.3g}",
                    f"{fix}; ldn pools variances within that factor",
                )
            )
    return out


def _in_range(y: np.ndarray, v: np.ndarray) -> bool:
    """A sufficient check that no value is outside the stated range (min/max only: the median
    lies between them), so that :func:`range_problems` runs only when something may be."""
    v_min, v_max = float(v.min()), float(v.max())
    return (
        float(np.abs(y).max()) <= EFFECT_MAX
        and v_max <= VARIANCE_MAX
        and v_max <= SPREAD_MAX * v_min
        and float(np.ptp(y)) <= SPREAD_MAX * math.sqrt(v_min)
    )


def validate_effects(
    yi: Floats, vi: Floats, *, labels: Sequence[str] | None = None, min_k: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(yi, dtype=np.float64)
    v = np.asarray(vi, dtype=np.float64)
    if y.shape != v.shape or y.ndim != 1:
        raise InputError.at(
            "yi,vi",
            "effects and variances must be two lists of the same length",
            "give one yi and one vi per study",
        )
    finite = bool(np.isfinite(y).all()) and bool((np.isfinite(v) & (v > 0)).all())
    if not (finite and (len(y) == 0 or _in_range(y, v))):
        names = list(labels) if labels is not None else [str(i + 1) for i in range(len(y))]
        problems = [
            Problem(f"row {i + 1} ({names[i]}).yi", "is not a number", "give a finite effect")
            for i in np.flatnonzero(~np.isfinite(y))
        ]
        problems += [
            Problem(
                f"row {i + 1} ({names[i]}).vi",
                f"variance must be positive and finite, got {v[i]}",
                "give vi > 0",
            )
            for i in np.flatnonzero(~(np.isfinite(v) & (v > 0)))
        ]
        if not problems:
            problems = range_problems(y, v, lambda i, col: f"row {i + 1} ({names[i]}).{col}")
        if problems:
            raise InputError(problems)
    if len(y) < min_k:
        raise InputError.at(
            "k",
            f"{len(y)} studies; this model needs at least {min_k}",
            "add studies or use --method FE",
        )
    return y, v


def scaled(y: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float]:
    """(z, u, c, s): z = (y - c) / s, u = v / s^2 with c = median y and s the power of 2 nearest
    sqrt(median v) (so that dividing by s and s^2 is exact, even for subnormal variances)."""
    e = round(math.log2(float(np.median(v))) / 2)
    c, s = float(np.median(y)), math.ldexp(1.0, e)
    return (y - c) / s, v / math.ldexp(1.0, 2 * e), c, s
