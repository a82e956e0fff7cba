"""Is LDN safe to start for this patient now? Every rule cites the naltrexone labels or says it
is ldn's assumption; ``docs/safety.md`` lists them all (generated from :data:`RULES`).

The labels were written for 50 mg naltrexone in opioid and alcohol dependence. A rule is marked
``label`` when ldn carries a label's words over to 1.5-4.5 mg LDN, ``LDN practice`` when it comes
from LDN prescribing guidance, and ``ldn assumption`` when no source gives the rule or its number.
Medicines (opioid washout, naltrexone already taken, antagonists, interactions) are in
:mod:`ldn.domain.medication_safety`; liver and kidneys in :mod:`ldn.domain.organ_safety`.
"""

from __future__ import annotations

from datetime import date, timedelta

from ldn.domain.facts import Fact
from ldn.domain.findings import Finding
from ldn.domain.medication_safety import (
    WASHOUT_LONG_ACTING_D,
    WASHOUT_METHADONE_BUPRENORPHINE_D,
    WASHOUT_SHORT_ACTING_D,
    WASHOUT_SHORT_ACTING_MIN_D,
    medication_findings,
    washout_for,
)
from ldn.domain.organ_safety import liver_findings, renal_findings
from ldn.domain.patient import PatientRecord

__all__ = [
    "STOP_BEFORE_SURGERY_D",
    "WASHOUT_LONG_ACTING_D",
    "WASHOUT_METHADONE_BUPRENORPHINE_D",
    "WASHOUT_SHORT_ACTING_D",
    "WASHOUT_SHORT_ACTING_MIN_D",
    "safety_findings",
    "washout_for",
]

LABEL = ("revia-label-2013",)
US_LABEL = ("us-naltrexone-label-overdose",)
EU_LABELS = ("uk-smpc-naltrexone-2023", "eu-csp-naltrexone-2010")
STOP_BEFORE_SURGERY_D = Fact(
    3,
    unit="d",
    sources=("openfda-naltrexone-label-2023", "whately-stead-2023", "ldn-assumption"),
    note="About five half-lives of 6-beta-naltrexol (label t1/2 about 13 h) is 65 h; ldn rounds to 3 days. "
    "Perioperative guidance: stop naltrexone 3 days before surgery (all guidelines say stop, none addresses LDN).",
)
ELDERLY_AGE_Y = Fact(
    65,
    unit="years",
    sources=("eu-csp-naltrexone-2010", "ldn-assumption"),
    note="EU core safety profile: safe use in the elderly has not been established (no age given); 65 is ldn's cut-off.",
)
ADULT_AGE_Y = Fact(
    18, unit="years", sources=("dailymed-naltrexone-label", "eu-csp-naltrexone-2010")
)


def _opioid_status(r: PatientRecord) -> list[Finding]:
    """Label contraindications about opioids in the body now (dependence, urine, challenge, withdrawal)."""
    out: list[Finding] = []
    if r.opioid_use_disorder == "current":
        out.append(
            Finding(
                "SAFETY_OUD_CURRENT",
                "stop",
                "Current opioid dependence: naltrexone is contraindicated and would precipitate withdrawal.",
                "LDN cannot be started while you depend on opioids.",
                "treat the opioid use disorder first (specialist care)",
                (*LABEL, *US_LABEL),
                "contraindicated",
            )
        )
    if r.opioid_withdrawal_signs:
        out.append(
            Finding(
                "SAFETY_OPIOID_WITHDRAWAL_NOW",
                "stop",
                "Signs of acute opioid withdrawal: naltrexone is contraindicated (label).",
                "You have signs of opioid withdrawal, so LDN cannot start now.",
                "manage the withdrawal; complete the opioid-free interval; reassess",
                US_LABEL,
                "contraindicated",
            )
        )
    if r.urine_opioid_screen == "positive":
        when = f" on {r.urine_opioid_screen_date.isoformat()}" if r.urine_opioid_screen_date else ""
        out.append(
            Finding(
                "SAFETY_URINE_OPIOID_POSITIVE",
                "stop",
                f"Positive urine opioid screen{when}: a label contraindication to starting naltrexone until it is explained "
                "and a repeat screen after the opioid-free interval is negative.",
                "Your urine test found opioids, so LDN cannot start until this is explained.",
                "find the source (every medicine, including cough and diarrhoea remedies); repeat the screen after the opioid-free interval",
                (*US_LABEL, *EU_LABELS),
                "contraindicated",
            )
        )
    ch = r.naloxone_challenge
    if ch is not None and ch.result == "positive":
        out.append(
            Finding(
                "SAFETY_NALOXONE_CHALLENGE_POSITIVE",
                "stop",
                f"Failed naloxone challenge on {ch.date.isoformat()} (withdrawal signs): a label contraindication to naltrexone.",
                "The test showed opioids are still active in your body, so LDN cannot start.",
                "do not start; repeat the challenge after a further opioid-free interval (label: after 24 hours, higher dose)",
                (*US_LABEL, *EU_LABELS),
                "contraindicated",
            )
        )
    return out


