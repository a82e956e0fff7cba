"""The (rho, log sigma) quadrature grid of the N-of-1 posterior, with trapezoid weights.

The priors are flat on the grid's coordinates: rho ~ U(rho_min, rho_max) and log sigma ~
U(log sigma_min, log sigma_max) (Jeffreys for a scale, truncated). The posterior integral over
the box is approximated by the composite trapezoid rule on a product grid,

    int f(rho, s) d rho d s ~ sum_ij a_i b_j f(rho_i, s_j),
    a_i = (rho_{i+1} - rho_{i-1}) / 2 (interior),  a_0 = (rho_1 - rho_0) / 2,  a_end likewise,

and likewise b on equally spaced log sigma nodes. The half weights at the ends matter when the
posterior reaches the edge of the prior (a strongly autocorrelated diary puts its mass near
rho = 0.95): equal node weights gave the end node a full cell, prior mass out to 0.975, and
moved the interval by up to 0.15 points (issue 24).

The rho nodes are equally spaced in Fisher's z = atanh(rho), so they crowd towards |rho| -> 1,
where the conditional posterior of delta changes fastest with rho (near a random walk the
effect is estimated from the jumps at period boundaries); the trapezoid weights above follow
the unequal spacing, so the prior stays uniform in rho. The rule is second order in the node
spacing (its error falls 4-fold per halving; for a peak well inside the box it is far smaller,
the trapezoid rule on a Gaussian being spectrally accurate). ``refined(k)`` puts k - 1 new
nodes in every cell (nested), for the convergence test in
tests/unit/nof1/test_nof1_likelihood.py. Default 45 x 81 nodes: against a 401 x 401 grid the
mean, SD and 95 % limits of delta were within 0.004 points on simulated trials with rho from
-0.9 to 0.95 (the largest errors at rho 0.95, sigma 0.5).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["DEFAULT_GRID", "QuadratureGrid", "trapezoid_weights"]


def trapezoid_weights(nodes: np.ndarray) -> np.ndarray:
    """Composite trapezoid weights for (possibly unequally) spaced, increasing ``nodes``."""
    x = np.asarray(nodes, dtype=np.float64)
    h = np.diff(x)
    w = np.zeros_like(x)
    w[:-1] += h / 2
    w[1:] += h / 2
    return w


@dataclass(frozen=True, slots=True)
class QuadratureGrid:
    n_rho: int = 45
    n_log_sigma: int = 81
    rho_min: float = -0.9
    rho_max: float = 0.95
    sigma_min_nrs: float = 0.05
    sigma_max_nrs: float = 5.0

    @property
    def rho(self) -> np.ndarray:
        """Nodes equally spaced in atanh(rho), ends exactly at rho_min and rho_max."""
        z = np.linspace(np.arctanh(self.rho_min), np.arctanh(self.rho_max), self.n_rho)
        return np.asarray(np.tanh(z))

    @property
    def log_sigma(self) -> np.ndarray:
        return np.linspace(np.log(self.sigma_min_nrs), np.log(self.sigma_max_nrs), self.n_log_sigma)

    def log_weights(self) -> np.ndarray:
        """log of the product trapezoid weights, shape (n_rho, n_log_sigma)."""
        a = trapezoid_weights(self.rho)
        b = trapezoid_weights(self.log_sigma)
        return np.asarray(np.log(a)[:, None] + np.log(b)[None, :])

    def refined(self, factor: int) -> QuadratureGrid:
        """The same box with ``factor`` times as many cells in each direction (nodes nested)."""
        if factor < 1:
            raise ValueError("factor must be a positive integer")
        return QuadratureGrid(
            factor * (self.n_rho - 1) + 1,
            factor * (self.n_log_sigma - 1) + 1,
            self.rho_min,
            self.rho_max,
            self.sigma_min_nrs,
            self.sigma_max_nrs,
        )


DEFAULT_GRID = QuadratureGrid()
