"""Medicine recognition fails closed: every opioid is found, an unknown medicine is never safe.

The product table (``product_table.py``) was written from public labels independently of the
knowledge base; the property tests vary spelling the way people and EHRs write names.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ldn.domain.medicines import ATC_SYSTEM, OPIOID_CLASSES, RXNORM_SYSTEM, identify, knowledge_base
from ldn.domain.patient import parse_patient
from ldn.domain.screening import screen
from ldn.services.standalone.files import load_patient_file
from tests.conftest import AS_OF, PATIENTS
from tests.unit.medicines.product_table import PRODUCTS


def _key(name: str) -> str:
    """The knowledge base's key for an ingredient named in the table (INN or a synonym)."""
    entry = knowledge_base().by_name.get(tuple(name.replace("_", " ").split()))
    return getattr(entry, "key", name)


SAFE_VERDICTS = {"do_not_start_yet", "needs_clinician_review", "contraindicated"}
YESTERDAY = AS_OF - timedelta(days=1)


def _base() -> dict[str, Any]:
    rec = load_patient_file(PATIENTS / "fibromyalgia.yaml", today=AS_OF)
    return rec.model_dump(mode="json", exclude_none=True)


BASE = _base()


def _screen_with(med: dict[str, Any], **extra: Any) -> Any:
    data = {**BASE, "medications": [*BASE["medications"], med], **extra}
    return screen(parse_patient(data, today=AS_OF), today=AS_OF)


def test_table_has_at_least_150_products() -> None:
    assert len(PRODUCTS) >= 150


@pytest.mark.parametrize(("text", "ingredients", "opioid"), PRODUCTS, ids=[p[0] for p in PRODUCTS])
def test_product_table(text: str, ingredients: set[str], opioid: bool) -> None:
    m = identify(text)
    assert {_key(i) for i in ingredients} <= set(m.ingredients), m.explanation()
    assert m.contains_opioid is opioid, m.explanation()


@pytest.mark.parametrize(
    ("text", "ingredients", "opioid"),
    [p for p in PRODUCTS if p[2]],
    ids=[p[0] for p in PRODUCTS if p[2]],
)
def test_every_opioid_product_taken_yesterday_holds_the_start(
    text: str, ingredients: set[str], opioid: bool
) -> None:
    report = _screen_with({"name": text, "status": "stopped", "last_dose": YESTERDAY.isoformat()})
    assert report.verdict in SAFE_VERDICTS
    assert report.verdict != "candidate"


def test_percocet_explains_what_it_matched() -> None:
    m = identify("Percocet")
    assert m.status == "recognised"
    assert "oxycodone" in m.explanation() and "paracetamol" in m.explanation()
    assert "Percocet" in m.explanation() or "percocet" in m.explanation()


@pytest.mark.parametrize("text", ["Butrans 10 mcg/h", "Duragesic 25 mcg/h", "fentanyl patch"])
def test_patches_are_long_acting(text: str) -> None:
    m = identify(text)
    assert m.contains_opioid and m.form == "patch"
    report = _screen_with(
        {"name": text, "status": "stopped", "last_dose": (AS_OF - timedelta(days=11)).isoformat()}
    )
    assert report.verdict == "do_not_start_yet", (
        "a patch stopped 11 days ago is still inside the 14-day interval"
    )


@pytest.mark.parametrize("text", ["Sublocade", "Buvidal", "Probuphine"])
def test_depots_need_a_clinician(text: str) -> None:
    m = identify(text)
    assert m.contains_opioid and m.depot, m.explanation()
    report = _screen_with(
        {"name": text, "status": "stopped", "last_dose": (AS_OF - timedelta(days=60)).isoformat()}
    )
    assert report.verdict == "needs_clinician_review"
    assert any(f.code == "SAFETY_OPIOID_DEPOT" for f in report.findings)


@pytest.mark.parametrize(
    "text",
    ["Zxqvortin", "Blorbex 20 mg", "pain pills from abroad", "my usual tablets", "Xanoflux ER"],
)
def test_unknown_medicines_go_to_review(text: str) -> None:
    report = _screen_with({"name": text, "status": "current"})
    assert report.verdict == "needs_clinician_review"
    assert any(f.code == "MEDICATION_NOT_IDENTIFIED" and text in f.message for f in report.findings)


def test_partial_names_go_to_review() -> None:
    m = identify("Tylenol Zorbex")
    assert m.status == "partial" and "paracetamol" in m.ingredients
    report = _screen_with({"name": "Tylenol Zorbex", "status": "current"})
    assert report.verdict == "needs_clinician_review"


