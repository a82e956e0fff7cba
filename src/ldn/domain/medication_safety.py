"""Medicines and naltrexone: opioid washout, medicines ldn cannot identify, naltrexone already
taken, opioid antagonists and interactions.

Every medicine is read by :func:`ldn.domain.medicines.identify`; the rules here look at the
union of its classes (:attr:`ldn.domain.patient.Medication.classes`), so a combination product
fires every rule of every ingredient. The opioid-free interval depends on the kind of opioid and
on how long the product releases it::

    short-acting (tablets, liquids, injections; tramadol, codeine, ...)     10 d (label 7-10 d)
    methadone, buprenorphine (any form)                                      14 d (label: up to two weeks)
    extended release, patches, levorphanol, an opioid of unknown kind        14 d (ldn assumption)
    depot injection or implant                                               14 d at least, and clinician review

A negative naloxone challenge on or after day 7 shortens a short-acting washout to the label's
7-day minimum. Unknown never means safe: a medicine ldn cannot read is sent to the clinician,
whose recorded answer (``review``) then decides.
"""

from __future__ import annotations

from datetime import date, timedelta

from ldn.domain.facts import Fact
from ldn.domain.findings import Finding
from ldn.domain.medicines import OPIOID_CLASSES
from ldn.domain.patient import Medication, PatientRecord

__all__ = ["medication_findings", "washout_for"]

LABEL = ("revia-label-2013",)
WASHOUT_SHORT_ACTING_D = Fact(
    10,
    unit="d",
    sources=LABEL,
    note="Label: opioid-free for a minimum of 7-10 days after short-acting opioids, including tramadol. "
    "ldn uses the upper end (10 d) as the default and lets a negative naloxone challenge shorten it to 7 d. "
    "The label writes this for patients dependent on opioids; ldn applies it to any opioid use, which is "
    "stricter than the label.",
)
WASHOUT_SHORT_ACTING_MIN_D = Fact(
    7,
    unit="d",
    sources=LABEL,
    note="Lower end of the label's 7-10 day interval: the earliest start with a negative naloxone challenge.",
)
WASHOUT_METHADONE_BUPRENORPHINE_D = Fact(
    14,
    unit="d",
    sources=(*LABEL, "droracle-switching"),
    note="Label: precipitated withdrawal possible 'for as long as two weeks' after methadone or buprenorphine "
    "(the two-week wording seen only as quoted by a secondary source).",
)
WASHOUT_LONG_ACTING_D = Fact(
    14,
    unit="d",
    sources=("ldn-assumption", *LABEL),
    note="No label figure for extended-release opioids, patches, depots or an opioid of unknown kind; ldn "
    "applies the two-week methadone/buprenorphine window and asks for clinician review (assumption).",
)

_MAINTENANCE = {"methadone", "buprenorphine"}
_LONG = {"opioid_long_acting", "opioid_unspecified"}
_EXTRAPOLATION = (
    "The label interval is written for 50 mg naltrexone; using it for LDN is an extrapolation."
)


def washout_for(med: Medication) -> Fact[int] | None:
    """The opioid-free interval ldn applies before LDN after ``med`` (None: not an opioid)."""
    classes = med.classes
    opioids = classes & OPIOID_CLASSES
    if not opioids or opioids <= {"opioid_antidiarrhoeal"}:
        return None
    if classes & _MAINTENANCE:
        return WASHOUT_METHADONE_BUPRENORPHINE_D
    if med.identity.long_acting or med.form in ("patch",) or classes & _LONG:
        return WASHOUT_LONG_ACTING_D
    return WASHOUT_SHORT_ACTING_D


def _what(med: Medication) -> str:
    """'Percocet (oxycodone + paracetamol)': the name and what ldn read in it."""
    ings = " + ".join(i.replace("_", " ") for i in med.identity.ingredients)
    if not ings or ings.lower() == med.name.lower():
        return med.name
    return f"{med.name} ({ings})"


def _form_note(med: Medication) -> str:
    form = med.form
    if med.identity.depot:
        return " Depot/implant: the opioid is released for weeks to months; the interval must be set by the clinician."
    if form == "patch":
        return " Transdermal patch: the opioid keeps being absorbed from the skin after removal."
    if med.identity.long_acting:
        return " Extended-release product."
    return ""


def _challenge_earliest(r: PatientRecord, last_day: date, washout: Fact[int]) -> date | None:
    """With a negative naloxone challenge on or after day 7 (short-acting only): that day."""
    ch = r.naloxone_challenge
    if washout is not WASHOUT_SHORT_ACTING_D or ch is None or ch.result != "negative":
        return None
    minimum = last_day + timedelta(days=WASHOUT_SHORT_ACTING_MIN_D.value)
    return ch.date if ch.date >= minimum else None


