"""Templates (Jinja2, autoescaped) and HTML error pages."""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from ldn import DISCLAIMER, __version__
from ldn.domain.errors import AuthenticationError, LdnError
from ldn.domain.sources import registry
from ldn.domain.wording import finding_title, verdict_words
from ldn.web.session import LoginRequired

__all__ = ["env", "error_page", "page"]

env = Environment(loader=FileSystemLoader(str(files("ldn.web") / "templates")), autoescape=select_autoescape(),
                  trim_blocks=True, lstrip_blocks=True)  # fmt: skip
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

HOME = {"clinician": "/clinic", "patient": "/me", "pharmacist": "/pharmacy", "admin": "/admin"}


def page(request: Request, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    actor = getattr(request.state, "actor", None)
    html = env.get_template(template).render(request=request, actor=actor, csrf=getattr(request.state, "csrf", ""),
                                             home=HOME.get(actor.role, "/") if actor else "/", **ctx)  # fmt: skip
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
