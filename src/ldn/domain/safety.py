"""Is LDN safe to start for this patient now? Opioids and washout, liver, pregnancy,
interactions, opioid use disorder, hypersensitivity, planned surgery, thyroid.

Every rule cites its sources. The naltrexone label was written for 50 mg opioid blockade and
alcohol dependence; applying its opioid-free interval to 1.5-4.5 mg LDN is common practice but an
extrapolation, which findings say.
"""

from __future__ import annotations

from datetime import date, timedelta

from ldn.domain.facts import Fact
from ldn.domain.findings import Finding
from ldn.domain.patient import Medication, PatientRecord

__all__ = ["safety_findings", "washout_days"]

LABEL = ("revia-label-2013",)
WASHOUT_SHORT_ACTING_D = Fact(
    10, unit="d", sources=LABEL,
    note="Label: opioid-free for a minimum of 7-10 days after short-acting opioids, including tramadol. "
    "ldn uses the upper end (10 d) as the default and lets a clinician shorten it to 7 d with a naloxone challenge.",
)  # fmt: skip
WASHOUT_SHORT_ACTING_MIN_D = Fact(
    7, unit="d", sources=LABEL, note="Lower end of the label's 7-10 day interval."
)
WASHOUT_METHADONE_BUPRENORPHINE_D = Fact(
    14, unit="d", sources=(*LABEL, "droracle-switching"),
    note="Label: precipitated withdrawal possible 'for as long as two weeks' after methadone or buprenorphine "
    "(the two-week wording seen only as quoted by a secondary source).",
)  # fmt: skip
WASHOUT_LONG_ACTING_D = Fact(
    14, unit="d", sources=("ldn-assumption", *LABEL),
    note="No label figure for extended-release opioids or fentanyl patches; ldn applies the two-week "
    "methadone/buprenorphine window and asks for clinician review (assumption).",
)  # fmt: skip
STOP_BEFORE_SURGERY_D = Fact(
    3, unit="d", sources=("openfda-naltrexone-label-2023", "ldn-assumption"),
    note="About five half-lives of 6-beta-naltrexol (label t1/2 about 13 h) is 65 h; ldn rounds to 3 days. "
    "Practice sources say stop LDN 2-3 days before surgery that may need opioids.",
)  # fmt: skip
LFT_REVIEW_X_ULN = Fact(
    5.0, unit="x ULN", sources=("droracle-lft", "livertox-naltrexone"),
    note="Do not start naltrexone with ALT or AST >= 5x ULN, or >= 3x ULN with bilirubin >= 2x ULN "
    "(secondary summary of guidance); LiverTox: low rates of enzyme elevation, rare liver injury.",
)  # fmt: skip
LFT_REVIEW_WITH_BILIRUBIN_X_ULN = Fact(
    (3.0, 2.0), unit="x ULN (ALT/AST, bilirubin)", sources=("droracle-lft",)
)

_SHORT = {"opioid_full_agonist", "tramadol", "tapentadol", "codeine", "opioid_antitussive"}
_LONG = {"opioid_long_acting"}
_MAINTENANCE = {"methadone", "buprenorphine"}
_EXTRAPOLATION = (
    "The label interval is written for 50 mg naltrexone; using it for LDN is an extrapolation."
)


def washout_days(drug_class: str) -> Fact[int] | None:
    """The opioid-free interval ldn applies before LDN, by drug class (None: not an opioid)."""
    if drug_class in _SHORT:
        return WASHOUT_SHORT_ACTING_D
    if drug_class in _MAINTENANCE:
        return WASHOUT_METHADONE_BUPRENORPHINE_D
    if drug_class in _LONG:
        return WASHOUT_LONG_ACTING_D
    return None


def _opioid(med: Medication, today: date) -> Finding | None:
    washout = washout_days(med.drug_class or "other")
    if washout is None:
        return None
    last = med.last_dose_at
    if last is None and med.status == "stopped":
        return Finding("SAFETY_OPIOID_LAST_DOSE_UNKNOWN", "stop",
                       f"{med.name} ({med.drug_class}) was stopped but the date of the last dose is not recorded.",
                       f"We need to know when you last took {med.name} before LDN can start.",
                       "record the date of the last dose, or confirm opioid-free status (urine screen or naloxone challenge)",
                       washout.sources, "needs_clinician_review")  # fmt: skip
    last_day = last.date() if last else today
    earliest = last_day + timedelta(days=washout.value)
    if med.status != "stopped" or earliest > today:
        verb = "is taking" if med.status != "stopped" else "took"
        stop = f"stop {med.name} now; " if med.status != "stopped" else ""
        when = (
            f"last dose {last_day.isoformat()}"
            if last
            else "no last dose recorded (counted from today)"
        )
        extra = (
            " Long-acting opioid: clinician review of the interval is advised."
            if washout is WASHOUT_LONG_ACTING_D
            else ""
        )
        return Finding("SAFETY_OPIOID_WASHOUT", "stop",
                       f"Patient {verb} {med.name} ({med.drug_class}); {when}. Naltrexone precipitates withdrawal and "
                       f"blocks opioid analgesia: an opioid-free interval of {washout.value} days is required before "
                       f"LDN. {_EXTRAPOLATION}{extra}",
                       f"LDN blocks opioid painkillers such as {med.name}. You need to be off {med.name} for "
                       f"{washout.value} days first, so the earliest start is {earliest.isoformat()}.",
                       f"{stop}start no earlier than {earliest.isoformat()}; if opioid-free status is in doubt, do a naloxone challenge",
                       washout.sources, "do_not_start_yet", earliest)  # fmt: skip
    return Finding("SAFETY_OPIOID_WASHOUT_COMPLETE", "info",
                   f"{med.name} stopped; last dose {last_day.isoformat()}, {washout.value}-day opioid-free interval complete.",
                   f"You have been off {med.name} long enough.", "confirm no opioid use since (urine screen if in doubt)",
                   washout.sources)  # fmt: skip


