"""Compounding worksheets recomputed independently: fill by volume, weighing, CoA, overage, supply.

The expected numbers are recomputed here from the published values (shell volumes, Avicel bulk
densities, molar masses, balance minimum weights), not read back from the code under test.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ldn.domain.compounding import (
    BALANCES,
    Balance,
    capsule_batch,
    first_fill_batches,
    liquid_batch,
    liquid_dose_ml,
    plan_supply,
    plan_weighing,
    strength_combinations,
    worksheet_markdown,
)
from ldn.domain.errors import InputError
from ldn.domain.titration import build_plan

D0 = date(2026, 11, 25)
# Capsule CN / ACG charts (mL; #5 the smaller of 0.13 and 0.10) and IFF loose bulk densities (g/mL)
VOLUME_ML = {
    "000": 1.37,
    "00": 0.95,
    "0": 0.68,
    "1": 0.50,
    "2": 0.37,
    "3": 0.30,
    "4": 0.21,
    "5": 0.10,
}
DENSITY_G_ML = {
    "avicel_ph102": (0.28, 0.33),
    "avicel_ph112": (0.28, 0.34),
    "avicel_ph301": (0.34, 0.45),
}
SEMIMICRO = BALANCES["semimicro_0.01mg"]  # 820 x 0.01 mg = 8.2 mg: every size is checkable


def expected_fill_mg(size: str, filler: str) -> float:
    """Blend mass at the lowest bulk density, rounded down to 0.1 mg."""
    return math.floor(VOLUME_ML[size] * DENSITY_G_ML[filler][0] * 1000 * 10 + 1e-6) / 10


def test_balance_minimum_weights() -> None:
    """USP <1176>: 6 mg / 5 % = 120 mg; USP <41>: 2 x 0.41 d / 0.10 % = 820 d."""
    assert BALANCES["class_iii"].min_weight_mg == pytest.approx(120)
    assert BALANCES["analytical_0.1mg"].min_weight_mg == pytest.approx(82)
    assert SEMIMICRO.min_weight_mg == pytest.approx(8.2)


@pytest.mark.parametrize("size", list(VOLUME_ML))
@pytest.mark.parametrize("filler", list(DENSITY_G_ML))
@pytest.mark.parametrize("strength", [0.5, 1.5, 3.0, 4.5, 6.0])
def test_fill_fits_every_size_filler_and_strength(size: str, filler: str, strength: float) -> None:
    """Fill volume <= shell volume at the lowest density; blend = n x fill; API + filler = blend."""
    n = 30
    b = capsule_batch(
        strength_mg=strength,
        count=n,
        compounded_on=D0,
        capsule_size=size,
        filler=filler,
        balance=SEMIMICRO,
    )
    assert b.fill is not None and b.weighing is not None
    fill = expected_fill_mg(size, filler)
    assert b.fill.fill_mg == pytest.approx(fill)
    assert fill / (DENSITY_G_ML[filler][0] * 1000) <= VOLUME_ML[size] + 1e-12
    assert b.blend_mg == pytest.approx(n * fill)
    assert b.active_mg == pytest.approx(strength * n)  # anhydrous HCl, potency 100 %
    filler_ing = b.ingredients[-1]
    assert b.weighing.portion_mg + filler_ing.quantity == pytest.approx(n * fill, abs=0.1)
    # each capsule of `fill` mg carries the labelled strength
    assert b.active_mg / b.blend_mg * fill == pytest.approx(strength)


@pytest.mark.parametrize(
    ("balance", "size"), [("class_iii", "1"), ("analytical_0.1mg", "3"), ("semimicro_0.01mg", "5")]
)
def test_smallest_size_the_balance_can_check(balance: str, size: str) -> None:
    """Smallest shell whose fill (at 0.28 g/mL) is at least the balance's minimum weight."""
    b = capsule_batch(strength_mg=4.5, count=30, compounded_on=D0, balance=balance)
    assert b.fill is not None and b.fill.size == size
    mwq = BALANCES[balance].min_weight_mg
    fitting = [s for s in ("5", "4", "3", "2", "1") if expected_fill_mg(s, "avicel_ph102") >= mwq]
    assert fitting[0] == size


def test_a_chosen_size_that_cannot_hold_the_dose_is_refused() -> None:
    with pytest.raises(InputError) as info:
        capsule_batch(strength_mg=4.5, count=30, compounded_on=D0, capsule_size="3")
    p = info.value.problems[0]
    assert p.loc == "capsule_size" and "minimum weight 120 mg" in p.message and "#1" in p.fix
    # 6 mg from 250 mg tablets = 30 mg of powder a capsule; a #5 shell holds 28 mg of blend
    with pytest.raises(InputError) as info:
        capsule_batch(
            strength_mg=6,
            count=30,
            compounded_on=D0,
            capsule_size="5",
            balance=SEMIMICRO,
            api="tablets_50mg",
            tablet_mass_mg=250,
        )
    p = info.value.problems[0]
    assert p.loc == "capsule_size" and "active powder" in p.message and "#4" in p.fix


