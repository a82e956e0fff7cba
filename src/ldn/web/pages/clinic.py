"""Clinician pages: the patient list, the screening form, a patient's dashboard, plan and
prescription, and the N-of-1 trial.

One router, ``/clinic``, made of the page groups in order (the order routes are matched in):
clinic_records.py (the list, a record's form, edit and history), clinic_dashboard.py (a
patient's dashboard, rescreening, the medicines) and clinic_treatment.py (plan, dose change,
trial, reveal)."""

from __future__ import annotations

from fastapi import APIRouter

from ldn.web.pages import clinic_dashboard, clinic_records, clinic_treatment
from ldn.web.pages.clinic_dashboard import _dashboard

__all__ = ["_dashboard", "router"]

router = APIRouter(include_in_schema=False)
for _group in (clinic_records, clinic_dashboard, clinic_treatment):
    router.include_router(_group.router)