def _liver(r: PatientRecord) -> list[Finding]:
    out: list[Finding] = []
    if r.liver_disease in ("acute_hepatitis", "liver_failure"):
        out.append(Finding("SAFETY_LIVER_ACUTE", "stop",
                           f"{r.liver_disease.replace('_', ' ')}: contraindicated in the Canadian monograph and older US labels "
                           "(the US boxed hepatotoxicity warning was removed in 2013).",
                           "Your liver is currently inflamed or failing, so LDN should not be started.",
                           "do not start; reassess after the liver disease has resolved",
                           ("revia-ca-monograph", "fda-medwatch-revia-2013"), "contraindicated"))  # fmt: skip
    elif r.liver_disease in ("chronic_liver_disease", "cirrhosis"):
        out.append(Finding("SAFETY_LIVER_CHRONIC", "caution",
                           f"{r.liver_disease.replace('_', ' ')}: naltrexone exposure rises in cirrhosis; monitor liver tests.",
                           "You have a long-term liver condition; your clinician will check your liver tests.",
                           "check liver tests before starting and during treatment", ("livertox-naltrexone", "dailymed-naltrexone-label"),
                           "candidate_with_cautions"))  # fmt: skip
    t = r.liver_tests
    if t is not None:
        ratios = [
            v / u
            for v, u in ((t.alt_u_per_l, t.alt_uln_u_per_l), (t.ast_u_per_l, t.ast_uln_u_per_l))
            if v is not None
        ]
        top = max(ratios, default=0.0)
        bili = (t.bilirubin_umol_per_l or 0.0) / t.bilirubin_uln_umol_per_l
        x_tx, x_bili = LFT_REVIEW_WITH_BILIRUBIN_X_ULN.value
        if top >= LFT_REVIEW_X_ULN.value or (top >= x_tx and bili >= x_bili):
            out.append(Finding("SAFETY_LIVER_ENZYMES_HIGH", "stop",
                               f"Transaminases {top:.1f}x ULN (bilirubin {bili:.1f}x ULN) on {t.date.isoformat()}: do not start; "
                               "evaluate the cause.", "Your liver blood tests are well above normal; this needs checking first.",
                               "investigate the liver tests and repeat them before considering LDN",
                               LFT_REVIEW_X_ULN.sources, "needs_clinician_review"))  # fmt: skip
        elif top > 1.0:
            out.append(Finding("SAFETY_LIVER_ENZYMES_RAISED", "caution",
                               f"Transaminases {top:.1f}x ULN on {t.date.isoformat()}: start with liver-test monitoring.",
                               "One of your liver blood tests is a little high; it will be re-checked.",
                               "repeat liver tests within 4-12 weeks of starting", LFT_REVIEW_X_ULN.sources,
                               "candidate_with_cautions"))  # fmt: skip
    return out


def _interactions(r: PatientRecord) -> list[Finding]:
    out: list[Finding] = []
    for m in r.medications:
        if m.status == "stopped":
            continue
        if m.drug_class == "thioridazine":
            out.append(Finding("SAFETY_INTERACTION_THIORIDAZINE", "caution", "Thioridazine with naltrexone: lethargy and somnolence reported.",
                               "One of your medicines can make you very drowsy together with LDN.", "review the need for thioridazine",
                               ("rosheta-revia", "renalandurologynews-naltrexone"), "candidate_with_cautions"))  # fmt: skip
        elif m.drug_class == "disulfiram":
            out.append(Finding("SAFETY_INTERACTION_DISULFIRAM", "caution",
                               "Disulfiram with naltrexone is not recommended (two potentially hepatotoxic drugs).",
                               "Disulfiram and LDN together need your clinician's review.", "weigh benefits; monitor liver tests",
                               ("renalandurologynews-naltrexone",), "needs_clinician_review"))  # fmt: skip
        elif m.drug_class == "opioid_antidiarrhoeal":
            out.append(Finding("SAFETY_INTERACTION_OPIOID_ANTIDIARRHOEAL", "caution",
                               f"{m.name}: opioid antidiarrhoeals may not work while taking naltrexone.",
                               f"{m.name} may work less well while you take LDN.", "discuss alternatives for diarrhoea",
                               LABEL, "candidate_with_cautions"))  # fmt: skip
        elif m.drug_class == "naltrexone":
            out.append(Finding("SAFETY_ALREADY_ON_NALTREXONE", "caution", f"Already taking {m.name} ({m.dose or 'dose not given'}).",
                               "You already take naltrexone.", "reconcile: continue, adjust or stop the existing prescription",
                               ("seed-article",), "needs_clinician_review"))  # fmt: skip
    return out