def _overdose(r: PatientRecord) -> Finding:
    """The label's overdose and blockade warnings, for every patient; a caution after opioid use."""
    recent = r.opioid_use_disorder == "past" or any(m.is_opioid for m in r.medications)
    code, level = (
        ("SAFETY_OUD_HISTORY", "caution")
        if r.opioid_use_disorder == "past"
        else (
            ("SAFETY_OPIOID_OVERDOSE_RISK", "caution")
            if recent
            else ("SAFETY_OPIOID_OVERDOSE_WARNING", "info")
        )
    )
    history = (
        "History of opioid use disorder. "
        if r.opioid_use_disorder == "past"
        else "Recent opioid use. "
        if recent
        else ""
    )
    return Finding(
        code,
        level,  # type: ignore[arg-type]
        f"{history}Label warnings for everyone treated: trying to overcome the blockade with large opioid doses can cause "
        "fatal overdose; after stopping naltrexone, patients may be more sensitive to opioids, even at lower doses "
        "(fatal overdoses reported). Carry an alert card; consider naloxone access.",
        "While you take LDN, opioid painkillers work less well: never take extra to overcome this. After you stop LDN "
        "your body may react more strongly to opioids, even at a usual dose. Carry the alert card and tell every "
        "doctor, dentist and pharmacist that you take naltrexone.",
        "counsel on the blockade and overdose risk; give the alert card; offer naloxone where opioids may be used",
        (*US_LABEL, "fda-medwatch-revia-2013"),
        "candidate_with_cautions" if recent else "candidate",
    )


def _surgery(r: PatientRecord, today: date) -> list[Finding]:
    out: list[Finding] = []
    for s in r.planned_surgery:
        if not s.opioids_expected:
            continue
        what = f"{s.procedure or 'surgery'} on {s.date.isoformat()}"
        after = s.date + timedelta(days=WASHOUT_SHORT_ACTING_D.value)
        if s.date >= today:
            stop_by = s.date - timedelta(days=STOP_BEFORE_SURGERY_D.value)
            if stop_by <= today:
                out.append(
                    Finding(
                        "SAFETY_SURGERY_HOLD_START",
                        "stop",
                        f"{what.capitalize()} may need opioid analgesia, which naltrexone blocks; LDN would have to stop by "
                        f"{stop_by.isoformat()}, which is not after today. Hold the start until after surgery and until "
                        f"{WASHOUT_SHORT_ACTING_D.value} days after the last post-operative opioid dose (earliest {after.isoformat()} "
                        "if opioids end on the day of surgery).",
                        "Because of your operation, LDN should start only after you have recovered and stopped any opioid painkillers.",
                        f"start no earlier than {after.isoformat()}; record the last post-operative opioid dose when known",
                        (*STOP_BEFORE_SURGERY_D.sources, *WASHOUT_SHORT_ACTING_D.sources),
                        "do_not_start_yet",
                        after,
                    )
                )
            else:
                out.append(
                    Finding(
                        "SAFETY_PLANNED_SURGERY",
                        "caution",
                        f"{what.capitalize()} may need opioid analgesia, which naltrexone blocks: stop LDN no later than "
                        f"{stop_by.isoformat()}; restart only {WASHOUT_SHORT_ACTING_D.value} days after the last opioid dose.",
                        f"Stop LDN by {stop_by.isoformat()} so pain relief after your operation works; tell the surgical team you take LDN.",
                        f"stop LDN no later than {stop_by.isoformat()}; inform the anaesthetist",
                        (*STOP_BEFORE_SURGERY_D.sources, *WASHOUT_SHORT_ACTING_D.sources),
                        "candidate_with_cautions",
                    )
                )
        elif today < after:
            out.append(
                Finding(
                    "SAFETY_RECENT_SURGERY",
                    "stop",
                    f"{what.capitalize()} (past) with opioid analgesia expected: LDN needs the opioid-free interval after the last "
                    f"post-operative opioid dose (earliest {after.isoformat()} if opioids ended on the day of surgery).",
                    "You had an operation recently; LDN can start once you have been off opioid painkillers long enough.",
                    "record the post-operative opioids and their last dose; if none were given, mark the surgery 'opioids_expected: false'",
                    (*WASHOUT_SHORT_ACTING_D.sources, "ldn-assumption"),
                    "do_not_start_yet",
                    after,
                )
            )
    return out