def test_tablets_subtract_their_excipients_from_the_filler() -> None:
    """3 tablets of 250 mg carry 150 mg; 135 mg sits in 135 x 250 / 50 = 675 mg of powder."""
    b = capsule_batch(
        strength_mg=4.5, count=30, compounded_on=D0, api="tablets_50mg", tablet_mass_mg=250
    )
    assert b.fill is not None and b.weighing is not None
    assert b.ingredients[0].quantity == 3
    assert b.active_mg == pytest.approx(675)
    assert b.weighing.aliquot is None  # 675 mg >= 120 mg: weighed directly
    assert b.ingredients[-1].quantity == pytest.approx(30 * 140 - 675)
    with pytest.raises(InputError) as info:
        capsule_batch(strength_mg=4.5, count=30, compounded_on=D0, api="tablets_50mg")
    assert info.value.problems[0].loc == "tablet_mass_mg"
    with pytest.raises(InputError, match="bulk powder"):
        capsule_batch(
            strength_mg=4.5,
            count=30,
            compounded_on=D0,
            api="tablets_50mg",
            tablet_mass_mg=250,
            potency_pct=99,
        )


@pytest.mark.parametrize(
    ("kwargs", "powder_mg"),
    [
        ({}, 135.0),
        ({"api": "powder_hcl_dihydrate"}, 135 * 413.9 / 377.9),
        ({"potency_pct": 98.5}, 135 / 0.985),
        ({"potency_pct": 99.2, "water_pct": 1.5}, 135 / (0.992 * 0.985)),
        # measured water already includes the water of hydration: no molar-mass factor on top
        (
            {"api": "powder_hcl_dihydrate", "potency_pct": 99.0, "water_pct": 8.7},
            135 / (0.99 * 0.913),
        ),
        ({"potency_pct": 90.5, "potency_basis": "as_is"}, 135 / 0.905),
    ],
)
def test_api_mass_with_salt_hydrate_and_coa_corrections(
    kwargs: dict[str, object], powder_mg: float
) -> None:
    b = capsule_batch(strength_mg=4.5, count=30, compounded_on=D0, **kwargs)  # type: ignore[arg-type]
    assert b.active_mg == pytest.approx(powder_mg, rel=1e-9)
    assert b.ingredients[0].quantity == pytest.approx(powder_mg, abs=1e-3)
    assert b.api_salt_mg == 135 and b.api_base_mg == pytest.approx(135 * 341.4 / 377.9)


@pytest.mark.parametrize(
    ("kwargs", "loc"),
    [
        ({"potency_pct": 995}, "potency_pct"),
        ({"water_pct": 40}, "water_pct"),
        ({"potency_pct": 99, "water_pct": 2, "potency_basis": "as_is"}, "water_pct"),
        ({"overage_pct": 3}, "overage_reason"),
        ({"overage_pct": 25, "overage_reason": "loss"}, "overage_pct"),
        ({"calibrated_fill_mg": 95}, "capsule_size"),
        ({"filler": "calcium_carbonate"}, "filler"),
        ({"balance": "kitchen"}, "balance"),
    ],
)
def test_bad_compounding_inputs_name_the_field(kwargs: dict[str, object], loc: str) -> None:
    with pytest.raises(InputError) as info:
        capsule_batch(strength_mg=4.5, count=30, compounded_on=D0, **kwargs)  # type: ignore[arg-type]
    assert info.value.problems[0].loc == loc and info.value.problems[0].fix


def test_aliquot_below_the_minimum_weight() -> None:
    """21 mg on a Class III balance: stock 120 mg, trituration 686 mg, aliquot 120.05 mg."""
    b = capsule_batch(strength_mg=1.5, count=14, compounded_on=D0)
    assert b.weighing is not None and b.weighing.aliquot is not None
    a = b.weighing.aliquot
    assert (a.stock_mg, a.total_mg) == (120, max(math.ceil(120 * 120 / 21), 240))
    assert a.aliquot_mg == pytest.approx(21 * 686 / 120)
    assert min(a.stock_mg, a.diluent_mg, a.aliquot_mg, b.blend_mg) >= 120
    assert b.ingredients[-1].quantity == pytest.approx(14 * 140 - a.aliquot_mg, abs=0.05)
    text = "\n".join(b.steps)
    assert "aliquot method" in text and "Weigh 120.0 mg naltrexone hydrochloride powder" in text


