"""Words people read, kept in one place (so a translation is one file): finding titles for the
clinician and the patient, and verdicts in plain words. Rule ids stay in data and logs only.

A test fails when a finding code the screen can produce has no title here.
"""

from __future__ import annotations

__all__ = ["FINDING_TITLES", "VERDICT_WORDS", "finding_title", "verdict_words"]

#: finding code -> (title for the clinician, title for the patient)
FINDING_TITLES: dict[str, tuple[str, str]] = {
    "PAIN_NOCIPLASTIC": ("Pain is mainly nociplastic", "Your pain looks like the kind LDN may help"),
    "PAIN_MIXED": ("Mixed pain mechanisms", "Part of your pain may be the kind LDN may help"),
    "PAIN_NOT_NOCIPLASTIC": ("Pain is not nociplastic", "LDN is not expected to help this kind of pain"),
    "PAIN_MECHANISM_UNDETERMINED": ("Pain mechanism not yet determined", "We need more information about your pain"),
    "PAIN_DURATION_DISAGREES": ("Pain duration answers disagree", "Two answers about how long you have had pain disagree"),
    "HEADACHE_MEDICATION_OVERUSE": ("Medication-overuse headache", "Headache medicines taken very often"),
    "HISTORY_CONVENTIONAL_TRIED": ("Conventional treatment tried", "Other treatments already tried"),
    "HISTORY_NO_CONVENTIONAL_TRIAL": ("No conventional treatment recorded", "Standard treatments come first"),
    "EVIDENCE_FOR_CONDITION": ("What the trials say", "What the trials say"),
    "OUTLOOK_EVIDENCE_DISAGREES": ("Mechanism and trial evidence disagree", "Your clinician will weigh two kinds of evidence"),
    "EVIDENCE_NONE_FOR_CONDITION": ("No randomized trial in this condition", "LDN is untested by trials for your condition"),
    "QUESTIONNAIRE_INVALID": ("A questionnaire could not be scored", "A questionnaire was incomplete"),
    "MEDICATION_NOT_IDENTIFIED": ("Medicine not identified", "We could not recognise one of your medicines"),
    "MEDICATION_REVIEWED": ("Medicine checked by the clinician", "Your clinician checked a medicine"),
    "SAFETY_HYPERSENSITIVITY": ("Allergy to naltrexone", "Allergy to naltrexone"),
    "SAFETY_OUD_CURRENT": ("Current opioid dependence", "Opioid dependence now"),
    "SAFETY_OUD_HISTORY": ("Past opioid use disorder: overdose risk", "Opioids after stopping LDN can be dangerous"),
    "SAFETY_OPIOID_WITHDRAWAL_NOW": ("Acute opioid withdrawal", "Signs of opioid withdrawal"),
    "SAFETY_URINE_OPIOID_POSITIVE": ("Positive urine opioid screen", "Your urine test found opioids"),
    "SAFETY_NALOXONE_CHALLENGE_POSITIVE": ("Failed naloxone challenge", "The naloxone test showed opioids are active"),
    "SAFETY_NALOXONE_CHALLENGE": ("Naloxone challenge if in doubt", "A short test before the first dose, if needed"),
    "SAFETY_OPIOID_WASHOUT": ("Opioid-free interval needed", "Time off opioid painkillers first"),
    "SAFETY_OPIOID_WASHOUT_COMPLETE": ("Opioid-free interval complete", "Off opioids long enough"),
    "SAFETY_OPIOID_LAST_DOSE_UNKNOWN": ("Last opioid dose not recorded", "When did you last take an opioid?"),
    "SAFETY_OPIOID_DEPOT": ("Depot or implant opioid", "A long-lasting opioid injection or implant"),
    "SAFETY_OPIOID_OVERDOSE_WARNING": ("Blockade and overdose warnings", "Important: LDN and opioid painkillers"),
    "SAFETY_OPIOID_OVERDOSE_RISK": ("Overdose risk after recent opioid use", "Important: LDN and opioid painkillers"),
    "SAFETY_ALREADY_ON_NALTREXONE": ("Already taking naltrexone", "You already take naltrexone"),
    "SAFETY_OTHER_OPIOID_ANTAGONIST": ("Another opioid antagonist", "Another medicine that blocks opioids"),
    "SAFETY_OPIOID_CONSTIPATION_MEDICINE": ("Medicine for opioid-induced constipation", "A medicine usually taken with opioids"),
    "SAFETY_INTERACTION_OPIOID_ANTIDIARRHOEAL": ("Opioid antidiarrhoeal", "A diarrhoea medicine that LDN may weaken"),
    "SAFETY_INTERACTION_THIORIDAZINE": ("Interaction: thioridazine", "A medicine that can make you drowsy with LDN"),
    "SAFETY_INTERACTION_DISULFIRAM": ("Interaction: disulfiram", "Disulfiram and LDN together"),
    "SAFETY_LIVER_ACUTE": ("Acute hepatitis or liver failure", "Liver inflamed or failing"),
    "SAFETY_LIVER_SEVERE": ("Severe hepatic impairment", "Severe liver disease"),
    "SAFETY_LIVER_CIRRHOSIS_REVIEW": ("Cirrhosis: grade needed", "Liver cirrhosis needs checking"),
    "SAFETY_LIVER_CHRONIC": ("Chronic liver disease", "Long-term liver condition"),
    "SAFETY_LIVER_ENZYMES_HIGH": ("Liver tests well above normal", "Liver blood tests well above normal"),
    "SAFETY_LIVER_ENZYMES_RAISED": ("Liver tests raised", "A liver blood test is a little high"),
    "SAFETY_BILIRUBIN_RAISED": ("Bilirubin raised", "Bilirubin blood test raised"),
    "SAFETY_RENAL_SEVERE": ("Severe renal impairment", "Kidneys work too little"),
    "SAFETY_RENAL_IMPAIRED": ("Renal impairment", "Reduced kidney function"),
    "SAFETY_PREGNANCY": ("Pregnancy", "Pregnancy"),
    "SAFETY_LACTATION": ("Breastfeeding", "Breastfeeding"),
    "SAFETY_PLANNING_PREGNANCY": ("Planning pregnancy", "Planning a pregnancy"),
    "SAFETY_AGE_UNDER_18": ("Under 18", "Young people"),
    "SAFETY_AGE_ELDERLY": ("Older adult", "Older adults"),
    "SAFETY_SURGERY_HOLD_START": ("Surgery soon: start after recovery", "Start after your operation"),
    "SAFETY_PLANNED_SURGERY": ("Planned surgery", "Before your operation"),
    "SAFETY_RECENT_SURGERY": ("Recent surgery", "After your operation"),
    "SAFETY_TRANSPLANT_IMMUNOSUPPRESSION": ("Transplant or immunosuppression", "Transplant or immune-suppressing medicines"),
    "SAFETY_THYROID": ("Thyroid disease", "Thyroid condition"),
}  # fmt: skip

#: verdict -> (clinician words, patient words)
VERDICT_WORDS: dict[str, tuple[str, str]] = {
    "candidate": ("May be a candidate", "LDN may be worth trying"),
    "candidate_with_cautions": (
        "May be a candidate, with cautions",
        "LDN may be worth trying, with care",
    ),
    "unlikely_to_benefit": ("Unlikely to benefit", "LDN is not expected to help this pain"),
    "do_not_start_yet": ("Do not start yet", "Not yet: wait before starting"),
    "needs_clinician_review": (
        "Needs clinician review",
        "Your clinician needs to check something first",
    ),
    "contraindicated": ("Contraindicated", "LDN is not safe for you"),
}


def finding_title(code: str, *, for_patient: bool = False) -> str:
    """The title a person reads for a finding (never the rule id)."""
    titles = FINDING_TITLES.get(code)
    if titles is None:
        return code.replace("_", " ").capitalize()
    return titles[1] if for_patient else titles[0]


def verdict_words(verdict: str, *, for_patient: bool = False) -> str:
    words = VERDICT_WORDS.get(verdict)
    if words is None:
        return verdict.replace("_", " ")
    return words[1] if for_patient else words[0]
