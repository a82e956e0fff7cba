"""ldn's small coded vocabularies: pain conditions, body areas and drug classes.

Conditions carry ICD-10 (WHO 2019, or ICD-10-CM where WHO has no code, marked ``-CM``) and
SNOMED CT codes so that records can travel through FHIR. The ``mechanism`` of each condition is
the pain mechanism it usually drives (IASP terminology: nociceptive, neuropathic, nociplastic);
screening uses it as a prior, never as the only evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from ldn.domain.medicines import OPIOID_CLASSES, MedicineMatch, identify

__all__ = [
    "CONDITIONS",
    "OPIOID_CLASSES",
    "WPI_AREAS",
    "WPI_REGIONS",
    "ConditionCode",
    "ConditionInfo",
    "Mechanism",
    "WpiArea",
    "drug_class_for",
    "primary_class",
]

Mechanism = Literal["nociplastic", "nociceptive", "inflammatory", "neuropathic", "other"]


@dataclass(frozen=True, slots=True)
class ConditionInfo:
    code: str
    display: str
    icd10: str
    snomed: str
    mechanism: Mechanism
    ldn_relevant: bool
    """True for the conditions the article names (fibromyalgia, migraine, central sensitization)."""


_C = ConditionInfo
CONDITIONS: dict[str, ConditionInfo] = {
    c.code: c
    for c in (
        _C("fibromyalgia", "Fibromyalgia", "M79.7", "203082005", "nociplastic", True),
        _C(
            "migraine_without_aura",
            "Migraine without aura",
            "G43.0",
            "56097005",
            "nociplastic",
            True,
        ),
        _C("migraine_with_aura", "Migraine with aura", "G43.1", "4473006", "nociplastic", True),
        _C(
            "chronic_migraine",
            "Chronic migraine",
            "G43.7-CM",
            "",  # uncoded: candidate ids were wrong (see snomed-ct-int)
            "nociplastic",
            True,
        ),
        _C(
            "tension_type_headache",
            "Tension-type headache",
            "G44.2",
            "398057008",
            "nociplastic",
            False,
        ),
        _C(
            "medication_overuse_headache",
            "Medication-overuse headache",
            "G44.4",
            "",  # uncoded: 431237007 is dysmenorrhea (see snomed-ct-int)
            "other",
            False,
        ),
        _C(
            "central_sensitization",
            "Central sensitization syndrome",
            "R52",
            "",
            "nociplastic",
            True,
        ),
        _C("chronic_widespread_pain", "Chronic widespread pain", "M79.6", "", "nociplastic", True),
        _C(
            "irritable_bowel_syndrome",
            "Irritable bowel syndrome",
            "K58",
            "10743008",
            "nociplastic",
            False,
        ),
        _C("crps", "Complex regional pain syndrome", "G90.5-CM", "128200000", "nociplastic", False),
        _C(
            "me_cfs",
            "Myalgic encephalomyelitis / chronic fatigue syndrome",
            "G93.3",
            "52702003",
            "other",
            False,
        ),
        _C(
            "chronic_low_back_pain",
            "Chronic low back pain (non-specific)",
            "M54.5",
            "279039007",
            "nociceptive",
            False,
        ),
        _C(
            "lumbar_radiculopathy",
            "Lumbar radiculopathy (nerve root compression)",
            "M54.1",
            "",
            "neuropathic",
            False,
        ),
        _C(
            "cervical_radiculopathy",
            "Cervical radiculopathy (nerve root compression)",
            "M54.1",
            "",
            "neuropathic",
            False,
        ),
        _C("spinal_stenosis", "Spinal stenosis", "M48.0", "76107001", "neuropathic", False),
        _C(
            "knee_osteoarthritis",
            "Osteoarthritis of knee",
            "M17",
            "239873007",
            "nociceptive",
            False,
        ),
        _C("hip_osteoarthritis", "Osteoarthritis of hip", "M16", "", "nociceptive", False),
        _C(
            "osteoarthritis", "Osteoarthritis, other site", "M19", "396275006", "nociceptive", False
        ),
        _C(
            "rheumatoid_arthritis",
            "Rheumatoid arthritis",
            "M06.9",
            "69896004",
            "inflammatory",
            False,
        ),
        _C(
            "ankylosing_spondylitis",
            "Ankylosing spondylitis",
            "M45",
            "9631008",
            "inflammatory",
            False,
        ),
        _C("crohns_disease", "Crohn's disease", "K50", "34000006", "inflammatory", False),
        _C("ulcerative_colitis", "Ulcerative colitis", "K51", "64766004", "inflammatory", False),
        _C("multiple_sclerosis", "Multiple sclerosis", "G35", "24700007", "neuropathic", False),
        _C(
            "diabetic_neuropathy",
            "Diabetic peripheral neuropathy",
            "E11.4",
            "230572002",
            "neuropathic",
            False,
        ),
        _C(
            "postherpetic_neuralgia",
            "Postherpetic neuralgia",
            "B02.2",
            "2177002",
            "neuropathic",
            False,
        ),
        _C(
            "autoimmune_thyroiditis",
            "Autoimmune (Hashimoto) thyroiditis",
            "E06.3",
            "21983002",
            "other",
            False,
        ),
        _C("hypothyroidism", "Hypothyroidism", "E03.9", "40930008", "other", False),
        _C("depression", "Depressive disorder", "F32", "35489007", "other", False),
        _C("anxiety", "Anxiety disorder", "F41", "197480006", "other", False),
        _C("other", "Other condition (describe in display)", "", "", "other", False),
    )
}
ConditionCode = str

# The 19 Widespread Pain Index areas (Wolfe 2010/2016) and their 2016 regions.
WpiArea = Literal[
    "jaw_left",
    "shoulder_girdle_left",
    "upper_arm_left",
    "lower_arm_left",
    "jaw_right",
    "shoulder_girdle_right",
    "upper_arm_right",
    "lower_arm_right",
    "hip_left",
    "upper_leg_left",
    "lower_leg_left",
    "hip_right",
    "upper_leg_right",
    "lower_leg_right",
    "neck",
    "upper_back",
    "lower_back",
    "chest",
    "abdomen",
]
WPI_AREAS: tuple[str, ...] = get_args(WpiArea)
WPI_REGIONS: dict[str, tuple[str, ...]] = {
    "left_upper": ("jaw_left", "shoulder_girdle_left", "upper_arm_left", "lower_arm_left"),
    "right_upper": ("jaw_right", "shoulder_girdle_right", "upper_arm_right", "lower_arm_right"),
    "left_lower": ("hip_left", "upper_leg_left", "lower_leg_left"),
    "right_lower": ("hip_right", "upper_leg_right", "lower_leg_right"),
    "axial": ("neck", "upper_back", "lower_back", "chest", "abdomen"),
}

#: the class that names a medicine in one word, strictest first (an opioid part always wins)
_PRIMARY_ORDER: tuple[str, ...] = (
    "methadone", "buprenorphine", "opioid_long_acting", "opioid_full_agonist", "tapentadol",
    "tramadol", "codeine", "opioid_agonist_antagonist", "opioid_like", "opioid_unspecified",
    "opioid_antitussive", "opioid_antidiarrhoeal", "naltrexone", "opioid_antagonist", "pamora",
    "thioridazine", "disulfiram", "ergotamine", "triptan", "simple_analgesic", "levothyroxine",
)  # fmt: skip


def primary_class(match: MedicineMatch, classes: frozenset[str] | None = None) -> str:
    """One class naming the medicine (``"unknown"`` when ldn cannot identify it)."""
    found = match.classes if classes is None else classes
    if not found:
        return "unknown"
    return next((c for c in _PRIMARY_ORDER if c in found), min(found))


def drug_class_for(name: str) -> str:
    """The primary drug class ldn finds for a medicine's name, or ``"unknown"``.

    Thin wrapper over :func:`ldn.domain.medicines.identify`, which returns every ingredient and
    class and says how it matched; use that where more than one word is needed.
    """
    return primary_class(identify(name))


#: where the condition codes above come from (see ``ldn sources``)
TERMINOLOGY_SOURCE_IDS: tuple[str, ...] = ("icd10-who-2019", "snomed-ct-int")
