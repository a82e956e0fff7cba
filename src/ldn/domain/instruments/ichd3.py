"""ICHD-3 headache criteria relevant to LDN: migraine (1.1, 1.2, 1.3), tension-type headache as
the differential (2.1-2.3), and medication-overuse headache (8.2.1-8.2.7).

1.1 Migraine without aura: >= 5 attacks lasting 4-72 h (2-72 h under 18) with >= 2 of
unilateral, pulsating, moderate/severe, aggravated by activity, and >= 1 of nausea/vomiting or
photophobia and phonophobia; fewer than 5 attacks -> 1.5.1 probable migraine without aura.
1.2 Migraine with aura: >= 2 attacks with a fully reversible aura symptom and >= 3 of the 6 aura
characteristics (final ICHD-3, not the beta's 2 of 4).
1.3 Chronic migraine: headache on >= 15 days/month for > 3 months, with migraine features on
>= 8 days/month, in a patient with a migraine history; excludes tension-type headache.
8.2 Medication overuse: headache on >= 15 days/month with a pre-existing headache disorder and
regular overuse for > 3 months: ergotamine, triptans, opioids or combination analgesics on
>= 10 days/month; non-opioid analgesics on >= 15 days/month; several classes together on
>= 10 days/month without any one class overused (8.2.6; 8.2.7 when unverified).

ICHD-3 is freely accessible (IHS); ldn implements the rules, it does not reproduce the text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import Field

from ldn.domain.facts import Fact
from ldn.domain.instruments.base import Answers, InstrumentResult, InstrumentSpec
from ldn.domain.medicines import OPIOID_CLASSES

SOURCES = ("ichd3-2018",)
MIG_MIN_ATTACKS = Fact(5, unit="attacks", sources=SOURCES, note="1.1 A; fewer -> 1.5.1 probable")
MIG_DURATION_H = Fact(
    (4.0, 72.0), unit="h", sources=SOURCES, note="1.1 B, adults (2-72 h under 18)"
)
MIG_DURATION_UNDER18_H = Fact((2.0, 72.0), unit="h", sources=SOURCES)
AURA_MIN_ATTACKS = Fact(2, unit="attacks", sources=SOURCES, note="1.2 A")
AURA_MIN_CHARACTERISTICS = Fact(
    3, unit="of 6 characteristics", sources=SOURCES, note="1.2 C, final ICHD-3"
)
TTH_MIN_EPISODES = Fact(
    10, unit="episodes", sources=SOURCES, note="2.1 A, 2.2 A, 2.3 A (episodes fulfilling B-D)"
)
TTH_EPISODIC_DURATION_H = Fact(
    (0.5, 168.0),
    unit="h",
    sources=SOURCES,
    note="2.1 B and 2.2 B: 30 minutes to 7 days; 2.3 B: hours to days, or unremitting",
)
CHRONIC_HEADACHE_DAYS = Fact(15, unit="days/month", sources=SOURCES, note="1.3 A and 8.2 A")
CHRONIC_MIGRAINE_DAYS = Fact(8, unit="days/month", sources=SOURCES, note="1.3 C")
CHRONIC_MIN_MONTHS = Fact(3, unit="months (more than)", sources=SOURCES)
MOH_DAYS: Mapping[str, Fact[int]] = {
    "8.2.1": Fact(10, unit="days/month", sources=SOURCES, note="ergotamine"),
    "8.2.2": Fact(10, unit="days/month", sources=SOURCES, note="triptans"),
    "8.2.3": Fact(15, unit="days/month", sources=SOURCES, note="non-opioid analgesics (one class)"),
    "8.2.4": Fact(10, unit="days/month", sources=SOURCES, note="opioids"),
    "8.2.5": Fact(10, unit="days/month", sources=SOURCES, note="combination analgesics"),
    "8.2.6": Fact(
        10, unit="days/month", sources=SOURCES, note="multiple classes, none overused alone"
    ),
}
MOH_NAMES = {
    "8.2.1": "ergotamine-overuse headache", "8.2.2": "triptan-overuse headache",
    "8.2.3": "non-opioid analgesic-overuse headache", "8.2.4": "opioid-overuse headache",
    "8.2.5": "combination-analgesic-overuse headache",
    "8.2.6": "MOH attributed to multiple drug classes not individually overused",
    "8.2.7": "MOH attributed to unverified overuse of multiple drug classes",
}  # fmt: skip
#: drug classes (ldn.domain.medicines) by ICHD-3 8.2 subtype; a product with analgesics of two
#: or more ingredients counts as one combination analgesic (8.2.5), not as each ingredient
MOH_CLASSES = {
    "8.2.1": {"ergotamine"},
    "8.2.2": {"triptan"},
    "8.2.3": {"simple_analgesic"},
    "8.2.4": set(OPIOID_CLASSES - {"opioid_antidiarrhoeal"}),
    "8.2.5": {"combination_analgesic"},
}
_DAYS = Field(ge=0, le=31)


class Ichd3Answers(Answers):
    headache_days_per_month: int = _DAYS
    migraine_days_per_month: int = Field(
        default=0, ge=0, le=31, description="Days with migraine features (or triptan-relieved)"
    )
    months_with_this_frequency: float = Field(ge=0, le=600)
    attacks_lifetime: int = Field(ge=0)
    typical_attack_duration_h: float = Field(gt=0, le=24 * 30)
    unilateral: bool
    pulsating: bool
    moderate_or_severe: bool
    aggravated_by_activity: bool
    nausea_or_vomiting: bool
    photophobia_and_phonophobia: bool
    photophobia_or_phonophobia_only: bool = False
    aura: bool = False
    aura_attacks: int = Field(default=0, ge=0)
    aura_fully_reversible: bool = False
    aura_characteristics: int = Field(
        default=0, ge=0, le=6, description="How many of the 6 ICHD-3 aura characteristics"
    )
    under_18: bool = False
    better_accounted_for_by_another_diagnosis: bool = False


@dataclass(frozen=True, slots=True)
class MohUse:
    """Acute-medication use for the 8.2 check: days per month and months of regular use, by class."""

    days_per_month: Mapping[str, int]
    months_regular: Mapping[str, float | None]


def _migraine_criteria(a: Ichd3Answers) -> tuple[bool, bool, bool, bool]:
    """ICHD-3 1.1 criteria A (>= 5 attacks), B (duration), C (2 of 4 features), D (associated)."""
    lo, hi = (MIG_DURATION_UNDER18_H if a.under_18 else MIG_DURATION_H).value
    c = sum((a.unilateral, a.pulsating, a.moderate_or_severe, a.aggravated_by_activity)) >= 2
    d = a.nausea_or_vomiting or a.photophobia_and_phonophobia
    return (
        a.attacks_lifetime >= MIG_MIN_ATTACKS.value,
        lo <= a.typical_attack_duration_h <= hi,
        c,
        d,
    )


def _migraine_features(a: Ichd3Answers) -> bool:
    return all(_migraine_criteria(a)[1:])


def _tth_features(a: Ichd3Answers, *, chronic: bool) -> bool:
    """ICHD-3 2.x criteria A (>= 10 episodes), B (duration), C (2 of 4), D (associated)."""
    lo, hi = TTH_EPISODIC_DURATION_H.value
    b = a.typical_attack_duration_h >= lo if chronic else lo <= a.typical_attack_duration_h <= hi
    c = (
        sum(
            (
                not a.unilateral,
                not a.pulsating,
                not a.moderate_or_severe,
                not a.aggravated_by_activity,
            )
        )
        >= 2
    )
    d = not a.nausea_or_vomiting and not a.photophobia_and_phonophobia
    return a.attacks_lifetime >= TTH_MIN_EPISODES.value and b and c and d


def moh_subtypes(headache_days: int, has_headache_disorder: bool, use: MohUse) -> list[str]:
    """ICHD-3 8.2 subtypes met (>3 months of regular overuse; unknown duration counts as possible)."""
    if headache_days < CHRONIC_HEADACHE_DAYS.value or not has_headache_disorder:
        return []
    found: list[str] = []
    regular: dict[str, int] = {}  # subtype -> days/month, for classes in regular use > 3 months
    for code, classes in MOH_CLASSES.items():
        days = sum(d for c, d in use.days_per_month.items() if c in classes)
        months = [use.months_regular.get(c) for c in classes if c in use.days_per_month]
        if days and any(m is None or m > CHRONIC_MIN_MONTHS.value for m in months):
            regular[code] = min(days, 31)
            if days >= MOH_DAYS[code].value:
                found.append(code)
    # 8.2.6: several classes (ergotamine, triptans, non-opioid analgesics, opioids) together on
    # >= 10 days/month, none overused alone. Days are summed, assuming they do not overlap.
    multi = {c: d for c, d in regular.items() if c in ("8.2.1", "8.2.2", "8.2.3", "8.2.4")}
    if not found and len(multi) >= 2 and sum(multi.values()) >= MOH_DAYS["8.2.6"].value:
        found.append("8.2.6")
    return found


def classify(a: Ichd3Answers, use: MohUse | None = None) -> InstrumentResult:
    excluded = a.better_accounted_for_by_another_diagnosis
    features = _migraine_features(a)
    mo = features and a.attacks_lifetime >= MIG_MIN_ATTACKS.value and not excluded
    ma = (
        a.aura
        and a.aura_fully_reversible
        and a.aura_attacks >= AURA_MIN_ATTACKS.value
        and a.aura_characteristics >= AURA_MIN_CHARACTERISTICS.value
        and not excluded
    )
    chronic_period = a.months_with_this_frequency > CHRONIC_MIN_MONTHS.value
    cm = (
        a.headache_days_per_month >= CHRONIC_HEADACHE_DAYS.value
        and chronic_period
        and a.migraine_days_per_month >= CHRONIC_MIGRAINE_DAYS.value
        and (mo or ma)
        and not excluded
    )
    tth: str | None = None
    chronic_tth = a.headache_days_per_month >= CHRONIC_HEADACHE_DAYS.value and chronic_period
    if not cm and not excluded and _tth_features(a, chronic=chronic_tth):
        if chronic_tth:
            tth = "2.3"
        elif a.headache_days_per_month >= 1 and chronic_period:
            tth = "2.2"
        elif a.headache_days_per_month < 1:
            tth = "2.1"
    # 1.5.1: attacks fulfilling all but one of 1.1 A-D, and no other headache disorder's criteria
    probable = sum(_migraine_criteria(a)) == 3 and not (mo or ma) and tth is None and not excluded
    diagnoses = [
        code
        for code, ok in (("1.1", mo and not cm), ("1.2", ma), ("1.3", cm), ("1.5.1", probable))
        if ok
    ]
    if tth:
        diagnoses.append(tth)
    moh = moh_subtypes(a.headache_days_per_month, bool(diagnoses), use) if use else []
    diagnoses += moh
    category = (
        "chronic migraine"
        if cm
        else "migraine"
        if (mo or ma)
        else "probable migraine"
        if probable
        else ("tension-type headache" if tth else "no ICHD-3 migraine diagnosis")
    )
    return InstrumentResult(
        "ichd3",
        None,
        category,
        SOURCES,
        {
            "diagnoses": diagnoses,
            "migraine_without_aura": mo,
            "migraine_with_aura": ma,
            "chronic_migraine": cm,
            "probable_migraine": probable,
            "tension_type": tth,
            "medication_overuse": moh,
            "medication_overuse_names": [MOH_NAMES[c] for c in moh],
        },
    )


def score(a: Ichd3Answers) -> InstrumentResult:
    return classify(a, None)


SPEC = InstrumentSpec(
    id="ichd3",
    name="ICHD-3 migraine, tension-type and medication-overuse headache",
    answers=Ichd3Answers,
    scorer=score,
    source_ids=SOURCES,
    licence="logic_only",
    licence_note="ICHD-3 is freely accessible (IHS); rules implemented, text not reproduced.",
    item_text_shipped=True,
)
