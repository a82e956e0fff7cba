"""FHIR R4 search over ldn's resources, as the specification says (https://hl7.org/fhir/R4/search.html).

:data:`SEARCH_PARAMS` declares, per resource type, the parameters ldn honours (the
CapabilityStatement lists the same table). :func:`parse_search` reads a query string:

- repeated parameters are ANDed (``date=ge2026-01-01&date=lt2026-02-01``), comma-separated
  values ORed (``code=http://loinc.org|72514-3,http://loinc.org|29463-7``);
- token values as ``system|code``, ``code``, ``system|`` or ``|code``; reference values as ``5``,
  ``Patient/5`` or an absolute URL; dates with the prefixes ``eq ne gt lt ge le sa eb``, at the
  precision given (``2026``, ``2026-11``, ``2026-11-25``, a date-time);
- result parameters: ``_count`` (0 gives only ``total``), ``_offset`` (ldn's paging, in the
  ``next``/``previous`` links), ``_sort`` (``_id`` and the type's date parameters, ``-`` for
  descending), ``_summary=count``, ``_total``, ``_format`` (JSON only), ``_pretty``;
- a parameter ldn does not support (or a modifier, a chain) is refused with
  :class:`SearchError` under ``Prefer: handling=strict``, else dropped and left out of the
  ``self`` link, so the link shows what was applied; an empty value is ignored, as specified;
- an invalid value of a supported parameter (``date=yesterday``, ``_count=-1``) is refused.

:func:`matches` applies the criteria to a resource (JSON).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from ldn.domain.errors import InputError, Problem

__all__ = [
    "DEFAULT_COUNT",
    "JSON_FORMATS",
    "MAX_COUNT",
    "SEARCH_PARAMS",
    "Criterion",
    "Param",
    "SearchError",
    "SearchQuery",
    "matches",
    "parse_search",
    "patient_scope",
    "sorted_resources",
]

DEFAULT_COUNT = 50
MAX_COUNT = 500
#: the ``_format`` values ldn serves (everything else is 406)
JSON_FORMATS = frozenset(
    {"json", "application/json", "application/fhir+json", "application/json+fhir"}
)
_SP = "http://hl7.org/fhir/SearchParameter/"

ParamType = Literal["token", "reference", "date", "string", "uri"]
Range = tuple[datetime, datetime]


class SearchError(InputError):
    """A search that cannot be run as asked (answered 400 with an OperationOutcome)."""

    code = "invalid_search"


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    type: ParamType
    extract: Callable[[dict[str, Any]], list[Any]]
    doc: str
    definition: str = ""


def _codings(concept: Any) -> list[tuple[str | None, str]]:
    if not isinstance(concept, dict):
        return []
    return [(c.get("system"), str(c["code"])) for c in concept.get("coding") or [] if c.get("code")]


def _many(*names: str) -> Callable[[dict[str, Any]], list[tuple[str | None, str]]]:
    def get(res: dict[str, Any]) -> list[tuple[str | None, str]]:
        out: list[tuple[str | None, str]] = []
        for name in names:
            value = res.get(name)
            for concept in value if isinstance(value, list) else [value]:
                out += _codings(concept)
        return out

    return get


def _code(name: str) -> Callable[[dict[str, Any]], list[tuple[str | None, str]]]:
    return lambda res: [(None, str(res[name]))] if res.get(name) else []


def _ref(*names: str) -> Callable[[dict[str, Any]], list[str]]:
    return lambda res: [
        str(res[n]["reference"])
        for n in names
        if isinstance(res.get(n), dict) and res[n].get("reference")
    ]


def _dates(*names: str) -> Callable[[dict[str, Any]], list[Range]]:
    def get(res: dict[str, Any]) -> list[Range]:
        out = []
        for name in names:
            value = res.get(name)
            if isinstance(value, dict):  # a Period
                start, end = value.get("start"), value.get("end")
                lo = _range(str(start))[0] if start else datetime.min.replace(tzinfo=UTC)
                hi = _range(str(end))[1] if end else datetime.max.replace(tzinfo=UTC)
                out.append((lo, hi))
            elif value:
                out.append(_range(str(value)))
        return out

    return get


def _identifiers(res: dict[str, Any]) -> list[tuple[str | None, str]]:
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


_ID = Param("_id", "token", lambda res: [(None, str(res["id"]))] if res.get("id") else [],
            "the logical id (comma-separated ids: any of them)", _SP + "Resource-id")  # fmt: skip
_PATIENT = Param("patient", "reference", _ref("subject"), "the patient: 5, Patient/5 or the absolute URL",
                 _SP + "clinical-patient")  # fmt: skip


def _subject(kind: str) -> Param:
    return Param("subject", "reference", _ref("subject"), "the subject (a Patient; :Patient accepted)",
                 f"{_SP}{kind}-subject")  # fmt: skip


_CODE = "a code as system|code, code, system| or |code"
SEARCH_PARAMS: dict[str, dict[str, Param]] = {
    "Patient": {p.name: p for p in (
        _ID,
        Param("identifier", "token", _identifiers, "an identifier as system|value (an MRN; ldn's record id)",
              _SP + "Patient-identifier"),
        Param("birthdate", "date", _dates("birthDate"), "the birth date, with a prefix", _SP + "individual-birthdate"),
        Param("family", "string", _family, "the family name: starts with (accents and case ignored; :exact, :contains)",
              _SP + "individual-family"),
        Param("gender", "token", _code("gender"), "male | female | other | unknown", _SP + "individual-gender"),
    )},
    "Condition": {p.name: p for p in (
        _ID, _PATIENT, _subject("Condition"),
        Param("code", "token", _many("code"), f"the condition's code: {_CODE} (ICD-10, SNOMED CT, ldn)", _SP + "clinical-code"),
        Param("clinical-status", "token", _many("clinicalStatus"), "active | resolved | ...", _SP + "Condition-clinical-status"),
        Param("onset-date", "date", _dates("onsetDateTime", "onsetPeriod"), "the onset, with a prefix", _SP + "Condition-onset-date"),
    )},
    "MedicationStatement": {p.name: p for p in (
        _ID, _PATIENT, _subject("MedicationStatement"),
        Param("code", "token", _many("medicationCodeableConcept"), f"the medicine's code: {_CODE} (RxNorm, ATC)",
              _SP + "clinical-code"),
        Param("status", "token", _code("status"), "active | stopped | ...", _SP + "medications-status"),
        Param("effective", "date", _dates("effectiveDateTime", "effectivePeriod"), "when taken, with a prefix",
              _SP + "MedicationStatement-effective"),
    )},
    "MedicationRequest": {p.name: p for p in (
        _ID, _PATIENT, _subject("MedicationRequest"),
        Param("code", "token", _many("medicationCodeableConcept"), f"the medicine's code: {_CODE} (RxNorm)", _SP + "clinical-code"),
        Param("status", "token", _code("status"), "active | completed | ...", _SP + "medications-status"),
        Param("intent", "token", _code("intent"), "order", _SP + "MedicationRequest-intent"),
        Param("authoredon", "date", _dates("authoredOn"), "when written, with a prefix", _SP + "MedicationRequest-authoredon"),
    )},
    "Observation": {p.name: p for p in (
        _ID, _PATIENT, _subject("Observation"),
        Param("code", "token", _many("code"), f"the observation's code: {_CODE} (LOINC, ldn)", _SP + "clinical-code"),
        Param("category", "token", _many("category"), "survey | vital-signs | laboratory", _SP + "Observation-category"),
        Param("status", "token", _code("status"), "final | ...", _SP + "Observation-status"),
        Param("date", "date", _dates("effectiveDateTime", "effectivePeriod", "effectiveInstant"),
              "the effective date, with a prefix (an Observation without one matches no date)", _SP + "clinical-date"),
    )},
    "QuestionnaireResponse": {p.name: p for p in (
        _ID, _PATIENT, _subject("QuestionnaireResponse"),
        Param("questionnaire", "uri", lambda res: [str(res["questionnaire"])] if res.get("questionnaire") else [],
              "the questionnaire's canonical URL", _SP + "QuestionnaireResponse-questionnaire"),
        Param("status", "token", _code("status"), "completed | ...", _SP + "QuestionnaireResponse-status"),
        Param("authored", "date", _dates("authored"), "when answered, with a prefix", _SP + "QuestionnaireResponse-authored"),
    )},
    "CarePlan": {p.name: p for p in (
        _ID, _PATIENT, _subject("CarePlan"),
        Param("status", "token", _code("status"), "active | revoked", _SP + "CarePlan-status"),
        Param("date", "date", _dates("period"), "the plan's period, with a prefix", _SP + "clinical-date"),
    )},
}  # fmt: skip

#: result parameters (they shape the answer, not the set of matches)
_RESULT = {"_count", "_offset", "_sort", "_summary", "_total", "_format", "_pretty"}
_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")
_MODIFIERS: dict[ParamType, frozenset[str]] = {"reference": frozenset({"Patient"}), "string": frozenset({"exact", "contains"}),
                                               "token": frozenset(), "date": frozenset(), "uri": frozenset()}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Criterion:
    param: Param
    modifier: str
    values: tuple[Any, ...]  # parsed values, any of which matches


@dataclass(frozen=True, slots=True)
class SearchQuery:
    resource_type: str
    criteria: tuple[Criterion, ...]
    count: int
    offset: int
    sort: tuple[tuple[str, bool], ...]  # (parameter, descending)
    summary_count: bool
    pretty: bool
    applied: tuple[tuple[str, str], ...]  # what the self link shows (without _count/_offset)
    dropped: tuple[tuple[str, str], ...]  # (parameter, why)
    types: tuple[str, ...] = ()  # $everything's _type

    def page(self, offset: int) -> list[tuple[str, str]]:
        """The query string of the page starting at ``offset``."""
        return [*self.applied, ("_count", str(self.count)), ("_offset", str(offset))]


def _split(value: str) -> list[str]:
    """Comma-separated values, ``\\,`` escaping a comma."""
    parts = re.split(r"(?<!\\),", value)
    return [p.replace("\\,", ",") for p in parts]


def _range(text: str) -> Range:
    """The instant range a FHIR date/dateTime stands for, at its precision (end exclusive)."""
    m = re.fullmatch(
        r"(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?",
        text,
    )
    if not m:
        raise ValueError(text)
    y, mo, d, h, mi, s, tz = m.groups()
    if h is not None:
        start = datetime.fromisoformat(
            f"{y}-{mo}-{d}T{h}:{mi}:{s or '00'}" + ("+00:00" if tz in (None, "Z") else tz)
        )
        return start.astimezone(UTC), (start + timedelta(seconds=1 if s else 60)).astimezone(UTC)
    if d is not None:
        day = date(int(y), int(mo), int(d))
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return start, start + timedelta(days=1)
    if mo is not None:
        start = datetime(int(y), int(mo), 1, tzinfo=UTC)
        end = datetime(int(y) + (int(mo) == 12), int(mo) % 12 + 1, 1, tzinfo=UTC)
        return start, end
    return datetime(int(y), 1, 1, tzinfo=UTC), datetime(int(y) + 1, 1, 1, tzinfo=UTC)


def _parse_value(p: Param, raw: str) -> Any:
    if p.type == "token":
        if "|" in raw:
            system, code = raw.split("|", 1)
            return (system or None, code or None, True)  # explicit system (None: no system)
        return (None, raw, False)
    if p.type == "reference":
        if "/" not in raw:
            if not re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", raw):
                raise ValueError(raw)
            return ("Patient", raw)
        m = re.search(
            r"(?:^|/)([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})$", re.sub(r"/_history/[^/]+$", "", raw)
        )
        if not m:
            raise ValueError(raw)
        return (m.group(1), m.group(2))  # another type than Patient matches nothing
    if p.type == "date":
        prefix = raw[:2] if raw[:2] in _PREFIXES and raw[2:3].isdigit() else ""
        if prefix == "ap":
            raise ValueError("the prefix ap (approximately) is not supported")
        return (prefix or "eq", _range(raw[len(prefix) :]))
    return raw


def _result_param(name: str, value: str, table: dict[str, Param], q: dict[str, Any]) -> str:
    """Apply a result parameter to ``q``; the reason it is not supported, or ""; ValueError
    for an invalid value."""
    if name in ("_count", "_offset"):
        number = int(value)
        if number < 0:
            raise ValueError(value)
        q[name] = min(number, MAX_COUNT) if name == "_count" else number
    elif name == "_summary":
        if value not in ("count", "false"):
            return f"_summary={value} is not supported (count and false are)"
        q["summary"] = value == "count"
    elif name == "_total":
        if value not in ("none", "estimate", "accurate"):
            raise ValueError(value)
    elif name == "_pretty":
        q["pretty"] = value == "true"
    elif name == "_sort":
        keys = []
        for item in value.split(","):
            key = item.removeprefix("-")
            if key != "_id" and (key not in table or table[key].type != "date"):
                return (
                    f"cannot sort by {key!r} (ldn sorts by _id and by the type's date parameters)"
                )
            keys.append((key, item.startswith("-")))
        q["sort"] = keys
    elif name == "_type":
        q["types"] = [t for t in value.split(",") if t]
    return ""


def parse_search(
    resource_type: str, params: Sequence[tuple[str, str]], *, strict: bool, everything: bool = False
) -> SearchQuery:
    """A query from (name, value) pairs in order (query string, then a ``_search`` form).

    ``everything``: the parameters of ``Patient/{id}/$everything`` (result parameters and
    ``_type``) instead of a type's search parameters."""
    table = {} if everything else SEARCH_PARAMS.get(resource_type, {})
    results = _RESULT | ({"_type"} if everything else set())
    criteria: list[Criterion] = []
    applied: list[tuple[str, str]] = []
    dropped: list[tuple[str, str]] = []
    problems: list[Problem] = []
    q: dict[str, Any] = {"_count": MAX_COUNT if everything else DEFAULT_COUNT, "_offset": 0, "summary": False,
                         "pretty": False, "sort": [], "types": []}  # fmt: skip
    for key, value in params:
        if value == "":
            continue  # an empty parameter is ignored (FHIR search, 3.1.1.5)
        name, _, modifier = key.partition(":")
        if modifier and name in results:
            why = f"the modifier :{modifier} is not supported on {name}"
        elif name in results:
            try:
                why = _result_param(name, value, table, q)
            except ValueError:
                problems.append(Problem(key, f"{value!r} is not a valid {name} value", _FIX[name]))
                continue
            if not why and name not in ("_count", "_offset"):
                applied.append((key, value))
        elif "." in name:
            why = f"chained parameters ({key}) are not supported"
        elif name not in table:
            why = (f"{name} is not a search parameter ldn supports for {resource_type}" if not everything
                   else f"{name} is not supported by $everything (_count, _offset and _type are)")  # fmt: skip
        elif modifier and modifier not in _MODIFIERS[table[name].type]:
            why = f"the modifier :{modifier} is not supported on {name}"
        else:
            p = table[name]
            try:
                values = tuple(_parse_value(p, v) for v in _split(value) if v != "")
            except ValueError as exc:
                detail = (
                    str(exc)
                    if "prefix" in str(exc)
                    else f"{value!r} is not a valid {p.type} value for {name}"
                )
                problems.append(Problem(key, detail, _FIX[p.type]))
                continue
            if values:
                criteria.append(Criterion(p, modifier, values))
                applied.append((key, value))
            why = ""
        if why:
            if strict:
                problems.append(
                    Problem(
                        key,
                        why,
                        "remove the parameter (without Prefer: handling=strict it is ignored)",
                    )
                )
            else:
                dropped.append((key, why))
    if problems:
        raise SearchError(problems, origin="search")
    return SearchQuery(resource_type, tuple(criteria), q["_count"], q["_offset"], tuple(q["sort"]), q["summary"],
                       q["pretty"], tuple(applied), tuple(dropped), tuple(q["types"]))  # fmt: skip


