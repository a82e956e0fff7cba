"""The search parameters ldn honours, per resource type (the CapabilityStatement lists the same
table), and how each reads its values from a resource (JSON)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

__all__ = ["SEARCH_PARAMS", "Param", "ParamType", "Range", "instant_range"]

_SP = "http://hl7.org/fhir/SearchParameter/"
_CODE = "a code as system|code, code, system| or |code"
_DATE = re.compile(
    r"(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?"
)

ParamType = Literal["token", "reference", "date", "string", "uri"]
Range = tuple[datetime, datetime]
Coding = tuple[str | None, str]


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    type: ParamType
    extract: Callable[[dict[str, Any]], list[Any]]
    doc: str
    definition: str = ""


def instant_range(text: str) -> Range:
    """The instant range a FHIR date/dateTime stands for, at its precision (end exclusive)."""
    m = _DATE.fullmatch(text)
    if not m:
        raise ValueError(text)
    y, mo, d, h, mi, s, tz = m.groups()
    if h is not None:
        offset = "+00:00" if tz in (None, "Z") else tz
        start = datetime.fromisoformat(f"{y}-{mo}-{d}T{h}:{mi}:{s or '00'}{offset}")
        end = start + timedelta(seconds=1 if s else 60)
        return start.astimezone(UTC), end.astimezone(UTC)
    if d is not None:
        day = date(int(y), int(mo), int(d))
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return start, start + timedelta(days=1)
    if mo is not None:
        start = datetime(int(y), int(mo), 1, tzinfo=UTC)
        end = datetime(int(y) + (int(mo) == 12), int(mo) % 12 + 1, 1, tzinfo=UTC)
        return start, end
    return datetime(int(y), 1, 1, tzinfo=UTC), datetime(int(y) + 1, 1, 1, tzinfo=UTC)


def _codings(concept: Any) -> list[Coding]:
    if not isinstance(concept, dict):
        return []
    return [(c.get("system"), str(c["code"])) for c in concept.get("coding") or [] if c.get("code")]


def _many(*names: str) -> Callable[[dict[str, Any]], list[Coding]]:
    """The codings of the CodeableConcepts (or lists of them) ``names``."""

    def get(res: dict[str, Any]) -> list[Coding]:
        out: list[Coding] = []
        for name in names:
            value = res.get(name)
            for concept in value if isinstance(value, list) else [value]:
                out += _codings(concept)
        return out

    return get


def _code(name: str) -> Callable[[dict[str, Any]], list[Coding]]:
    """A code element (``status``, ``gender``) as a token without a system."""
    return lambda res: [(None, str(res[name]))] if res.get(name) else []


def _ref(*names: str) -> Callable[[dict[str, Any]], list[str]]:
    return lambda res: [
        str(res[n]["reference"])
        for n in names
        if isinstance(res.get(n), dict) and res[n].get("reference")
    ]


def _dates(*names: str) -> Callable[[dict[str, Any]], list[Range]]:
    """The instant ranges of the date, dateTime or Period elements ``names`` (a Period open at
    one end reaches the beginning or the end of time)."""

    def get(res: dict[str, Any]) -> list[Range]:
        out = []
        for name in names:
            value = res.get(name)
            if isinstance(value, dict):  # a Period
                start, end = value.get("start"), value.get("end")
                lo = instant_range(str(start))[0] if start else datetime.min.replace(tzinfo=UTC)
                hi = instant_range(str(end))[1] if end else datetime.max.replace(tzinfo=UTC)
                out.append((lo, hi))
            elif value:
                out.append(instant_range(str(value)))
        return out

    return get


def _id(res: dict[str, Any]) -> list[Coding]:
    return [(None, str(res["id"]))] if res.get("id") else []


def _identifiers(res: dict[str, Any]) -> list[Coding]:
    return [
        (i.get("system"), str(i["value"])) for i in res.get("identifier") or [] if i.get("value")
    ]


def _family(res: dict[str, Any]) -> list[str]:
    out = []
    for n in res.get("name") or []:
        if n.get("family"):
            out.append(str(n["family"]))
        elif n.get("text"):
            words = re.sub(r"\([^)]*\)", " ", str(n["text"])).split()
            out += words[-1:]
    return out


def _questionnaire(res: dict[str, Any]) -> list[str]:
    return [str(res["questionnaire"])] if res.get("questionnaire") else []


def _param(
    name: str,
    kind: ParamType,
    extract: Callable[[dict[str, Any]], list[Any]],
    doc: str,
    *,
    sp: str,
) -> Param:
    """A parameter defined by HL7's SearchParameter ``sp``."""
    return Param(name=name, type=kind, extract=extract, doc=doc, definition=_SP + sp)


def _table(*params: Param) -> dict[str, Param]:
    return {p.name: p for p in params}