def _opioid(r: PatientRecord, med: Medication, today: date) -> list[Finding]:
    washout = washout_for(med)
    if washout is None:
        return []
    what = _what(med)
    last = med.last_dose_at
    if last is None and med.status == "stopped":
        return [
            Finding(
                "SAFETY_OPIOID_LAST_DOSE_UNKNOWN",
                "stop",
                f"{what} contains an opioid and was stopped, but the date of the last dose is not recorded.",
                f"We need to know when you last took {med.name} before LDN can start.",
                "record the date of the last dose, or confirm opioid-free status (urine screen or naloxone challenge)",
                washout.sources,
                "needs_clinician_review",
            )
        ]
    last_day = last.date() if last else today
    earliest = last_day + timedelta(days=washout.value)
    by_challenge = _challenge_earliest(r, last_day, washout) if med.status == "stopped" else None
    if by_challenge is not None:
        earliest = min(earliest, by_challenge)
    out: list[Finding] = []
    if med.identity.depot:
        out.append(
            Finding(
                "SAFETY_OPIOID_DEPOT",
                "stop",
                f"{what} is a depot or implant opioid: levels persist for weeks or months after the last dose; "
                "the opioid-free interval before naltrexone must be set by the clinician (no label figure for LDN).",
                f"{med.name} stays in the body for a long time. Your clinician will decide when LDN could start.",
                "specialist review of the interval; confirm opioid-free status (urine screen, naloxone challenge)",
                WASHOUT_LONG_ACTING_D.sources,
                "needs_clinician_review",
            )
        )
    if med.status != "stopped" or earliest > today:
        verb = "is taking" if med.status != "stopped" else "took"
        stop = f"stop {med.name} now; " if med.status != "stopped" else ""
        when = (
            f"last dose {last_day.isoformat()}"
            if last
            else "no last dose recorded (counted from today)"
        )
        extra = _form_note(med) + (
            " Clinician review of the interval is advised."
            if washout is WASHOUT_LONG_ACTING_D
            else ""
        )
        out.append(
            Finding(
                "SAFETY_OPIOID_WASHOUT",
                "stop",
                f"Patient {verb} {what}, which contains an opioid; {when}. Naltrexone precipitates withdrawal and "
                f"blocks opioid analgesia: an opioid-free interval of {washout.value} days is required before "
                f"LDN. {_EXTRAPOLATION}{extra}",
                f"LDN blocks opioid painkillers, and {med.name} contains one. You need to be off {med.name} for "
                f"{washout.value} days first, so the earliest start is {earliest.isoformat()}.",
                f"{stop}start no earlier than {earliest.isoformat()}; if opioid-free status is in doubt, do a naloxone challenge",
                washout.sources,
                "do_not_start_yet",
                earliest,
            )
        )
        return out
    how = (
        f"negative naloxone challenge on {by_challenge.isoformat()} after the label's {WASHOUT_SHORT_ACTING_MIN_D.value}-day minimum"
        if by_challenge is not None and by_challenge < last_day + timedelta(days=washout.value)
        else f"{washout.value}-day opioid-free interval complete"
    )
    out.append(
        Finding(
            "SAFETY_OPIOID_WASHOUT_COMPLETE",
            "info",
            f"{what} stopped; last dose {last_day.isoformat()}; {how}.",
            f"You have been off {med.name} long enough.",
            "confirm no opioid use since (urine screen if in doubt)",
            (*washout.sources, *WASHOUT_SHORT_ACTING_MIN_D.sources)
            if by_challenge
            else washout.sources,
        )
    )
    return out


def _unidentified(med: Medication) -> Finding:
    partial = med.identity.status == "partial"
    read = f" ldn read: {med.identity.explanation()}." if partial else ""
    return Finding(
        "MEDICATION_NOT_IDENTIFIED",
        "stop",
        f"ldn cannot fully identify the medicine {med.name!r}.{read} It may contain an opioid or naltrexone, "
        "which would change whether and when LDN can start.",
        f"We could not recognise {med.name}. Your clinician will check what it contains before LDN starts.",
        f"check {med.name!r}: does it contain an opioid (or naltrexone)? Record the answer on the medicine "
        "(review: contains_opioid true/false, reviewed_by, reviewed_on), or correct the name",
        ("ldn-assumption", *LABEL),
        "needs_clinician_review",
    )


def _reviewed(med: Medication) -> Finding:
    rv = med.review
    assert rv is not None
    says = "contains an opioid" if rv.contains_opioid else "contains no opioid"
    if rv.contains_naltrexone:
        says += " and contains naltrexone"
    return Finding(
        "MEDICATION_REVIEWED",
        "info",
        f"{med.name!r} is not in ldn's medicine list; {rv.reviewed_by} recorded on {rv.reviewed_on.isoformat()} "
        f"that it {says}.",
        f"Your clinician checked {med.name}.",
        "none",
        ("ldn-assumption",),
    )


