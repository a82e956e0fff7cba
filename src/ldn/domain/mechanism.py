"""Which pain mechanism dominates, and is it the kind LDN may help?

The article: LDN may help pain driven by an over-active nervous system (fibromyalgia, migraine,
central sensitization) and is not expected to help pain from ongoing tissue damage, active
inflammation, degenerative arthritis or spinal nerve compression. In IASP terms: nociplastic
pain versus nociceptive (incl. inflammatory) and neuropathic pain. Nociplastic pain can coexist
with the others ("mixed"), which is a first-class answer here, not forced into either bucket.

Evidence for nociplastic pain: ACR fibromyalgia criteria met, an ICHD-3 migraine diagnosis, IASP
possible/probable nociplastic pain, an active nociplastic condition; a CSI >= 40 supports but
never decides. Evidence against: active nociceptive, inflammatory or neuropathic conditions, or
IASP criterion 3 failing (pain explained by nociceptive or neuropathic mechanisms).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ldn.domain.instruments.base import InstrumentResult
from ldn.domain.patient import PatientRecord
from ldn.domain.vocabulary import CONDITIONS

__all__ = ["MechanismAssessment", "classify_mechanism"]

Mechanism = Literal[
    "nociplastic_dominant", "mixed", "nociceptive", "inflammatory", "neuropathic", "undetermined"
]
Outlook = Literal["may_help", "mixed", "unlikely_to_help", "uncertain"]
SOURCES = ("seed-article", "kosek-2021", "fitzcharles-2021")


@dataclass(frozen=True, slots=True)
class MechanismAssessment:
    mechanism: Mechanism
    ldn_outlook: Outlook
    for_nociplastic: tuple[str, ...]
    for_other: tuple[str, ...]
    source_ids: tuple[str, ...] = field(default=SOURCES)

    def as_dict(self) -> dict[str, Any]:
        return {
            "mechanism": self.mechanism,
            "ldn_outlook": self.ldn_outlook,
            "evidence_nociplastic": list(self.for_nociplastic),
            "evidence_other": list(self.for_other),
            "source_ids": list(self.source_ids),
        }


def classify_mechanism(
    record: PatientRecord, instruments: Mapping[str, InstrumentResult]
) -> MechanismAssessment:
    pro: list[str] = []
    con: list[str] = []
    other_kinds: set[str] = set()
    for c in record.conditions:
        if c.status == "resolved":
            continue
        info = CONDITIONS[c.code]
        if info.mechanism == "nociplastic":
            pro.append(f"condition: {info.display}")
        elif info.mechanism in ("nociceptive", "inflammatory", "neuropathic"):
            con.append(f"condition: {info.display} ({info.mechanism})")
            other_kinds.add(info.mechanism)
    for key in ("acr_2016", "acr_2011", "acr_2010"):
        res = instruments.get(key)
        if res is not None and res.details.get("criteria_met"):
            pro.append(f"{key}: fibromyalgia criteria met (FS {res.total})")
    ichd = instruments.get("ichd3")
    if ichd is not None and any(
        d in ("1.1", "1.2", "1.3") for d in ichd.details.get("diagnoses", [])
    ):
        pro.append(f"ichd3: {ichd.category}")
    noci = instruments.get("nociplastic")
    if noci is not None:
        if noci.category in ("possible", "probable"):
            pro.append(f"IASP nociplastic pain: {noci.category}")
        if noci.details.get("explained_by_nociceptive"):
            con.append("IASP criterion 3: pain explained by nociceptive mechanisms")
            other_kinds.add("nociceptive")
        if noci.details.get("explained_by_neuropathic"):
            con.append("IASP criterion 3: pain explained by neuropathic mechanisms")
            other_kinds.add("neuropathic")
    csi = instruments.get("csi")
    supporting = csi is not None and bool(csi.details.get("screen_positive"))
    if supporting:
        pro.append(f"CSI {csi.total} >= 40 (supporting only)" if csi else "")
    core_pro = [p for p in pro if not p.startswith("CSI")]
    if core_pro and con:
        mech: Mechanism = "mixed"
    elif core_pro:
        mech = "nociplastic_dominant"
    elif con:
        mech = (
            "inflammatory"
            if "inflammatory" in other_kinds
            else "neuropathic"
            if other_kinds == {"neuropathic"}
            else "nociceptive"
        )
    else:
        mech = "undetermined"
    outlook: Outlook = {
        "nociplastic_dominant": "may_help",
        "mixed": "mixed",
        "undetermined": "uncertain",
    }.get(mech, "unlikely_to_help")  # type: ignore[assignment]
    return MechanismAssessment(mech, outlook, tuple(pro), tuple(con))
