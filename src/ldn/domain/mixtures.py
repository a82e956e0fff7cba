"""Quantiles of a weighted mixture of normals (the posteriors computed by quadrature)."""

from __future__ import annotations

import numpy as np
from scipy import special

__all__ = ["normal_mixture_quantile"]


def normal_mixture_quantile(
    weights: np.ndarray, means: np.ndarray, sds: np.ndarray, q: float, *, iterations: int = 80
) -> float:
    """x with sum_i w_i Phi((x - m_i) / s_i) = q, by bisection (weights sum to 1)."""
    lo, hi = float(np.min(means - 8 * sds)), float(np.max(means + 8 * sds))
    for _ in range(iterations):
        mid = (lo + hi) / 2
        if float(np.sum(weights * special.ndtr((mid - means) / sds))) < q:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2
