"""HTML forms ↔ ldn's records. Field names are the record's own locations
(``pain.duration_months``, ``medications[0].dose``), so a validation problem lands beside the
field it names, and the form re-renders with what the user typed.

``record_from_form`` reads the whole form (every problem at once, a blank field stays blank);
``values_from_record`` fills the form from a stored record for editing; ``merge_record`` keeps
what the form does not show (codes, a clinician's medicine review, other questionnaires, ...)."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData

from ldn.domain.errors import InputError, Problem

__all__ = [
    "MED_ROWS",
    "PRIOR_ROWS",
    "errors_by_field",
    "merge_record",
    "record_from_form",
    "values",
    "values_from_record",
]

MED_ROWS = 4
PRIOR_ROWS = 3
_BOOL = (
    "pregnant",
    "breastfeeding",
    "planning_pregnancy",
    "transplant_recipient",
    "naltrexone_hypersensitivity",
    "opioid_withdrawal_signs",
)
_CHOICE = (
    "liver_disease",
    "opioid_use_disorder",
    "urine_opioid_screen",
    "child_pugh_class",
    "urine_opioid_screen_date",
)
_SSS = ("fatigue", "waking_unrefreshed", "cognitive_symptoms")
_SYMPTOMS = ("headaches", "lower_abdominal_pain_or_cramps", "depression")
_ICHD_INT = ("headache_days_per_month", "migraine_days_per_month", "attacks_lifetime")
_ICHD_FLOAT = ("months_with_this_frequency", "typical_attack_duration_h")
_ICHD_BOOL = (
    "unilateral",
    "pulsating",
    "moderate_or_severe",
    "aggravated_by_activity",
    "nausea_or_vomiting",
    "photophobia_and_phonophobia",
    "aura",
)
_MED_TEXT = ("dose", "last_dose", "frequency")


def values(form: FormData) -> dict[str, Any]:
    """What the user typed (lists for repeated names), to re-render the form."""
    out: dict[str, Any] = {}
    for key in form:
        items = form.getlist(key)
        out[key] = items if len(items) > 1 or key in ("conditions", "pain.locations") else items[0]
    return out


class _Reader:
    """Reads fields, collecting every problem instead of stopping at the first."""

    def __init__(self, form: FormData) -> None:
        self.form, self.problems = form, list[Problem]()

    def text(self, key: str) -> str:
        return str(self.form.get(key) or "").strip()

    def num(self, key: str, *, integer: bool = False) -> float | int | None:
        raw = self.text(key)
        if not raw:
            return None
        try:
            return int(raw) if integer else float(raw)
        except ValueError:
            what = "a whole number" if integer else "a number"
            self.problems.append(
                Problem(
                    key,
                    f"{raw!r} is not {what}",
                    "enter a number, e.g. 6.5" if not integer else "enter a whole number",
                )
            )
            return None

    def on(self, key: str) -> bool:
        return self.form.get(key) == "on"


def _acr(r: _Reader, locations: list[str], duration: float | None) -> dict[str, Any] | None:
    sss = {k: r.num(f"acr.{k}", integer=True) for k in _SSS}
    given = [k for k, v in sss.items() if v is not None]
    if not given:
        return None  # blank skips the fibromyalgia criteria
    if len(given) < len(_SSS):
        for k in _SSS:
            if sss[k] is None:
                r.problems.append(
                    Problem(
                        f"acr.{k}",
                        "the symptom severity needs all three scores",
                        "score it 0-3, or leave all three blank to skip",
                    )
                )
        return None
    return {
        "answers": {
            "wpi_areas": locations,
            **sss,
            **{k: r.on(f"acr.{k}") for k in _SYMPTOMS},
            "symptoms_at_least_3_months": (duration or 0) >= 3,
        }
    }


def _ichd(r: _Reader) -> dict[str, Any] | None:
    ichd = {k: r.num(f"ichd3.{k}", integer=k in _ICHD_INT) for k in (*_ICHD_INT, *_ICHD_FLOAT)}
    if ichd["headache_days_per_month"] is None:
        return None
    answers: dict[str, Any] = {k: v for k, v in ichd.items() if v is not None}
    return {"answers": answers | {k: r.on(f"ichd3.{k}") for k in _ICHD_BOOL}}


def _medications(r: _Reader) -> list[dict[str, Any]]:
    meds = []
    rows = sorted(
        {int(k.split("[")[1].split("]")[0]) for k in r.form if k.startswith("medications[")}
    )
    for i in rows:
        name = r.text(f"medications[{i}].name")
        if not name:
            continue
        med: dict[str, Any] = {
            "name": name,
            "status": r.text(f"medications[{i}].status") or "current",
        }
        days = r.num(f"medications[{i}].days_per_month", integer=True)
        if days is not None:
            med["days_per_month"] = days
        med |= {k: v for k in _MED_TEXT if (v := r.text(f"medications[{i}].{k}"))}
        meds.append(med)
    return meds


def _prior(r: _Reader) -> list[dict[str, Any]]:
    rows = sorted(
        {int(k.split("[")[1].split("]")[0]) for k in r.form if k.startswith("prior_treatments[")}
    )
    return [
        {
            "name": r.text(f"prior_treatments[{i}].name"),
            "outcome": r.text(f"prior_treatments[{i}].outcome") or "ineffective",
        }
        for i in rows
        if r.text(f"prior_treatments[{i}].name")
    ]


def record_from_form(form: FormData) -> dict[str, Any]:
    """The screening form as a patient record (validated later by the domain). A blank field
    stays blank; every problem is reported at once."""
    r = _Reader(form)
    rec: dict[str, Any] = {
        "id": r.text("id"),
        "display_name": r.text("display_name"),
        "sex": r.text("sex") or "unknown",
        "age_years": r.num("age_years", integer=True),
    }
    rec |= {k: r.on(k) for k in _BOOL}
    weight = r.num("weight_kg")
    if weight is not None:
        rec["weight_kg"] = weight
    rec["conditions"] = [{"code": c} for c in form.getlist("conditions")]
    duration = r.num("pain.duration_months")
    locations = [str(x) for x in form.getlist("pain.locations")]
    if duration is not None or locations:
        pain = {
            "duration_months": duration,
            "locations": locations,
            "description": r.text("pain.description"),
            "average_nrs": r.num("pain.average_nrs"),
            "worst_nrs": r.num("pain.worst_nrs"),
        }
        rec["pain"] = {k: v for k, v in pain.items() if v not in (None, "")}
    questionnaires = {
        k: q for k, q in (("acr_2016", _acr(r, locations, duration)), ("ichd3", _ichd(r))) if q
    }
    if questionnaires:
        rec["questionnaires"] = questionnaires
    rec["medications"] = _medications(r)
    rec["prior_treatments"] = _prior(r)
    if r.text("liver_tests.date"):
        lt = {
            "date": r.text("liver_tests.date"),
            "alt_u_per_l": r.num("liver_tests.alt_u_per_l"),
            "ast_u_per_l": r.num("liver_tests.ast_u_per_l"),
            "bilirubin_umol_per_l": r.num("liver_tests.bilirubin_umol_per_l"),
        }
        rec["liver_tests"] = {k: v for k, v in lt.items() if v is not None}
    rec |= {k: r.text(k) for k in _CHOICE if r.text(k)}
    egfr = r.num("renal_function.egfr_ml_min_1_73m2")
    if egfr is not None or r.on("renal_function.dialysis"):
        rec["renal_function"] = {
            "egfr_ml_min_1_73m2": egfr,
            "date": r.text("renal_function.date") or None,
            "dialysis": r.on("renal_function.dialysis"),
        }
    if r.text("naloxone_challenge.result"):
        rec["naloxone_challenge"] = {
            "result": r.text("naloxone_challenge.result"),
            "date": r.text("naloxone_challenge.date") or None,
        }
    if r.text("planned_surgery.date"):
        rec["planned_surgery"] = [
            {
                "date": r.text("planned_surgery.date"),
                "procedure": r.text("planned_surgery.procedure"),
                "opioids_expected": True,
            }
        ]
    if r.text("notes"):
        rec["notes"] = r.text("notes")
    if r.problems:
        raise InputError(r.problems)
    return rec


def values_from_record(rec: dict[str, Any]) -> dict[str, Any]:
    """The form's field values for a stored record (the inverse of :func:`record_from_form`)."""
    out: dict[str, Any] = {
        k: rec.get(k)
        for k in ("id", "display_name", "age_years", "sex", "weight_kg", "notes", *_CHOICE)
    }
    out |= {k: "on" for k in _BOOL if rec.get(k)}
    out["conditions"] = [c["code"] for c in rec.get("conditions") or []]
    pain = rec.get("pain") or {}
    out |= {
        f"pain.{k}": pain.get(k)
        for k in ("duration_months", "average_nrs", "worst_nrs", "description")
    }
    out["pain.locations"] = list(pain.get("locations") or [])
    q = rec.get("questionnaires") or {}
    acr = (q.get("acr_2016") or {}).get("answers") or {}
    out |= {f"acr.{k}": acr.get(k) for k in _SSS} | {
        f"acr.{k}": "on" for k in _SYMPTOMS if acr.get(k)
    }
    ichd = (q.get("ichd3") or {}).get("answers") or {}
    out |= {f"ichd3.{k}": ichd.get(k) for k in (*_ICHD_INT, *_ICHD_FLOAT)}
    out |= {f"ichd3.{k}": "on" for k in _ICHD_BOOL if ichd.get(k)}
    for i, m in enumerate(rec.get("medications") or []):
        dose = m.get("dose")
        out |= {
            f"medications[{i}].name": m.get("name"),
            f"medications[{i}].status": m.get("status"),
            f"medications[{i}].dose": f"{dose['value']:g} {dose['unit']}"
            if isinstance(dose, dict)
            else dose,
            f"medications[{i}].last_dose": str(m.get("last_dose") or "")[:10] or None,
            f"medications[{i}].frequency": m.get("frequency"),
            f"medications[{i}].days_per_month": m.get("days_per_month"),
        }
    for i, t in enumerate(rec.get("prior_treatments") or []):
        out |= {
            f"prior_treatments[{i}].name": t.get("name"),
            f"prior_treatments[{i}].outcome": t.get("outcome"),
        }
    lt = rec.get("liver_tests") or {}
    out |= {
        f"liver_tests.{k}": lt.get(k)
        for k in ("date", "alt_u_per_l", "ast_u_per_l", "bilirubin_umol_per_l")
    }
    rf = rec.get("renal_function") or {}
    out |= {
        "renal_function.egfr_ml_min_1_73m2": rf.get("egfr_ml_min_1_73m2"),
        "renal_function.date": rf.get("date"),
    }
    if rf.get("dialysis"):
        out["renal_function.dialysis"] = "on"
    ch = rec.get("naloxone_challenge") or {}
    out |= {
        "naloxone_challenge.result": ch.get("result"),
        "naloxone_challenge.date": ch.get("date"),
    }
    surgery = (rec.get("planned_surgery") or [{}])[0]
    out |= {
        "planned_surgery.date": surgery.get("date"),
        "planned_surgery.procedure": surgery.get("procedure"),
    }
    return {k: v for k, v in out.items() if v not in (None, "", [])} | {
        "conditions": out["conditions"],
        "pain.locations": out["pain.locations"],
    }


