"""The one exception tree of ldn, and the one table from error to HTTP status and title.

Every error a person can cause names *where* (a JSON-path-like location), *what* is wrong, and
*how to fix it*. Adapters map the tree to their medium in one place each: the CLI prints one
line per problem and exits 2 (1 for a bug), the API answers RFC 9457 problem+json, a web page
renders the error page. The HTTP status and the problem title are class attributes
(``status``, ``title``), so a subclass answers like its parent unless it says otherwise:
:func:`status_of` and :func:`title_of` read them along the class's MRO, and nothing else keeps
a second copy of the table.

::

    LdnError                      base; never raised directly                  HTTP 400
    ├── InputError                bad input: one or more Problems      CLI 2 · HTTP 422
    │   └── DataFileError         a file that cannot be read or parsed CLI 2 · HTTP 422
    ├── ClinicalRefusal           valid input that ldn refuses on       CLI 2 · HTTP 409
    │                             clinical grounds (50 mg is not LDN;
    │                             no plan for a contraindicated patient)
    ├── NotFoundError             an id that names nothing             CLI 2 · HTTP 404
    ├── ConflictError             a stale or duplicate write           CLI 2 · HTTP 409
    │   ├── PreconditionFailed    If-Match names an older version            HTTP 412
    │   └── PreconditionRequired  an update without If-Match                 HTTP 428
    ├── MissingPrefetch           CDS Hooks: required prefetch absent        HTTP 412
    ├── AuthenticationError       no, expired or wrong credentials     CLI 2 · HTTP 401
    ├── PermissionDeniedError     the caller may not do this           CLI 2 · HTTP 403
    ├── RateLimited               too many attempts; retry later             HTTP 429
    └── ServiceUnavailable        the database is not answering;       CLI 2 · HTTP 503
        │                         nothing was changed; retry after
        │                         ``retry_after_s`` (Retry-After)
        └── OutcomeUnknown        the connection failed at or after    CLI 2 · HTTP 503
                                  COMMIT: the write may or may not
                                  have been saved; retry with the
                                  same Idempotency-Key

Anything that is not an ``LdnError`` is a bug: the CLI exits 1 with a hint to rerun with
``--debug``; the API answers 500 without internals (logged once, with the request id).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

__all__ = [
    "PYDANTIC_FIXES",
    "AuthenticationError",
    "ClinicalRefusal",
    "ConflictError",
    "DataFileError",
    "InputError",
    "LdnError",
    "MissingPrefetch",
    "NotFoundError",
    "OutcomeUnknown",
    "PermissionDeniedError",
    "PreconditionFailed",
    "PreconditionRequired",
    "Problem",
    "RateLimited",
    "ServiceUnavailable",
    "error_classes",
    "format_loc",
    "problems_from_pydantic",
    "status_of",
    "title_of",
    "titles_by_status",
]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input: where, what, and how to fix it."""

    loc: str
    message: str
    fix: str = ""

    def line(self, *, origin: str = "") -> str:
        """The problem as one human-readable line."""
        where = ": ".join(part for part in (origin, self.loc) if part)
        text = f"{where}: {self.message}" if where else self.message
        return f"{text} (fix: {self.fix})" if self.fix else text

    def as_dict(self) -> dict[str, str]:
        return {"loc": self.loc, "message": self.message, "fix": self.fix}


