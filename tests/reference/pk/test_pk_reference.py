"""The shipped pharmacology against the published values, with stated tolerances.

Provenance of every number (quotes and ids in ldn.domain.pk.observations; sources in
src/ldn/domain/data/sources/pharmacology.toml):

- 50 mg naltrexone: Cmax 13.3 ng/mL at about 1 h, 6BN Cmax about 108 ng/mL at about 1 h, 70-80 %
  of receptors blocked 48 h after 50 mg every other day (Swiss Fachinformation); t1/2 4 h and
  13 h (US label via openFDA); Cmax 16.6 +/- 1.6 ng/mL, Tmax 1.09 h, AUC 66.2 ng.h/mL, t1/2 3.34 h
  (Chinese bioequivalence study, 10 men); terminal oral t1/2 8.9 h (Wall 1981).
- 100 mg: AUC(0-24) 200 +/- 97 (naltrexone) and 2467 +/- 730 ng.h/mL (6BN), 6BN/NTX ratio at 2 h
  10.91 +/- 4.80 (Bertolotti 1997, 7 controls).
- 2.4 mg oral solution: Cmax 0.584 ng/mL, AUC(0-t) 1.954 ng.h/mL (Johnson 2010, 23 volunteers).
- Intravenous 6BN: terminal t1/2 11.1 +/- 2.4 h (Yancey-Wrona 2011).
- Held out (never fitted): 20-man Chinese study (Cmax 15.83 ng/mL), Meyer 1984 via the Chinese label
  (Cmax 8.6 and 99.3 ng/mL), Kjome 2011 (chronic t1/2 about 10 h), Contrave (16 mg extended release,
  AUC 8.4), TDM in patients (Bekier 2020: NTX + 6BN 15-22 ng/mL 8 h after 50 mg/day).
- Occupancy: Rabiner 2011 via Trøstheim 2022 Table 1 (2 mg 27 %, 5 mg 43/46/58 %, 15 mg 61 %, 50 mg
  92/98 %, within 8 h); Lee 1988 (blockade half-time 72-108 h after 50 mg); Weerts 2008 (94.9 % on
  50 mg/day). The Trøstheim dose model reproduces 2 mg and 5 mg and misses 15 mg (73 % vs 61 %).

The ±30 % count and the known misfits are asserted so that a change to the model or the data that
moves them is seen; docs/pk.md explains each misfit.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from ldn.domain.pk.blockade import blockade
from ldn.domain.pk.observations import OBSERVATIONS, predict
from ldn.domain.pk.occupancy import BINDING, KOFF_PER_H, KON_PER_NM_H, dose_occupancy
from ldn.domain.pk.parameters import PARAMETER_SETS, get_parameters
from ldn.domain.pk.population import simulate
from ldn.domain.pk.regimen import daily
from ldn.domain.pk.uncertainty import (
    BETWEEN_STUDY_SD,
    PD_LOG_COVARIANCE,
    PK_LOG_COVARIANCE,
    PK_ORDER,
)

P = get_parameters("recommended")
FIT = json.loads((Path(__file__).with_name("fit_pk_output.json")).read_text(encoding="utf-8"))
OBS = {o.id: o for o in OBSERVATIONS}


def pred(obs_id: str) -> float:
    return predict(OBS[obs_id], P, BINDING)


def test_shipped_values_are_the_stored_fit() -> None:
    """parameters.py / occupancy.py / uncertainty.py carry fit_pk_output.json (4 significant digits)."""
    for k in PK_ORDER:
        assert getattr(P, k) == pytest.approx(FIT["pk"]["values"][k], rel=5e-4), k
    binding = FIT["pd"]["structures"][FIT["pd"]["chosen"]]["values"]
    assert FIT["pd"]["chosen"] == "binding"
    assert KON_PER_NM_H.value == pytest.approx(binding["kon_per_nm_h"], rel=5e-3)
    assert KOFF_PER_H.value == pytest.approx(binding["koff_per_h"], rel=5e-3)
    np.testing.assert_allclose(
        np.array(PK_LOG_COVARIANCE.value), np.array(FIT["pk"]["cov_log"]), rtol=1e-3, atol=1e-6
    )
    np.testing.assert_allclose(
        np.array(PD_LOG_COVARIANCE.value),
        np.array(FIT["pd"]["structures"]["binding"]["cov"]),
        rtol=1e-3,
        atol=1e-7,
    )
    assert BETWEEN_STUDY_SD.value == pytest.approx(FIT["pk"]["tau"], rel=1e-3)


def test_every_observation_has_its_stored_prediction() -> None:
    """docs/pk.md quotes the stored table: the shipped model still gives those numbers."""
    stored = {r["id"]: r for r in FIT["observations"]}
    assert set(stored) == set(OBS)
    for o in OBSERVATIONS:
        assert pred(o.id) == pytest.approx(stored[o.id]["predicted"], rel=2e-3, abs=2e-3), o.id


@pytest.mark.parametrize(
    ("obs_id", "tolerance"),
    [
        ("swiss-ntx-cmax", 0.30),
        ("cn10-ntx-cmax", 0.30),
        ("cn10-ntx-auc", 0.30),
        ("label-ntx-t12", 0.30),
        ("cn10-ntx-t12", 0.30),
        ("wall-ntx-terminal", 0.30),
        ("johnson-ntx-cmax", 0.30),
        ("swiss-6bn-cmax", 0.30),
        ("bertolotti-6bn-auc", 0.30),
        ("bertolotti-ratio-2h", 0.30),
        ("label-6bn-t12", 0.30),
        ("cn10-6bn-t12", 0.30),
        ("yancey-wrona-6bn-iv-t12", 0.30),
        ("cn20-ntx-cmax", 0.30),
        ("meyer-6bn-cmax", 0.30),
        ("meyer-6bn-t12", 0.30),
    ],
)
def test_within_tolerance_of_published(obs_id: str, tolerance: float) -> None:
    """Model / published within 1 ± tolerance (the last three are held out: predictions)."""
    value = OBS[obs_id].value
    assert value is not None
    assert 1 / (1 + tolerance) <= pred(obs_id) / value <= 1 + tolerance


def test_tmax_about_one_hour() -> None:
    """Labels: both analytes peak 'within one hour'; Chinese studies 0.81-1.09 h (SD 0.25-0.5 h)."""
    assert pred("swiss-ntx-tmax") == pytest.approx(1.0, abs=0.3)
    assert pred("swiss-6bn-tmax") == pytest.approx(1.0, abs=0.3)


def test_known_misfits() -> None:
    """Values the fit cannot meet together (between-study spread tau about 0.17 on the log scale):
    Bertolotti's 100 mg AUC is 2x the per-mg AUC of the 2.4 mg and 50 mg studies; the model sits
    between them. Johnson's AUC was 1.5-2x below the model's; Contrave (extended release, held out)
    2.6x; the patients' TDM values (held out) 3-4x below."""
    assert 0.5 < pred("bertolotti-ntx-auc") / 200.0 < 0.75
    assert 1.4 < pred("johnson-ntx-auc") / 1.954 < 2.0
    assert 2.0 < pred("contrave-ntx-auc") / 8.4 < 3.2
    assert 2.5 < pred("bekier-sum-8h") / math.sqrt(15 * 22) < 4.5


