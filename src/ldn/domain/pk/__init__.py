"""Pharmacology: naltrexone and 6-beta-naltrexol exposure and opioid-receptor occupancy.

No human PK study at 1-5 mg exists: low-dose exposure is extrapolated from 50 mg data.
"""

EXTRAPOLATION_CAVEAT = (
    "No human pharmacokinetic study of oral naltrexone at 1-5 mg exists: low-dose exposure here is "
    "extrapolated linearly from 50-200 mg data."
)
