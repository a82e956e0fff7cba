"""The REST API (``/api/v1``), FHIR R4 (``/fhir/R4``) and CDS Hooks (``/cds-services``) on
FastAPI: ``deps.py`` the prerequisites as ``Annotated`` aliases, ``schemas.py`` the request bodies,
``resources.py`` the answers, ``errors.py`` every error as problem+json or OperationOutcome."""
