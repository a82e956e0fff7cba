"""Liver and kidneys: the naltrexone labels' contraindications and cautions, graded.

=========================================  =====================  ==================================
finding                                    verdict                basis
=========================================  =====================  ==================================
acute hepatitis, liver failure             contraindicated        label (EU core safety profile; UK
                                                                  SmPC; Canadian monograph)
decompensated cirrhosis, Child-Pugh C      contraindicated        label (UK SmPC: severe hepatic
                                                                  impairment); exposure ~10x
Child-Pugh B, cirrhosis of unknown grade   needs_clinician_review label carried over; ldn grading
compensated cirrhosis, chronic disease     candidate_with_caut.   exposure ~5x (label PK, Bertolotti)
ALT/AST >= 5x ULN, or >= 3x with bili 2x   needs_clinician_review ldn assumption (DILI trial rules;
                                                                  no label threshold)
bilirubin > ULN with normal ALT/AST        candidate_with_caut.   ldn assumption
eGFR < 30 or dialysis                      contraindicated        label (UK SmPC, EU CSP: severe renal
                                                                  impairment); threshold KDIGO G4-5
eGFR 30-59                                 candidate_with_caut.   label (US, NICE: caution)
=========================================  =====================  ==================================

Every label rule was written for 50 mg naltrexone; the findings say when it is carried over to LDN.
"""

from __future__ import annotations

from ldn.domain.facts import Fact
from ldn.domain.findings import Finding
from ldn.domain.patient import PatientRecord

__all__ = ["liver_findings", "renal_findings"]

CARRIED_OVER = "Carried over from the 50 mg label to LDN (no LDN data)."
LFT_REVIEW_X_ULN = Fact(
    5.0,
    unit="x ULN",
    sources=("ldn-assumption", "droracle-lft", "livertox-naltrexone"),
    note="No naltrexone label gives a liver-test threshold. ldn holds the start with ALT or AST >= 5x ULN, or "
    ">= 3x ULN with bilirubin >= 2x ULN: these are drug-induced-liver-injury monitoring rules from clinical "
    "trials (via a secondary summary), used here as ldn's assumption. LiverTox: low rates of enzyme elevation.",
)
LFT_REVIEW_WITH_BILIRUBIN_X_ULN = Fact(
    (3.0, 2.0),
    unit="x ULN (ALT/AST, bilirubin)",
    sources=("ldn-assumption", "droracle-lft"),
    note="Hy's-law-like combination from DILI monitoring rules; ldn's assumption, not a label rule.",
)
BILIRUBIN_REVIEW_X_ULN = Fact(
    2.0,
    unit="x ULN",
    sources=("ldn-assumption",),
    note="Bilirubin alone: above ULN is a caution (often Gilbert's syndrome, but it may signal liver disease); "
    ">= 2x ULN asks for review before starting. ldn's assumption.",
)
CIRRHOSIS_EXPOSURE_FOLD = Fact(
    (5.0, 10.0),
    unit="x AUC (compensated, decompensated)",
    sources=("swiss-fachinfo-naltrexon", "bertolotti-1997"),
    note="Naltrexone plasma levels 5-10x higher in cirrhosis (Swiss label); AUC 1610 vs 200 ng.h/mL after 100 mg (Bertolotti).",
)
SEVERE_RENAL_EGFR = Fact(
    30.0,
    unit="mL/min/1.73 m2",
    sources=("kdigo-2012", "uk-smpc-naltrexone-2023", "eu-csp-naltrexone-2010"),
    note="The UK SmPC and EU core safety profile contraindicate 'severe renal impairment/failure' without a number; "
    "ldn reads it as eGFR < 30 (KDIGO G4-G5) or dialysis.",
)
MODERATE_RENAL_EGFR = Fact(
    60.0,
    unit="mL/min/1.73 m2",
    sources=("kdigo-2012", "us-naltrexone-label-overdose", "renalandurologynews-naltrexone"),
    note="US label and NICE advise caution in renal impairment; ldn cautions below eGFR 60 (KDIGO G3).",
)