def test_clinician_answer_decides_for_an_unknown_medicine() -> None:
    review = {"contains_opioid": False, "reviewed_by": "Dr Lee", "reviewed_on": "2026-11-24"}
    report = _screen_with({"name": "Zxqvortin", "status": "current", "review": review})
    assert report.verdict != "needs_clinician_review"
    assert any(f.code == "MEDICATION_REVIEWED" for f in report.findings)
    opioid = {**review, "contains_opioid": True}
    report = _screen_with({"name": "Zxqvortin", "status": "current", "review": opioid})
    assert report.verdict == "do_not_start_yet"


def test_a_clinician_no_does_not_hide_a_known_opioid() -> None:
    review = {"contains_opioid": False, "reviewed_by": "Dr Lee", "reviewed_on": "2026-11-24"}
    report = _screen_with({"name": "Percocet", "status": "current", "review": review})
    assert report.verdict == "do_not_start_yet"


def test_a_declared_class_cannot_hide_an_opioid() -> None:
    report = _screen_with(
        {"name": "Percocet", "drug_class": "simple_analgesic", "status": "current"}
    )
    assert report.verdict == "do_not_start_yet"


def test_already_on_naltrexone_stops() -> None:
    for text in ("Revia 50 mg", "Vivitrol", "Contrave", "low dose naltrexone 4.5 mg"):
        report = _screen_with({"name": text, "status": "current"})
        f = next(f for f in report.findings if f.code == "SAFETY_ALREADY_ON_NALTREXONE")
        assert f.level == "stop" and report.verdict == "needs_clinician_review"


def test_negative_naloxone_challenge_shortens_short_acting_washout_to_seven_days() -> None:
    """Label (revia-label-2013): opioid-free 7-10 days; naloxone challenge when in doubt."""
    last = AS_OF - timedelta(days=8)
    med = {"name": "Tramadol 50 mg", "status": "stopped", "last_dose": last.isoformat()}
    assert _screen_with(med).verdict == "do_not_start_yet"
    challenge = {"date": AS_OF.isoformat(), "result": "negative"}
    report = _screen_with(med, naloxone_challenge=challenge)
    assert report.verdict != "do_not_start_yet"
    too_early = {"date": (last + timedelta(days=5)).isoformat(), "result": "negative"}
    assert _screen_with(med, naloxone_challenge=too_early).verdict == "do_not_start_yet"
    # not for methadone
    meth = {"name": "methadone", "status": "stopped", "last_dose": last.isoformat()}
    assert _screen_with(meth, naloxone_challenge=challenge).verdict == "do_not_start_yet"


def test_combination_analgesic_overuse_and_washout_both_fire() -> None:
    """ICHD-3 8.2.5: combination analgesics on >= 10 days/month for > 3 months (ichd3-2018)."""
    rec = load_patient_file(PATIENTS / "chronic-migraine-moh.yaml", today=AS_OF)
    data = rec.model_dump(mode="json", exclude_none=True)
    data["medications"][0] = {**data["medications"][0], "name": "co-codamol 30/500"}
    data["medications"][0].pop("drug_class", None)
    report = screen(parse_patient(data, today=AS_OF), today=AS_OF)
    moh = report.instruments["ichd3"].details["medication_overuse"]
    assert "8.2.5" in moh
    assert any(f.code == "SAFETY_OPIOID_WASHOUT" for f in report.findings)


def test_codes_are_read_first() -> None:
    m = identify("", codes=((ATC_SYSTEM, "N02AJ06"),))
    assert m.contains_opioid
    m = identify("Mystery product", codes=((ATC_SYSTEM, "N02AX99"),))
    assert m.contains_opioid, "an unlisted code in the N02A group is still an opioid"
    m = identify("", codes=((RXNORM_SYSTEM, "7243"),))
    assert m.contains_naltrexone
    m = identify("Paracetamol", codes=((ATC_SYSTEM, "N02AA05"),))
    assert m.contains_opioid, "a code and a name that disagree: the union wins"


# --- property: spelling variants of every opioid product in the knowledge base


def _opioid_names() -> list[str]:
    kb = knowledge_base()
    names = [n for p in kb.products if kb.classes_of(p) & OPIOID_CLASSES for n in p.names]
    names += [
        i.key.replace("_", " ") for i in kb.ingredients.values() if set(i.classes) & OPIOID_CLASSES
    ]
    return sorted(set(names))


