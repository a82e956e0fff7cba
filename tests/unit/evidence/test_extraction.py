"""Every included trial's extracted numbers, with the sentence they came from quoted.

Each test reads the row of package data and checks the reported numbers and the effect size ldn
derives from them. The docstring quotes the source (abstract, registry results or secondary
report) exactly as recorded in outcomes.csv's ``locator`` column."""

from __future__ import annotations

import math

import pytest

from ldn.domain.evidence.dataset import Extraction, dataset
from ldn.domain.evidence.effect_sizes import z_from_p


def row(study: str, outcome: str) -> Extraction:
    (e,) = [e for e in dataset().outcomes if e.id == study and e.row["outcome"] == outcome]
    return e


def test_younger2013_pain() -> None:
    """Younger 2013 abstract: 'a significantly greater reduction of baseline pain in those taking
    low-dose naltrexone than in those taking placebo (28.8% reduction versus 18.0% reduction;
    P = 0.016)'. Registry NCT00568555: 31 started, 29 completed, 28 analysed; placebo 4 weeks,
    LDN 12 weeks (abstract only for the p-value: SD not reported, effect from p with r = 0.5)."""
    e = row("younger2013", "pain_intensity")
    assert (e.row["p_value"], e.row["n_paired"], e.row["direction"]) == ("0.016", "28", "-1")
    assert "28.8%" in e.row["measure"] and "18.0%" in e.row["measure"]
    assert (
        e.study.n_randomized == "31"
        and "4 weeks" in e.study.duration
        and "12 weeks" in e.study.duration
    )
    d, v = e.effect(r=0.5) or (0.0, 0.0)
    assert d == pytest.approx(-z_from_p(0.016) / math.sqrt(28))
    assert v == pytest.approx(1 / 28 + d * d / 56)


def test_bested2023_pain_and_function() -> None:
    """Bested 2023 abstract: 'Fifty-eight patients with FM were randomized.' 'The median difference
    for SPIR scores was -0.33 (6.33; effect size = 0.13; P = 0.4).' 'The median difference (IQR)
    for FIQR scores between LDN and placebo treatment was -1.65 (18.55; effect size = 0.15; P = 0.3).'"""
    pain, fiqr = row("bested2023", "pain_intensity"), row("bested2023", "function")
    assert (pain.row["p_value"], pain.row["n_paired"], pain.row["direction"]) == ("0.4", "58", "-1")
    assert (fiqr.row["p_value"], fiqr.row["n_paired"]) == ("0.3", "58")
    assert (pain.effect() or (0.0, 0.0))[0] == pytest.approx(-z_from_p(0.4) / math.sqrt(58))
    assert pain.study.design == "crossover" and pain.study.dose_mg == "4.5"


def test_bruun2024_pain_responders_dropouts() -> None:
    """Bruun 2024 abstract: 'a between-group difference of -0.34 (-0.95 to 0.27; p=0.27, Cohen's d
    0.23)'; 'No participants were lost to follow-up.' ACP Internist (secondary): 'a more than 30%
    decrease in pain (45% vs. 28%)'; 'Four of 49 patients in the naltrexone group and three of 50
    in the placebo group ... stopped taking their assigned drug because of intolerable side effects.'"""
    e = row("bruun2024", "pain_intensity")
    assert (e.row["estimate"], e.row["ci_low"], e.row["ci_high"], e.row["reported_smd"]) == (
        "-0.34",
        "-0.95",
        "0.27",
        "0.23",
    )
    d, v = e.effect() or (0.0, 0.0)
    se_md = 1.22 / (2 * 1.959963984540054)
    assert d == pytest.approx(-0.23) and math.sqrt(v) == pytest.approx(se_md * 0.23 / 0.34)
    resp = row("bruun2024", "responders_30")
    assert (resp.row["pct_ldn"], resp.row["pct_control"], resp.row["verification"]) == (
        "45",
        "28",
        "secondary",
    )
    assert (resp.effect() or (0.0, 0.0))[0] == pytest.approx(-0.17)
    drop = row("bruun2024", "dropouts")
    assert (
        drop.row["events_ldn"],
        drop.row["n_ldn"],
        drop.row["events_control"],
        drop.row["n_control"],
    ) == ("4", "49", "3", "50")