_LIVER_LABEL = ("uk-smpc-naltrexone-2023", "eu-csp-naltrexone-2010")


def _liver_disease(r: PatientRecord) -> list[Finding]:
    d = r.liver_disease
    cp = r.child_pugh_class
    lo, hi = CIRRHOSIS_EXPOSURE_FOLD.value
    if d in ("acute_hepatitis", "liver_failure"):
        return [
            Finding(
                "SAFETY_LIVER_ACUTE",
                "stop",
                f"{d.replace('_', ' ').capitalize()}: contraindicated in the EU core safety profile, the UK SmPC and the "
                f"Canadian monograph (no longer in the US label since 2013). {CARRIED_OVER}",
                "Your liver is currently inflamed or failing, so LDN should not be started.",
                "do not start; reassess after the liver disease has resolved",
                (*_LIVER_LABEL, "revia-ca-monograph", "fda-medwatch-revia-2013"),
                "contraindicated",
            )
        ]
    if d == "decompensated_cirrhosis" or cp == "C":
        return [
            Finding(
                "SAFETY_LIVER_SEVERE",
                "stop",
                f"Severe hepatic impairment ({'decompensated cirrhosis' if d == 'decompensated_cirrhosis' else 'Child-Pugh C'}): "
                f"contraindicated in the UK SmPC; naltrexone exposure about {hi:g}x normal. {CARRIED_OVER}",
                "Your liver disease is severe, so LDN should not be started.",
                "do not start; discuss with the hepatologist",
                (*_LIVER_LABEL, *CIRRHOSIS_EXPOSURE_FOLD.sources),
                "contraindicated",
            )
        ]
    if cp == "B" or d == "cirrhosis":
        what = "Child-Pugh B cirrhosis" if cp == "B" else "Cirrhosis of unrecorded severity"
        return [
            Finding(
                "SAFETY_LIVER_CIRRHOSIS_REVIEW",
                "caution",
                f"{what}: naltrexone exposure is about {lo:g}x normal in compensated and {hi:g}x in decompensated "
                "cirrhosis; the UK SmPC contraindicates severe hepatic impairment.",
                "You have liver cirrhosis; your clinician needs to check how severe it is before LDN.",
                "grade the cirrhosis (Child-Pugh; decompensation) and record it; hepatology advice",
                (*_LIVER_LABEL, *CIRRHOSIS_EXPOSURE_FOLD.sources),
                "needs_clinician_review",
            )
        ]
    if d in ("compensated_cirrhosis", "chronic_liver_disease") or cp == "A":
        return [
            Finding(
                "SAFETY_LIVER_CHRONIC",
                "caution",
                f"{d.replace('_', ' ').capitalize() if d != 'none' else 'Child-Pugh A'}: naltrexone exposure rises "
                f"(about {lo:g}x in compensated cirrhosis); labels advise caution. Monitor liver tests.",
                "You have a long-term liver condition; your clinician will check your liver tests.",
                "check liver tests before starting and during treatment",
                (
                    "livertox-naltrexone",
                    "dailymed-naltrexone-label",
                    *CIRRHOSIS_EXPOSURE_FOLD.sources,
                ),
                "candidate_with_cautions",
            )
        ]
    return []


