"""What the importer answers, and the running account of every entry of a Bundle.

:class:`Reader` collects, while the Bundle is read, the problems that refuse it, the issues
(one per reason, with the entries it applies to), the resources kept without being used, and
what became of each entry ("kept" or "ignored"); :func:`issues_outcome` turns the account into
the answer's OperationOutcome.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from ldn.domain.errors import Problem
from ldn.domain.patient import PatientIdentifier, PatientRecord
from ldn.interop.r4.codes import REQUIRED
from ldn.interop.r4.importer.elements import without_history

__all__ = [
    "BundlePatient",
    "BundleRead",
    "ImportIssue",
    "KeptResource",
    "Reader",
    "Severity",
    "family_key",
    "issues_of",
    "issues_outcome",
]

Severity = Literal["information", "warning"]


def family_key(name: str) -> str | None:
    """A family name folded for matching: accents off, lower-case ASCII letters only
    (``"García Pérez"`` → ``garciaperez``); None when nothing is left."""
    folded = unicodedata.normalize("NFKD", name)
    key = "".join(ch for ch in folded.lower() if "a" <= ch <= "z")
    return key or None


@dataclass(frozen=True, slots=True)
class ImportIssue:
    """One reason, and the entries it applies to (``Bundle.entry[3].resource``, ...)."""

    severity: Severity
    code: str  # FHIR IssueType
    message: str
    locs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class KeptResource:
    """A resource ldn keeps with the record version without mapping it (for the clinician)."""

    loc: str
    resource: dict[str, Any]
    reason: str


@dataclass(frozen=True, slots=True)
class BundlePatient:
    """The Bundle's Patient as matching reads it."""

    loc: str
    source_id: str | None  # Patient.id at the sender: never matched on (another system's id)
    record_id: str | None  # ldn's own record id, in an ldn export
    identifiers: tuple[PatientIdentifier, ...]
    family: str
    birth_date: date | None
    sex: str
    dropped_identifiers: tuple[str, ...] = ()  # types/systems not stored (SSN, ...)

    @property
    def family_key(self) -> str | None:
        return family_key(self.family)


@dataclass(frozen=True, slots=True)
class BundleRead:
    """A read Bundle: the record, its Patient, and the account of every entry."""

    record: PatientRecord
    patient: BundlePatient
    issues: tuple[ImportIssue, ...]
    kept: tuple[KeptResource, ...]
    from_ldn: bool  # the Bundle carries ldn's record-extras: the whole record
    entries: int
    ignored: int


@dataclass
class Reader:
    """The account kept while one Bundle is read (see the module's docstring)."""

    today: date
    problems: list[Problem] = field(default_factory=list)
    issues: dict[tuple[Severity, str, str], list[str]] = field(default_factory=dict)
    kept: list[KeptResource] = field(default_factory=list)
    by_ref: dict[str, dict[str, Any]] = field(default_factory=dict)
    referred: set[int] = field(default_factory=set)  # id() of the resources a medicine referred to
    notes: list[str] = field(default_factory=list)
    # the newest observation of each kind: key -> (when, loc, value, extra)
    newest: dict[str, tuple[str, str, float, Any]] = field(default_factory=dict)
    # what became of each entry not used: loc -> "kept" | "ignored"
    fate: dict[str, str] = field(default_factory=dict)

    def note(
        self,
        loc: str,
        message: str,
        *,
        severity: Severity = "information",
        code: str = "informational",
    ) -> None:
        """An issue of the answer (entries with the same reason share one issue)."""
        self.issues.setdefault((severity, code, message), []).append(loc)

    def ignore(self, loc: str, why: str) -> None:
        self.fate[loc] = "ignored"
        self.note(loc, f"ignored: {why}")

    def keep(self, loc: str, res: dict[str, Any], why: str, *, listed: str = "") -> None:
        self.fate[loc] = "kept"
        self.kept.append(KeptResource(loc, res, why))
        self.note(loc, listed or f"kept with the record, not used: {why}")

    def required(self, loc: str, res: dict[str, Any], element: str, value: str | None) -> bool:
        """``value`` is a code of the element's required binding (else a problem, named)."""
        path = f"{res['resourceType']}.{element}"
        allowed = REQUIRED[path]
        if value is None or value in allowed:
            return True
        problem = Problem(
            f"{loc}.{element}",
            f"{value!r} is not a {path} code",
            f"use one of {', '.join(sorted(allowed))} (a required binding in FHIR R4)",
        )
        self.problems.append(problem)
        return False

    def resolve(self, ref: str, res: dict[str, Any]) -> dict[str, Any] | None:
        """The resource ``ref`` names: one of ``res``' contained resources (``#id``), else an
        entry of the Bundle (noted as referred to)."""
        if ref.startswith("#"):
            contained = [c for c in res.get("contained") or [] if isinstance(c, dict)]
            return next((c for c in contained if c.get("id") == ref[1:]), None)
        ref = without_history(ref)
        found = self.by_ref.get(ref)
        if found is None:
            found = next(
                (
                    r
                    for t, r in self.by_ref.items()
                    if "/" in t and not t.startswith("urn:") and ref.endswith("/" + t)
                ),
                None,
            )
        if found is not None:
            self.referred.add(id(found))
        return found

    def newer(self, key: str, when: str, loc: str, value: float, extra: Any = None) -> None:
        """Keep the newest result of ``key`` (the first of equally dated ones)."""
        old = self.newest.get(key)
        if old is None or when > old[0]:
            if old is not None:
                self.ignore(old[1], "an older result of a test: the newest was used")
            self.newest[key] = (when, loc, value, extra)
        else:
            self.ignore(loc, "an older result of a test: the newest was used")


def issues_of(r: Reader) -> tuple[ImportIssue, ...]:
    """The account's issues, in the order their reasons first came up."""
    return tuple(
        ImportIssue(severity, code, message, tuple(locs))
        for (severity, code, message), locs in r.issues.items()
    )


def issues_outcome(read: BundleRead) -> dict[str, Any]:
    """The answer's OperationOutcome: a summary, then one issue per reason naming its entries."""
    kept, ignored = len(read.kept), read.ignored
    used = read.entries - kept - ignored
    summary = (
        f"{read.entries} entries: {used} used, {kept} kept with the record without being used, "
        f"{ignored} ignored (each listed below with the reason)"
    )
    issues: list[dict[str, Any]] = [
        {"severity": "information", "code": "informational", "diagnostics": summary}
    ]
    for i in read.issues:
        issue: dict[str, Any] = {"severity": i.severity, "code": i.code, "diagnostics": i.message}
        if i.locs:
            issue["expression"] = list(i.locs)
        issues.append(issue)
    return {"resourceType": "OperationOutcome", "issue": issues}
