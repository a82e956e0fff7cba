"""Dates on pages in the clinic's locale (``LDN_LOCALE``; Babel's CLDR formats), ISO 8601 when
none is set or the locale is unknown; form fields are left alone (they are not filtered)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from ldn.config import Settings
from ldn.web.render import env


def _render(value: object, locale: str) -> str:
    settings = SimpleNamespace(locale=locale)
    request = SimpleNamespace(
        app=SimpleNamespace(state=SimpleNamespace(clinic=SimpleNamespace(settings=settings)))
    )
    return env.from_string("{{ v | date }}").render(v=value, request=request)


@pytest.mark.parametrize(
    ("value", "locale", "shown"),
    [
        ("2026-01-03", "en_GB", "3 Jan 2026"),
        ("2026-01-03", "en_US", "Jan 3, 2026"),
        ("2026-01-03", "de_DE", "03.01.2026"),
        ("2026-01-03", "", "2026-01-03"),
        ("2026-01-03", "xx_QQ", "2026-01-03"),  # an unknown locale: ISO, not an error
        (date(2026, 1, 3), "en_GB", "3 Jan 2026"),
        ("2026-01-03T14:05:09+00:00", "en_GB", "3 Jan 2026 14:05 UTC"),
        ("2026-01-03T14:05:09+00:00", "en_US", "Jan 3, 2026 2:05\u202fPM UTC"),
        ("2026-01-03T14:05:09+00:00", "", "2026-01-03 14:05 UTC"),
        (
            datetime(2026, 1, 3, 15, 5, tzinfo=timezone(timedelta(hours=1))),
            "",
            "2026-01-03 14:05 UTC",
        ),
        (None, "en_GB", ""),
        ("not a date", "en_GB", "not a date"),
    ],
)
def test_one_filter_for_every_date(value: object, locale: str, shown: str) -> None:
    assert _render(value, locale) == shown


def test_without_a_request_dates_are_iso() -> None:
    assert (
        env.from_string("{{ v | date }}").render(v=datetime(2026, 1, 3, tzinfo=UTC))
        == "2026-01-03 00:00 UTC"
    )


def test_the_setting_is_checked() -> None:
    assert Settings(locale="en_GB").locale == "en_GB"
    with pytest.raises(ValueError, match="locale"):
        Settings(locale="en-GB; DROP")
