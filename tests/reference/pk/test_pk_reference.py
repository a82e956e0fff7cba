"""PK and occupancy reference values.

Provenance:
- 50 mg single dose, naltrexone Cmax 13.3 ng/mL, Tmax about 1 h, t1/2 4 h: Swiss Fachinformation
  (Naltrexon) and the US label; 6BN/NTX AUC ratio about 12: Bertolotti 1997 (2467/200 = 12.3 at 100 mg).
- 6BN accumulation about 1.4x at steady state on 4.5 mg daily: research notes' check simulation of
  the same model (pharmacology.md section 5).
- mu occupancy < 8 h after a dose: Rabiner 2011 as tabulated by Trøstheim 2022 Table 1:
  2 mg 27 %, 5 mg 43/46/58 %, 15 mg 61 %, 50 mg 92/98 %. The Trøstheim model reproduces 2 mg
  (26.3 %) and 5 mg (47.2 %, inside 43-58 %); it over-predicts 15 mg (72.8 % vs 61 %) and slightly
  under-predicts 50 mg (89.9 % vs 92-98 %) — asserted below as the known misfit.
"""

from __future__ import annotations

import numpy as np
import pytest

from ldn.domain.pk.metrics import typical_metrics
from ldn.domain.pk.occupancy import dose_occupancy
from ldn.domain.pk.parameters import get_parameters
from ldn.domain.pk.population import simulate
from ldn.domain.pk.regimen import daily

P = get_parameters("recommended")


def _single(dose_mg: float) -> dict[str, object]:
    r = daily(dose_mg=dose_mg, days=1)
    t = np.arange(0.0, 96.0, 0.01)
    s = simulate(r, P, times_h=t)
    return typical_metrics(P, t, s.ntx_ng_ml[0], s.bn_ng_ml[0], float(r.base_mg[0]))


def test_50mg_single_dose() -> None:
    m = _single(50)
    ntx = m["ntx"]
    assert isinstance(ntx, dict)
    assert ntx["cmax_ng_ml"] == pytest.approx(13.3, rel=0.10)
    assert ntx["tmax_h"] == pytest.approx(1.0, abs=0.2)
    assert ntx["half_life_h"] == pytest.approx(4.0)
    assert m["auc_ratio_nbx_to_ntx"] == pytest.approx(12.0, rel=0.05)


def test_6bn_accumulation_on_4_5_mg_daily() -> None:
    r = daily(dose_mg=4.5, days=30)
    t = np.arange(0.0, 30 * 24.0, 0.02)
    bn = simulate(r, P, times_h=t).bn_ng_ml[0]
    ratio = bn[t >= 29 * 24].max() / bn[t < 24].max()
    assert ratio == pytest.approx(1.4, abs=0.05)


@pytest.mark.parametrize(("dose", "low", "high"), [(2, 22, 32), (5, 43, 58)])
def test_rabiner_occupancy_reproduced(dose: float, low: float, high: float) -> None:
    assert low <= dose_occupancy(dose)["mu_percent"] <= high


def test_rabiner_occupancy_known_misfit() -> None:
    """The published model over-predicts 15 mg and under-predicts 50 mg (stated, not hidden)."""
    assert dose_occupancy(15)["mu_percent"] > 61 + 10
    assert dose_occupancy(50)["mu_percent"] < 92


def test_trostheim_ldn_predictions() -> None:
    """pharmacology.md 2.3 table: 4.5 mg -> MOR 44.6 %, KOR 28.7 %."""
    occ = dose_occupancy(4.5)
    assert occ["mu_percent"] == pytest.approx(44.6, abs=0.1)
    assert occ["kappa_percent"] == pytest.approx(28.7, abs=0.1)
