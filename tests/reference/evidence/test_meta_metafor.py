"""The meta-analysis engine against R metafor.

Provenance:
- Kacker 2004 example, metafor rma() output at full precision, as stored in statsmodels
  (statsmodels/stats/tests/results/results_meta.py: exk1_metafor (PM), exk1_dl (DL),
  exk1_dl_hksj (DL, test="knha"), exk1_fe (FE)), e.g.
  > rma(y, v, data=dat, method="PM", control=list(tol=1e-9))
- dat.bcg (13 BCG trials, log risk ratios), metafor's documented REML output (printed to 4
  decimals): estimate -0.7145, se 0.1798, CI -1.0669 to -0.3622, tau^2 0.3132, I^2 92.22 %,
  H^2 12.86, Q(df = 12) = 152.2330; confint(): tau^2 CI 0.1197 to 1.1115.
- statsmodels combine_effects on dat.bcg for DL and PM (same run).
"""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.meta_analysis import combine_effects

from ldn.domain.evidence.meta import meta_analysis, random_effects

Y = [61.0, 61.4, 62.21, 62.3, 62.34, 62.6, 62.7, 62.84, 65.9]
V = [0.2025, 1.21, 0.09, 0.2025, 0.3844, 0.5625, 0.0676, 0.0225, 1.8225]

KACKER = {
    ("PM", False): {"b": 62.4076199113286, "se": 0.338030602684471, "ci_lb": 61.7450921043947, "ci_ub": 63.0701477182625,
                        "tau2": 0.705395309224248, "I2": 83.7218626490482, "H2": 6.14320900751909, "QE": 24.801897741835},
    ("DL", False): {"b": 62.3901386044504, "se": 0.245749668040304, "ci_lb": 61.9084781058787, "ci_ub": 62.8717991030221,
                        "tau2": 0.288049246973751, "I2": 67.744403741711, "H2": 3.10023721772938, "QE": 24.801897741835},
    ("DL", True): {"b": 62.3901386044504, "se": 0.29477605699879, "ci_lb": 61.710383798052, "ci_ub": 63.0698934108488,
                       "tau2": 0.288049246973751, "I2": 67.744403741711, "H2": 3.10023721772938, "QE": 24.801897741835},
    ("FE", False): {"b": 62.5833970939982, "se": 0.107845705498231, "ci_lb": 62.3720233953344, "ci_ub": 62.7947707926621,
                        "tau2": 0.0, "I2": 67.744403741711, "H2": 3.10023721772938, "QE": 24.801897741835},
}  # fmt: skip


@pytest.mark.parametrize(("method", "hksj"), list(KACKER))
def test_kacker_against_metafor(method: str, hksj: bool) -> None:
    ref = KACKER[(method, hksj)]
    r = meta_analysis(Y, V, method=method, hksj=hksj)
    got = {
        "b": r.estimate,
        "se": r.se,
        "ci_lb": r.ci_low,
        "ci_ub": r.ci_high,
        "tau2": r.tau2,
        "I2": r.i2,
        "H2": r.h2,
        "QE": r.q,
    }
    for key, value in ref.items():
        assert got[key] == pytest.approx(value, rel=1e-6, abs=1e-6), key


BCG = [(4, 119, 11, 128), (6, 300, 29, 274), (3, 228, 11, 209), (62, 13536, 248, 12619), (33, 5036, 47, 5761),
       (180, 1361, 372, 1079), (8, 2537, 10, 619), (505, 87886, 499, 87892), (29, 7470, 45, 7232),
       (17, 1699, 65, 1600), (186, 50448, 141, 27197), (5, 2493, 3, 2338), (27, 16886, 29, 17825)]  # fmt: skip
BCG_Y = [float(np.log((a / (a + b)) / (c / (c + d)))) for a, b, c, d in BCG]
BCG_V = [1 / a - 1 / (a + b) + 1 / c - 1 / (c + d) for a, b, c, d in BCG]


def test_bcg_reml_against_metafor_printout() -> None:
    r = random_effects(BCG_Y, BCG_V, method="REML")
    for got, ref in (
        (r.estimate, -0.7145),
        (r.se, 0.1798),
        (r.ci_low, -1.0669),
        (r.ci_high, -0.3622),
        (r.tau2, 0.3132),
    ):
        assert got == pytest.approx(ref, abs=5e-5)
    assert r.i2 == pytest.approx(92.22, abs=5e-3)
    assert r.h2 == pytest.approx(12.86, abs=5e-3)
    assert r.q == pytest.approx(152.2330, abs=5e-5)
    assert r.tau2_ci is not None
    assert r.tau2_ci[0] == pytest.approx(0.1197, abs=5e-5)
    assert r.tau2_ci[1] == pytest.approx(1.1115, abs=5e-5)


@pytest.mark.parametrize(("ours", "theirs"), [("DL", "dl"), ("PM", "iterated")])
def test_bcg_against_statsmodels(ours: str, theirs: str) -> None:
    sm = combine_effects(np.asarray(BCG_Y), np.asarray(BCG_V), method_re=theirs)
    r = random_effects(BCG_Y, BCG_V, method=ours)
    assert r.estimate == pytest.approx(sm.mean_effect_re, abs=1e-6)
    assert r.se == pytest.approx(sm.sd_eff_w_re, abs=1e-6)
    assert r.tau2 == pytest.approx(sm.tau2, abs=1e-6)


# metafor cumul(rma(yi, vi, data = dat.bcg (RR), method = "REML", test = "knha"), order = year):
# (estimate, CI low, CI high, tau^2) after 3, 7 and all 13 studies, 15 significant digits, as
# hard-coded from live metafor output in a public test suite (found with the search tool; the
# R call is quoted there). Year order of the dat.bcg rows (0-based): 0, 1, 5, 2, 9, 8, 11, 4, 6, 10, 12, 3, 7.
METAFOR_CUMUL_ORDER = [0, 1, 5, 2, 9, 8, 11, 4, 6, 10, 12, 3, 7]
METAFOR_CUMUL = {
    3: (-0.972079931812824, -1.95119919485508, 0.00703933122943246, 0.087206792838218),
    7: (-0.901251100272772, -1.40314344022821, -0.399358760317336, 0.120459721860583),
    13: (-0.714532342158211, -1.10844371368566, -0.320620970630764, 0.313243258137274),
}


@pytest.mark.parametrize("k", sorted(METAFOR_CUMUL))
def test_bcg_reml_hksj_cumulative_against_metafor(k: int) -> None:
    idx = METAFOR_CUMUL_ORDER[:k]
    r = random_effects([BCG_Y[i] for i in idx], [BCG_V[i] for i in idx], method="REML", hksj=True)
    for got, ref in zip((r.estimate, r.ci_low, r.ci_high, r.tau2), METAFOR_CUMUL[k], strict=True):
        assert got == pytest.approx(ref, abs=1e-6)


def test_cumulative_helper_follows_year_order() -> None:
    from ldn.domain.evidence.sensitivity import cumulative

    years = [1948, 1949, 1960, 1977, 1973, 1953, 1973, 1980, 1968, 1961, 1974, 1969, 1976]
    steps = cumulative(BCG_Y, BCG_V, [str(i) for i in range(13)], years, method="REML")
    assert [int(lab) for lab, _ in steps] == METAFOR_CUMUL_ORDER[1:]
    assert steps[-1][1].tau2 == pytest.approx(METAFOR_CUMUL[13][3], abs=1e-6)