def _antagonists(med: Medication) -> list[Finding]:
    out: list[Finding] = []
    if med.status == "stopped":
        return out
    c = med.classes
    what = _what(med)
    if "naltrexone" in c:
        out.append(
            Finding(
                "SAFETY_ALREADY_ON_NALTREXONE",
                "stop",
                f"Already taking naltrexone: {what} ({med.dose or 'dose not given'}). Do not add LDN on top; "
                "decide whether to continue, change or stop the existing naltrexone first.",
                "You already take a medicine that contains naltrexone, so LDN must not be added to it.",
                "reconcile: continue, adjust or stop the existing naltrexone before any LDN prescription",
                ("seed-article", *LABEL),
                "needs_clinician_review",
            )
        )
    elif "opioid_antagonist" in c and not med.is_opioid and med.status == "current":
        out.append(
            Finding(
                "SAFETY_OTHER_OPIOID_ANTAGONIST",
                "caution",
                f"{what} is an opioid antagonist taken regularly; adding naltrexone duplicates the blockade.",
                f"{med.name} works against opioids like LDN does; your clinician will check whether both are needed.",
                "review the need for both opioid antagonists",
                ("who-atc-ddd", "ldn-assumption"),
                "needs_clinician_review",
            )
        )
    if "pamora" in c:
        out.append(
            Finding(
                "SAFETY_OPIOID_CONSTIPATION_MEDICINE",
                "caution",
                f"{what} treats opioid-induced constipation, which suggests current opioid use.",
                f"{med.name} is usually taken with opioid painkillers. Tell your clinician about every painkiller you take.",
                "confirm whether the patient takes an opioid; record it with its last dose",
                ("who-atc-ddd", "ldn-assumption"),
                "needs_clinician_review",
            )
        )
    return out


def _interactions(med: Medication) -> list[Finding]:
    if med.status == "stopped":
        return []
    c = med.classes
    out: list[Finding] = []
    if "thioridazine" in c:
        out.append(
            Finding(
                "SAFETY_INTERACTION_THIORIDAZINE",
                "caution",
                "Thioridazine with naltrexone: lethargy and somnolence reported.",
                "One of your medicines can make you very drowsy together with LDN.",
                "review the need for thioridazine",
                ("rosheta-revia", "renalandurologynews-naltrexone"),
                "candidate_with_cautions",
            )
        )
    if "disulfiram" in c:
        out.append(
            Finding(
                "SAFETY_INTERACTION_DISULFIRAM",
                "caution",
                "Disulfiram with naltrexone is not recommended (two potentially hepatotoxic drugs).",
                "Disulfiram and LDN together need your clinician's review.",
                "weigh benefits; monitor liver tests",
                ("renalandurologynews-naltrexone",),
                "needs_clinician_review",
            )
        )
    return out


def _antidiarrhoeal(med: Medication, today: date) -> list[Finding]:
    """A peripherally acting opioid taken now or in the last interval: confirm the dose."""
    if "opioid_antidiarrhoeal" not in med.classes or med.is_opioid_beyond_gut:
        return []
    last = med.last_dose_at
    if (
        med.status == "stopped"
        and last is not None
        and last.date() + timedelta(days=WASHOUT_SHORT_ACTING_D.value) <= today
    ):
        return []
    return [
        Finding(
            "SAFETY_INTERACTION_OPIOID_ANTIDIARRHOEAL",
            "caution",
            f"{_what(med)} is a peripherally acting opioid: at usual doses no washout is needed, but it may not work "
            "while taking naltrexone, and high doses (misuse, self-treated withdrawal) act centrally like other opioids. "
            "Confirm the dose and whether it is still needed.",
            f"{med.name} may work less well while you take LDN. Your clinician will ask how much you take.",
            "confirm the dose (usual doses only); discuss alternatives for diarrhoea",
            (*LABEL, "ldn-assumption"),
            "needs_clinician_review",
        )
    ]


def medication_findings(r: PatientRecord, *, today: date) -> list[Finding]:
    """Every finding about the medicines in ``r`` as of ``today``."""
    out: list[Finding] = []
    for med in r.medications:
        if not med.identified:
            out.append(_unidentified(med))
        elif med.review is not None and med.identity.status != "recognised":
            out.append(_reviewed(med))
        out += _opioid(r, med, today)
        out += _antagonists(med)
        out += _interactions(med)
        out += _antidiarrhoeal(med, today)
    if any(f.code == "SAFETY_OPIOID_WASHOUT" for f in out):
        out.append(
            Finding(
                "SAFETY_NALOXONE_CHALLENGE",
                "info",
                "If opioid-free status is in doubt at the start date, a naloxone challenge is recommended (not if signs "
                "of withdrawal or opioids in urine); a negative challenge after the label's 7-day minimum can be recorded "
                "and shortens the wait after short-acting opioids.",
                "Your clinician may do a short test to make sure no opioids remain in your body.",
                "naloxone challenge when in doubt",
                (*LABEL, "altmeyers-naltrexone"),
                "candidate",
            )
        )
    return out
