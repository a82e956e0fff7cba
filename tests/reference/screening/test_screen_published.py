"""Published numbers from the criteria papers (shared/research/criteria.md section 8.1).

Provenance: Wolfe 2015 (J Rheumatol 42:1494) PSD categories; Neblett 2017 (Pain Pract 17:166)
CSI bands and Neblett 2013 (J Pain 14:438) cut-off 40; Stewart/Lipton 2001 MIDAS grades;
Salaffi 2018 FIQR states; Dworkin 2008 IMMPACT; Wolfe 2011 Table 4 group means.
"""

from __future__ import annotations

from ldn.domain.instruments.acr_fibromyalgia import FS_2011_SCREEN, PSD_CATEGORIES, psd_category
from ldn.domain.instruments.csi import CSI_CUTOFF, band
from ldn.domain.instruments.fiqr import state
from ldn.domain.instruments.midas import grade
from ldn.domain.instruments.nrs import immpact_category


def test_wolfe_2015_psd_table() -> None:
    """Wolfe 2015: 0-3 none, 4-7 mild, 8-11 moderate, 12-19 severe, 20-31 very severe."""
    assert [psd_category(x) for x in (0, 4, 8, 12, 20)] == [
        "none",
        "mild",
        "moderate",
        "severe",
        "very severe",
    ]
    assert [psd_category(x) for x in (3, 7, 11, 19, 31)] == [
        "none",
        "mild",
        "moderate",
        "severe",
        "very severe",
    ]
    assert len(PSD_CATEGORIES.value) == 5


def test_wolfe_2011_table4_group_means_classify_as_published() -> None:
    """Wolfe 2011 Table 4: mean FS 20.9 in criteria-positive FM, 6.5 in criteria-negative non-FM.
    Both sit on the side of the FS >= 13 screen that the paper reports."""
    assert 20.9 >= FS_2011_SCREEN.value > 6.5
    assert psd_category(20) == "very severe" and psd_category(6) == "mild"


def test_neblett_csi() -> None:
    """Neblett 2017 bands; Neblett 2013 cut-off 40."""
    assert [band(x) for x in (0, 30, 40, 50, 60)] == [
        "subclinical",
        "mild",
        "moderate",
        "severe",
        "extreme",
    ]
    assert CSI_CUTOFF.value == 40


def test_midas_grades() -> None:
    """Stewart 2001 / Lipton 2001: I 0-5, II 6-10, III 11-20, IV >= 21."""
    assert [grade(x)[0] for x in (5, 6, 10, 11, 20, 21)] == ["I", "II", "II", "III", "III", "IV"]


def test_fiqr_states() -> None:
    """Salaffi 2018: <= 30 remission, > 30-45 mild, > 46-65 moderate, > 65 high."""
    assert [state(x) for x in (30, 31, 45, 47, 65, 66)] == [
        "remission",
        "mild",
        "mild",
        "moderate",
        "moderate",
        "high severity",
    ]


def test_immpact() -> None:
    """Dworkin 2008: 10-20 % minimal, >= 30 % moderate, >= 50 % substantial."""
    assert [immpact_category(x) for x in (10, 20, 30, 50)] == [
        "minimal",
        "minimal",
        "moderate",
        "substantial",
    ]
