"""The exact N-of-1 posterior against NUTS on the same data, likelihood and priors.

Provenance (re-run for issue 24, 2026-12-01): tests/reference/nof1/make_nuts_reference.py, run
with NumPyro 0.22.0 / JAX 0.10.2 in float64 (4 chains x 5,000 draws after 2,000 warm-up, seed
2026) on examples/trial with the sceptical N(0, 1) prior and the exact AR(1) likelihood written
as a dense multivariate normal (covariance sigma^2/(1-rho^2) rho^|t_i-t_j|, independent of ldn's
O(n) whitening), wrote nuts_reference.json: delta mean -0.6476, sd 0.3629, ESS about 12,200,
MCSE of the mean 0.0033. ldn gives -0.6524 (sd 0.3598). The previous reference fitted the
conditional likelihood ldn used before (-0.8573, sd 0.4115), so it could not catch the
information that likelihood threw away.
Agreement is required within Monte Carlo error: 4 MCSE for the mean, and 4 x sd / sqrt(2 ESS)
for the SD (plus 1 % for the quadrature grid).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from ldn.domain.nof1.prior import sceptical_prior
from ldn.services.standalone.trials import analyse_trial, load_diary
from tests.conftest import EXAMPLES

REF = json.loads(Path(__file__).with_name("nuts_reference.json").read_text())
TRIAL = EXAMPLES / "trial"


def test_exact_posterior_matches_nuts() -> None:
    r, _, _ = analyse_trial(
        load_diary(TRIAL / "diary.csv"),
        TRIAL / "design.json",
        TRIAL / "allocation.json",
        prior=sceptical_prior(),
    )
    assert abs(r.delta_mean - REF["delta_mean"]) <= 4 * REF["mcse_mean"] + 0.01 * abs(
        REF["delta_mean"]
    )
    sd_mcse = REF["delta_sd"] / math.sqrt(2 * REF["ess"])
    assert abs(r.delta_sd - REF["delta_sd"]) <= 4 * sd_mcse + 0.01 * REF["delta_sd"]
