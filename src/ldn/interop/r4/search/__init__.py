"""FHIR R4 search over ldn's resources, as the specification says (https://hl7.org/fhir/R4/search.html).

:data:`SEARCH_PARAMS` declares, per resource type, the parameters ldn honours (the
CapabilityStatement lists the same table). :func:`parse_search` reads a query string:

- repeated parameters are ANDed (``date=ge2026-01-01&date=lt2026-02-01``), comma-separated
  values ORed (``code=http://loinc.org|72514-3,http://loinc.org|29463-7``);
- token values as ``system|code``, ``code``, ``system|`` or ``|code``; reference values as ``5``,
  ``Patient/5`` or an absolute URL; dates with the prefixes ``eq ne gt lt ge le sa eb``, at the
  precision given (``2026``, ``2026-11``, ``2026-11-25``, a date-time);
- result parameters: ``_count`` (0 gives only ``total``), ``_offset`` (ldn's paging, in the
  ``next``/``previous`` links), ``_sort`` (``_id`` and the type's date parameters, ``-`` for
  descending), ``_summary=count``, ``_total``, ``_format`` (JSON only), ``_pretty``;
- a parameter ldn does not support (or a modifier, a chain) is refused with
  :class:`SearchError` under ``Prefer: handling=strict``, else dropped and left out of the
  ``self`` link, so the link shows what was applied; an empty value is ignored, as specified;
- an invalid value of a supported parameter (``date=yesterday``, ``_count=-1``) is refused.

:func:`matches` applies the criteria to a resource (JSON).

:mod:`.params` holds the table, :mod:`.parse` the reading, :mod:`.match` the matching and
sorting; the API pages the answer (``next``/``previous`` links from :meth:`SearchQuery.page`).
"""

from __future__ import annotations

from ldn.interop.r4.search.match import matches, patient_scope, sorted_resources
from ldn.interop.r4.search.params import SEARCH_PARAMS, Param
from ldn.interop.r4.search.parse import (
    DEFAULT_COUNT,
    JSON_FORMATS,
    MAX_COUNT,
    Criterion,
    SearchError,
    SearchQuery,
    parse_search,
)

__all__ = [
    "DEFAULT_COUNT",
    "JSON_FORMATS",
    "MAX_COUNT",
    "SEARCH_PARAMS",
    "Criterion",
    "Param",
    "SearchError",
    "SearchQuery",
    "matches",
    "parse_search",
    "patient_scope",
    "sorted_resources",
]
