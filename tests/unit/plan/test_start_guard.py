"""One start guard: contraindicated → refused; unidentified medicine → refused until answered;
review → only with acknowledgement; washout → no start before the earliest date, and a moved
start says why."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from ldn.domain.errors import ClinicalRefusal
from ldn.domain.patient import parse_patient
from ldn.domain.screening import screen
from ldn.domain.start_guard import decide_start
from ldn.services.standalone.files import load_patient_file
from tests.conftest import AS_OF, PATIENTS


def _report(name: str, **changes: Any) -> Any:
    rec = load_patient_file(PATIENTS / f"{name}.yaml", today=AS_OF).model_dump(
        mode="json", exclude_none=True
    )
    return screen(parse_patient({**rec, **changes}, today=AS_OF), today=AS_OF)


def test_contraindicated_never_starts() -> None:
    with pytest.raises(ClinicalRefusal, match="contraindicated"):
        decide_start(_report("liver-failure"), requested=None, today=AS_OF, acknowledged=True)


def test_washout_refuses_an_earlier_date_and_moves_an_unset_one() -> None:
    report = _report("tramadol-recent")
    earliest = report.earliest_start
    assert earliest is not None and earliest > AS_OF
    with pytest.raises(ClinicalRefusal, match=earliest.isoformat()):
        decide_start(report, requested=AS_OF, today=AS_OF)
    with pytest.raises(ClinicalRefusal):
        decide_start(report, requested=earliest - timedelta(days=1), today=AS_OF)
    assert decide_start(report, requested=earliest, today=AS_OF).start == earliest
    moved = decide_start(report, requested=None, today=AS_OF)
    assert moved.start == earliest and "tramadol" in moved.moved_because.lower()


def test_review_needs_acknowledgement_but_an_unknown_medicine_needs_an_answer() -> None:
    report = _report("fibromyalgia", breastfeeding=True)
    assert report.verdict == "needs_clinician_review"
    with pytest.raises(ClinicalRefusal, match="review"):
        decide_start(report, requested=None, today=AS_OF)
    ok = decide_start(report, requested=None, today=AS_OF, acknowledged=True)
    assert ok.start == AS_OF and "SAFETY_LACTATION" in ok.acknowledged
    rec = load_patient_file(PATIENTS / "fibromyalgia.yaml", today=AS_OF).model_dump(
        mode="json", exclude_none=True
    )
    unknown = _report("fibromyalgia", medications=[*rec["medications"], {"name": "Zorvexa"}])
    with pytest.raises(ClinicalRefusal, match="cannot fully identify"):
        decide_start(unknown, requested=None, today=AS_OF, acknowledged=True)
