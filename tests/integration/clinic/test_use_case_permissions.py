"""Every use case declares its permission in its ``@use_case`` line (issue #20): the decorator
refuses a missing or unknown one, and every declaration names a row of the permission table."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import ldn.services
from ldn.services.clinic.context import USE_CASES, use_case
from ldn.services.clinic.permissions import PERMISSIONS, PUBLIC, SESSION


def _import_all_services() -> None:
    for mod in pkgutil.walk_packages(ldn.services.__path__, "ldn.services."):
        importlib.import_module(mod.name)


def test_every_decorated_use_case_is_registered_with_a_known_permission() -> None:
    _import_all_services()
    root = Path(ldn.services.__file__).parent
    declared = sum(
        len(re.findall(r"^@use_case\(", p.read_text(encoding="utf-8"), re.M))
        for p in root.rglob("*.py")
    )
    ours = {k: v for k, v in USE_CASES.items() if k.startswith("ldn.services.")}
    assert len(ours) == declared > 40
    for name, permission in ours.items():
        assert permission in PERMISSIONS or permission in (SESSION, PUBLIC), name


def test_a_use_case_cannot_be_declared_without_a_permission() -> None:
    with pytest.raises(TypeError):
        use_case()  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="unknown permission"):
        use_case("patient.everything")


def test_only_logins_links_and_replay_guards_are_public() -> None:
    """Before there is a signed-in actor: a login, redeeming an enrolment invite, the one-click
    unsubscribe link of an e-mail (its token is the secret) and the CDS JWT replay guard."""
    _import_all_services()
    public = sorted(k.rsplit(".", 1)[1] for k, v in USE_CASES.items() if v == PUBLIC)
    assert public == ["_attempt_enrolment", "_attempt_login", "_remember_jti", "unsubscribe"]