def _liver_tests(r: PatientRecord) -> list[Finding]:
    t = r.liver_tests
    if t is None:
        return []
    ratios = [
        v / u
        for v, u in ((t.alt_u_per_l, t.alt_uln_u_per_l), (t.ast_u_per_l, t.ast_uln_u_per_l))
        if v is not None
    ]
    top = max(ratios, default=0.0)
    bili = (t.bilirubin_umol_per_l or 0.0) / t.bilirubin_uln_umol_per_l
    x_tx, x_bili = LFT_REVIEW_WITH_BILIRUBIN_X_ULN.value
    on = t.date.isoformat()
    if top >= LFT_REVIEW_X_ULN.value or (top >= x_tx and bili >= x_bili):
        return [
            Finding(
                "SAFETY_LIVER_ENZYMES_HIGH",
                "stop",
                f"Transaminases {top:.1f}x ULN (bilirubin {bili:.1f}x ULN) on {on}: hold the start and evaluate the cause. "
                "The threshold is ldn's assumption (liver-injury monitoring rules; no label figure).",
                "Your liver blood tests are well above normal; this needs checking first.",
                "investigate the liver tests and repeat them before considering LDN",
                LFT_REVIEW_X_ULN.sources,
                "needs_clinician_review",
            )
        ]
    out: list[Finding] = []
    if top > 1.0:
        out.append(
            Finding(
                "SAFETY_LIVER_ENZYMES_RAISED",
                "caution",
                f"Transaminases {top:.1f}x ULN on {on}: start with liver-test monitoring.",
                "One of your liver blood tests is a little high; it will be re-checked.",
                "repeat liver tests within 4-12 weeks of starting",
                LFT_REVIEW_X_ULN.sources,
                "candidate_with_cautions",
            )
        )
    if bili > 1.0 and top <= 1.0:
        high = bili >= BILIRUBIN_REVIEW_X_ULN.value
        out.append(
            Finding(
                "SAFETY_BILIRUBIN_RAISED",
                "caution",
                f"Bilirubin {bili:.1f}x ULN with normal transaminases on {on}: "
                + (
                    "find the cause before starting."
                    if high
                    else "often benign (e.g. Gilbert's syndrome); check the cause."
                ),
                "Your bilirubin blood test is raised; your clinician will look into why.",
                "fractionate bilirubin (conjugated/unconjugated) and review liver function",
                BILIRUBIN_REVIEW_X_ULN.sources,
                "needs_clinician_review" if high else "candidate_with_cautions",
            )
        )
    return out


def liver_findings(r: PatientRecord) -> list[Finding]:
    """Liver disease (graded) and liver tests."""
    return [*_liver_disease(r), *_liver_tests(r)]


def renal_findings(r: PatientRecord) -> list[Finding]:
    """Kidney function: severe impairment contraindicated (UK/EU labels), moderate a caution."""
    k = r.renal_function
    if k is None:
        return []
    egfr = k.egfr_ml_min_1_73m2
    when = f" on {k.date.isoformat()}" if k.date else ""
    if k.dialysis or (egfr is not None and egfr < SEVERE_RENAL_EGFR.value):
        what = "on dialysis" if k.dialysis else f"eGFR {egfr:g} mL/min/1.73 m²{when}"
        return [
            Finding(
                "SAFETY_RENAL_SEVERE",
                "stop",
                f"Severe renal impairment ({what}): contraindicated in the UK SmPC and the EU core safety profile; the US "
                f"label advises caution. Naltrexone and 6β-naltrexol are cleared by the kidneys. {CARRIED_OVER}",
                "Your kidneys work too little for LDN to be started safely.",
                "do not start; discuss with the nephrologist",
                SEVERE_RENAL_EGFR.sources,
                "contraindicated",
            )
        ]
    if egfr is not None and egfr < MODERATE_RENAL_EGFR.value:
        return [
            Finding(
                "SAFETY_RENAL_IMPAIRED",
                "caution",
                f"Renal impairment (eGFR {egfr:g} mL/min/1.73 m²{when}): the US label and NICE advise caution; "
                "6β-naltrexol, cleared by the kidneys, may accumulate.",
                "Your kidney function is reduced; LDN will be used with care.",
                "use the slow schedule; recheck kidney function",
                MODERATE_RENAL_EGFR.sources,
                "candidate_with_cautions",
            )
        ]
    return []
