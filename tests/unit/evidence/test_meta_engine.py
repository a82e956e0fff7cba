"""The meta-analysis engine: global maximum, stated range, leave-one-out, prediction interval, CSV."""

from __future__ import annotations

import json
import math
import random
import time
import tracemalloc
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import scipy.optimize
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import ldn.domain.evidence.likelihood as likelihood
from ldn.domain.errors import InputError
from ldn.domain.evidence.meta import METHODS, meta_analysis, random_effects
from ldn.domain.evidence.sensitivity import LeaveOneOut, leave_one_out
from ldn.services.standalone.evidence_files import read_effects_csv

Cli = Callable[..., tuple[int, str, str]]
base = st.lists(st.tuples(st.floats(-3, 3), st.floats(0.01, 2)), min_size=2, max_size=8)
any_effect = st.one_of(st.floats(-3, 3), st.floats(allow_nan=False, allow_infinity=False))
any_variance = st.one_of(st.floats(0.01, 2), st.floats(min_value=5e-324, max_value=1.7e308))
# variances over 4 decades and an occasional outlier: multimodal likelihoods are common here
wide = st.lists(
    st.tuples(st.floats(-5, 5), st.floats(-3, 1).map(lambda e: 10.0**e)), min_size=3, max_size=8
)


@settings(max_examples=150, deadline=None)
@given(
    base,
    any_effect,
    any_variance,
    st.sampled_from(METHODS),
    st.booleans(),
    st.sampled_from(["metafor", "higgins"]),
)
def test_adding_a_study_never_crashes_a_pool(
    data: list[tuple[float, float]], y_new: float, v_new: float, method: str, hksj: bool, pi: str
) -> None:
    """Any finite effect and positive variance: a finite pool, or an InputError naming the cell."""
    y = [a for a, _ in data] + [y_new]
    v = [b for _, b in data] + [v_new]
    try:
        r = meta_analysis(y, v, method=method, hksj=hksj, pi=pi)
    except InputError as exc:
        refused: InputError | None = exc
    else:
        refused = None
    if refused is not None:
        assert all(p.loc.endswith((".yi", ".vi")) and p.fix for p in refused.problems)
        return
    assert r.converged, r.note
    assert all(math.isfinite(x) for x in (r.estimate, r.se, r.ci_low, r.ci_high, r.tau2, r.q))
    assert min(y) <= r.estimate <= max(y) or r.estimate == pytest.approx(min(y))
    assert r.tau2 >= 0
    assert len(leave_one_out(y, v, [str(i) for i in range(len(y))], method=method)) == len(y)


@settings(max_examples=80, deadline=None)
@given(wide, st.sampled_from(["REML", "ML", "PM", "DL"]), st.randoms(use_true_random=False))
def test_estimate_is_invariant_to_study_order(
    data: list[tuple[float, float]], method: str, rnd: random.Random
) -> None:
    y = [a for a, _ in data]
    v = [b for _, b in data]
    r = random_effects(y, v, method=method)
    order = list(range(len(y)))
    rnd.shuffle(order)
    r2 = random_effects([y[i] for i in order], [v[i] for i in order], method=method)
    assert r2.estimate == pytest.approx(r.estimate, rel=1e-9, abs=1e-12)
    assert r2.tau2 == pytest.approx(r.tau2, rel=1e-9, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    wide, st.sampled_from(["REML", "ML", "PM", "DL"]), st.sampled_from([1e-100, 1e-3, 7.0, 1e60])
)
def test_location_scale_equivariance_at_extreme_scales(
    data: list[tuple[float, float]], method: str, b: float
) -> None:
    """Pooling b*y with variances b^2*v gives b*estimate and b^2*tau^2 (the scaling inside)."""
    y = np.array([a for a, _ in data])
    v = np.array([c for _, c in data])
    r = random_effects(y, v, method=method)
    rb = random_effects(b * y, b * b * v, method=method)
    assert rb.estimate == pytest.approx(b * r.estimate, rel=1e-8, abs=1e-10 * b)
    assert rb.tau2 == pytest.approx(b * b * r.tau2, rel=1e-8, abs=1e-10 * b * b)
    assert rb.i2 == pytest.approx(r.i2, rel=1e-8, abs=1e-8)


def _exact_score(y: list[float], v: list[float], t: Fraction, method: str) -> Fraction:
    zero = Fraction(0)
    w = [1 / (Fraction(vi) + t) for vi in v]
    sw = sum(w, zero)
    mu = sum((wi * Fraction(yi) for wi, yi in zip(w, y, strict=True)), zero) / sw
    t2 = sum((wi * wi * (Fraction(yi) - mu) ** 2 for wi, yi in zip(w, y, strict=True)), zero)
    return t2 - (sw - sum((wi * wi for wi in w), zero) / sw if method == "REML" else sw)


