"""What a clinic shares (issue 22, part 3): no identifier, no day-level date, no cell below the
threshold, over random clinics (hypothesis); the published JSON Schema is current; the counts'
FHIR R4 MeasureReport validates with ``fhir.resources``; a bad file names the file and field."""

from __future__ import annotations

import itertools
import json
import re
from datetime import date, timedelta
from typing import Any

import pytest
from fhir.resources.R4B.measurereport import MeasureReport
from hypothesis import given, settings
from hypothesis import strategies as st

from ldn.domain.aggregate import (
    COUNT_NAMES,
    AggregateDocument,
    PatientFacts,
    TrialFacts,
    aggregate_json_schema,
    build_aggregate,
    parse_aggregate,
    suppress_chain,
)
from ldn.domain.errors import InputError
from ldn.interop.r4.measure import measure_report
from tests.conftest import ROOT

SCHEMA_FILE = ROOT / "docs" / "schemas" / "aggregate.schema.json"
CONDITIONS = ("fibromyalgia", "chronic_migraine", "crps", "none", "other", "multiple_sclerosis")
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
#: every key an aggregate may hold: nothing that names or dates a patient
ALLOWED_KEYS = {
    "format",
    "clinic",
    "period_start_month",
    "period_end_month",
    "min_cell",
    "effect_scale",
    "ldn_version",
    "conditions",
    "nof1",
    "note",
    "condition",
    "patients",
    "trials",
    "estimate_nrs",
    "se_nrs",
    *COUNT_NAMES,
}


@st.composite
def clinics(draw: st.DrawFn) -> tuple[list[PatientFacts], list[TrialFacts], int, list[str]]:
    """A random clinic: patients (with identifying names and day-level dates in the input) and
    trials whose labels carry a patient id and a start date, as real trial codes do."""
    n = draw(st.integers(0, 60))
    patients, secrets = [], []
    for i in range(n):
        started = draw(st.booleans())
        reached = started and draw(st.booleans())
        seen = date(2024, 1, 1) + timedelta(days=draw(st.integers(0, 900)))
        pct = draw(st.floats(-50, 100)) if reached else None
        conditions = tuple(draw(st.lists(st.sampled_from(CONDITIONS), min_size=1, max_size=2)))
        patients.append(PatientFacts(conditions, seen, draw(st.booleans()), started, reached, pct))
        secrets.append(f"mrn-{i:05d}-zq")
    trials = []
    for j in range(draw(st.integers(0, 30))):
        pid = draw(st.integers(0, 40))
        start = date(2025, 1, 1) + timedelta(days=draw(st.integers(0, 500)))
        label = f"p{pid}-{start.isoformat()}-{j}"
        trials.append(
            TrialFacts(
                draw(st.sampled_from(CONDITIONS[:3])),
                f"mrn-{pid:05d}-zq",
                label,
                draw(st.floats(-4, 3)),
                draw(st.floats(0.05, 2)),
            )
        )
        secrets.append(label)
    return patients, trials, draw(st.integers(2, 10)), secrets


def _keys(node: Any) -> set[str]:
    if isinstance(node, dict):
        return set(node) | {k for v in node.values() for k in _keys(v)}
    if isinstance(node, list):
        return {k for v in node for k in _keys(v)}
    return set()


@settings(max_examples=60, deadline=None)
@given(clinics())
def test_an_aggregate_holds_no_identifier_no_day_and_no_small_cell(clinic: Any) -> None:
    patients, trials, min_cell, secrets = clinic
    doc = build_aggregate(
        clinic="Test clinic",
        patients=patients,
        trials=trials,
        min_cell=min_cell,
        today=date(2026, 11, 25),
    )
    data = doc.model_dump(mode="json")
    text = json.dumps(data)
    assert not DAY.search(text), "a date finer than a month"
    assert not any(s in text for s in secrets), "an identifier or a trial code"
    assert _keys(data) <= ALLOWED_KEYS
    for row in doc.conditions:
        published = [v for v in row.counts() if v is not None]
        assert all(v >= min_cell for v in published)
        steps = [a - b for a, b in itertools.pairwise(published)]
        assert all(s == 0 or s >= min_cell for s in steps), "a small cell by difference"
        assert published == sorted(published, reverse=True), "nested counts"
    for series in doc.nof1:
        assert series.patients >= min_cell
        assert [t.estimate_nrs for t in series.trials] == sorted(
            t.estimate_nrs for t in series.trials
        )
    assert parse_aggregate(json.loads(text), origin="x.json") == doc
    report = measure_report(doc)
    MeasureReport.model_validate(report)
    assert not DAY.search(json.dumps(report))


def test_counts_are_suppressed_along_the_chain() -> None:
    """Published only when >= min_cell and 0 or >= min_cell away from the published count above:
    "20 screened, 18 started" would disclose 2 patients not started."""
    assert suppress_chain([20, 18, 12, 3, 0], min_cell=5) == (20, None, 12, None, None)
    assert suppress_chain([20, 20, 14, 9, 9], min_cell=5) == (20, 20, 14, 9, 9)
    assert suppress_chain([4, 4, 4, 4, 4], min_cell=5) == (None,) * 5


def test_small_conditions_are_folded_into_other_conditions() -> None:
    day = date(2026, 3, 14)
    ps = [PatientFacts(("fibromyalgia",), day, True, True, False) for _ in range(6)]
    ps += [
        PatientFacts((c,), day, True, False, False)
        for c in ("crps", "crps", "me_cfs", "other", "none")
    ]
    doc = build_aggregate(clinic="c", patients=ps, trials=[], min_cell=5, today=date(2026, 11, 25))
    rows = {r.condition: r for r in doc.conditions}
    assert set(rows) == {"fibromyalgia", "other_conditions"}
    assert rows["other_conditions"].screened == 5 and rows["fibromyalgia"].started == 6
    assert (doc.period_start_month, doc.period_end_month) == ("2026-03", "2026-11")


def test_the_published_schema_is_current() -> None:
    """docs/schemas/aggregate.schema.json is generated from the model: `ldn network schema`."""
    assert json.loads(SCHEMA_FILE.read_text(encoding="utf-8")) == aggregate_json_schema(), (
        "regenerate: ldn network schema > docs/schemas/aggregate.schema.json"
    )


def _doc() -> dict[str, Any]:
    return AggregateDocument(
        clinic="c", period_start_month="2026-01", period_end_month="2026-11", min_cell=5
    ).model_dump(mode="json")


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        (
            {
                "conditions": [
                    {
                        "condition": "crps",
                        "screened": 3,
                        "started": None,
                        "reached_assessment": None,
                        "responders_30pct": None,
                        "responders_50pct": None,
                    }
                ]
            },
            "below min_cell",
        ),
        ({"period_end_month": "2026-11-25"}, "period_end_month"),
        ({"patient_id": 7}, "patient_id"),
        (
            {
                "nof1": [
                    {
                        "condition": "crps",
                        "patients": 2,
                        "trials": [{"estimate_nrs": -1, "se_nrs": 0.3}] * 2,
                    }
                ]
            },
            "below min_cell",
        ),
        ({"format": "something-else"}, "format"),
    ],
)
def test_a_bad_file_names_the_file_and_the_field(change: dict[str, Any], loc: str) -> None:
    with pytest.raises(InputError) as err:
        parse_aggregate({**_doc(), **change}, origin="clinic-b.json")
    line = " ".join(err.value.lines())
    assert "clinic-b.json" in line and loc in line


def test_a_file_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(InputError, match="JSON object"):
        parse_aggregate([1, 2], origin="x.json")
