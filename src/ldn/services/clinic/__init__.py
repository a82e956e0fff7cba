"""Clinic use cases: one function = one transaction; the domain does the thinking.

Modules (same shape each): ``accounts`` (clinics, users, login), ``patients``, ``screenings``,
``plans``, ``pharmacy`` (prescriptions, batches), ``diary`` (diary, questionnaires, response),
``trials`` (N-of-1), ``operations`` (schema, backup, health, audit), ``demo``.
"""