_VARIANTS = st.sampled_from(
    [
        lambda s: s,
        str.upper,
        str.lower,
        str.title,
        lambda s: f"  {s}  ",
        lambda s: f"{s} 10 mg",
        lambda s: f"{s} 5/325 mg tablet",
        lambda s: f"{s} ER",
        lambda s: f"{s} (PRN)",
        lambda s: s.replace(" ", "-"),
        lambda s: f"{s} tablets",
        lambda s: f"{s}, 1 tab at night",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(_opioid_names()), variant=_VARIANTS)
def test_every_opioid_spelling_holds_the_start(name: str, variant: Any) -> None:
    text = variant(name)
    m = identify(text)
    assert m.contains_opioid, (text, m.explanation())
    report = _screen_with({"name": text, "status": "stopped", "last_dose": YESTERDAY.isoformat()})
    assert report.verdict in SAFE_VERDICTS


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=30).filter(lambda s: s.strip()))
def test_anything_typed_is_either_identified_or_reviewed(text: str) -> None:
    report = _screen_with({"name": text, "status": "current"})
    m = identify(text)
    if m.status != "recognised" and not m.contains_opioid:
        assert report.verdict == "needs_clinician_review"
    assert report.verdict != "candidate" or (m.status == "recognised" and not m.contains_opioid)


def test_date_time_last_dose_still_counts() -> None:
    when = datetime.combine(YESTERDAY, datetime.min.time())
    report = _screen_with(
        {"name": "Norco 10/325", "status": "stopped", "last_dose": when.isoformat()}
    )
    assert report.earliest_start == YESTERDAY + timedelta(days=10)
    assert isinstance(report.earliest_start, date)


def test_every_knowledge_base_source_resolves() -> None:
    from ldn.domain.sources import registry

    assert knowledge_base().source_ids() <= set(registry())


def test_the_loader_refuses_a_name_with_two_meanings() -> None:
    from ldn.domain.medicines import Ingredient, KnowledgeBase, Product

    ings = {
        "oxycodone": Ingredient("oxycodone", ("opioid_full_agonist",), sources=("rxnorm",)),
        "paracetamol": Ingredient("paracetamol", ("simple_analgesic",), sources=("rxnorm",)),
    }
    clash = (
        Product(("Panax",), ("oxycodone",), "tablet", ("US",), ("rxnorm",)),
        Product(("PANAX",), ("paracetamol",), "tablet", ("US",), ("rxnorm",)),
    )
    with pytest.raises(ValueError, match="means both"):
        KnowledgeBase.build(ings, clash)
    with pytest.raises(ValueError, match="unknown form"):
        KnowledgeBase.build(
            ings, (Product(("X",), ("oxycodone",), "pillow", ("US",), ("rxnorm",)),)
        )


@pytest.mark.parametrize("text", ["T3", "t3 25 mcg"])
def test_ambiguous_shorthand_goes_to_review(text: str) -> None:
    """'T3' is liothyronine to a thyroid patient and Tylenol #3 to others: ldn asks."""
    assert identify(text).status == "unrecognised"


def _typo_drop_last(s: str) -> str:
    """A typo inside the last word (never dropping a whole word or number: "Atasol-8" → "Atasol"
    would be another, real product)."""
    last = s.replace("-", " ").split()[-1]
    return s[:-1] if len(last) >= 5 and last.isalpha() else s


_MANGLE = st.sampled_from(
    [
        lambda s: s.replace(" ", ""),
        lambda s: s.replace(" ", "-"),
        lambda s: s.replace(" ", "."),
        lambda s: s.replace("#", "No."),
        lambda s: s.replace("#", "no "),
        lambda s: s + "x",
        _typo_drop_last,
        lambda s: s.upper().replace(" ", "_"),
        lambda s: s.replace("o", "0", 1),
    ]
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(_opioid_names()), mangle=_MANGLE)
def test_a_mangled_opioid_name_is_never_read_as_a_known_non_opioid(name: str, mangle: Any) -> None:
    """Fail closed: however an opioid product's name is mangled, ldn reads an opioid or says it
    cannot read it (review); it never reads a complete, non-opioid medicine."""
    m = identify(mangle(name))
    assert m.contains_opioid or m.status != "recognised", (mangle(name), m.explanation())


def test_compiled_json_is_current() -> None:
    """compiled.json (read instead of parsing TOML at start-up) was made from the shipped TOML; `make docs` rewrites it."""
    import json
    from importlib import resources

    from ldn.domain.medicines.knowledge import compiled

    stored = json.loads(
        resources.files("ldn.domain.data")
        .joinpath("medicines/compiled.json")
        .read_text(encoding="utf-8")
    )
    assert stored["source_digest"] == compiled()["source_digest"]
    assert stored == json.loads(json.dumps(compiled()))
