"""The one error table (issue #20): status and title along the MRO, a docstring and a place in
the drawn tree for every error class, one pydantic translator, and honest database failures
(issue #28): an outage before COMMIT is ServiceUnavailable, a failed COMMIT is OutcomeUnknown."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.orm import Session

import ldn.api.app  # noqa: F401  (imports every module that defines an error class)
from ldn.domain import errors
from ldn.domain.errors import (
    ConflictError,
    DataFileError,
    InputError,
    LdnError,
    MissingPrefetch,
    OutcomeUnknown,
    PreconditionFailed,
    PreconditionRequired,
    ServiceUnavailable,
    error_classes,
    problems_from_pydantic,
    titles_by_status,
)
from ldn.persistence.db import Database, is_outage


def test_every_error_class_has_a_status_a_title_a_code_and_a_docstring() -> None:
    classes = error_classes()
    assert MissingPrefetch in classes and OutcomeUnknown in classes
    for cls in classes:
        assert isinstance(cls.status, int) and 400 <= cls.status <= 599, cls
        assert cls.title.strip(), cls
        assert cls.__doc__ and cls.__doc__.strip(), f"{cls.__name__} has no docstring"
        assert "code" in vars(cls), f"{cls.__name__} inherits its parent's code"
    codes = [cls.code for cls in classes]
    assert len(codes) == len(set(codes))


def test_the_drawn_tree_names_every_class_of_the_domain_module() -> None:
    doc = errors.__doc__ or ""
    for cls in error_classes():
        if cls.__module__ == errors.__name__:
            assert f" {cls.__name__} " in doc or f"    {cls.__name__}" in doc, cls.__name__


def test_status_resolves_along_the_mro_not_by_declaration_order() -> None:
    assert PreconditionFailed("stale").status == 412
    assert PreconditionRequired("no If-Match").status == 428
    assert ConflictError("dup").status == 409
    assert DataFileError.at("file", "empty").status == 422
    assert OutcomeUnknown(retry_after_s=2).status == 503
    assert isinstance(OutcomeUnknown(retry_after_s=2), ServiceUnavailable)
    titles = titles_by_status()
    assert titles[412] == "Precondition failed; Required prefetch missing"
    assert titles[503] == "Service unavailable; Outcome unknown"


def test_existing_constructors_keep_working() -> None:
    err = InputError.at("dose_mg", "too high", "use at most 4.5 mg")
    assert err.lines() == ["dose_mg: too high (fix: use at most 4.5 mg)"]
    assert MissingPrefetch(["patient"]).keys == ["patient"]
    assert LdnError("x", fix="y").lines() == ["x (fix: y)"]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pain_avg: float


def test_one_pydantic_translator_for_the_library_and_the_api() -> None:
    with pytest.raises(ValidationError) as caught:
        _Entry.model_validate({"pain_avg": "x", "mood": 3})
    library = problems_from_pydantic(caught.value)
    api = problems_from_pydantic(
        [{**e, "loc": ("body", *e["loc"])} for e in caught.value.errors()],
        skip_head="body",
        see="/api/docs",
    )
    assert [p.loc for p in library] == [p.loc for p in api] == ["pain_avg", "mood"]
    assert "/api/docs" in api[1].fix and "ldn schema" in library[1].fix


def _db(tmp_path: Path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
    return db


def _locked() -> sa_exc.OperationalError:
    return sa_exc.OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))


def test_an_outage_before_commit_says_nothing_was_changed(tmp_path: Path) -> None:
    db = _db(tmp_path)

    def write_then_lose_the_database() -> None:
        with db.transaction() as s:
            s.execute(text("INSERT INTO t VALUES (1)"))
            raise _locked()

    with pytest.raises(ServiceUnavailable) as caught:
        write_then_lose_the_database()
    assert type(caught.value) is ServiceUnavailable
    assert "nothing was changed" in caught.value.message
    assert "database is locked" in caught.value.cause
    with db.transaction() as s:
        assert s.execute(text("SELECT count(*) FROM t")).scalar_one() == 0
    db.dispose()


def test_a_failed_commit_says_the_outcome_is_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = _db(tmp_path)

    def commit(self: Session) -> None:
        raise sa_exc.OperationalError("COMMIT", {}, sqlite3.OperationalError("disk I/O error"))

    monkeypatch.setattr(Session, "commit", commit)
    with pytest.raises(OutcomeUnknown) as caught, db.transaction() as s:
        s.execute(text("INSERT INTO t VALUES (1)"))
    assert "outcome is unknown" in caught.value.message
    assert "Idempotency-Key" in caught.value.fix
    db.dispose()


def test_other_database_errors_pass_through_unchanged(tmp_path: Path) -> None:
    db = _db(tmp_path)

    def insert_twice() -> None:
        with db.transaction() as s:
            s.execute(text("INSERT INTO t VALUES (1)"))
            s.execute(text("INSERT INTO t VALUES (1)"))

    with pytest.raises(sa_exc.IntegrityError):
        insert_twice()
    with pytest.raises(sa_exc.OperationalError), db.transaction() as s:  # a bug, not an outage
        s.execute(text("SELECT * FROM no_such_table"))
    db.dispose()


def test_outage_classification() -> None:
    assert is_outage(_locked())
    assert is_outage(sa_exc.TimeoutError("QueuePool limit reached"))
    assert not is_outage(ValueError("x"))
    missing = sa_exc.OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: t"))
    assert not is_outage(missing)