_FIX = {"token": "write system|code, code, system| or |code",
        "_count": "send a whole number from 0", "_offset": "send a whole number from 0",
        "_total": "use none, estimate or accurate",
        "reference": "write the patient's id, Patient/{id} or its URL",
        "date": "write a date (2026, 2026-11, 2026-11-25 or a date-time) with an optional prefix: eq ne gt lt ge le sa eb",
        "string": "write text", "uri": "write a URL"}  # fmt: skip


def _fold(text: str) -> str:
    return "".join(
        ch for ch in unicodedata.normalize("NFKD", text).lower() if not unicodedata.combining(ch)
    )


def _token_match(
    have: Iterable[tuple[str | None, str]], want: tuple[str | None, str | None, bool]
) -> bool:
    system, code, explicit = want
    for s, c in have:
        if code is not None and c != code:
            continue
        if explicit and (system or None) != (s or None):
            continue
        return True
    return False


def _ref_match(have: Iterable[str], want: tuple[str, str]) -> bool:
    kind, ident = want
    if kind != "Patient":
        return False
    return any(re.sub(r"/_history/.*$", "", h).endswith(f"Patient/{ident}") for h in have)


def _date_match(have: Iterable[Range], want: tuple[str, Range]) -> bool:
    prefix, (lo, hi) = want
    for a, b in have:
        eq = lo <= a and b <= hi
        ok = {"eq": eq, "ne": not eq, "gt": b > hi, "lt": a < lo, "ge": b > hi or eq, "le": a < lo or eq,
              "sa": a >= hi, "eb": b <= lo}[prefix]  # fmt: skip
        if ok:
            return True
    return False


