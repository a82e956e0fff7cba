"""Use cases: the domain applied to stored or supplied data, one transaction each.

``clinic/`` holds the clinic service's use cases (database, permissions, audit:
``@use_case("permission")``); the modules beside it serve the file-based CLI and the stateless
``/compute`` routes (a patient file in, a report out), with no database."""