class LdnError(Exception):
    """Base of every error ldn raises on purpose (never raised directly)."""

    #: stable machine-readable code, used in problem+json ``type`` and in tests
    code: ClassVar[str] = "ldn_error"
    #: the HTTP status the API answers with (inherited along the MRO)
    status: ClassVar[int] = 400
    #: the problem+json ``title``: short, the same for every error of the class
    title: ClassVar[str] = "Bad request"

    def __init__(self, message: str, *, fix: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def lines(self) -> list[str]:
        """One human-readable line per problem (the CLI prints these)."""
        return [f"{self.message} (fix: {self.fix})" if self.fix else self.message]


class InputError(LdnError):
    """Input that does not satisfy the rules: holds one or more :class:`Problem`."""

    code = "invalid_input"
    status = 422
    title = "Invalid input"

    def __init__(self, problems: Sequence[Problem] | Problem, *, origin: str = "") -> None:
        self.problems: tuple[Problem, ...] = (
            (problems,) if isinstance(problems, Problem) else tuple(problems)
        )
        if not self.problems:
            raise ValueError("InputError needs at least one Problem")
        self.origin = origin
        first = self.problems[0]
        super().__init__(first.line(origin=origin), fix=first.fix)

    @classmethod
    def at(cls, loc: str, message: str, fix: str = "", *, origin: str = "") -> InputError:
        """Shorthand for an error with a single problem."""
        return cls(Problem(loc, message, fix), origin=origin)

    def lines(self) -> list[str]:
        return [p.line(origin=self.origin) for p in self.problems]


class DataFileError(InputError):
    """A file that is missing, empty, or cannot be parsed."""

    code = "invalid_file"


class ClinicalRefusal(LdnError):
    """Well-formed input that ldn declines on clinical grounds, with the reason and the fix."""

    code = "clinical_refusal"
    status = 409
    title = "Refused on clinical grounds"


class NotFoundError(LdnError):
    """An id that names nothing (or nothing the caller may see: the API does not tell apart)."""

    code = "not_found"
    status = 404
    title = "Not found"


class ConflictError(LdnError):
    """A write that conflicts with the stored state: a duplicate, or a stale version."""

    code = "conflict"
    status = 409
    title = "Conflict"


class PreconditionFailed(ConflictError):
    """The resource changed since the caller read it (a stale ETag)."""

    code = "precondition_failed"
    status = 412
    title = "Precondition failed"


class PreconditionRequired(ConflictError):
    """An update that does not say which version it read (no If-Match)."""

    code = "precondition_required"
    status = 428
    title = "Precondition required"


class MissingPrefetch(LdnError):
    """CDS Hooks: required data neither prefetched nor fetchable (412 per CDS Hooks 2.0)."""

    code = "missing_prefetch"
    status = 412
    title = "Required prefetch missing"

    def __init__(self, keys: list[str]) -> None:
        super().__init__(
            f"required prefetch missing: {', '.join(keys)}",
            fix="configure the CDS client to send the prefetch templates from GET /cds-services",
        )
        self.keys = keys


class AuthenticationError(LdnError):
    """No credentials, expired or wrong ones (the API adds ``WWW-Authenticate: Bearer``)."""

    code = "unauthenticated"
    status = 401
    title = "Not authenticated"


class PermissionDeniedError(LdnError):
    """The caller is known but may not do this (role, or the patient is not in their scope)."""

    code = "permission_denied"
    status = 403
    title = "Permission denied"


class RateLimited(LdnError):
    """Too many attempts; ``retry_after_s`` says when to try again (``Retry-After``)."""

    code = "rate_limited"
    status = 429
    title = "Too many requests"

    def __init__(self, message: str, *, retry_after_s: int, fix: str = "") -> None:
        super().__init__(message, fix=fix)
        self.retry_after_s = retry_after_s


class ServiceUnavailable(LdnError):
    """The database is not answering (down, restarting, refusing connections, locked): the
    transaction was rolled back, nothing was changed; retry after ``retry_after_s`` seconds
    (``Retry-After``). An expected outage, not a bug: logged as one line, never a traceback."""

    code = "service_unavailable"
    status = 503
    title = "Service unavailable"

    def __init__(
        self,
        message: str = "the database is not answering; nothing was changed",
        *,
        retry_after_s: int,
        fix: str = "try again in a moment",
        cause: str = "",
    ) -> None:
        super().__init__(message, fix=fix)
        self.retry_after_s = retry_after_s
        #: what failed, for the operator's log (never shown to the caller)
        self.cause = cause


class OutcomeUnknown(ServiceUnavailable):
    """The connection failed at or after COMMIT: the database may or may not have saved the
    write, and ldn cannot tell. Retrying with the same ``Idempotency-Key`` is safe (the retry
    answers with the saved record, or saves it once)."""

    code = "outcome_unknown"
    title = "Outcome unknown"

    def __init__(
        self,
        message: str = "the database connection failed while saving; the outcome is unknown",
        *,
        retry_after_s: int,
        fix: str = "retry with the same Idempotency-Key (or check whether the change was saved)",
        cause: str = "",
    ) -> None:
        super().__init__(message, retry_after_s=retry_after_s, fix=fix, cause=cause)


def error_classes() -> list[type[LdnError]]:
    """Every class of the tree in tree order (depth first), including subclasses defined in
    other modules that have been imported."""
    out: list[type[LdnError]] = []

    def walk(cls: type[LdnError]) -> None:
        out.append(cls)
        for sub in cls.__subclasses__():
            walk(sub)

    walk(LdnError)
    return out


def status_of(error: LdnError | type[LdnError]) -> int:
    """The HTTP status of an error (its class's ``status``, inherited along the MRO)."""
    return error.status


def title_of(error: LdnError | type[LdnError]) -> str:
    """The problem+json title of an error (its class's ``title``, inherited along the MRO)."""
    return error.title


def titles_by_status() -> dict[int, str]:
    """Every status the tree answers with, and the titles of its classes (``"; "``-joined)."""
    out: dict[int, list[str]] = {}
    for cls in error_classes()[1:]:  # the base is never raised
        titles = out.setdefault(cls.status, [])
        if cls.title not in titles:
            titles.append(cls.title)
    return {status: "; ".join(titles) for status, titles in sorted(out.items())}


def format_loc(parts: Iterable[Any]) -> str:
    """Join a location tuple as a JSON-path-like string: ``medications[0].dose``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


PYDANTIC_FIXES = {
    "extra_forbidden": "remove this field or check its spelling (see {see})",
    "missing": "add this field",
    "greater_than_equal": "use a value within the allowed range",
    "less_than_equal": "use a value within the allowed range",
    "greater_than": "use a larger value",
    "less_than": "use a smaller value",
    "literal_error": "use one of the allowed values",
    "enum": "use one of the allowed values",
    "date_from_datetime_parsing": "write the date as YYYY-MM-DD",
    "date_parsing": "write the date as YYYY-MM-DD",
    "datetime_parsing": "write the time as YYYY-MM-DDTHH:MM",
}


def problems_from_pydantic(
    exc: Any,
    *,
    prefix: str = "",
    skip_head: str = "",
    top: str = "(top level)",
    see: str = "`ldn schema patient` and `ldn instruments`",
    default_fix: str = "",
) -> list[Problem]:
    """Translate pydantic errors into Problems, one per error: the one translator every door
    uses (the library, the CLI, the API's request validation).

    ``exc`` is a ``pydantic.ValidationError`` (or anything with ``.errors()``, e.g. FastAPI's
    ``RequestValidationError``) or a list of its error dicts. ``prefix`` is put before each
    location, a location that starts with ``skip_head`` (the API's ``"body"``) loses it, an empty
    location reads ``top``; ``see`` names where the allowed fields are documented and
    ``default_fix`` is the fix for an error type without one. Our own validators raise
    ``ValueError("message | fix: fix")``; the fix is split back out.
    """
    errors: Iterable[Mapping[str, Any]] = exc.errors() if hasattr(exc, "errors") else exc
    problems: list[Problem] = []
    for err in errors:
        parts = tuple(err.get("loc", ()))
        if skip_head and parts[:1] == (skip_head,):
            parts = parts[1:]
        loc = format_loc([*([prefix] if prefix else []), *parts])
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        fix = PYDANTIC_FIXES.get(str(err.get("type")), default_fix).format(see=see)
        if " | fix: " in msg:
            msg, fix = msg.split(" | fix: ", 1)
        problems.append(Problem(loc or top, msg, fix))
    return problems
