"""The LDN screen: is this pain the kind LDN may help, and is LDN safe for this patient now?

``screen(record, today=...)`` scores every instrument the record has answers for, classifies the
pain mechanism, runs the safety rules, and decides a verdict — the strictest any finding calls
for, in this order (strictest first)::

    contraindicated > do_not_start_yet > needs_clinician_review > unlikely_to_benefit
        > candidate_with_cautions > candidate

``do_not_start_yet`` carries the earliest start date (the latest date any waiting period ends).
The report supports, and does not replace, clinical judgement; LDN for pain is off-label.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from ldn import DISCLAIMER
from ldn.domain.errors import InputError
from ldn.domain.evidence.outlook import condition_evidence
from ldn.domain.findings import Finding, Verdict, decide_verdict
from ldn.domain.instruments import INSTRUMENTS, InstrumentResult
from ldn.domain.instruments import ichd3 as ichd3_mod
from ldn.domain.mechanism import MechanismAssessment, classify_mechanism
from ldn.domain.patient import Medication, PatientRecord
from ldn.domain.safety import safety_findings
from ldn.domain.vocabulary import CONDITIONS, primary_class

__all__ = ["RULES_VERSION", "ScreeningReport", "score_instruments", "screen"]

#: bump when any screening rule, threshold or wording that changes a verdict changes
RULES_VERSION = "2026.11.0"
OFF_LABEL = "Low-dose naltrexone for pain is off-label: no regulator has approved it for any pain condition."


@dataclass(frozen=True, slots=True)
class ScreeningReport:
    patient_id: str
    as_of: date
    verdict: Verdict
    earliest_start: date | None
    findings: tuple[Finding, ...]
    instruments: dict[str, InstrumentResult]
    mechanism: MechanismAssessment
    rules_version: str = RULES_VERSION

    def as_dict(self) -> dict[str, Any]:
        return {
            "patient_id": self.patient_id,
            "as_of": self.as_of.isoformat(),
            "verdict": self.verdict,
            "earliest_start": self.earliest_start.isoformat() if self.earliest_start else None,
            "mechanism": self.mechanism.as_dict(),
            "findings": [f.as_dict() for f in self.findings],
            "instruments": {k: v.as_dict() for k, v in self.instruments.items()},
            "rules_version": self.rules_version,
            "off_label": OFF_LABEL,
            "disclaimer": DISCLAIMER,
        }


def moh_class(m: Medication) -> str | None:
    """The ICHD-3 8.2 class of an acute headache medicine: a product with analgesics of two or
    more ingredients (e.g. paracetamol + codeine, or + caffeine) is a combination analgesic."""
    if len(m.identity.analgesic_ingredients) >= 2 or m.drug_class == "combination_analgesic":
        return "combination_analgesic"
    cls = primary_class(m.identity, m.classes)
    return cls if any(cls in group for group in ichd3_mod.MOH_CLASSES.values()) else None


def _moh_use(record: PatientRecord) -> ichd3_mod.MohUse:
    days: dict[str, int] = {}
    months: dict[str, float | None] = {}
    for m in record.medications:
        cls = moh_class(m)
        if m.days_per_month is None or m.status == "stopped" or cls is None:
            continue
        days[cls] = days.get(cls, 0) + m.days_per_month
        months[cls] = m.months_of_regular_use
    return ichd3_mod.MohUse(days, months)


def score_instruments(
    record: PatientRecord, *, problems: list[InputError] | None = None
) -> dict[str, InstrumentResult]:
    """Score every questionnaire in the record (ICHD-3 also sees acute-medication days).

    An unknown or invalid questionnaire raises :class:`InputError`, unless ``problems`` is
    given: then it is appended there and skipped, so that the screen can report it and still run
    every safety rule.
    """
    out: dict[str, InstrumentResult] = {}
    for key, response in record.questionnaires.items():
        try:
            if key not in INSTRUMENTS:
                raise InputError.at(
                    f"questionnaires.{key}",
                    f"unknown instrument {key!r}",
                    f"use one of: {', '.join(INSTRUMENTS)}",
                )
            spec = INSTRUMENTS[key]
            answers = spec.validate(response.answers, loc=f"questionnaires.{key}.answers")
            out[key] = (
                ichd3_mod.classify(answers, _moh_use(record))
                if key == "ichd3"
                else spec.scorer(answers)
            )
        except InputError as exc:
            if problems is None:
                raise
            problems.append(exc)
    return out


def _questionnaire_findings(problems: list[InputError]) -> list[Finding]:
    return [
        Finding(
            "QUESTIONNAIRE_INVALID",
            "caution",
            "A questionnaire could not be scored: "
            + "; ".join(exc.lines())
            + ". Its criteria are not counted; "
            "the safety rules still ran.",
            "One of your questionnaires was incomplete, so it was not counted.",
            "complete or correct the questionnaire, then screen again",
            ("seed-article",),
            "needs_clinician_review",
        )
        for exc in problems
    ]


def _duration_findings(record: PatientRecord) -> list[Finding]:
    """The record's pain duration and a questionnaire's duration answer that disagree."""
    if record.pain is None:
        return []
    acr = record.questionnaires.get("acr_2016")
    said = acr.answers.get("symptoms_at_least_3_months") if acr else None
    months = record.pain.duration_months
    if isinstance(said, bool) and said != (months >= 3):
        return [
            Finding(
                "PAIN_DURATION_DISAGREES",
                "caution",
                f"The record gives pain for {months:g} months, but the ACR 2016 answer says symptoms have "
                f"{'' if said else 'not '}lasted at least 3 months.",
                "Two answers about how long you have had pain disagree; your clinician will check.",
                "correct the pain duration or the questionnaire answer",
                ("wolfe-2016",),
                "needs_clinician_review",
            )
        ]
    return []


def _mechanism_findings(m: MechanismAssessment) -> list[Finding]:
    src = m.source_ids
    if m.ldn_outlook == "may_help":
        return [
            Finding(
                "PAIN_NOCIPLASTIC",
                "info",
                "Pain is predominantly nociplastic (" + "; ".join(m.for_nociplastic) + ").",
                "Your pain looks like the kind driven by an over-sensitive nervous system, which is where LDN may help.",
                "LDN may be considered if conventional treatment has not helped",
                src,
                "candidate",
            )
        ]
    if m.ldn_outlook == "mixed":
        return [
            Finding(
                "PAIN_MIXED",
                "caution",
                "Mixed pain: nociplastic features ("
                + "; ".join(m.for_nociplastic)
                + ") with "
                + "; ".join(m.for_other)
                + ". LDN may help the nociplastic part only.",
                "Part of your pain may come from an over-sensitive nervous system (LDN may help that part), "
                "and part from another cause LDN is not expected to help.",
                "treat the nociceptive/neuropathic cause as usual; judge LDN on the nociplastic symptoms",
                src,
                "candidate_with_cautions",
            )
        ]
    if m.ldn_outlook == "unlikely_to_help":
        return [
            Finding(
                "PAIN_NOT_NOCIPLASTIC",
                "caution",
                f"Pain appears {m.mechanism} (" + "; ".join(m.for_other) + ") without "
                "nociplastic features. The article does not expect LDN to help ongoing tissue damage, active inflammation, "
                "degenerative arthritis or spinal nerve compression.",
                "Your pain seems to come from the joints, tissues or nerves themselves; LDN is not expected to help this kind of pain.",
                "treat the underlying cause; reconsider only if nociplastic features develop",
                src,
                "unlikely_to_benefit",
            )
        ]
    return [
        Finding(
            "PAIN_MECHANISM_UNDETERMINED",
            "caution",
            "Not enough information to classify the pain mechanism.",
            "We could not yet tell what kind of pain you have.",
            "complete the ACR 2016, IASP nociplastic and (for headache) ICHD-3 questions",
            src,
            "needs_clinician_review",
        )
    ]


def _instrument_findings(instruments: dict[str, InstrumentResult]) -> list[Finding]:
    out: list[Finding] = []
    ichd = instruments.get("ichd3")
    if ichd is not None and ichd.details.get("medication_overuse"):
        names = ", ".join(
            f"{c} {n}"
            for c, n in zip(
                ichd.details["medication_overuse"],
                ichd.details["medication_overuse_names"],
                strict=True,
            )
        )
        opioid = "8.2.4" in ichd.details["medication_overuse"]
        out.append(
            Finding(
                "HEADACHE_MEDICATION_OVERUSE",
                "caution",
                f"ICHD-3 medication-overuse headache: {names}."
                + (" Opioid overuse also means an opioid washout before LDN." if opioid else ""),
                "Taking headache painkillers this often can itself keep headaches going. Cutting back is part of the plan.",
                "plan withdrawal of the overused medication (about half revert to episodic migraine after withdrawal)",
                ("ichd3-2018",),
                "candidate_with_cautions",
            )
        )
    return out


#: classes of medicines that count as conventional pain or headache treatment already tried
CONVENTIONAL_CLASSES = frozenset({
    "antidepressant", "gabapentinoid", "muscle_relaxant", "anticonvulsant", "simple_analgesic", "triptan",
    "migraine_preventive", "cgrp_antagonist", "ergotamine", "tramadol", "tapentadol", "codeine",
    "opioid_full_agonist", "opioid_long_acting", "buprenorphine", "methadone",
})  # fmt: skip


def _history_findings(record: PatientRecord) -> list[Finding]:
    failed = [
        t.name
        for t in record.prior_treatments
        if t.outcome in ("ineffective", "not_tolerated", "partial")
    ]
    in_use = [m.name for m in record.medications if m.classes & CONVENTIONAL_CLASSES]
    if failed or in_use:
        tried = ", ".join([*failed, *(m for m in in_use if m not in failed)])
        return [
            Finding(
                "HISTORY_CONVENTIONAL_TRIED",
                "info",
                f"Conventional treatment tried or in use without full benefit: {tried}.",
                "You have already tried other treatments, which is when LDN is usually considered.",
                "none",
                ("seed-article",),
            )
        ]
    return [
        Finding(
            "HISTORY_NO_CONVENTIONAL_TRIAL",
            "caution",
            "No conventional treatment recorded. The article positions LDN as an option "
            "when conventional treatments have not been effective.",
            "LDN is usually tried after standard treatments have not helped enough.",
            "record prior treatments, or try guideline-recommended treatment first",
            ("seed-article",),
            "candidate_with_cautions",
        )
    ]


def _evidence_findings(record: PatientRecord, m: MechanismAssessment) -> list[Finding]:
    """What the evidence review says for each of the patient's conditions, beside the mechanism;
    where the two disagree, the decision goes to the clinician (``needs_clinician_review``, which
    ranks above ``unlikely_to_benefit``)."""
    codes = list(
        dict.fromkeys(
            c.code for c in record.conditions if c.status != "resolved" and c.code != "other"
        )
    )
    evidence = {code: condition_evidence(code) for code in codes}
    out = [
        Finding(
            "EVIDENCE_FOR_CONDITION",
            "info",
            f"{CONDITIONS[code].display}: {ev.sentence()}",
            f"{CONDITIONS[code].display}: {ev.sentence()}",
            "none",
            ev.source_ids,
        )
        for code, ev in evidence.items()
    ]
    backing = [code for code, ev in evidence.items() if ev.suggests_benefit]
    if m.ldn_outlook == "unlikely_to_help" and backing:
        ev = evidence[backing[0]]
        out.append(
            Finding(
                "OUTLOOK_EVIDENCE_DISAGREES",
                "caution",
                f"The pain mechanism ({m.mechanism}) says LDN is unlikely to help, but randomized evidence in "
                f"{CONDITIONS[backing[0]].display.lower()} {ev.direction} ({ev.certainty or 'unrated'} certainty): "
                f"{ev.statement} ldn leaves this decision to the clinician.",
                "The kind of pain you have is not the kind LDN usually helps, but a trial in your condition found "
                "some effect. Your clinician will weigh both.",
                "weigh the mechanism against the trial evidence with the patient; record the decision",
                (*m.source_ids, *ev.source_ids),
                "needs_clinician_review",
            )
        )
    nociplastic = [code for code in codes if CONDITIONS[code].mechanism == "nociplastic"]
    if (
        m.ldn_outlook in ("may_help", "mixed")
        and nociplastic
        and not any(evidence[c].review_condition for c in nociplastic)
    ):
        names = ", ".join(CONDITIONS[c].display.lower() for c in nociplastic)
        out.append(
            Finding(
                "EVIDENCE_NONE_FOR_CONDITION",
                "caution",
                f"No randomized trial of LDN in {names} in ldn's evidence review: the expectation that LDN may "
                "help rests on the pain mechanism and practice reports only.",
                "LDN has not been tested in a proper trial for your condition; trying it is an experiment.",
                "consider a blinded N-of-1 trial to judge it for this patient",
                (*m.source_ids, "seed-article"),
                "candidate_with_cautions",
            )
        )
    return out


def screen(record: PatientRecord, *, today: date) -> ScreeningReport:
    """Screen ``record`` as of ``today``: instruments, mechanism, safety, verdict."""
    problems: list[InputError] = []
    instruments = score_instruments(record, problems=problems)
    mechanism = classify_mechanism(record, instruments)
    findings = [
        *_mechanism_findings(mechanism),
        *_instrument_findings(instruments),
        *_history_findings(record),
        *_questionnaire_findings(problems),
        *_duration_findings(record),
        *_evidence_findings(record, mechanism),
        *safety_findings(record, today=today),
    ]
    order = {"stop": 0, "caution": 1, "info": 2}
    findings.sort(key=lambda f: order[f.level])
    verdict, earliest = decide_verdict(findings)
    return ScreeningReport(
        record.id, today, verdict, earliest, tuple(findings), instruments, mechanism
    )