@pytest.mark.parametrize("method", ["REML", "ML"])
@pytest.mark.parametrize(
    ("y", "v"),
    [
        ([0.0, 1.1, -1.3, 2.5], [1e-30, 0.5, 0.4, 0.6]),
        ([0.0, 1e-5, 0.3, -0.2], [1e-12, 2e-12, 0.5, 0.4]),
        ([0.0, 3e-6, 0.2, -0.1, 0.05], [1e-12, 1e-25, 0.5, 0.4, 0.3]),
        ([1e-3, 0.0, 2e-3], [1e-6, 1e-18, 1e-6]),
    ],
)
def test_score_is_exactly_zero_or_negative_at_the_boundary(
    y: list[float], v: list[float], method: str
) -> None:
    """In exact rational arithmetic the score changes sign across ldn's tau^2 (or is <= 0 at 0),
    also when one study carries nearly all the weight (variance ratios up to 1e25)."""
    r = random_effects(y, v, method=method)
    assert r.converged, r.note
    t = Fraction(r.tau2)
    if r.tau2 == 0:
        assert _exact_score(y, v, t, method) <= 0
    else:
        assert _exact_score(y, v, t * (1 - Fraction(1, 10**9)), method) > 0
        assert _exact_score(y, v, t * (1 + Fraction(1, 10**9)), method) < 0


def test_non_convergence_is_said(monkeypatch: pytest.MonkeyPatch) -> None:
    """A polish that stops short is caught by the score check and reported, not hidden."""
    monkeypatch.setattr(scipy.optimize, "brentq", lambda f, a, b, **kw: a)
    r = random_effects([-0.6, 0.1, 0.4, -0.2], [0.02, 0.05, 0.03, 0.04], method="REML")
    assert not r.converged
    assert "REML did not converge" in r.note and "score" in r.note
    assert r.as_dict()["converged"] is False


def test_global_maximum_beats_a_local_one() -> None:
    """A precise cluster near 0 and imprecise studies near 3: two REML maxima; the larger wins."""
    y, v = [0, 0.05, -0.02, 3, 3.2], [0.001, 0.002, 0.0015, 4, 6]
    r = random_effects(y, v, method="ML")
    z, u = np.asarray(y) - np.median(y), np.asarray(v)
    _, ll = likelihood.score_ll(likelihood.profile(z, u, likelihood.grid(z, u)), "ML")
    _, mine = likelihood.score_ll(likelihood.profile(z, u, r.tau2), "ML")
    assert mine[0] >= ll.max() - 1e-12
    assert r.converged


@pytest.mark.parametrize(
    ("y", "v", "loc"),
    [
        ([1e200, 0.1, 0.2], [0.1, 0.1, 0.1], r"row 1 \(1\)\.yi"),
        ([0.1, 0.2, 0.3], [1e-300, 0.04, 0.05], r"row 1 \(1\)\.vi"),
        ([0.1, 1e45, 0.3], [0.04, 0.04, 0.05], r"row 2 \(2\)\.yi"),
        ([0.1, 0.2, 0.3], [0.04, 1e250, 0.05], r"row 2 \(2\)\.vi"),
    ],
)
def test_values_outside_the_stated_range_are_refused(
    y: list[float], v: list[float], loc: str
) -> None:
    with pytest.raises(InputError, match=loc) as info:
        random_effects(y, v)
    assert len(info.value.problems) == 1
    assert "check the value and its units" in info.value.problems[0].fix


def test_tiny_but_consistent_units_are_pooled() -> None:
    """vi = 1e-300 is fine when every study is on that scale (the data are scaled, not refused)."""
    y, v = [1e-150, 2e-150, 4e-150, -1e-150], [1e-300, 2e-300, 3e-300, 2e-300]
    r = random_effects(y, v)
    ref = random_effects([1, 2, 4, -1], [1, 2, 3, 2])
    assert r.tau2 == pytest.approx(ref.tau2 * 1e-300, rel=1e-9)
    assert r.estimate == pytest.approx(ref.estimate * 1e-150, rel=1e-9)


def test_prediction_interval_choice() -> None:
    y, v = [-0.4, -0.2, -0.3, 0.1, -0.5], [0.04, 0.05, 0.03, 0.06, 0.05]
    m = random_effects(y, v)
    h = random_effects(y, v, pi="higgins")
    assert (m.pi_method, h.pi_method) == ("metafor", "higgins")
    assert m.pi_high - m.estimate == pytest.approx(
        stats.norm.ppf(0.975) * math.sqrt(m.se**2 + m.tau2)
    )
    assert h.pi_high - h.estimate == pytest.approx(
        stats.t.ppf(0.975, 3) * math.sqrt(h.se**2 + h.tau2)
    )
    assert (h.estimate, h.ci_low) == (m.estimate, m.ci_low)
    assert "Higgins" in h.pi_label and h.as_dict()["pi_method"] == "higgins"
    two = random_effects(y[:2], v[:2], pi="higgins")
    assert math.isnan(two.pi_low) and math.isnan(two.pi_high)
    with pytest.raises(InputError, match="unknown prediction interval"):
        random_effects(y, v, pi="bootstrap")