_CARRIED_MED = ("drug_class", "codes", "route", "months_of_regular_use", "indication", "review")


def merge_record(current: dict[str, Any], edited: dict[str, Any]) -> dict[str, Any]:
    """The edited record, keeping what the form does not show: other questionnaires, each
    medicine's codes, route and clinician review (matched by name), condition details, lab ULNs."""
    out = dict(edited)
    out["id"] = current["id"]
    qs = {
        k: v
        for k, v in (current.get("questionnaires") or {}).items()
        if k not in ("acr_2016", "ichd3")
    }
    if qs or edited.get("questionnaires"):
        out["questionnaires"] = qs | (edited.get("questionnaires") or {})
    old_meds = {m["name"]: m for m in current.get("medications") or []}
    out["medications"] = [
        {
            **{k: old_meds[m["name"]][k] for k in _CARRIED_MED if k in old_meds.get(m["name"], {})},
            **m,
        }
        for m in edited.get("medications") or []
    ]
    old_conditions = {c["code"]: c for c in current.get("conditions") or []}
    out["conditions"] = [old_conditions.get(c["code"], c) for c in edited.get("conditions") or []]
    if current.get("pain") and out.get("pain"):
        out["pain"] = {
            **{k: v for k, v in current["pain"].items() if k == "other_locations"},
            **out["pain"],
        }
    if current.get("liver_tests") and out.get("liver_tests"):
        ulns = {
            k: v
            for k, v in current["liver_tests"].items()
            if k.endswith("_uln_u_per_l") or k.endswith("_uln_umol_per_l")
        }
        out["liver_tests"] = ulns | out["liver_tests"]
    for key in ("planned_surgery",):
        extra = (current.get(key) or [])[1:]
        if extra:
            out[key] = [*(out.get(key) or []), *extra]
    out |= {k: v for k, v in current.items() if k not in out and k in ("identifiers", "birth_date")}
    return out


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