def _subject(kind: str) -> Param:
    doc = "the subject (a Patient; :Patient accepted)"
    return _param("subject", "reference", _ref("subject"), doc, sp=f"{kind}-subject")


def _status(kind: str, doc: str, *, sp: str = "") -> Param:
    return _param("status", "token", _code("status"), doc, sp=sp or f"{kind}-status")


_ID = _param(
    "_id", "token", _id, "the logical id (comma-separated ids: any of them)", sp="Resource-id"
)
_PATIENT = _param(
    "patient",
    "reference",
    _ref("subject"),
    "the patient: 5, Patient/5 or the absolute URL",
    sp="clinical-patient",
)

SEARCH_PARAMS: dict[str, dict[str, Param]] = {
    "Patient": _table(
        _ID,
        _param(
            "identifier",
            "token",
            _identifiers,
            "an identifier as system|value (an MRN; ldn's record id)",
            sp="Patient-identifier",
        ),
        _param(
            "birthdate",
            "date",
            _dates("birthDate"),
            "the birth date, with a prefix",
            sp="individual-birthdate",
        ),
        _param(
            "family",
            "string",
            _family,
            "the family name: starts with (accents and case ignored; :exact, :contains)",
            sp="individual-family",
        ),
        _param(
            "gender",
            "token",
            _code("gender"),
            "male | female | other | unknown",
            sp="individual-gender",
        ),
    ),
    "Condition": _table(
        _ID,
        _PATIENT,
        _subject("Condition"),
        _param(
            "code",
            "token",
            _many("code"),
            f"the condition's code: {_CODE} (ICD-10, SNOMED CT, ldn)",
            sp="clinical-code",
        ),
        _param(
            "clinical-status",
            "token",
            _many("clinicalStatus"),
            "active | resolved | ...",
            sp="Condition-clinical-status",
        ),
        _param(
            "onset-date",
            "date",
            _dates("onsetDateTime", "onsetPeriod"),
            "the onset, with a prefix",
            sp="Condition-onset-date",
        ),
    ),
    "MedicationStatement": _table(
        _ID,
        _PATIENT,
        _subject("MedicationStatement"),
        _param(
            "code",
            "token",
            _many("medicationCodeableConcept"),
            f"the medicine's code: {_CODE} (RxNorm, ATC)",
            sp="clinical-code",
        ),
        _status("MedicationStatement", "active | stopped | ...", sp="medications-status"),
        _param(
            "effective",
            "date",
            _dates("effectiveDateTime", "effectivePeriod"),
            "when taken, with a prefix",
            sp="MedicationStatement-effective",
        ),
    ),
    "MedicationRequest": _table(
        _ID,
        _PATIENT,
        _subject("MedicationRequest"),
        _param(
            "code",
            "token",
            _many("medicationCodeableConcept"),
            f"the medicine's code: {_CODE} (RxNorm)",
            sp="clinical-code",
        ),
        _status("MedicationRequest", "active | completed | ...", sp="medications-status"),
        _param("intent", "token", _code("intent"), "order", sp="MedicationRequest-intent"),
        _param(
            "authoredon",
            "date",
            _dates("authoredOn"),
            "when written, with a prefix",
            sp="MedicationRequest-authoredon",
        ),
    ),
    "Observation": _table(
        _ID,
        _PATIENT,
        _subject("Observation"),
        _param(
            "code",
            "token",
            _many("code"),
            f"the observation's code: {_CODE} (LOINC, ldn)",
            sp="clinical-code",
        ),
        _param(
            "category",
            "token",
            _many("category"),
            "survey | vital-signs | laboratory",
            sp="Observation-category",
        ),
        _status("Observation", "final | ..."),
        _param(
            "date",
            "date",
            _dates("effectiveDateTime", "effectivePeriod", "effectiveInstant"),
            "the effective date, with a prefix (an Observation without one matches no date)",
            sp="clinical-date",
        ),
    ),
    "QuestionnaireResponse": _table(
        _ID,
        _PATIENT,
        _subject("QuestionnaireResponse"),
        _param(
            "questionnaire",
            "uri",
            _questionnaire,
            "the questionnaire's canonical URL",
            sp="QuestionnaireResponse-questionnaire",
        ),
        _status("QuestionnaireResponse", "completed | ..."),
        _param(
            "authored",
            "date",
            _dates("authored"),
            "when answered, with a prefix",
            sp="QuestionnaireResponse-authored",
        ),
    ),
    "CarePlan": _table(
        _ID,
        _PATIENT,
        _subject("CarePlan"),
        _status("CarePlan", "active | revoked"),
        _param(
            "date",
            "date",
            _dates("period"),
            "the plan's period, with a prefix",
            sp="clinical-date",
        ),
    ),
}