def test_innova2025_pain_and_adverse_events() -> None:
    """INNOVA abstract (Rodriguez-Freire et al.): 'At 3 months, mean change in pain intensity was
    -0.33 points with LDN and -0.64 with placebo, with an adjusted between-group difference of 0.49
    (p = 0.236, d = 0.19).' 'Adverse events ... were reported by 33 (68.8%) participants in LDN and
    36 (72%) in placebo'. 98 women randomised, 48 LDN / 50 placebo. Abstract only; journal not identified."""
    e = row("innova2025", "pain_intensity")
    assert (e.row["estimate"], e.row["p_value"], e.row["reported_smd"]) == ("0.49", "0.236", "0.19")
    d, v = e.effect() or (0.0, 0.0)
    assert d == pytest.approx(0.19)  # positive: more pain on LDN than on placebo
    assert math.sqrt(v) == pytest.approx(0.49 / z_from_p(0.236) * 0.19 / 0.49)
    ae = row("innova2025", "adverse_events")
    assert (
        ae.row["events_ldn"],
        ae.row["n_ldn"],
        ae.row["events_control"],
        ae.row["n_control"],
    ) == ("33", "48", "36", "50")
    assert e.study.n_randomized == "98" and e.row["text_source"] == "abstract"


def test_beaudette2023_arthritis() -> None:
    """NCT03008590 results (secondary rendering): BPI pain severity -1.7; -2.0, p = 0.22; BPI pain
    interference -23; -22, p = 0.90 (primary; also in the Clin Ther 2023 abstract summary); CGI-I
    -0.3; -0.2, p = 0.92; started 14 and 15, completed 11 and 12 (23 analysed)."""
    sev, inter, cgi = (
        row("beaudette2023", o)
        for o in ("pain_intensity", "pain_interference", "global_impression")
    )
    assert (sev.row["p_value"], sev.row["direction"], sev.row["n_paired"]) == ("0.22", "1", "23")
    assert (sev.effect() or (0.0, 0.0))[0] > 0  # placebo improved slightly more
    assert (inter.row["p_value"], inter.row["direction"]) == ("0.9", "-1")
    assert (cgi.row["p_value"], cgi.row["direction"]) == ("0.92", "-1")
    assert (
        sev.study.n_randomized == "29" and sev.study.n_analysed == "23" and sev.study.year == "2023"
    )


def test_cree2010_pain_effects_scale() -> None:
    """Cree 2010 abstract: 'a 1.6-point improvement on the Pain Effects Scale (p =.04)'; '80
    subjects ... were enrolled, and 60 subjects completed the trial.' An interference-type scale:
    pooled as pain interference, never with pain intensity."""
    e = row("cree2010", "pain_interference")
    assert (e.row["p_value"], e.row["n_paired"], e.row["direction"]) == ("0.04", "60", "-1")
    assert e.study.n_randomized == "80" and e.study.n_analysed == "60"
    assert not [x for x in dataset().select("multiple_sclerosis", "pain_intensity") if x.poolable]


def test_sharafaddinzadeh_smith_listed_not_invented() -> None:
    """Sharafaddinzadeh 2010 abstract: 'Variables including presence of pain ... did not show any
    meaningful statistically difference between the two groups.' Smith 2011: pain assessment a
    registered end point, no result in the abstract. No number is made up for either."""
    for study, outcome in (("sharafaddinzadeh2010", "qol_pain"), ("smith2011", "pain_intensity")):
        e = row(study, outcome)
        assert not e.poolable and e.effect() is None and e.row["estimate"] == "" and e.row["reason"]


def test_srinivasan_toledano_not_pooled() -> None:
    """Srinivasan 2021 abstract: 'The difference (confidence interval) in the change in VAS score
    between groups from baseline was 1.64 (-0.92 to 4.20) in per-protocol analysis and 1.5 (-1.11 to
    4.13) in intention-to-treat analysis.' (amitriptyline comparator). Toledano 2021 preprint:
    'Low-dose naltrexone alone (n=19) had a 17.3% higher response rate than placebo (n=17)'."""
    s = row("srinivasan2021", "pain_intensity")
    assert (s.row["estimate"], s.row["ci_low"], s.row["ci_high"]) == ("1.5", "-1.11", "4.13")
    assert s.study.comparator == "amitriptyline" and not s.poolable
    t = row("toledano2021", "pain_free_2h")
    assert (t.row["estimate"], t.row["n_ldn"], t.row["n_control"]) == (
        "17.3",
        "19",
        "17",
    ) and not t.poolable


def test_every_row_has_provenance() -> None:
    from ldn.domain.evidence.dataset import OUTCOMES, TEXT_SOURCES, VERIFICATIONS
    from ldn.domain.sources import unresolved

    rows = dataset().outcomes
    assert unresolved([e.row["source_id"] for e in rows]) == []
    assert unresolved([t.source_id for t in dataset().trials]) == []
    for e in rows:
        assert e.row["outcome"] in OUTCOMES and e.row["text_source"] in TEXT_SOURCES
        assert e.row["verification"] in VERIFICATIONS and len(e.row["locator"]) > 20, e.id
        assert e.poolable or e.row["reason"], e.id
