"""Plain words for the pooled N-of-1 results (ldn.domain.nof1.hierarchy, network)."""

from __future__ import annotations

__all__ = ["SMALL_SERIES", "network_sentence", "series_sentence", "series_warnings"]

SMALL_SERIES = 5  # ldn wording choice: fewer trials than this are called "only N trials"
HALF_NORMAL_95_WIDTH = 2.2095  # width of the central 95 % of half-normal(1): 2.2414 - 0.0313
JUDGEMENT = "These figures support clinical judgement; they do not replace it."


def _pct(p: float) -> str:
    if p < 0.01:
        return "under 1%"
    if p > 0.99:
        return "over 99%"
    return f"{p:.0%}"


def _end(v: float) -> str:
    if abs(v) < 0.05:
        return "no change"
    return f"{abs(v):.1f} {'lower' if v < 0 else 'higher'}"


def _effect(n: int, what: str, delta: tuple[float, float, float]) -> str:
    mean, lo, hi = delta
    verb = "lowered" if mean < 0 else "raised"
    return (
        f"In {n} blinded {what} LDN {verb} pain by {abs(mean):.1f} points on average "
        f"(95% interval: {_end(lo)} to {_end(hi)})"
    )


def _size_notes(delta: tuple[float, float, float], mcid_nrs: float) -> list[str]:
    mean, lo, hi = delta
    out = []
    if lo < 0 < hi:
        out.append("The trials cannot tell whether LDN lowers pain on average.")
    if abs(mean) < mcid_nrs / 2:
        out.append(
            f"The average effect is small: less than half of the {mcid_nrs:g}-point change "
            "most people notice."
        )
    return out


def series_sentence(
    *,
    n_trials: int,
    delta: tuple[float, float, float],
    tau: tuple[float, float, float],
    share: tuple[float, float, float],
    mcid_nrs: float,
    share30: tuple[float, float, float] | None,
    threshold30: float | None,
) -> str:
    """The series result in plain words; small numbers (few trials, small effects) said so."""
    text = _effect(n_trials, "trials", delta) + (
        f"; an estimated {_pct(share[0])} of patients benefit by at least {mcid_nrs:g} point"
        f"{'' if mcid_nrs == 1 else 's'} (95% interval: {_pct(share[1])} to {_pct(share[2])})"
    )
    if share30 is not None and threshold30 is not None:
        text += (
            f", and {_pct(share30[0])} by at least 30% of their baseline pain ({threshold30:.1f} "
            f"points; 95% interval: {_pct(share30[1])} to {_pct(share30[2])})"
        )
    text += (
        f". How much patients differ: the effect's spread between patients (SD) is about "
        f"{tau[0]:.1f} points (95% interval: {tau[1]:.1f} to {tau[2]:.1f})."
    )
    notes = _size_notes(delta, mcid_nrs)
    if n_trials < SMALL_SERIES:
        notes.insert(0, f"With only {n_trials} trials these figures are rough.")
    return " ".join([text, *notes, JUDGEMENT])


def series_warnings(
    *,
    n_trials: int,
    tau_ci: tuple[float, float],
    tau_scale: float,
    widened_out: bool,
    coarse: bool = False,
) -> tuple[str, ...]:
    out = []
    if n_trials < SMALL_SERIES:
        out.append(
            f"Only {n_trials} trials: the average is uncertain and the spread between patients "
            "rests mostly on the assumed prior. Pool again when more trials are complete."
        )
    if tau_ci[1] - tau_ci[0] > 0.8 * HALF_NORMAL_95_WIDTH * tau_scale:
        out.append(
            "The trials say little about how much patients differ: the spread shown is largely "
            f"ldn's assumed prior (half-normal, scale {tau_scale:g} points), and so is the "
            "share of patients who benefit."
        )
    if coarse:
        out.append(
            "The trials differ greatly in precision, so a coarser computation grid was used: "
            "figures may be off by a few hundredths of a point."
        )
    if widened_out:
        out.append(
            "The posterior reached the edge of the computation grid: figures may be slightly off."
        )
    return tuple(out)


def network_sentence(
    *,
    n_clinics: int,
    n_trials: int,
    delta: tuple[float, float, float],
    share: tuple[float, float, float],
    mcid_nrs: float,
) -> str:
    text = _effect(n_trials, f"trials in {n_clinics} clinics,", delta) + (
        f"; an estimated {_pct(share[0])} of patients benefit by at least {mcid_nrs:g} point"
        f"{'' if mcid_nrs == 1 else 's'} (95% interval: {_pct(share[1])} to {_pct(share[2])})."
    )
    notes = _size_notes(delta, mcid_nrs)
    if n_trials < SMALL_SERIES or n_clinics < 3:
        notes.insert(
            0, f"With only {n_trials} trials in {n_clinics} clinics these figures are rough."
        )
    return " ".join([text, *notes, JUDGEMENT])
