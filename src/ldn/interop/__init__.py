"""Interoperability adapters: HL7 FHIR R4 (``r4/``: export, import with patient matching,
search, validation), CDS Hooks 2.0 (``cds_hooks.py``), iCalendar dose reminders
(``ical.py``) and printable handouts (``handout.py``). They translate; the decisions stay in the
domain and the use cases in the services."""