def _string_match(have: Iterable[str], want: str, modifier: str) -> bool:
    if modifier == "exact":
        return want in have
    w = _fold(want)
    return any((w in _fold(h)) if modifier == "contains" else _fold(h).startswith(w) for h in have)


def matches(resource: dict[str, Any], criteria: Iterable[Criterion]) -> bool:
    """Whether ``resource`` meets every criterion (each by any of its values)."""
    for c in criteria:
        have = c.param.extract(resource)
        kind = c.param.type
        if kind == "token":
            ok = any(_token_match(have, v) for v in c.values)
        elif kind == "reference":
            ok = any(_ref_match(have, v) for v in c.values)
        elif kind == "date":
            ok = any(_date_match(have, v) for v in c.values)
        elif kind == "string":
            ok = any(_string_match(have, v, c.modifier) for v in c.values)
        else:
            ok = any(v in have for v in c.values)
        if not ok:
            return False
    return True


def patient_scope(query: SearchQuery) -> set[str] | None:
    """The patient ids the query limits itself to (``patient``, ``subject``, and ``_id``, whose
    ids start with the patient's), ANDed across parameters; None when it names no patient."""
    scope: set[str] | None = None
    for c in query.criteria:
        if c.param.name in ("patient", "subject"):
            ids = {v[1] for v in c.values if v[0] == "Patient"}
        elif c.param.name == "_id":
            ids = {str(v[1]).split("-", 1)[0] for v in c.values if v[1]}
        else:
            continue
        scope = ids if scope is None else scope & ids
    return scope


def sorted_resources(resources: list[dict[str, Any]], query: SearchQuery) -> list[dict[str, Any]]:
    """``resources`` in the query's ``_sort`` order (stable; by a date parameter's earliest
    start, resources without one last in either direction)."""
    out = list(resources)
    for name, descending in reversed(query.sort):
        if name == "_id":
            out.sort(key=lambda r: str(r.get("id", "")), reverse=descending)
            continue
        extract = SEARCH_PARAMS[query.resource_type][name].extract
        dated = [(min(a for a, _ in extract(r)), r) for r in out if extract(r)]
        dated.sort(key=lambda pair: pair[0], reverse=descending)
        out = [r for _, r in dated] + [r for r in out if not extract(r)]
    return out
