"""The entries ldn does not map into the record: ignored with a reason (administrative
resources, resources read through others), or kept with the record version for the clinician
(every type ldn has no reason to ignore)."""

from __future__ import annotations

from ldn.interop.r4.importer.account import Reader
from ldn.interop.r4.importer.patient import Entry

__all__ = ["IGNORED", "account_unread"]

#: resource types ignored with a reason (administrative, or read through other resources)
IGNORED = {
    "Encounter": "ldn keeps no visits (an Encounter is administrative context)",
    "EpisodeOfCare": "ldn keeps no episodes of care",
    "Organization": "an Organization is administrative",
    "Practitioner": "a Practitioner is administrative",
    "PractitionerRole": "a PractitionerRole is administrative",
    "Location": "a Location is administrative",
    "HealthcareService": "administrative",
    "Endpoint": "administrative",
    "Coverage": "insurance is administrative",
    "Claim": "billing is administrative",
    "ClaimResponse": "billing is administrative",
    "ExplanationOfBenefit": "billing is administrative",
    "Account": "billing is administrative",
    "Invoice": "billing is administrative",
    "Provenance": "provenance is administrative",
    "AuditEvent": "administrative",
    "Composition": "the document's structure; its entries are read one by one",
    "MessageHeader": "the message's header; its entries are read one by one",
    "DiagnosticReport": "a report groups Observations; those are read one by one",
    "CareTeam": "administrative",
    "Group": "administrative",
    "Device": "ldn does not use devices",
    "Immunization": "ldn's screen does not use immunizations",
    "ImagingStudy": "ldn's screen does not use imaging",
    "Media": "ldn does not read media",
    "DocumentReference": "ldn does not read documents (notes, scans)",
    "Binary": "ldn does not read documents",
    "Goal": "ldn keeps its own goals",
    "CarePlan": "ldn keeps its own titration plan",
    "OperationOutcome": "a message about a search, not about the patient",
    "SupplyDelivery": "administrative",
    "SupplyRequest": "administrative",
    "Specimen": "ldn reads results, not specimens",
}


def account_unread(r: Reader, entries: list[Entry]) -> None:
    """After every entry is read: the resources of ignored types not already accounted for
    (about another subject, say), and the Medications no medicine referred to."""
    for loc, _, res in entries:
        kind = res["resourceType"]
        if kind == "Medication" and id(res) not in r.referred:
            r.ignore(
                loc,
                "a Medication no MedicationStatement or MedicationRequest of the Bundle refers to",
            )
        elif kind in IGNORED and loc not in r.fate:
            r.ignore(loc, IGNORED[kind])