def _pregnancy_age(r: PatientRecord) -> list[Finding]:
    out: list[Finding] = []
    if r.pregnant:
        out.append(
            Finding(
                "SAFETY_PREGNANCY",
                "caution",
                "Pregnant: no adequate human data (US: use only if the potential benefit justifies the potential risk; "
                "EU: use only if benefit outweighs risk). LDN for pain is elective.",
                "There is too little research on LDN in pregnancy.",
                "clinician review of benefits and risks before starting",
                ("renalandurologynews-naltrexone", "rxreasoner-naltrexone-eu"),
                "needs_clinician_review",
            )
        )
    if r.breastfeeding:
        out.append(
            Finding(
                "SAFETY_LACTATION",
                "caution",
                "Breastfeeding: LactMed finds naltrexone minimally excreted into milk and 'not a reason to discontinue "
                "breastfeeding' (50 mg data); EU labels advise against. Weigh with the mother.",
                "Very little LDN reaches breast milk, but the product information advises caution; your clinician will discuss it.",
                "discuss; if used, watch the infant for drowsiness or poor feeding",
                ("lactmed-naltrexone", "rxreasoner-naltrexone-eu"),
                "needs_clinician_review",
            )
        )
    if r.planning_pregnancy and not r.pregnant:
        out.append(
            Finding(
                "SAFETY_PLANNING_PREGNANCY",
                "caution",
                "Planning pregnancy: no label rule; ldn suggests agreeing now what to do if pregnancy occurs (stop, or "
                "continue after review).",
                "If you become pregnant while on LDN, tell your clinician.",
                "agree a plan for pregnancy",
                ("ldn-assumption", "rxreasoner-naltrexone-eu"),
                "candidate_with_cautions",
            )
        )
    if r.age_years < ADULT_AGE_Y.value:
        out.append(
            Finding(
                "SAFETY_AGE_UNDER_18",
                "caution",
                "Safety of naltrexone under 18 years has not been established (US label; EU: not recommended).",
                "LDN has not been studied enough in young people.",
                "specialist review",
                ADULT_AGE_Y.sources,
                "needs_clinician_review",
            )
        )
    elif r.age_years >= ELDERLY_AGE_Y.value:
        out.append(
            Finding(
                "SAFETY_AGE_ELDERLY",
                "caution",
                f"Age {r.age_years}: the EU core safety profile says safe use in the elderly has not been established; "
                "check kidney and liver function and other medicines.",
                "LDN has been studied less in older people; your clinician will check your kidneys, liver and medicines.",
                "check eGFR and liver tests; consider the slow schedule",
                ELDERLY_AGE_Y.sources,
                "candidate_with_cautions",
            )
        )
    return out


def _immune_thyroid(r: PatientRecord) -> list[Finding]:
    out: list[Finding] = []
    immuno = [
        m.name for m in r.medications if m.status != "stopped" and "immunosuppressant" in m.classes
    ]
    if r.transplant_recipient or immuno:
        who = (
            "Organ transplant recipient"
            if r.transplant_recipient
            else "Taking an immunosuppressant"
        )
        out.append(
            Finding(
                "SAFETY_TRANSPLANT_IMMUNOSUPPRESSION",
                "caution",
                f"{who}{' (' + ', '.join(immuno) + ')' if immuno else ''}: LDN practice guidance cautions against LDN "
                "because it may counter immunosuppression (theoretical; no trial data).",
                "LDN might affect medicines that keep your immune system in check; your transplant or specialist team must agree first.",
                "ask the transplant or prescribing specialist before starting",
                ("ldn-practice-transplant",),
                "needs_clinician_review" if r.transplant_recipient else "candidate_with_cautions",
            )
        )
    replacement = any("levothyroxine" in m.classes and m.status != "stopped" for m in r.medications)
    if r.has_condition("autoimmune_thyroiditis", "hypothyroidism") or replacement:
        what = (
            "on thyroid-hormone replacement"
            if replacement
            else "(no thyroid-hormone replacement recorded)"
        )
        out.append(
            Finding(
                "SAFETY_THYROID",
                "caution",
                f"Thyroid disease {what}: practice guidance advises a slow titration and thyroid monitoring, since the "
                "replacement dose may need reducing (no trial data; a Norwegian registry study found no change in "
                "thyroid-hormone dispensing).",
                "Because of your thyroid condition, LDN will be increased slowly and your thyroid tests checked.",
                "use the slow schedule; check thyroid function after 4-6 weeks",
                ("ldnrt-thyroid", "raknes-2020"),
                "candidate_with_cautions",
            )
        )
    return out


def safety_findings(r: PatientRecord, *, today: date) -> list[Finding]:
    """Every safety finding for ``r`` as of ``today``."""
    out: list[Finding] = []
    if r.naltrexone_hypersensitivity:
        out.append(
            Finding(
                "SAFETY_HYPERSENSITIVITY",
                "stop",
                "Known hypersensitivity to naltrexone: contraindicated.",
                "You have had an allergic reaction to naltrexone, so LDN must not be used.",
                "do not prescribe naltrexone",
                LABEL,
                "contraindicated",
            )
        )
    out += _opioid_status(r)
    out += medication_findings(r, today=today)
    out.append(_overdose(r))
    out += liver_findings(r)
    out += renal_findings(r)
    out += _pregnancy_age(r)
    out += _surgery(r, today)
    out += _immune_thyroid(r)
    return out
