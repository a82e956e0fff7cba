"""The clinic outcomes' charts as SVG text with a text alternative (see :mod:`ldn.services.standalone.visuals`)."""

from __future__ import annotations

from typing import Any

from ldn.services.standalone.visuals import Chart, _svg

__all__ = ["outcome_charts"]


def outcome_charts(section: dict[str, Any]) -> dict[str, Chart]:
    """Charts for one condition's section of :func:`ldn.services.clinic.outcomes.clinic_outcomes`:
    ``response`` and ``stopping`` (Kaplan-Meier) and ``forest`` (the pooled N-of-1 series)."""
    from ldn.charts.outcomes import plot_forest, plot_km

    out: dict[str, Chart] = {}
    ttr, tts = section.get("time_to_response"), section.get("time_to_stopping")
    if ttr and ttr["n"]:
        out["response"] = _svg(
            lambda p: plot_km(ttr, p, cumulative=True, ylabel="% with 30% less pain")
        )
    if tts and tts["n"]:
        out["stopping"] = _svg(lambda p: plot_km(tts, p, cumulative=False, ylabel="% still on LDN"))
    pooled = section.get("pooled_nof1") or {}
    if pooled.get("patients"):
        out["forest"] = _svg(lambda p: plot_forest(pooled, p))
    return out
