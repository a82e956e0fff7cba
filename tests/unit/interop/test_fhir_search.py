"""FHIR search parsing and matching (https://hl7.org/fhir/R4/search.html): tokens, references,
date prefixes at their precision, AND/OR, result parameters, strict and lenient handling."""

from __future__ import annotations

from typing import Any

import pytest

from ldn.interop.r4.search import (
    MAX_COUNT,
    SEARCH_PARAMS,
    SearchError,
    matches,
    parse_search,
    patient_scope,
    sorted_resources,
)

OBS: dict[str, Any] = {
    "resourceType": "Observation", "id": "7-diary-2026-11-20", "status": "final",
    "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "survey"}]}],
    "code": {"coding": [{"system": "http://loinc.org", "code": "72514-3"}, {"system": "urn:ldn", "code": "diary"}]},
    "subject": {"reference": "Patient/7"}, "effectiveDateTime": "2026-11-20",
}  # fmt: skip


def _hit(query: str, resource: dict[str, Any] = OBS, kind: str = "Observation") -> bool:
    pairs = [tuple(p.split("=", 1)) for p in query.split("&")]
    q = parse_search(kind, pairs, strict=True)  # type: ignore[arg-type]
    return matches(resource, q.criteria)


@pytest.mark.parametrize(
    ("query", "hit"),
    [
        ("code=72514-3", True),
        ("code=http://loinc.org|72514-3", True),
        ("code=http://snomed.info/sct|72514-3", False),
        ("code=http://loinc.org|", True),
        ("code=|72514-3", False),
        ("code=29463-7,72514-3", True),
        ("code=29463-7&code=72514-3", False),
        ("category=survey", True),
        ("status=final", True),
        ("patient=7", True),
        ("patient=Patient/7", True),
        ("subject:Patient=7", True),
        ("patient=https://ehr.example.org/fhir/Patient/7", True),
        ("patient=8", False),
        ("patient=7,8", True),
        ("patient=7&patient=8", False),
        ("subject=Group/7", False),
        ("date=2026-11-20", True),
        ("date=2026-11", True),
        ("date=2026", True),
        ("date=eq2026-11-21", False),
        ("date=ne2026-11-21", True),
        ("date=gt2026-11-19", True),
        ("date=gt2026-11-20", False),
        ("date=ge2026-11-20", True),
        ("date=lt2026-11-21", True),
        ("date=le2026-11-19", False),
        ("date=sa2026-11-19", True),
        ("date=eb2026-11-21", True),
        ("date=eb2026-11-20", False),
        ("date=ge2026-11-01&date=lt2026-12-01", True),
        ("date=2026-11-20T12:00:00Z", False),
        ("date=gt2026-11-20T12:00:00Z", True),
        ("_id=7-diary-2026-11-20", True),
        ("_id=7-x,7-diary-2026-11-20", True),
    ],
)
def test_observation_parameters(query: str, hit: bool) -> None:
    assert _hit(query) is hit


def test_an_observation_without_a_date_matches_no_date() -> None:
    undated = {k: v for k, v in OBS.items() if k != "effectiveDateTime"}
    assert not _hit("date=ge2000", undated) and not _hit("date=ne2026", undated)


def test_patient_parameters() -> None:
    patient = {
        "resourceType": "Patient",
        "id": "7",
        "gender": "female",
        "birthDate": "1980-05-01",
        "name": [{"family": "García Pérez"}],
        "identifier": [{"system": "urn:mrn", "value": "44"}],
    }
    for query, hit in [
        ("identifier=urn:mrn|44", True),
        ("identifier=44", True),
        ("identifier=urn:other|44", False),
        ("family=garcia", True),
        ("family=perez", False),
        ("family:contains=perez", True),
        ("family:exact=García Pérez", True),
        ("family:exact=garcia perez", False),
        ("birthdate=1980", True),
        ("birthdate=lt1980-05-01", False),
        ("gender=female", True),
    ]:
        assert _hit(query, patient, "Patient") is hit, query


def test_unsupported_parameters_are_dropped_or_refused_when_strict() -> None:
    pairs = [
        ("code", "72514-3"),
        ("_elements", "id"),
        ("_include", "Observation:subject"),
        ("value-quantity", "5"),
        ("subject.name", "x"),
        ("code:text", "pain"),
        ("_summary", "true"),
        ("_sort", "value"),
        ("patient", ""),
    ]
    q = parse_search("Observation", pairs, strict=False)
    assert q.applied == (("code", "72514-3"),)
    assert [k for k, _ in q.dropped] == [
        "_elements",
        "_include",
        "value-quantity",
        "subject.name",
        "code:text",
        "_summary",
        "_sort",
    ]
    with pytest.raises(SearchError) as err:
        parse_search("Observation", pairs, strict=True)
    assert [p.loc for p in err.value.problems][:2] == ["_elements", "_include"]


@pytest.mark.parametrize(
    "pair",
    [
        ("date", "yesterday"),
        ("date", "ap2026"),
        ("_count", "-1"),
        ("_count", "x"),
        ("_offset", "-5"),
        ("_total", "lots"),
        ("patient", "a/b/c d"),
    ],
)
def test_an_invalid_value_is_refused_even_when_lenient(pair: tuple[str, str]) -> None:
    with pytest.raises(SearchError) as err:
        parse_search("Observation", [pair], strict=False)
    assert err.value.problems[0].loc == pair[0]


def test_result_parameters() -> None:
    q = parse_search(
        "Observation",
        [
            ("_count", "10000"),
            ("_offset", "20"),
            ("_sort", "-date,_id"),
            ("_summary", "count"),
            ("_total", "accurate"),
            ("_format", "json"),
        ],
        strict=True,
    )
    assert (q.count, q.offset, q.summary_count) == (MAX_COUNT, 20, True)
    assert q.sort == (("date", True), ("_id", False))
    assert q.page(40)[-2:] == [("_count", str(MAX_COUNT)), ("_offset", "40")]
    everything = parse_search(
        "Patient",
        [("_type", "Condition,Observation"), ("code", "x")],
        strict=False,
        everything=True,
    )
    assert everything.types == ("Condition", "Observation") and everything.dropped[0][0] == "code"


def test_patient_scope_ands_parameters_and_reads_ids() -> None:
    def scope(*pairs: tuple[str, str]) -> set[str] | None:
        return patient_scope(parse_search("Condition", list(pairs), strict=True))

    assert scope(("patient", "2,3")) == {"2", "3"}
    assert scope(("patient", "2"), ("patient", "3")) == set()
    assert scope(("patient", "2,3"), ("subject", "Patient/3")) == {"3"}
    assert scope(("_id", "5-condition-fibromyalgia")) == {"5"}
    assert scope(("code", "M79.7")) is None


def test_sorting_by_date_puts_undated_resources_last() -> None:
    rows = [
        {"resourceType": "Observation", "id": i, **({"effectiveDateTime": d} if d else {})}
        for i, d in (("a", "2026-01-02"), ("b", None), ("c", "2026-03-01"))
    ]
    for sort, order in (
        ("date", ["a", "c", "b"]),
        ("-date", ["c", "a", "b"]),
        ("-_id", ["c", "b", "a"]),
    ):
        q = parse_search("Observation", [("_sort", sort)], strict=True)
        assert [r["id"] for r in sorted_resources(rows, q)] == order


def test_every_type_declares_id_and_the_patient() -> None:
    for kind, params in SEARCH_PARAMS.items():
        assert "_id" in params and (kind == "Patient" or {"patient", "subject"} <= set(params))
