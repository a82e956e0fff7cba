"""Login, logout, the home redirect, and the pages every signed-in user may open: the evidence
and the pharmacology."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ldn.domain.errors import AuthenticationError, RateLimited
from ldn.domain.evidence.answer import answer
from ldn.services.clinic import accounts
from ldn.services.visuals import evidence_chart, pk_chart
from ldn.web.render import HOME, page
from ldn.web.session import COOKIE, WebActor, verify_csrf

router = APIRouter(include_in_schema=False)


def _safe_next(nxt: str) -> str:
    return nxt if nxt.startswith("/") and not nxt.startswith("//") else "/"


@router.get("/login")
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    return page(request, "login.html", next=_safe_next(next), values={}, error="")


@router.post("/login")
def login(request: Request, email: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
          next: Annotated[str, Form()] = "/") -> Response:  # fmt: skip
    clinic = request.app.state.clinic
    try:
        out = accounts.login(
            clinic,
            email=email,
            password=password,
            remote_addr=request.client.host if request.client else "",
        )
    except (AuthenticationError, RateLimited) as exc:
        return page(request, "login.html", status=401 if isinstance(exc, AuthenticationError) else 429,
                    next=_safe_next(next), values={"email": email}, error=f"{exc.message}. {exc.fix}")  # fmt: skip
    role = out["user"]["role"]
    target = _safe_next(next) if next not in ("", "/") else HOME[role]
    resp = RedirectResponse(target, status_code=303)
    resp.set_cookie(COOKIE, out["access_token"], max_age=out["expires_in"], httponly=True, samesite="lax",
                    secure=request.url.scheme == "https")  # fmt: skip
    return resp


@router.post("/logout", dependencies=[Depends(verify_csrf)])
def logout(request: Request, actor: WebActor) -> Response:
    accounts.logout(request.app.state.clinic, actor)
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(COOKIE)
    return resp


@router.get("/")
def home(request: Request, actor: WebActor) -> Response:
    del request
    return RedirectResponse(HOME[actor.role], status_code=303)


@router.get("/evidence")
def evidence(request: Request, actor: WebActor,
             condition: Annotated[str, Query(pattern="^(fibromyalgia|multiple_sclerosis|arthritis|any)$")] = "fibromyalgia") -> HTMLResponse:  # fmt: skip
    del actor
    chart, pooled = evidence_chart(condition)
    return page(request, "evidence.html", chart=chart, pooled=pooled, answer=answer(condition), condition=condition,
                conditions=("fibromyalgia", "multiple_sclerosis", "arthritis", "any"))  # fmt: skip


@router.get("/pharmacology")
def pharmacology(request: Request, actor: WebActor, dose_mg: Annotated[float, Query(ge=0.5, le=50)] = 4.5,
                 days: Annotated[int, Query(ge=1, le=28)] = 7) -> HTMLResponse:  # fmt: skip
    del actor
    chart, result = pk_chart(dose_mg=dose_mg, days=days)
    template = "pk_chart.html" if request.headers.get("HX-Request") else "pharmacology.html"
    return page(request, template, chart=chart, result=result, dose_mg=dose_mg, days=days)