@settings(max_examples=40, deadline=None)
@given(wide, st.sampled_from(METHODS), st.booleans())
def test_leave_one_out_equals_k_separate_pools(
    data: list[tuple[float, float]], method: str, hksj: bool
) -> None:
    y = np.array([a for a, _ in data])
    v = np.array([b for _, b in data])
    rows = leave_one_out(y, v, [f"s{i}" for i in range(len(y))], method=method, hksj=hksj)
    for i, row in enumerate(rows):
        full = meta_analysis(np.delete(y, i), np.delete(v, i), method=method, hksj=hksj)
        assert row.label == f"s{i}" and row.converged
        for key in ("estimate", "ci_low", "ci_high", "tau2"):
            assert getattr(row, key) == pytest.approx(getattr(full, key), rel=1e-7, abs=1e-10), key


@pytest.mark.parametrize("method", ["REML", "DL"])
def test_leave_one_out_with_a_dominant_study(method: str) -> None:
    y = np.array([0.3, -0.1, 0.2, 0.5, -0.4, 0.25])
    v = np.array([1e-30, 0.1, 0.2, 0.15, 0.3, 1e-28])
    for i, row in enumerate(leave_one_out(y, v, list("abcdef"), method=method)):
        full = random_effects(np.delete(y, i), np.delete(v, i), method=method)
        assert row.estimate == pytest.approx(full.estimate, rel=1e-9)
        assert row.tau2 == pytest.approx(full.tau2, rel=1e-7, abs=1e-12)


def test_leave_one_out_of_10000_studies_is_fast_and_small() -> None:
    """O(k) memory: the k rows hold five numbers each, not k full results (was 47 s, 4.9 GB)."""
    rng = np.random.default_rng(42)
    v = rng.uniform(0.01, 0.2, 10_000)
    y = rng.normal(-0.3, np.sqrt(v + 0.05))
    tracemalloc.start()
    t0 = time.perf_counter()
    rows = leave_one_out(y, v, [f"s{i}" for i in range(10_000)])
    elapsed = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(rows) == 10_000 and isinstance(rows[0], LeaveOneOut)
    assert elapsed < 10
    assert peak < 100e6
    keep = np.ones(10_000, bool)
    keep[123] = False
    assert rows[123].estimate == pytest.approx(random_effects(y[keep], v[keep]).estimate, rel=1e-9)


def test_csv_with_a_byte_order_mark(tmp_path: Path) -> None:
    f = tmp_path / "excel.csv"
    f.write_bytes("study,yi,vi\r\na,-0.4,0.04\r\nb,-0.2,0.05\r\n".encode("utf-8-sig"))
    studies, yi, vi, _ = read_effects_csv(f)
    assert (studies, yi, vi) == (["a", "b"], [-0.4, -0.2], [0.04, 0.05])


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("study,yi,vi\na,1e200,0.1\nb,2,1\n", "row 2, column yi"),
        ("study,yi,vi\na,1,1e-300\nb,2,0.1\nc,1,0.2\n", "row 2, column vi"),
        ("study,yi,vi\na,1,0.1\nb,inf,1\n", "row 3, column yi"),
        ("study,yi,vi\na,1,0.1\nb,2,0.2\n", "unknown prediction interval"),
    ],
)
def test_cli_refuses_out_of_range_values_with_one_line(
    cli: Cli, tmp_path: Path, content: str, needle: str
) -> None:
    f = tmp_path / "d.csv"
    f.write_text(content)
    args = ("--pi", "bootstrap") if "prediction" in needle else ()
    code, _, err = cli("evidence", "pool", "--csv", str(f), *args)
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert needle in err


def test_cli_reads_a_bom_csv_and_states_the_prediction_interval(cli: Cli, tmp_path: Path) -> None:
    f = tmp_path / "excel.csv"
    f.write_bytes(
        "study,yi,vi\na,-0.4,0.04\nb,-0.2,0.05\nc,-0.3,0.03\nd,0.1,0.06\n".encode("utf-8-sig")
    )
    code, out, err = cli("evidence", "pool", "--csv", str(f), "--pi", "higgins", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert (
        d["labels"] == ["a", "b", "c", "d"]
        and d["pi_method"] == "higgins"
        and d["converged"] is True
    )
    code, out, _ = cli("evidence", "pool", "--csv", str(f), "--pi", "higgins")
    assert code == 0
    assert "prediction interval (t, k-2 df, Higgins 2009)" in " ".join(out.split())
    assert "without a:" in out
    code, out, _ = cli("evidence", "pool", "--csv", str(f))
    assert "prediction interval (normal, metafor's default)" in " ".join(out.split())