def test_thirty_percent_count() -> None:
    """24 of 28 fitted and 6 of 9 held-out numeric values within ±30 % (earlier model: 14/28, 5/9)."""
    counts = {}
    for use in ("fit", "held-out"):
        ratios = [
            pred(o.id) / o.value for o in OBSERVATIONS if o.use == use and o.value is not None
        ]
        counts[use] = (sum(1 / 1.3 <= r <= 1.3 for r in ratios), len(ratios))
    assert counts == {"fit": (24, 28), "held-out": (6, 9)}


def test_occupancy_time_course() -> None:
    """Swiss label: 70-80 % blocked 48 h after a dose (50 mg every other day); Lee 1988: half-time
    72-108 h; Weerts 2008: 94.9 +/- 4.9 % on 50 mg/day; Rabiner: 27 % at 2 mg, 43-58 % at 5 mg,
    92-98 % at 50 mg (within 8 h)."""
    assert 0.65 <= pred("swiss-48h") <= 0.80
    assert 72.0 <= pred("lee-half-time") <= 108.0
    assert pred("weerts-ss") >= 0.90
    assert abs(pred("rabiner-2mg-0") - 0.27) < 0.10
    assert abs(pred("rabiner-5mg-1") - np.mean([0.43, 0.46, 0.58])) < 0.10
    assert pred("rabiner-50mg-5") >= 0.90


