"""HL7 FHIR R4 mapping of ldn's data (see :mod:`ldn.interop.r4.export` and ``importer``)."""

from ldn.interop.r4.export import record_to_bundle
from ldn.interop.r4.importer import bundle_to_record
from ldn.interop.r4.validate import operation_outcome, validated

__all__ = ["bundle_to_record", "operation_outcome", "record_to_bundle", "validated"]