@settings(max_examples=200, deadline=None)
@given(st.floats(0.05, 119.9), st.sampled_from(sorted(BALANCES)))
def test_aliquot_property(active_mg: float, name: str) -> None:
    """Every weighing >= the minimum weight, and the aliquot carries exactly the active mass."""
    bal = BALANCES[name]
    plan = plan_weighing(active_mg=active_mg, balance=bal)
    if active_mg >= bal.min_weight_mg:
        assert plan.aliquot is None and plan.portion_mg == active_mg
        return
    a = plan.aliquot
    assert a is not None
    assert min(a.stock_mg, a.diluent_mg, a.aliquot_mg) >= bal.min_weight_mg - 1e-9
    assert a.aliquot_mg * a.stock_mg / a.total_mg == pytest.approx(active_mg)


def test_custom_balance_from_the_pharmacy_repeatability_test() -> None:
    """s = 0.015 mg measured: m_min = 2000 s = 30 mg; #5 holds 28 mg, #4 58.8 mg."""
    bal = Balance("our XPR balance", 30.0, "USP <41> test, s = 0.015 mg")
    b = capsule_batch(strength_mg=4.5, count=30, compounded_on=D0, balance=bal)
    assert expected_fill_mg("5", "avicel_ph102") < 30 <= expected_fill_mg("4", "avicel_ph102")
    assert b.fill is not None and b.fill.size == "4"
    with pytest.raises(InputError, match="minimum weight must be positive"):
        capsule_batch(strength_mg=4.5, count=30, compounded_on=D0, balance=Balance("x", 0.0))


def test_overage_scales_the_blend_not_the_strength() -> None:
    b = capsule_batch(
        strength_mg=4.5,
        count=30,
        compounded_on=D0,
        overage_pct=2,
        overage_reason="capsule machine loss",
    )
    assert b.fill is not None
    assert b.blend_mg == pytest.approx(30 * 140 * 1.02)
    assert b.active_mg == pytest.approx(135 * 1.02)
    assert b.active_mg / b.blend_mg * b.fill.fill_mg == pytest.approx(4.5)
    assert any("2 % overage (capsule machine loss)" in s for s in b.steps)


def test_calibrated_fill_replaces_the_planned_one() -> None:
    b = capsule_batch(
        strength_mg=4.5, count=30, compounded_on=D0, capsule_size="1", calibrated_fill_mg=150
    )
    assert b.fill is not None and b.fill.calibrated and b.blend_mg == pytest.approx(4500)
    assert b.ingredients[-1].quantity == pytest.approx(4500 - 135)


def test_worksheet_has_calibration_weighing_and_record() -> None:
    b = capsule_batch(strength_mg=4.5, count=30, compounded_on=D0)
    text = b.as_markdown()
    for needle in (
        "fill 10 empty size #1 shells",
        "Weigh 135.0 mg naltrexone hydrochloride powder",
        "minimum weight 120 mg",
        "Weight check",
        "Verified by",
        "USP <795> (2023)",
        "Do not use after",
    ):
        assert needle in text
    assert b.as_dict()["capsule"]["fill_mg"] == 140


# --- supply to the assessment date ---------------------------------------------------------


def test_common_schedule_supply_covers_the_assessment_date() -> None:
    """Issue 25: 30 x 4.5 mg ran out on 2027-01-21; to the assessment date 2027-02-17 needs 57."""
    plan = build_plan(start=D0)
    assert plan.assessment_date == date(2027, 2, 17)
    supply = plan_supply(plan, form="capsule", compounded_on=D0)
    assert supply.refills == 0
    assert supply.capsules_total() == {1.5: 14, 3.0: 14, 4.5: 57}
    batches = first_fill_batches(supply, patient="A")
    assert [(b.strength, b.units) for b in batches] == [
        ("1.5 mg", 14),
        ("3 mg", 14),
        ("4.5 mg", 57),
    ]
    assert "## Supply to the assessment date" in worksheet_markdown(supply, batches)


def test_slow_schedule_uses_a_practical_strength_set() -> None:
    """0.5 and 1.5 mg capsules for the titration (order sheet), one 4.5 mg capsule at target."""
    plan = build_plan(start=D0, schedule="slow")
    supply = plan_supply(plan, form="capsule", compounded_on=D0)
    strengths = {s for c in supply.combinations for s, _ in c.capsules}
    assert strengths == {0.5, 1.5, 4.5}
    assert all(c.count <= 4 for c in supply.combinations)
    # recompute day by day
    want: dict[float, int] = {}
    combos = {c.dose_mg: c for c in supply.combinations}
    d = plan.start
    while d <= plan.assessment_date:
        step = plan.dose_on(d)
        assert step is not None
        for s, n in combos[step.dose_mg].capsules:
            want[s] = want.get(s, 0) + n
        assert sum(s * n for s, n in combos[step.dose_mg].capsules) == pytest.approx(step.dose_mg)
        d += timedelta(days=1)
    assert supply.capsules_total() == want


