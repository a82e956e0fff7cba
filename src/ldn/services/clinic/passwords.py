"""Passwords and the rules for a new login: Argon2id hashing (argon2-cffi; parameters from the
settings, RFC 9106's defaults unless a test lowers them), the checks on a new login's e-mail,
role, name and password, and the hash an unknown e-mail is verified against (so a known and an
unknown e-mail cost the same)."""

from __future__ import annotations

import re

from argon2 import PasswordHasher

from ldn.config import Settings
from ldn.domain.errors import InputError
from ldn.persistence.tables import ROLES

__all__ = ["MIN_PASSWORD_LEN", "check_new_user", "dummy_hash", "password_hasher"]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
MIN_PASSWORD_LEN = 12  # NIST SP 800-63B allows 8; ldn asks more for clinical data


def password_hasher(settings: Settings) -> PasswordHasher:
    return PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_kib,
        parallelism=settings.argon2_parallelism,
    )


def check_new_user(email: str, role: str, password: str, display_name: str = "") -> None:
    if len(email) > 320 or not _EMAIL.match(email):
        raise InputError.at("email", f"{email!r} is not an e-mail address", "e.g. anna@example.org")
    if role not in ROLES:
        raise InputError.at("role", f"unknown role {role!r}", f"use one of {', '.join(ROLES)}")
    if len(display_name) > 200:
        raise InputError.at("display_name", "the name is longer than 200 characters", "shorten it")
    if len(password) > 1000:
        raise InputError.at(
            "password", "the password is longer than 1000 characters", "use a shorter passphrase"
        )
    if len(password) < MIN_PASSWORD_LEN:
        raise InputError.at(
            "password",
            f"the password is shorter than {MIN_PASSWORD_LEN} characters",
            "use a longer passphrase (several words)",
        )


_DUMMY_HASH: dict[tuple[int, int, int], str] = {}


def dummy_hash(hasher: PasswordHasher, params: tuple[int, int, int]) -> str:
    """A hash to verify against for an unknown e-mail, computed once per cost setting."""
    if params not in _DUMMY_HASH:
        _DUMMY_HASH[params] = hasher.hash("not-a-password")
    return _DUMMY_HASH[params]
