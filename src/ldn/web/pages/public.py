"""Login, logout, the home redirect, and the pages every signed-in user may open: the evidence
and the pharmacology."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ldn.domain.errors import AuthenticationError, RateLimited
from ldn.domain.evidence.answer import CONDITIONS as EVIDENCE_CONDITIONS
from ldn.services.clinic import accounts
from ldn.services.standalone.visuals import evidence_chart, pk_chart, prisma_chart
from ldn.web.render import HOME, page
from ldn.web.session import (
    COOKIE,
    LOGIN_COOKIE,
    WebActor,
    login_csrf,
    login_csrf_ok,
    secure_cookies,
    set_login_cookie,
    verify_csrf,
)

router = APIRouter(include_in_schema=False)


def _safe_next(nxt: str) -> str:
    """A local path to go to after the login (never another site: no ``//``, no backslash)."""
    local = (
        nxt.startswith("/") and not nxt.startswith("//") and "\\" not in nxt and nxt.isprintable()
    )
    return nxt if local else "/"


def _login_page(
    request: Request, *, status: int = 200, next: str = "/", email: str = "", error: str = ""
) -> HTMLResponse:
    token, nonce = login_csrf(request)
    resp = page(
        request,
        "login.html",
        status=status,
        next=_safe_next(next),
        values={"email": email},
        error=error,
        login_csrf=token,
    )
    set_login_cookie(request, resp, nonce)
    return resp


@router.get("/login")
def login_form(
    request: Request, next: Annotated[str, Query(max_length=2000)] = "/"
) -> HTMLResponse:
    return _login_page(request, next=next)


@router.post("/login")
def login(
    request: Request,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    clinic = request.app.state.clinic
    if not login_csrf_ok(request, csrf):  # login CSRF: the form must come from this site
        return _login_page(
            request,
            status=403,
            next=next,
            email=email,
            error="The login form expired or did not come from ldn. Please log in again.",
        )
    try:
        out = accounts.login(
            clinic,
            email=email,
            password=password,
            remote_addr=request.client.host if request.client else "",
            request_id=getattr(request.state, "request_id", ""),
        )
    except (AuthenticationError, RateLimited) as exc:
        resp = _login_page(
            request,
            status=401 if isinstance(exc, AuthenticationError) else 429,
            next=next,
            email=email,
            error=f"{exc.message}. {exc.fix}",
        )
        if isinstance(exc, RateLimited):
            resp.headers["Retry-After"] = str(exc.retry_after_s)
        return resp
    role = out["user"]["role"]
    target = _safe_next(next) if next not in ("", "/") else HOME[role]
    done = RedirectResponse(target, status_code=303)
    done.set_cookie(
        COOKIE,
        out["access_token"],
        max_age=out["expires_in"],
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
    )
    done.delete_cookie(LOGIN_COOKIE, path="/login")
    return done


@router.post("/logout", dependencies=[Depends(verify_csrf)])
def logout(request: Request, actor: WebActor) -> Response:
    accounts.logout(request.app.state.clinic, actor)
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(COOKIE, httponly=True, samesite="lax", secure=secure_cookies(request))
    return resp


@router.get("/")
def home(request: Request, actor: WebActor) -> Response:
    del request
    return RedirectResponse(HOME[actor.role], status_code=303)


@router.get("/evidence")
def evidence(
    request: Request,
    actor: WebActor,
    condition: Annotated[str, Query(max_length=40)] = "fibromyalgia",
) -> HTMLResponse:
    """The answer to 'how effective is LDN for pain?' per condition: plain words first, then the
    summary of findings, the forest plot and how the trials were found (patients get the words)."""
    if condition not in EVIDENCE_CONDITIONS:
        condition = "fibromyalgia"
    chart, ans = evidence_chart(condition)
    return page(
        request,
        "evidence.html",
        chart=chart,
        answer=ans,
        condition=condition,
        conditions=EVIDENCE_CONDITIONS,
        for_patient=actor.role == "patient",
        prisma=None if actor.role == "patient" else prisma_chart(),
    )


@router.get("/pharmacology")
def pharmacology(
    request: Request,
    actor: WebActor,
    dose_mg: Annotated[float, Query(ge=0.5, le=50)] = 4.5,
    days: Annotated[int, Query(ge=1, le=28)] = 7,
) -> HTMLResponse:
    clinic = request.app.state.clinic
    accounts.throttle(
        clinic, actor, bucket="compute", per_minute=clinic.settings.compute_per_minute
    )
    chart, result = pk_chart(dose_mg=dose_mg, days=days)
    template = "pk_chart.html" if request.headers.get("HX-Request") else "pharmacology.html"
    return page(request, template, chart=chart, result=result, dose_mg=dose_mg, days=days)
