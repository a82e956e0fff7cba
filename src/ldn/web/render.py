"""Templates (Jinja2, autoescaped) and HTML error pages."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime
from importlib.resources import files
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup, escape

from ldn import DISCLAIMER, __version__
from ldn.domain.errors import AuthenticationError, LdnError
from ldn.domain.sources import registry
from ldn.domain.wording import finding_title, verdict_words
from ldn.web.session import LoginRequired

__all__ = ["env", "error_page", "page"]

env = Environment(
    loader=FileSystemLoader(str(files("ldn.web") / "templates")),
    autoescape=select_autoescape(),
    trim_blocks=True,
    lstrip_blocks=True,
)
env.globals.update(disclaimer=DISCLAIMER, version=__version__)
env.filters["svg"] = lambda s: Markup(s)
env.filters["label"] = lambda s: str(s).replace("_", " ")
env.filters["finding_title"] = finding_title
env.filters["verdict_words"] = verdict_words


def _cite(source_ids: list[str]) -> Markup:
    """Short citations with links ("Wolfe 2016, Semin Arthritis Rheum") instead of source keys."""
    reg = registry()
    parts = []
    for sid in source_ids:
        src = reg.get(sid)
        if src is None:
            continue
        text = escape(src.short)
        parts.append(
            f'<a href="{escape(src.link)}" rel="noopener">{text}</a>' if src.link else str(text)
        )
    return Markup("; ".join(parts))


env.filters["cite"] = _cite


@functools.lru_cache(maxsize=16)
def _babel_locale(name: str) -> Locale | None:
    try:
        return Locale.parse(name) if name else None
    except (ValueError, UnknownLocaleError):  # an unknown LDN_LOCALE: ISO 8601, as when unset
        return None


@pass_context
def _local_date(ctx: Context, value: object) -> str:
    """A date or timestamp (ISO text or object) in the clinic's locale, ``LDN_LOCALE``: a day
    as "3 Jan 2026" (en_GB) or "Jan 3, 2026" (en_US), a timestamp with its UTC time; ISO 8601
    (2026-01-03, 2026-01-03 14:05 UTC) when no locale is set. Form fields keep ISO values."""
    if value is None or value == "":
        return ""
    try:
        when = value if isinstance(value, date) else datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if isinstance(when, datetime) and len(str(value)) == 10:  # "2026-01-03": a day, not midnight
        when = when.date()
    request = ctx.get("request")
    clinic = getattr(getattr(getattr(request, "app", None), "state", None), "clinic", None)
    loc = _babel_locale(clinic.settings.locale if clinic is not None else "")
    if not isinstance(when, datetime):
        return format_date(when, "medium", locale=loc) if loc else when.isoformat()
    utc = when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
    if loc is None:
        return utc.strftime("%Y-%m-%d %H:%M UTC")
    return f"{format_date(utc.date(), 'medium', locale=loc)} {format_time(utc, 'short', locale=loc)} UTC"


env.filters["date"] = _local_date

HOME = {"clinician": "/clinic", "patient": "/me", "pharmacist": "/pharmacy", "admin": "/admin"}


def page(request: Request, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    actor = getattr(request.state, "actor", None)
    html = env.get_template(template).render(
        request=request,
        actor=actor,
        csrf=getattr(request.state, "csrf", ""),
        home=HOME.get(actor.role, "/") if actor else "/",
        **ctx,
    )
    return HTMLResponse(html, status_code=status)


def error_page(request: Request, status: int, exc: Exception) -> Response:
    if isinstance(exc, (LoginRequired, AuthenticationError)):
        nxt = exc.next_path if isinstance(exc, LoginRequired) else request.url.path
        return RedirectResponse(f"/login?next={nxt}", status_code=303)
    message = (
        exc.message if isinstance(exc, LdnError) else "Something went wrong; nothing was changed."
    )
    fix = exc.fix if isinstance(exc, LdnError) else "Try again, or tell your administrator."
    return page(request, "error.html", status=status, status_code=status, message=message, fix=fix)
