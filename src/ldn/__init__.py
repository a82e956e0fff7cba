"""ldn — decision support for low-dose naltrexone (LDN) in chronic pain.

ldn supports clinical judgement; it never replaces it. Low-dose naltrexone for pain is
off-label everywhere: no regulator has approved naltrexone at 1–5 mg for any pain condition.
"""

__version__ = "0.1.0"

DISCLAIMER = (
    "ldn supports clinical judgement and does not replace it. Low-dose naltrexone for pain is "
    "off-label and experimental; decisions belong to the patient and their clinician."
)

__all__ = ["DISCLAIMER", "__version__"]