def test_few_strengths_stay_one_capsule_per_dose() -> None:
    assert [c.capsules for c in strength_combinations([1.5, 3.0, 4.5])] == [
        ((1.5, 1),),
        ((3.0, 1),),
        ((4.5, 1),),
    ]


def test_liquid_supply_in_ml_with_refills_within_the_bud() -> None:
    plan = build_plan(start=D0)
    supply = plan_supply(plan, form="liquid", compounded_on=D0)
    assert liquid_dose_ml(dose_mg=4.5) == 4.5
    assert supply.refills >= 1
    for f in supply.fills:
        assert f.days <= 35 and f.last_day <= f.beyond_use
        assert f.volume_ml % 50 == 0 and f.volume_ml >= f.need_ml
    assert supply.fills[0].need_ml == pytest.approx(14 * 1.5 + 14 * 3 + 7 * 4.5)
    assert supply.fills[-1].last_day == plan.assessment_date
    assert "4.5 mL of 1 mg/mL" in supply.as_markdown()


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from([0.5, 1.0, 1.5]),
    st.sampled_from([0.5, 1.0, 1.5]),
    st.integers(3, 21),
    st.sampled_from([3.0, 4.5, 6.0]),
    st.integers(-5, 20),
    st.sampled_from(["capsule", "liquid"]),
)
def test_supply_covers_the_schedule_to_the_assessment_date(
    start_mg: float, step_mg: float, interval: int, target: float, lead: int, form: str
) -> None:
    """Fills are contiguous from the first dose to the assessment date, each within its BUD,
    and the capsules (or mL) supplied equal the doses of every day."""
    plan = build_plan(
        start=D0,
        schedule="custom",
        start_mg=start_mg,
        step_mg=step_mg,
        interval_days=interval,
        target_mg=target,
        max_mg=6.0,
    )
    compounded = D0 - timedelta(days=lead)
    supply = plan_supply(plan, form=form, compounded_on=compounded)  # type: ignore[arg-type]
    first = max(plan.start, compounded)
    assert supply.fills[0].first_day == first and supply.fills[-1].last_day == plan.assessment_date
    for a, b in zip(supply.fills, supply.fills[1:], strict=False):
        assert b.first_day == a.last_day + timedelta(days=1)
    total_mg = 0.0
    d = first
    while d <= plan.assessment_date:
        step = plan.dose_on(d)
        assert step is not None
        total_mg += step.dose_mg
        d += timedelta(days=1)
    for f in supply.fills:
        assert f.last_day <= f.beyond_use
    if form == "capsule":
        supplied = sum(s * n for s, n in supply.capsules_total().items())
        assert supplied == pytest.approx(total_mg)
    else:
        assert sum(f.need_ml for f in supply.fills) == pytest.approx(total_mg)
        assert all(f.volume_ml >= f.need_ml for f in supply.fills)


def test_liquid_from_partial_tablets_needs_the_tablet_mass() -> None:
    with pytest.raises(InputError) as info:
        liquid_batch(volume_ml=120, compounded_on=D0)
    assert (
        info.value.problems[0].loc == "volume_ml"
        and "multiple of 50 mL" in info.value.problems[0].fix
    )
    b = liquid_batch(volume_ml=120, compounded_on=D0, tablet_mass_mg=200)
    assert b.active_mg == pytest.approx(120 * 200 / 50) and b.ingredients[0].quantity == 3


def test_liquid_preservative_is_weighed_by_aliquot_on_a_class_iii_balance() -> None:
    """100 mg sodium benzoate < 120 mg: triturated with the formula's ascorbic acid."""
    b = liquid_batch(volume_ml=100, compounded_on=D0)
    text = "\n".join(b.steps)
    assert "sodium benzoate is below the minimum weight" in text
    assert "Weigh 400.0 mg more ascorbic acid" in text  # 500 - (200 - 100)
    assert "°C" in b.storage and "2-8" in b.storage


def test_a_plan_started_in_the_past_gets_at_least_30_days() -> None:
    """Assessment date already passed: 30 days of the current dose from today (ldn assumption)."""
    plan = build_plan(start=D0 - timedelta(days=200))
    supply = plan_supply(plan, form="capsule", compounded_on=D0)
    assert supply.first_day == D0 and supply.through == D0 + timedelta(days=29)
    assert supply.capsules_total() == {4.5: 30}


def test_liquid_compounded_too_early_is_compounded_on_the_first_day() -> None:
    """A liquid made 60 days before the start would be past its 35-day BUD: fill 1 moves."""
    plan = build_plan(start=D0 + timedelta(days=60))
    supply = plan_supply(plan, form="liquid", compounded_on=D0)
    assert supply.fills[0].compound_on == plan.start
    assert supply.fills[0].beyond_use == plan.start + timedelta(days=34)
