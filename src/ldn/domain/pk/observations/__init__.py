"""Every published pharmacokinetic and receptor-occupancy number ldn's model is compared with.

One :class:`Observation` per published summary value: study, population, dose (mg naltrexone HCl),
formulation, regimen, analyte, quantity, value with its spread and n, the words of the source, and
whether the fit used it (``use="fit"``) or kept it back to test predictions (``use="held-out"``).
Qualitative statements (a blockade that was or was not detectable) have ``value=None`` and are
compared by eye in docs/pk.md.

:func:`predict` computes the model's value for an observation the way the study measured it
(Cmax and Tmax of the curve, AUC over the stated interval, a half-life as the log-linear slope
over the sampling window, occupancy averaged over the scan window...). :func:`residual` and
:func:`sigma` are the weighted-least-squares terms of the fit (tests/reference/pk/fit_pk.py)::

    PK, log scale:        r = (ln predicted - ln observed) / sigma,
                          sigma^2 = ln(1 + CV^2) / n + tau^2
    occupancy, logit:     r = (logit predicted - logit observed) / sigma

CV = SD / mean when the study reports an SD, else DEFAULT_CV; n = the number of subjects, else
DEFAULT_N; tau is the between-study spread, estimated in the fit. For occupancy, a single
subject's value has sigma = the between-subject SD of logit occupancy in Rabiner's three 5 mg
subjects (0.32); a mean +/- SD of n has sigma = SD / (p (1 - p)) / sqrt(n); a published range
counts its half-width (on the logit or log scale) as one SD.

The package, by concern: :mod:`.record` (the :class:`Observation` record), the published values
in :mod:`.naltrexone`, :mod:`.naltrexol` and :mod:`.receptor` (:data:`OBSERVATIONS` is the three
in that order), :mod:`.prediction` (:func:`predict`) and :mod:`.residuals` (:func:`sigma`,
:func:`residual` and their cited defaults).
"""

from __future__ import annotations

from ldn.domain.pk.observations.naltrexol import NALTREXOL
from ldn.domain.pk.observations.naltrexone import NALTREXONE
from ldn.domain.pk.observations.prediction import DT_H as DT_H
from ldn.domain.pk.observations.prediction import predict
from ldn.domain.pk.observations.receptor import RECEPTOR
from ldn.domain.pk.observations.record import Analyte as Analyte
from ldn.domain.pk.observations.record import Observation
from ldn.domain.pk.observations.record import Quantity as Quantity

# re-exported here so that docs/facts.md names them pk.observations.* (this package is walked
# before its modules by ldn.domain.facts.collect_facts)
from ldn.domain.pk.observations.residuals import DEFAULT_CV as DEFAULT_CV
from ldn.domain.pk.observations.residuals import DEFAULT_N as DEFAULT_N
from ldn.domain.pk.observations.residuals import RABINER_SD_LOGIT as RABINER_SD_LOGIT
from ldn.domain.pk.observations.residuals import residual, sigma

__all__ = ["OBSERVATIONS", "Observation", "predict", "residual", "sigma"]

OBSERVATIONS: tuple[Observation, ...] = (*NALTREXONE, *NALTREXOL, *RECEPTOR)
