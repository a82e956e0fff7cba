"""The one exception tree of ldn.

Every error a person can cause names *where* (a JSON-path-like location), *what* is wrong, and
*how to fix it*. Adapters map the tree to their medium in one place each: the CLI prints one
line per problem and exits 2 (1 for a bug), the API answers RFC 9457 problem+json.

::

    LdnError                      base; never raised directly
    ├── InputError                bad input: one or more Problems      CLI 2 · HTTP 422
    │   └── DataFileError         a file that cannot be read or parsed CLI 2 · HTTP 422
    ├── ClinicalRefusal           valid input that ldn refuses on       CLI 2 · HTTP 409
    │                             clinical grounds (50 mg is not LDN;
    │                             no plan for a contraindicated patient)
    ├── NotFoundError             an id that names nothing             CLI 2 · HTTP 404
    ├── ConflictError             a stale or duplicate write           CLI 2 · HTTP 409
    │   ├── PreconditionFailed    If-Match names an older version      HTTP 412
    │   └── PreconditionRequired  an update without If-Match           HTTP 428
    ├── AuthenticationError       no, expired or wrong credentials     CLI 2 · HTTP 401
    ├── RateLimited               too many failed logins; retry later  HTTP 429
    └── PermissionDeniedError     the caller may not do this           CLI 2 · HTTP 403

Anything that is not an ``LdnError`` is a bug: the CLI exits 1 with a hint to rerun with
``--debug``; the API answers 500 without internals.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "PYDANTIC_FIXES",
    "AuthenticationError",
    "ClinicalRefusal",
    "ConflictError",
    "DataFileError",
    "InputError",
    "LdnError",
    "NotFoundError",
    "PermissionDeniedError",
    "PreconditionFailed",
    "PreconditionRequired",
    "Problem",
    "RateLimited",
    "format_loc",
    "problems_from_pydantic",
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
    """Base of every error ldn raises on purpose."""

    #: stable machine-readable code, used in problem+json ``type`` and in tests
    code: str = "ldn_error"

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


class NotFoundError(LdnError):
    code = "not_found"


class ConflictError(LdnError):
    code = "conflict"


class PreconditionFailed(ConflictError):
    """The resource changed since the caller read it (a stale ETag)."""

    code = "precondition_failed"


class PreconditionRequired(ConflictError):
    """An update that does not say which version it read (no If-Match)."""

    code = "precondition_required"


class AuthenticationError(LdnError):
    code = "unauthenticated"


class RateLimited(LdnError):
    """Too many attempts; ``retry_after_s`` says when to try again."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after_s: int, fix: str = "") -> None:
        super().__init__(message, fix=fix)
        self.retry_after_s = retry_after_s


class PermissionDeniedError(LdnError):
    code = "permission_denied"


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
    "extra_forbidden": "remove this field or check its spelling (see `ldn schema patient` and `ldn instruments`)",
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


def problems_from_pydantic(exc: Any, *, prefix: str = "") -> list[Problem]:
    """Translate a ``pydantic.ValidationError`` into Problems (one per error)."""
    problems: list[Problem] = []
    for err in exc.errors(include_url=False):
        loc = format_loc([*([prefix] if prefix else []), *err["loc"]])
        msg = str(err["msg"])
        # Our own validators raise ValueError("message | fix"); split the fix back out.
        fix = PYDANTIC_FIXES.get(str(err["type"]), "")
        if msg.startswith("Value error, "):
            msg = msg.removeprefix("Value error, ")
        if " | fix: " in msg:
            msg, fix = msg.split(" | fix: ", 1)
        problems.append(Problem(loc or "(top level)", msg, fix))
    return problems
