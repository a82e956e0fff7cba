"""Pharmacology: naltrexone and 6-beta-naltrexol exposure and mu-opioid receptor occupancy.

The model is fitted to every published summary value ldn holds (the observations package, docs/pk.md).
"""

EXTRAPOLATION_CAVEAT = (
    "One human pharmacokinetic study below 50 mg exists (Johnson 2010: 2.4 mg oral solution; its peak "
    "matched the model, its exposure was lower than the model's). Low-dose exposure here is the model "
    "fitted mostly to 50-100 mg data, extrapolated down with its uncertainty."
)
BLOCKADE_CAVEAT = (
    "Receptor blockade over time has never been measured at 1-5 mg: these durations are the fitted "
    "binding model's extrapolation from PET after single 2-50 mg doses (within 8 h) and after 50 mg "
    "(48-168 h). An effect-compartment model that fitted these data less well gives a shorter tail "
    "(docs/pk.md)."
)
