"""HTML forms ↔ ldn's records. Field names are the record's own locations
(``pain.duration_months``, ``medications[0].dose``), so a validation problem lands beside the
field it names, and the form re-renders with what the user typed."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData

from ldn.domain.errors import InputError

__all__ = ["MED_ROWS", "errors_by_field", "record_from_form", "values"]

MED_ROWS = 4
_BOOL = ("pregnant", "breastfeeding")
_SSS = ("fatigue", "waking_unrefreshed", "cognitive_symptoms")
_SYMPTOMS = ("headaches", "lower_abdominal_pain_or_cramps", "depression")
_ICHD_INT = ("headache_days_per_month", "migraine_days_per_month", "attacks_lifetime")
_ICHD_FLOAT = ("months_with_this_frequency", "typical_attack_duration_h")
_ICHD_BOOL = ("unilateral", "pulsating", "moderate_or_severe", "aggravated_by_activity", "nausea_or_vomiting",
              "photophobia_and_phonophobia", "aura")  # fmt: skip


def values(form: FormData) -> dict[str, Any]:
    """What the user typed (lists for repeated names), to re-render the form."""
    out: dict[str, Any] = {}
    for key in form:
        items = form.getlist(key)
        out[key] = items if len(items) > 1 or key in ("conditions", "pain.locations") else items[0]
    return out


def _num(
    form: FormData, key: str, problems: list[tuple[str, str]], *, integer: bool = False
) -> float | int | None:
    raw = str(form.get(key) or "").strip()
    if not raw:
        return None
    try:
        return int(raw) if integer else float(raw)
    except ValueError:
        problems.append((key, f"{raw!r} is not a number"))
        return None


def record_from_form(form: FormData) -> dict[str, Any]:
    """The screening form as a patient record (validated later by the domain)."""
    problems: list[tuple[str, str]] = []
    rec: dict[str, Any] = {"id": str(form.get("id") or "").strip(), "display_name": str(form.get("display_name") or "").strip(),
                           "sex": form.get("sex") or "unknown", "age_years": _num(form, "age_years", problems, integer=True)}  # fmt: skip
    for key in _BOOL:
        rec[key] = form.get(key) == "on"
    rec["conditions"] = [{"code": c} for c in form.getlist("conditions")]
    duration = _num(form, "pain.duration_months", problems)
    locations = list(form.getlist("pain.locations"))
    if duration is not None or locations:
        rec["pain"] = {"duration_months": duration, "locations": locations, "description": str(form.get("pain.description") or ""),
                       "average_nrs": _num(form, "pain.average_nrs", problems), "worst_nrs": _num(form, "pain.worst_nrs", problems)}  # fmt: skip
        rec["pain"] = {k: v for k, v in rec["pain"].items() if v not in (None, "")}
    sss = {k: _num(form, f"acr.{k}", problems, integer=True) for k in _SSS}
    if any(v is not None for v in sss.values()):
        rec["questionnaires"] = {"acr_2016": {"answers": {"wpi_areas": locations, **{k: v or 0 for k, v in sss.items()},
                                                          **{k: form.get(f"acr.{k}") == "on" for k in _SYMPTOMS},
                                                          "symptoms_at_least_3_months": (duration or 0) >= 3}}}  # fmt: skip
    ichd = {
        k: _num(form, f"ichd3.{k}", problems, integer=k in _ICHD_INT)
        for k in (*_ICHD_INT, *_ICHD_FLOAT)
    }
    if ichd["headache_days_per_month"] is not None:
        answers: dict[str, Any] = {k: v for k, v in ichd.items() if v is not None}
        answers |= {k: form.get(f"ichd3.{k}") == "on" for k in _ICHD_BOOL}
        rec.setdefault("questionnaires", {})["ichd3"] = {"answers": answers}
    meds = []
    for i in range(MED_ROWS):
        name = str(form.get(f"medications[{i}].name") or "").strip()
        if not name:
            continue
        med: dict[str, Any] = {
            "name": name,
            "status": form.get(f"medications[{i}].status") or "current",
        }
        days = _num(form, f"medications[{i}].days_per_month", problems, integer=True)
        if days is not None:
            med["days_per_month"] = days
        for key in ("dose", "last_dose", "frequency"):
            v = str(form.get(f"medications[{i}].{key}") or "").strip()
            if v:
                med[key] = v
        meds.append(med)
    rec["medications"] = meds
    if form.get("liver_tests.date"):
        lt = {"date": form.get("liver_tests.date"), "alt_u_per_l": _num(form, "liver_tests.alt_u_per_l", problems),
              "ast_u_per_l": _num(form, "liver_tests.ast_u_per_l", problems),
              "bilirubin_umol_per_l": _num(form, "liver_tests.bilirubin_umol_per_l", problems)}  # fmt: skip
        rec["liver_tests"] = {k: v for k, v in lt.items() if v is not None}
    for key in ("liver_disease", "opioid_use_disorder", "urine_opioid_screen", "child_pugh_class",
                "urine_opioid_screen_date"):  # fmt: skip
        if form.get(key):
            rec[key] = form.get(key)
    for key in ("transplant_recipient", "naltrexone_hypersensitivity", "pregnant", "breastfeeding",
                "opioid_withdrawal_signs"):  # fmt: skip
        if form.get(key) == "on":
            rec[key] = True
    egfr = _num(form, "renal_function.egfr_ml_min_1_73m2", problems)
    if egfr is not None or form.get("renal_function.dialysis") == "on":
        rec["renal_function"] = {"egfr_ml_min_1_73m2": egfr, "date": form.get("renal_function.date") or None,
                                 "dialysis": form.get("renal_function.dialysis") == "on"}  # fmt: skip
    if form.get("naloxone_challenge.result"):
        rec["naloxone_challenge"] = {"result": form.get("naloxone_challenge.result"),
                                     "date": form.get("naloxone_challenge.date") or None}  # fmt: skip
    if form.get("planned_surgery.date"):
        rec["planned_surgery"] = [
            {"date": form.get("planned_surgery.date"), "opioids_expected": True}
        ]
    if problems:
        raise InputError.at(problems[0][0], problems[0][1], "enter a number, e.g. 6.5")
    return rec


def errors_by_field(exc: InputError) -> dict[str, str]:
    """Problems keyed by form field (the record location; questionnaire items map to the form)."""
    out: dict[str, str] = {}
    for p in exc.problems:
        loc = (
            p.loc.replace("planned_surgery[0].", "planned_surgery.")
            .replace("questionnaires.acr_2016.answers.", "acr.")
            .replace("questionnaires.ichd3.answers.", "ichd3.")
        )
        out.setdefault(loc or "form", p.message + (f" — {p.fix}" if p.fix else ""))
    return out
