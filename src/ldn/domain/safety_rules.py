"""The safety rules as a table: what each finding code checks, its verdict and its basis.

``docs/safety.md`` is generated from :data:`RULES` (``ldn safety-rules --markdown``); a test fails
when a finding code in the safety modules has no row, or the document is out of date.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ldn.domain.sources import registry

__all__ = ["RULES", "Rule", "rules_markdown"]

Basis = Literal["label", "LDN practice", "ldn assumption", "label + ldn assumption"]


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    inputs: str
    verdict: str
    basis: Basis
    sources: tuple[str, ...]
    rule: str


_L = ("uk-smpc-naltrexone-2023", "eu-csp-naltrexone-2010", "us-naltrexone-label-overdose")
RULES: tuple[Rule, ...] = (
    Rule("SAFETY_HYPERSENSITIVITY", "naltrexone_hypersensitivity", "contraindicated", "label", ("revia-label-2013",),
         "Known hypersensitivity to naltrexone."),
    Rule("SAFETY_OUD_CURRENT", "opioid_use_disorder = current", "contraindicated", "label", ("revia-label-2013", *_L[2:]),
         "Current opioid dependence."),
    Rule("SAFETY_OPIOID_WITHDRAWAL_NOW", "opioid_withdrawal_signs", "contraindicated", "label", _L[2:],
         "Acute opioid withdrawal."),
    Rule("SAFETY_URINE_OPIOID_POSITIVE", "urine_opioid_screen (+ date)", "contraindicated", "label", _L,
         "Positive urine screen for opioids: do not start until explained and a repeat is negative."),
    Rule("SAFETY_NALOXONE_CHALLENGE_POSITIVE", "naloxone_challenge.result = positive", "contraindicated", "label", _L,
         "Failed naloxone challenge."),
    Rule("SAFETY_OPIOID_WASHOUT", "medications (every ingredient, form, route), last_dose", "do_not_start_yet",
         "label + ldn assumption", ("revia-label-2013", "droracle-switching", "ldn-assumption"),
         "Opioid-free 10 d after short-acting opioids (label 7-10 d, for dependent patients: stricter here); 14 d after "
         "methadone or buprenorphine (label: up to two weeks); 14 d after extended-release, patches, levorphanol or an "
         "opioid of unknown kind (ldn assumption)."),
    Rule("SAFETY_OPIOID_WASHOUT_COMPLETE", "medications, last_dose, naloxone_challenge", "candidate (info)", "label",
         ("revia-label-2013",), "Interval complete; a negative naloxone challenge on or after day 7 shortens a short-acting washout to 7 d."),
    Rule("SAFETY_OPIOID_LAST_DOSE_UNKNOWN", "medications (stopped opioid without last_dose)", "needs_clinician_review",
         "label", ("revia-label-2013",), "A stopped opioid without a date of the last dose."),
    Rule("SAFETY_OPIOID_DEPOT", "medications (depot injection or implant opioid)", "needs_clinician_review",
         "ldn assumption", ("ldn-assumption", "revia-label-2013"),
         "Depot or implant opioid (e.g. Sublocade, Buvidal, Probuphine): interval set by the clinician, at least 14 d."),
    Rule("MEDICATION_NOT_IDENTIFIED", "medications (name, codes)", "needs_clinician_review", "ldn assumption",
         ("ldn-assumption", "revia-label-2013"),
         "A medicine ldn cannot fully identify may hold an opioid or naltrexone: the clinician answers (fail closed)."),
    Rule("MEDICATION_REVIEWED", "medications[].review", "candidate (info)", "ldn assumption", ("ldn-assumption",),
         "The clinician's recorded answer decides for a medicine ldn cannot identify (never clears a known opioid)."),
    Rule("SAFETY_NALOXONE_CHALLENGE", "an opioid washout", "candidate (info)", "label", ("revia-label-2013", "altmeyers-naltrexone"),
         "Naloxone challenge when opioid-free status is in doubt."),
    Rule("SAFETY_ALREADY_ON_NALTREXONE", "medications (naltrexone in any product)", "needs_clinician_review", "label",
         ("seed-article", "revia-label-2013"), "Already taking naltrexone (tablets, injection, naltrexone-bupropion, LDN): reconcile first."),
    Rule("SAFETY_OTHER_OPIOID_ANTAGONIST", "medications (nalmefene, naloxone, samidorphan)", "needs_clinician_review",
         "ldn assumption", ("who-atc-ddd", "ldn-assumption"), "Another opioid antagonist taken regularly."),
    Rule("SAFETY_OPIOID_CONSTIPATION_MEDICINE", "medications (methylnaltrexone, naloxegol, naldemedine, alvimopan)",
         "needs_clinician_review", "ldn assumption", ("who-atc-ddd", "ldn-assumption"),
         "A medicine for opioid-induced constipation suggests opioid use."),
    Rule("SAFETY_INTERACTION_OPIOID_ANTIDIARRHOEAL", "medications (loperamide, diphenoxylate, eluxadoline; now or in the last 10 d)",
         "needs_clinician_review", "label + ldn assumption", ("revia-label-2013", "ldn-assumption"),
         "Opioid antidiarrhoeals may not work (label); confirm the dose, since high doses act centrally (ldn assumption)."),
    Rule("SAFETY_INTERACTION_THIORIDAZINE", "medications (thioridazine)", "candidate_with_cautions", "label",
         ("rosheta-revia", "renalandurologynews-naltrexone"), "Lethargy and somnolence reported."),
    Rule("SAFETY_INTERACTION_DISULFIRAM", "medications (disulfiram)", "needs_clinician_review", "label",
         ("renalandurologynews-naltrexone",), "Two potentially hepatotoxic drugs: not recommended together."),
    Rule("SAFETY_OPIOID_OVERDOSE_WARNING", "every patient", "candidate (info)", "label", ("us-naltrexone-label-overdose", "fda-medwatch-revia-2013"),
         "Blockade and overdose warnings (do not try to overcome the blockade; more sensitive to opioids after stopping)."),
    Rule("SAFETY_OPIOID_OVERDOSE_RISK", "recent opioid in medications", "candidate_with_cautions", "label",
         ("us-naltrexone-label-overdose", "fda-medwatch-revia-2013"), "The same warnings as a caution after recent opioid use."),
    Rule("SAFETY_OUD_HISTORY", "opioid_use_disorder = past", "candidate_with_cautions", "label",
         ("us-naltrexone-label-overdose", "fda-medwatch-revia-2013"), "Overdose risk after stopping; offer naloxone."),
    Rule("SAFETY_LIVER_ACUTE", "liver_disease = acute_hepatitis | liver_failure", "contraindicated", "label",
         ("uk-smpc-naltrexone-2023", "eu-csp-naltrexone-2010", "revia-ca-monograph"), "Acute hepatitis or liver failure."),
    Rule("SAFETY_LIVER_SEVERE", "liver_disease = decompensated_cirrhosis, or child_pugh_class = C", "contraindicated",
         "label", ("uk-smpc-naltrexone-2023", "swiss-fachinfo-naltrexon", "bertolotti-1997"),
         "Severe hepatic impairment (UK SmPC); exposure about 10x."),
    Rule("SAFETY_LIVER_CIRRHOSIS_REVIEW", "liver_disease = cirrhosis (ungraded), or child_pugh_class = B",
         "needs_clinician_review", "label + ldn assumption", ("uk-smpc-naltrexone-2023", "swiss-fachinfo-naltrexon"),
         "Grade the cirrhosis before starting."),
    Rule("SAFETY_LIVER_CHRONIC", "liver_disease = compensated_cirrhosis | chronic_liver_disease, or child_pugh_class = A",
         "candidate_with_cautions", "label", ("livertox-naltrexone", "dailymed-naltrexone-label", "swiss-fachinfo-naltrexon"),
         "Exposure about 5x in compensated cirrhosis; monitor liver tests."),
    Rule("SAFETY_LIVER_ENZYMES_HIGH", "liver_tests (ALT/AST, bilirubin, ULN)", "needs_clinician_review", "ldn assumption",
         ("ldn-assumption", "droracle-lft"), "ALT or AST >= 5x ULN, or >= 3x with bilirubin >= 2x ULN (DILI monitoring rules)."),
    Rule("SAFETY_LIVER_ENZYMES_RAISED", "liver_tests", "candidate_with_cautions", "ldn assumption", ("ldn-assumption",),
         "ALT or AST above ULN: monitor."),
    Rule("SAFETY_BILIRUBIN_RAISED", "liver_tests (bilirubin with normal ALT/AST)", "candidate_with_cautions (>= 2x ULN: review)",
         "ldn assumption", ("ldn-assumption",), "Raised bilirubin alone: find the cause."),
    Rule("SAFETY_RENAL_SEVERE", "renal_function (eGFR < 30, or dialysis)", "contraindicated", "label + ldn assumption",
         ("uk-smpc-naltrexone-2023", "eu-csp-naltrexone-2010", "kdigo-2012"),
         "Severe renal impairment (UK/EU labels; US: caution); the eGFR cut-off is ldn's reading (KDIGO G4-G5)."),
    Rule("SAFETY_RENAL_IMPAIRED", "renal_function (eGFR 30-59)", "candidate_with_cautions", "label",
         ("us-naltrexone-label-overdose", "renalandurologynews-naltrexone", "kdigo-2012"), "Caution in renal impairment."),
    Rule("SAFETY_PREGNANCY", "pregnant", "needs_clinician_review", "label", ("renalandurologynews-naltrexone", "rxreasoner-naltrexone-eu"),
         "No adequate human data."),
    Rule("SAFETY_LACTATION", "breastfeeding", "needs_clinician_review", "label", ("lactmed-naltrexone", "rxreasoner-naltrexone-eu"),
         "LactMed: minimal excretion, not a reason to stop breastfeeding; EU labels advise against."),
    Rule("SAFETY_PLANNING_PREGNANCY", "planning_pregnancy", "candidate_with_cautions", "ldn assumption", ("ldn-assumption",),
         "No label rule: agree a plan."),
    Rule("SAFETY_AGE_UNDER_18", "age_years < 18", "needs_clinician_review", "label", ("dailymed-naltrexone-label", "eu-csp-naltrexone-2010"),
         "Safety under 18 not established."),
    Rule("SAFETY_AGE_ELDERLY", "age_years >= 65", "candidate_with_cautions", "label + ldn assumption",
         ("eu-csp-naltrexone-2010", "ldn-assumption"), "Safe use in the elderly not established (EU); 65 is ldn's cut-off."),
    Rule("SAFETY_SURGERY_HOLD_START", "planned_surgery (date, opioids_expected)", "do_not_start_yet", "label + ldn assumption",
         ("openfda-naltrexone-label-2023", "whately-stead-2023", "revia-label-2013", "ldn-assumption"),
         "Surgery so close that LDN would have to stop (3 d before) by today: start after surgery and the opioid-free interval."),
    Rule("SAFETY_PLANNED_SURGERY", "planned_surgery", "candidate_with_cautions", "label + ldn assumption",
         ("whately-stead-2023", "ldn-assumption"), "Stop LDN 3 d before surgery; restart 10 d after the last opioid dose."),
    Rule("SAFETY_RECENT_SURGERY", "planned_surgery (past, opioids expected)", "do_not_start_yet", "ldn assumption",
         ("revia-label-2013", "ldn-assumption"), "Recent surgery with opioids expected: the opioid-free interval after them."),
    Rule("SAFETY_TRANSPLANT_IMMUNOSUPPRESSION", "transplant_recipient, medications (immunosuppressant)",
         "needs_clinician_review (transplant) / candidate_with_cautions", "LDN practice", ("ldn-practice-transplant",),
         "LDN practice guidance cautions transplant recipients on immunosuppressants (theoretical)."),
    Rule("SAFETY_THYROID", "conditions (thyroid), medications (levothyroxine)", "candidate_with_cautions", "LDN practice",
         ("ldnrt-thyroid", "raknes-2020"), "Slow titration, thyroid monitoring."),
)  # fmt: skip


def rules_markdown() -> str:
    """``docs/safety.md``: every safety rule with its inputs, verdict, basis and sources."""
    reg = registry()
    lines = ["# Safety rules", "",
             "Generated from `src/ldn/domain/safety_rules.py` by `ldn safety-rules --markdown`; do not edit by hand.",
             "The naltrexone labels were written for 50 mg; **label** means ldn carries the label's rule over to LDN, "
             "**LDN practice** that it comes from LDN prescribing guidance, **ldn assumption** that no source gives the "
             "rule or its number (review these first). A source marked * is secondary or unverified (`ldn sources ID`).",
             "", "| finding | inputs | verdict | basis | rule | sources |", "|---|---|---|---|---|---|"]  # fmt: skip
    for r in RULES:
        refs = ", ".join(
            f"`{s}`{'' if reg.get(s) and reg[s].verification == 'verified' else '*'}"
            for s in r.sources
        )
        lines.append(f"| `{r.code}` | {r.inputs} | {r.verdict} | {r.basis} | {r.rule} | {refs} |")
    lines += ["", "ldn supports clinical judgement; it does not replace it.", ""]
    return "\n".join(lines)
