"""Personal (N-of-1) trials of LDN vs placebo: design, blinding, exact Bayesian analysis."""

from typing import Any

# The pooled series / network model (issue 22), exported lazily (PEP 562): importing the package
# for design or blinding must not load scipy (the CLI start-up test watches sys.modules).
_POOLED = {
    "EffectLikelihood": "hierarchy",
    "PatientShrinkage": "hierarchy",
    "SeriesResult": "hierarchy",
    "effect_likelihood": "hierarchy",
    "pool_series": "hierarchy",
    "NetworkResult": "network",
    "pool_network": "network",
}


def __getattr__(name: str) -> Any:
    if name in _POOLED:
        import importlib

        return getattr(importlib.import_module(f"ldn.domain.nof1.{_POOLED[name]}"), name)
    raise AttributeError(f"module 'ldn.domain.nof1' has no attribute {name!r}")