def test_heroin_challenge_pattern() -> None:
    """Label: 50/100/150 mg block 25 mg IV heroin for 24/48/72 h. Held out: at those end points the
    model's occupancy is high and falls with dose-duration (62-89 %), i.e. 'blocked' is not one
    threshold in the model; stated in docs/pk.md."""
    occ = [pred(f"heroin-{d}mg-{h}h") for d, h in ((50, 24), (100, 48), (150, 72))]
    assert all(0.55 < x < 0.95 for x in occ)
    assert occ[0] > occ[1] > occ[2]


def test_6bn_accumulation_within_published_half_lives() -> None:
    """Published 6BN half-lives 7.6-18 h imply 1/(1 - 2^(-24/t1/2)) = 1.13-1.67x at steady state."""
    r = daily(dose_mg=4.5, days=30)
    t = np.arange(0.0, 30 * 24.0, 0.02)
    bn = simulate(r, P, times_h=t).bn_ng_ml[0]
    ratio = bn[t >= 29 * 24].max() / bn[t < 24].max()
    assert 1.13 <= ratio <= 1.67


def test_earlier_model_kept_for_comparison() -> None:
    """The one-compartment set still reproduces its old targets (Cmax 13.3 at 50 mg, 6BN 55 ng/mL)."""
    old = PARAMETER_SETS["one_compartment"]
    assert predict(OBS["swiss-ntx-cmax"], old, BINDING) == pytest.approx(13.3, rel=0.02)
    assert predict(OBS["swiss-6bn-cmax"], old, BINDING) == pytest.approx(55.6, rel=0.02)


def test_ldn_blockade_answers() -> None:
    """The LDN answer (docs/pk.md): one 4.5 mg dose peaks near 50 % about half a day later and falls
    below 10 % after 4-8 days; once daily the trough stays above 50 % (binding model)."""
    one = blockade(4.5, draws=40)
    assert 38 <= one["peak_percent"]["typical"] <= 60
    assert 90 <= one["below_10_after_h"]["typical"] <= 200
    ss = blockade(4.5, steady_state=True, draws=40)
    assert 55 <= ss["trough_percent"]["typical"] <= 80
    assert (
        ss["trough_percent"]["p5"] < ss["trough_percent"]["typical"] < ss["trough_percent"]["p95"]
    )


@pytest.mark.parametrize(("dose", "low", "high"), [(2, 22, 32), (5, 43, 58)])
def test_rabiner_occupancy_reproduced(dose: float, low: float, high: float) -> None:
    assert low <= dose_occupancy(dose)["mu_percent"] <= high


def test_rabiner_occupancy_known_misfit() -> None:
    """The published dose model over-predicts 15 mg and under-predicts 50 mg (stated, not hidden)."""
    assert dose_occupancy(15)["mu_percent"] > 61 + 10
    assert dose_occupancy(50)["mu_percent"] < 92


def test_trostheim_ldn_predictions() -> None:
    """pharmacology.md 2.3 table: 4.5 mg -> MOR 44.6 %, KOR 28.7 %."""
    occ = dose_occupancy(4.5)
    assert occ["mu_percent"] == pytest.approx(44.6, abs=0.1)
    assert occ["kappa_percent"] == pytest.approx(28.7, abs=0.1)


def test_fit_is_a_local_optimum() -> None:
    """Moving any fitted parameter by ±0.05 on its scale does not lower the stored objective."""
    from tests.reference.pk import fit_pk

    x = np.array(
        [np.log(v / (1 - v)) if k == "phi" else np.log(v) for k, v in FIT["pk"]["values"].items()]
    )
    tau = FIT["pk"]["tau"]
    base = fit_pk.pk_objective(x, tau)
    assert base == pytest.approx(FIT["pk"]["objective"], abs=1e-6)
    for i in range(len(x)):
        for step in (-0.05, 0.05):
            y = x.copy()
            y[i] += step
            assert fit_pk.pk_objective(y, tau) >= base - 1e-9


def test_docs_carry_every_observation() -> None:
    """docs/pk.md has a row with the current prediction for every observation (fit_pk.py --markdown)."""
    from tests.reference.pk.fit_pk import observation_table

    docs = (Path(__file__).resolve().parents[3] / "docs" / "pk.md").read_text(encoding="utf-8")
    rows = observation_table(FIT)
    assert len(rows) == len(OBSERVATIONS) + 2
    for line in rows:
        assert line in docs, line
