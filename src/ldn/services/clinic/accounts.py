"""Clinics, users, password login and access tokens.

Passwords are hashed with Argon2id (argon2-cffi; parameters from the settings, RFC 9106's
defaults unless a test lowers them). A login returns a short-lived signed token (JWT, HS256,
``LDN_TOKEN_TTL_MINUTES``); the API keeps no session state, so any worker can check any token.
Logging out, deactivating a user or changing a role bumps the user's ``token_version`` and
every token issued before stops working; every request checks it (:func:`check_session`).

Failed logins are counted in the database (every worker sees them) per account from one address,
per account and per address; past a threshold the next try must wait, and the wait doubles with
each further failure (:func:`login_wait_s`, capped at the window): one address guessing one
password after another is slowed to a crawl, while someone failing an account on purpose from
elsewhere delays its owner by seconds, not a lock-out. A known and an unknown e-mail cost the same
(one Argon2 verification each), so timing does not tell which accounts exist.

The parts live in sibling modules, re-exported here: clinics and users in
:mod:`ldn.services.clinic.users`, login, tokens and rate limits in
:mod:`ldn.services.clinic.sessions`, password hashing and the new-login checks in
:mod:`ldn.services.clinic.passwords`.
"""

from __future__ import annotations

from ldn.services.clinic.passwords import check_new_user as _check_new_user
from ldn.services.clinic.passwords import password_hasher
from ldn.services.clinic.sessions import (
    check_session,
    decode_token,
    issue_token,
    login,
    login_wait_s,
    logout,
    throttle,
)
from ldn.services.clinic.users import create_clinic, create_user, list_users, update_user, user_dict

__all__ = [
    "_check_new_user",  # ldn.services.clinic.invites imports it
    "check_session",
    "create_clinic",
    "create_user",
    "decode_token",
    "issue_token",
    "list_users",
    "login",
    "login_wait_s",
    "logout",
    "password_hasher",
    "throttle",
    "update_user",
    "user_dict",
]
