"""Medicines: what a patient takes, resolved to ingredients and classes, failing closed.

``identify("Percocet 5/325")`` → oxycodone + paracetamol, an opioid; ``identify("Zxq")`` →
unrecognised, which the screen sends to the clinician. See :mod:`.matching` for how names and
codes are read and :mod:`.knowledge` for the shipped knowledge base.
"""

from ldn.domain.medicines.knowledge import (
    ALL_CLASSES,
    DEPOT_FORMS,
    FORMS,
    LONG_ACTING_FORMS,
    Ingredient,
    KnowledgeBase,
    Product,
    knowledge_base,
    medicine_names,
)
from ldn.domain.medicines.matching import (
    ATC_SYSTEM,
    OPIOID_CLASSES,
    RXNORM_SYSTEM,
    MatchPart,
    MedicineMatch,
    identify,
)

__all__ = [
    "ALL_CLASSES",
    "ATC_SYSTEM",
    "DEPOT_FORMS",
    "FORMS",
    "LONG_ACTING_FORMS",
    "OPIOID_CLASSES",
    "RXNORM_SYSTEM",
    "Ingredient",
    "KnowledgeBase",
    "MatchPart",
    "MedicineMatch",
    "Product",
    "identify",
    "knowledge_base",
    "medicine_names",
]