def safety_findings(r: PatientRecord, *, today: date) -> list[Finding]:
    """Every safety finding for ``r`` as of ``today``."""
    out: list[Finding] = []
    if r.naltrexone_hypersensitivity:
        out.append(Finding("SAFETY_HYPERSENSITIVITY", "stop", "Known hypersensitivity to naltrexone: contraindicated.",
                           "You have had an allergic reaction to naltrexone, so LDN must not be used.",
                           "do not prescribe naltrexone", LABEL, "contraindicated"))  # fmt: skip
    if r.opioid_use_disorder == "current":
        out.append(Finding("SAFETY_OUD_CURRENT", "stop", "Current opioid dependence: naltrexone is contraindicated and would precipitate withdrawal.",
                           "LDN cannot be started while you depend on opioids.", "treat the opioid use disorder first (specialist care)",
                           LABEL, "contraindicated"))  # fmt: skip
    elif r.opioid_use_disorder == "past":
        out.append(Finding("SAFETY_OUD_HISTORY", "caution",
                           "History of opioid use disorder: after stopping naltrexone, lost opioid tolerance brings a risk of fatal overdose.",
                           "If you ever stop LDN and use opioids again, a normal dose can be dangerous.", "counsel on overdose risk; offer naloxone",
                           ("fda-medwatch-revia-2013",), "candidate_with_cautions"))  # fmt: skip
    if r.urine_opioid_screen == "positive":
        out.append(Finding("SAFETY_URINE_OPIOID_POSITIVE", "stop", "Positive urine opioid screen: do not start naltrexone.",
                           "Your urine test found opioids, so LDN cannot start yet.", "repeat the screen after the opioid-free interval",
                           LABEL, "needs_clinician_review"))  # fmt: skip
    out += [f for m in r.medications if (f := _opioid(m, today)) is not None]
    if any(f.code == "SAFETY_OPIOID_WASHOUT" for f in out):
        out.append(Finding("SAFETY_NALOXONE_CHALLENGE", "info",
                           "If opioid-free status is in doubt at the start date, a naloxone challenge is recommended (not if signs of withdrawal or opioids in urine).",
                           "Your clinician may do a short test to make sure no opioids remain in your body.",
                           "naloxone challenge when in doubt", (*LABEL, "altmeyers-naltrexone"), "candidate"))  # fmt: skip
    out += _liver(r)
    if r.pregnant or r.breastfeeding or r.planning_pregnancy:
        which = (
            "pregnant"
            if r.pregnant
            else "breastfeeding"
            if r.breastfeeding
            else "planning pregnancy"
        )
        out.append(Finding("SAFETY_PREGNANCY_LACTATION", "caution",
                           f"Patient is {which}: no adequate human data (US category C; EU: use only if benefit outweighs risk; "
                           "breastfeeding not recommended).", "There is too little research on LDN in pregnancy or breastfeeding.",
                           "clinician review of benefits and risks before starting", ("renalandurologynews-naltrexone", "rxreasoner-naltrexone-eu"),
                           "needs_clinician_review"))  # fmt: skip
    if r.age_years < 18:
        out.append(Finding("SAFETY_AGE_UNDER_18", "caution", "Safety of naltrexone under 18 years has not been established.",
                           "LDN has not been studied enough in young people.", "specialist review", ("dailymed-naltrexone-label",),
                           "needs_clinician_review"))  # fmt: skip
    for s in r.planned_surgery:
        if s.opioids_expected and s.date >= today:
            stop_by = s.date - timedelta(days=STOP_BEFORE_SURGERY_D.value)
            out.append(Finding("SAFETY_PLANNED_SURGERY", "caution",
                               f"Surgery planned {s.date.isoformat()} ({s.procedure or 'procedure'}) may need opioid analgesia, which naltrexone blocks.",
                               f"Stop LDN by {stop_by.isoformat()} so pain relief after your operation works; tell the surgical team you take LDN.",
                               f"stop LDN no later than {stop_by.isoformat()}; inform the anaesthetist", STOP_BEFORE_SURGERY_D.sources,
                               "candidate_with_cautions"))  # fmt: skip
    if r.has_condition("autoimmune_thyroiditis", "hypothyroidism") or any(
        m.drug_class == "levothyroxine" for m in r.medications
    ):
        out.append(Finding("SAFETY_THYROID", "caution",
                           "Thyroid disease on replacement: practice guidance advises a slow titration and thyroid monitoring "
                           "(no trial data; a Norwegian registry study found no change in thyroid-hormone dispensing).",
                           "Because of your thyroid condition, LDN will be increased slowly and your thyroid tests checked.",
                           "use the slow schedule; check thyroid function after 4-6 weeks", ("ldnrt-thyroid", "raknes-2020"),
                           "candidate_with_cautions"))  # fmt: skip
    out += _interactions(r)
    return out
