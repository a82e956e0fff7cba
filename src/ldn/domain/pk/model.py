"""Closed-form exposure: a linear compartment model solved by partial fractions, with superposition.

Structure (all parameters apparent, i.e. divided by the oral bioavailability F of naltrexone)::

    gut --ka--> NTX central (V1) <--Q--> NTX peripheral (V2)
     |                 |
     |                 +--CL (1 - phi of it forms 6BN)--> 6BN central (Vm) <--Qm--> 6BN peripheral (Vm2)
     +--ka, phi of the 6BN formed (presystemic, first pass)----^                 |
                                                                                 +--CLm-->

A dose D (mg base) is absorbed at rate ka. All of it reaches the apparent NTX compartment; the
6-beta-naltrexol (6BN) formed from it is counted in "formation units": a fraction ``phi`` is formed
during the first pass (entering 6BN central at the absorption rate) and ``1 - phi`` from systemic
NTX as it is cleared. Because F and the fraction metabolised to 6BN are not identifiable from plasma
data, Vm, CLm, Qm and Vm2 are apparent values per unit of 6BN formed. In Laplace form, per mg::

    C_ntx(s) = 1000 ka / V1 * (s + k21) / ((s + ka)(s + a)(s + b))
    C_6bn(s) = 1000 r / Vm * [phi ka (s + a)(s + b) + (1 - phi) k10 ka (s + k21)] (s + k43)
               / ((s + ka)(s + a)(s + b)(s + l1)(s + l2))

with k10 = CL/V1, k12 = Q/V1, k21 = Q/V2; a, b the roots of s^2 - (k10 + k12 + k21) s + k10 k21
(NTX distribution and elimination rates); km = CLm/Vm, k34 = Qm/Vm, k43 = Qm/Vm2 and l1, l2 the
roots of s^2 - (km + k34 + k43) s + km k43; r = 343.42/341.41 turns mg of naltrexone into mg of
6BN (one molecule each); concentrations in ng/mL (mg/L x 1000). A rational function
N(s) / prod_j (s + lambda_j) with distinct lambda_j is the sum of exponentials
sum_j N(-lambda_j) / prod_{k != j} (lambda_k - lambda_j) * exp(-lambda_j t) (partial fractions,
the inverse Laplace transform by residues), so each analyte is

    C(t) = sum_j c_j sum_i D_i exp(-lambda_j (t - t_i))      over doses with t_i <= t,

five rates for 6BN (ka, a, b, l1, l2), three for NTX. A one-compartment model is the special case
Q = 0 (then k21 only names a pole that cancels against the numerator); likewise Qm = 0 for 6BN.

The inner sums are computed with a recurrence over doses, S_j = D_j + S_{j-1} exp(-lambda (t_j -
t_{j-1})), so P patients on N doses over T grid points cost O(P (N + T)) per rate: no ODE solver
and no P x T x N array. When the grid repeats itself between doses (a regular grid with doses on
grid points, as in every chart), the T points are blocks of the same phases tau_k and the sum over
rates is one matrix product per patient and analyte, C[i, k] = sum_j (c_j S_ij) exp(-lambda_j tau_k)
((N, R) x (R, K)), taken over blocks of patients small enough for their operands to stay in cache.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "MG_6BN_PER_MG_NTX",
    "NG_PER_ML_PER_MG_PER_L",
    "DoseGrid",
    "ImpulseResponse",
    "auc_0_t",
    "conc_at",
    "exp_sum_from",
    "impulse_response",
    "residues",
    "superpose",
]

FloatArray = NDArray[np.float64]

#: mg of 6-beta-naltrexol per mg of naltrexone converted (molar masses 343.42 and 341.41 g/mol)
MG_6BN_PER_MG_NTX = 343.42 / 341.41


#: ng/mL per mg/L (a unit conversion: 1 mg/L = 1000 ng/mL)
NG_PER_ML_PER_MG_PER_L = 1000.0
#: gather exp(-k * phase) from the distinct phases only when each one recurs at least this many
#: times on average (a speed choice: below it, exp on every point is as cheap as the gather)
_GATHER_MIN_REPEATS = 4
#: patients per block of superpose: their exponentials (B x 5 x K) and weighted dose sums
#: (5 x B x N) stay in the L2 cache from one analyte to the next (a speed choice)
_BLOCK_PATIENTS = 128


@dataclass(frozen=True)
class DoseGrid:
    """Where each time point sits relative to the doses, computed once per regimen and grid.

    Built as ``DoseGrid(times_h, dose_times_h)``, both in hours (dose times sorted);
    ``batched=False`` turns the batched-matrix path off (``blocks`` None). Every other field is
    derived:

    * ``before[t]``: t precedes every dose (the concentration there is 0);
    * ``idx[t]``: the last dose at or before t (0 where ``before[t]``);
    * ``phases``, ``phase_inv``: the distinct times since that dose (h, rounded to 1e-9 h) and
      each point's index into them: on a regular grid with doses on grid points they are few, so
      exp(-k * phase) is evaluated once per distinct phase and gathered;
    * ``gaps``: the intervals between doses (h);
    * ``blocks``: set when the sorted grid splits into one block per dose whose phases are
      identical (the last block may differ): (points before the first dose, the common phases,
      the last block's phases); then the sum over rates is a batched matrix product;
    * ``last_is_body``: the last block's phases are exactly the common ones (one product for all).
    """

    times_h: FloatArray
    dose_times_h: FloatArray
    batched: bool = True
    before: NDArray[np.bool_] = field(init=False, repr=False)
    idx: NDArray[np.intp] = field(init=False, repr=False)
    phases: FloatArray = field(init=False, repr=False)
    phase_inv: NDArray[np.intp] = field(init=False, repr=False)
    gaps: FloatArray = field(init=False, repr=False)
    blocks: tuple[int, FloatArray, FloatArray] | None = field(init=False, repr=False)
    last_is_body: bool = field(init=False, repr=False)

    def __post_init__(self) -> None:
        times = np.asarray(self.times_h, dtype=np.float64)
        doses = np.asarray(self.dose_times_h, dtype=np.float64)
        idx = np.searchsorted(doses, times, side="right") - 1
        before = idx < 0
        idx = np.where(before, 0, idx)
        phase = times - doses[idx]
        phases, phase_inv = np.unique(np.round(phase, 9), return_inverse=True)
        derived = {
            "times_h": times,
            "dose_times_h": doses,
            "before": before,
            "idx": idx,
            "phases": phases,
            "phase_inv": phase_inv,
            "gaps": np.diff(doses),
        }
        for name, value in derived.items():
            object.__setattr__(self, name, value)
        blocks = self._blocks(phase) if self.batched else None
        object.__setattr__(self, "blocks", blocks)
        last_is_body = (
            blocks is not None and len(doses) > 1 and np.array_equal(blocks[1], blocks[2])
        )
        object.__setattr__(self, "last_is_body", last_is_body)

    @property
    def gathers(self) -> bool:
        """Whether exp(-k * phase) is gathered from the distinct phases (_GATHER_MIN_REPEATS)."""
        return len(self.phases) * _GATHER_MIN_REPEATS < len(self.times_h)

    def _blocks(self, phase: FloatArray) -> tuple[int, FloatArray, FloatArray] | None:
        """(leading points before the first dose, common phases, phases of the last block)."""
        t, n = self.times_h, len(self.dose_times_h)
        if len(t) == 0 or np.any(np.diff(t) < 0) or np.any(self.gaps <= 0):
            return None
        lead = int(np.count_nonzero(self.before))
        counts = np.bincount(self.idx[lead:], minlength=n)
        if n == 1:
            return lead, phase[lead:lead], phase[lead:]
        if np.any(counts[:-1] != counts[0]) or counts[0] == 0:
            return None
        k = int(counts[0])
        body = phase[lead : lead + k * (n - 1)].reshape(n - 1, k)
        if not np.allclose(body, body[0], rtol=0, atol=1e-9):
            return None
        return lead, body[0].copy(), phase[lead + k * (n - 1) :]


def _dose_sums(grid: DoseGrid, doses: FloatArray, rates: FloatArray) -> FloatArray:
    """S_j = D_j + S_{j-1} exp(-k gap_j) for every rate k of every patient: the dose sums just
    after each dose, shape (R, P, N) (each step of the recurrence one pass over all patients).
    ``doses`` (mg): one per dose (N,) or per patient and dose (P, N)."""
    p, r = rates.shape
    n = len(grid.dose_times_h)
    d = np.broadcast_to(np.asarray(doses, dtype=np.float64), (p, n)).T  # (N, P)
    s = np.empty((r, p, n))
    s[:, :, 0] = d[0]
    decay = np.empty((r, p))
    for j in range(1, n):
        if j == 1 or grid.gaps[j - 1] != grid.gaps[j - 2]:  # regular dosing: one exp in all
            np.exp(np.multiply(rates.T, -grid.gaps[j - 1], out=decay), out=decay)
        np.multiply(s[:, :, j - 1], decay, out=s[:, :, j])
        s[:, :, j] += d[j]
    return s


def _used_rates(c: FloatArray) -> slice:
    """The rates from the first to the last whose coefficient is non-zero for some patient
    (naltrexone: the first three of five); those outside add nothing and are skipped."""
    used = np.flatnonzero(np.any(c != 0.0, axis=0))
    return slice(int(used[0]), int(used[-1]) + 1) if len(used) else slice(0, 0)


@dataclass(frozen=True, slots=True)
class ImpulseResponse:
    """Per-mg responses as sums of exponentials: ``rates`` (P, R) and one coefficient array (P, R)
    per analyte, in ng/mL per mg base (a coefficient is 0 where an analyte lacks that rate)."""

    rates: FloatArray
    ntx: FloatArray
    bn: FloatArray


def _quad_roots(s: FloatArray, p: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Roots of x^2 - s x + p (both real and positive for a compartment model)."""
    disc = np.sqrt(np.maximum(s * s - 4.0 * p, 0.0))
    return (s + disc) / 2.0, (s - disc) / 2.0


def _separate(rates: FloatArray) -> FloatArray:
    """Move rates that coincide (relative 1e-7) apart by a relative 1e-6, far below data precision:
    partial fractions need distinct poles (the coincident case is the limit of these)."""
    rates = rates.copy()
    for j in range(1, rates.shape[1]):
        for k in range(j):
            close = np.abs(rates[:, j] - rates[:, k]) <= 1e-7 * np.maximum(rates[:, j], rates[:, k])
            rates[:, j] = np.where(close, rates[:, j] * (1.0 + 1e-6 * (j + 1)), rates[:, j])
    return rates


def residues(numerator: list[FloatArray], rates: FloatArray) -> FloatArray:
    """Coefficients c_j of exp(-rates_j t) for N(s) / prod_j (s + rates_j).

    ``numerator`` holds N's coefficients, highest power first, each a scalar or a (P,) array;
    c_j = N(-rates_j) / prod_{k != j} (rates_k - rates_j) (distinct rates)."""
    out = np.empty_like(rates)
    for j in range(rates.shape[1]):
        s = -rates[:, j]
        num = np.zeros_like(s)
        for c in numerator:
            num = num * s + c
        den = np.ones_like(s)
        for k in range(rates.shape[1]):
            if k != j:
                den = den * (rates[:, k] - rates[:, j])
        out[:, j] = num / den
    return out


def impulse_response(
    *,
    ka_per_h: FloatArray,
    v1_l: FloatArray,
    cl_l_per_h: FloatArray,
    q_l_per_h: FloatArray,
    v2_l: FloatArray,
    phi: FloatArray,
    vm_l: FloatArray,
    clm_l_per_h: FloatArray,
    qm_l_per_h: FloatArray,
    vm2_l: FloatArray,
) -> ImpulseResponse:
    """The exponentials and coefficients of both analytes for (P,) parameter arrays (module doc)."""
    ka = np.atleast_1d(np.asarray(ka_per_h, dtype=np.float64))
    v1, cl, q, v2 = (
        np.broadcast_to(np.asarray(x, dtype=np.float64), ka.shape)
        for x in (v1_l, cl_l_per_h, q_l_per_h, v2_l)
    )
    ph, vm, clm, qm, vm2 = (
        np.broadcast_to(np.asarray(x, dtype=np.float64), ka.shape)
        for x in (phi, vm_l, clm_l_per_h, qm_l_per_h, vm2_l)
    )
    k10 = cl / v1
    k12 = q / v1
    # Q = 0 is one compartment: k21 then only names a pole that cancels against the numerator, so it
    # is put above every other rate (a coincidence would need the limit form of partial fractions)
    k21 = np.where(q > 0, q / np.where(q > 0, v2, 1.0), k10 + ka + 1.0)
    a, b = _quad_roots(k10 + k12 + k21, k10 * k21)
    km = clm / vm
    k34 = qm / vm
    k43 = np.where(qm > 0, qm / np.where(qm > 0, vm2, 1.0), ka + a + km + 1.0)
    l1, l2 = _quad_roots(km + k34 + k43, km * k43)
    rates = _separate(np.stack([ka, a, b, l1, l2], axis=1))
    ntx = np.zeros_like(rates)
    ntx[:, :3] = (
        residues([np.ones_like(ka), k21], rates[:, :3])
        * (NG_PER_ML_PER_MG_PER_L * ka / v1)[:, None]
    )
    # 6BN numerator [phi ka (s + a)(s + b) + (1 - phi) k10 ka (s + k21)] (s + k43), expanded
    pre, post = ph * ka, (1.0 - ph) * k10 * ka
    q2, q1, q0 = pre, pre * (a + b) + post, pre * a * b + post * k21
    num = [q2, q2 * k43 + q1, q1 * k43 + q0, q0 * k43]
    bn = residues(num, rates) * (NG_PER_ML_PER_MG_PER_L * MG_6BN_PER_MG_NTX / vm)[:, None]
    return ImpulseResponse(rates, ntx, bn)


def superpose(
    grid: DoseGrid,
    doses_base_mg: FloatArray,
    rates: FloatArray,
    coefs: list[FloatArray],
    out: list[FloatArray] | None = None,
) -> list[FloatArray]:
    """C(t) = sum_j c_j sum_i D_i exp(-rate_j (t - t_i)) for each coefficient array -> (P, T) each.

    Patients go in blocks of _BLOCK_PATIENTS whose exponentials and weighted sums (buffers reused
    from block to block) stay in cache; exp(-rate * phase) is evaluated once per block for every
    analyte, and an analyte's rates whose coefficient is 0 for every patient are skipped.
    ``out``: arrays (P, T) to write into, each written once in its own dtype: C-contiguous
    float64 ones directly, others through a float64 buffer per block, cast."""
    p, r = rates.shape
    t = len(grid.times_h)
    outs = out if out is not None else [np.empty((p, t)) for _ in coefs]
    sums = _dose_sums(grid, doses_base_mg, rates)  # (R, P, N)
    used = [_used_rates(c) for c in coefs]
    size = min(p, _BLOCK_PATIENTS)
    weighted = np.empty((r, size, sums.shape[2]))
    phases = grid.blocks[1] if grid.blocks is not None else grid.phases[:0]
    e_buf = np.empty((size, r, len(phases)))
    minus_phases = -phases
    direct = [o.dtype == np.float64 and o.flags.c_contiguous for o in outs]
    buf = np.empty((0 if all(direct) else size, t))  # float64 rows of a block, to be cast
    for lo in range(0, p, _BLOCK_PATIENTS):
        rows = slice(lo, min(lo + _BLOCK_PATIENTS, p))
        b = rows.stop - lo
        e = np.multiply(rates[rows, :, None], minus_phases, out=e_buf[:b])
        np.exp(e, out=e)  # exp(-rate_j tau_k), (B, R, K)
        for c, cols, o, d in zip(coefs, used, outs, direct, strict=True):
            cs = weighted[cols, :b]  # c_j S_ij, (R, B, N)
            np.multiply(sums[cols, rows], c[rows, cols].T[:, :, None], out=cs)
            dst = o[rows] if d else buf[:b]
            _superpose_block(grid, rates[rows, cols], np.transpose(cs, (1, 2, 0)), e[:, cols], dst)
            if not d:
                o[rows] = dst
    return outs


def _superpose_block(
    grid: DoseGrid, rates: FloatArray, cs: FloatArray, e_body: FloatArray, dst: FloatArray
) -> None:
    """One block of patients and one analyte: its rates (B, R), c_j S_ij (B, N, R) (a view) and
    exp(-rate_j tau_k) at the common phases (B, R, K), written into dst (B, T) in float64.

    On a blocked grid the points after dose i at the common phases tau_k are
    C[i, k] = sum_j (c_j S_ij) exp(-rate_j tau_k): per patient an (N, R) x (R, K) matrix product
    written in place (the last block too when its phases are the common ones)."""
    if grid.blocks is None:
        dst[...] = 0.0
        for j in range(rates.shape[1]):
            dst += exp_sum_from(grid, cs[:, :, j], rates[:, j])
        return
    lead, phases, last = grid.blocks
    b, t, k, n = dst.shape[0], dst.shape[1], len(phases), cs.shape[1]
    body = n if grid.last_is_body else n - 1
    dst[:, :lead] = 0.0
    if body:  # a view: each row's slice is contiguous
        np.matmul(cs[:, :body], e_body, out=dst[:, lead : lead + body * k].reshape(b, body, k))
    if not grid.last_is_body and len(last):
        e_last = np.exp(np.multiply.outer(-rates, last))
        np.matmul(cs[:, -1:], e_last, out=dst[:, None, t - len(last) :])


def exp_sum_from(grid: DoseGrid, sums: FloatArray, k: FloatArray) -> FloatArray:
    """Gather precomputed dose sums (P, N) onto the grid and decay them by exp(-k phase)."""
    out = np.take(sums, grid.idx, axis=1)
    kk = np.asarray(k, dtype=np.float64)[:, None]
    if grid.gathers:
        out *= np.take(np.exp(-kk * grid.phases[None, :]), grid.phase_inv, axis=1)
    else:
        out *= np.exp(-kk * (grid.times_h - grid.dose_times_h[grid.idx])[None, :])
    out[:, grid.before] = 0.0
    return out


def conc_at(t_h: FloatArray, rates: FloatArray, coef: FloatArray) -> FloatArray:
    """Single unit dose at t = 0: sum_j c_j exp(-rate_j t) -> (P, len(t))."""
    t = np.maximum(np.atleast_1d(np.asarray(t_h, dtype=np.float64)), 0.0)
    return np.asarray(np.einsum("pr,prt->pt", coef, np.exp(-rates[:, :, None] * t[None, None, :])))


def auc_0_t(t_h: float, rates: FloatArray, coef: FloatArray) -> FloatArray:
    """Single unit dose: integral_0^t C = sum_j c_j (1 - exp(-rate_j t)) / rate_j (t = inf allowed)."""
    frac = 1.0 if np.isinf(t_h) else -np.expm1(-rates * t_h)
    return np.asarray(np.sum(coef * frac / rates, axis=1))
