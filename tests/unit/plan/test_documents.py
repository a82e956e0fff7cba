"""The documents a pharmacist and a patient get: prescription and label fields (golden files),
the handout's storage and cost, the status of a prescription, and the placebo twin.

Regenerate the golden files after an intended change with ``LDN_UPDATE_GOLDEN=1`` and review
the diff.
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ldn.domain.compounding import capsule_batch, liquid_batch, plan_supply
from ldn.domain.compounding.placebo import placebo_batch
from ldn.domain.cost import monthly_cost
from ldn.domain.dispensing import (
    check_can_cancel,
    check_can_dispense,
    fill_needs,
    fill_progress,
    status_for,
)
from ldn.domain.errors import ConflictError, InputError
from ldn.domain.labels import KEEP_AWAY, DispensingLabel, Pharmacy, label_directions
from ldn.domain.prescription import Prescriber, RxPatient, make_prescription
from ldn.domain.titration import build_plan
from ldn.interop.handout import HandoutContext, render_handout

GOLDEN = Path(__file__).parent / "golden"
D0 = date(2026, 11, 25)
PATIENT = RxPatient(
    "Anna Example", "ex-1", date(1982, 3, 4), 44, "female", ("Fibromyalgia (ICD-10 M79.7)",)
)
PRESCRIBER = Prescriber("Dr Ada Lovelace", "MD-4711", "Demo Pain Clinic")
PHARMACY = Pharmacy("Main Street Compounding", "+1 555 0100")


def _golden(name: str, data: Any) -> None:
    path = GOLDEN / name
    text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if os.environ.get("LDN_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, (
        f"{name} changed: review, then LDN_UPDATE_GOLDEN=1"
    )


def _label(form: str) -> DispensingLabel:
    plan = build_plan(start=D0)
    supply = plan_supply(plan, form="liquid" if form == "liquid" else "capsule", compounded_on=D0)
    fill = supply.fills[0]
    if form == "liquid":
        record = liquid_batch(volume_ml=fill.volume_ml, compounded_on=D0)
        medicine, quantity, strength = (
            "Naltrexone HCl 1 mg/mL oral liquid (low-dose naltrexone)",
            f"{fill.volume_ml:g} mL",
            1.0,
        )
    else:
        record = capsule_batch(strength_mg=1.5, count=14, compounded_on=D0)
        medicine, quantity, strength = (
            "Naltrexone HCl 1.5 mg capsules (low-dose naltrexone)",
            "14 capsules",
            1.5,
        )
    directions = label_directions(
        plan,
        supply=supply,
        strength_mg=strength,
        first=fill.first_day,
        last=min(fill.last_day, record.beyond_use),
    )
    return DispensingLabel(
        PHARMACY,
        "Rx 12",
        "L-2026-001",
        PATIENT.name,
        medicine,
        quantity,
        directions,
        D0,
        record.beyond_use,
        record.storage,
        PRESCRIBER.name,
        liquid=form == "liquid",
    )


@pytest.mark.parametrize("form", ["capsule", "liquid"])
def test_prescription_fields_golden(form: str) -> None:
    doc = make_prescription(
        build_plan(start=D0),
        form=form,
        patient=PATIENT,
        prescriber=PRESCRIBER,
        issued_on=D0,
        number=12,
    )
    f = doc.fields()
    for key in (
        "date",
        "prescriber",
        "patient",
        "diagnosis",
        "allergies",
        "quantities",
        "refills",
        "directions",
    ):
        assert f[key] not in (None, "", []), key
    assert f["patient"]["birth_date"] == "1982-03-04" and f["prescriber"]["licence"] == "MD-4711"
    assert all("by mouth once daily at bedtime" in d["text"] for d in f["directions"])
    _golden(f"prescription_{form}.json", f)
    text = doc.text()
    assert (
        "Licence no.: MD-4711" in text
        and "Date of birth: 1982-03-04" in text
        and "Refills:" in text
    )


@pytest.mark.parametrize("form", ["capsule", "liquid"])
def test_label_fields_golden(form: str) -> None:
    label = _label(form)
    f = label.fields()
    assert f["compounded"] is True and f["lot"] and f["rx_number"] == "Rx 12"
    assert f["pharmacy"] and f["pharmacy_phone"] and f["prescriber"] == "Dr Ada Lovelace"
    assert "by mouth" in f["directions"] and "at bedtime" in f["directions"]
    assert KEEP_AWAY in f["warnings"]
    if form == "liquid":
        assert "2-8 °C" in f["storage"] and f["warnings"][0] == "Shake well before each dose."
    _golden(f"label_{form}.json", f)
    text = label.text()
    assert "COMPOUNDED" in text and "Lot L-2026-001" in text and "Do not use after" in text


def test_handout_storage_bud_shake_and_the_cost_of_the_form() -> None:
    plan = build_plan(start=D0)
    for form in ("capsule", "liquid"):
        supply = plan_supply(plan, form=form, compounded_on=D0)
        md = render_handout(
            HandoutContext("Anna", plan, form, monthly_cost(form), supply=supply), fmt="md"
        )
        html = render_handout(
            HandoutContext("Anna", plan, form, monthly_cost(form), supply=supply), fmt="html"
        )
        for doc in (md, html):
            assert "Storing your medicine" in doc and "out of reach of children" in doc
            assert f"at most {supply.bud_days} days" in doc
            assert "ALERT CARD" in doc and "overcome the block" in doc  # kept from the label work
        if form == "liquid":
            assert "Shake the bottle well" in md and "2-8 °C" in md and "1.5 mL" in md
            assert "about $15 a month as a liquid" in md and "$40" not in md
            assert "Batch 2" in md  # refills: the liquid keeps 35 days
        else:
            assert "Shake" not in md and "20-25 °C" in md and "as capsules" in md
    assert "$40" in monthly_cost("capsule").note and "$40" not in monthly_cost("liquid").note


def test_status_is_ready_only_when_every_strength_is_made() -> None:
    needs = fill_needs(
        {
            "capsules": [
                {"strength_mg": 1.5, "count": 14},
                {"strength_mg": 3.0, "count": 14},
                {"strength_mg": 4.5, "count": 57},
            ]
        },
        form="capsule",
    )
    assert status_for(fill_progress(needs, [], form="capsule")) == "issued"
    one = fill_progress(needs, [("1.5", 14)], form="capsule")
    assert status_for(one) == "compounding" and [p.status for p in one] == [
        "made",
        "to make",
        "to make",
    ]
    short = fill_progress(needs, [("1.5", 14), ("3", 14), ("4.5", 30)], form="capsule")
    assert status_for(short) == "compounding" and short[-1].remaining == 27
    assert (
        status_for(fill_progress(needs, [("1.5", 14), ("3", 14), ("4.5", 57)], form="capsule"))
        == "ready"
    )
    with pytest.raises(ConflictError):
        check_can_dispense("compounding")
    check_can_dispense("ready")
    with pytest.raises(InputError):
        check_can_cancel("issued", reason=" ", refills_left=1)
    with pytest.raises(ConflictError):
        check_can_cancel("dispensed", reason="x", refills_left=0)
    assert check_can_cancel("dispensed", reason=" plan changed ", refills_left=1) == "plan changed"


def test_placebo_is_the_active_capsules_twin() -> None:
    active = capsule_batch(strength_mg=4.5, count=84, compounded_on=D0)
    placebo = placebo_batch(active=active, count=84, compounded_on=D0)
    assert active.fill is not None and placebo.fill == active.fill
    assert placebo.beyond_use == active.beyond_use and placebo.api_salt_mg == 0
    assert placebo.blend_mg == pytest.approx(84 * active.fill.fill_mg)
    assert all("naltrexone" not in i.name.lower() for i in placebo.ingredients)
    with pytest.raises(InputError):
        placebo_batch(
            active=liquid_batch(volume_ml=100, compounded_on=D0), count=10, compounded_on=D0
        )
