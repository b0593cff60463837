"""The HTTP side of signing in: routes that set and clear the session cookie.

Streamlit's script cannot set an HttpOnly cookie, so the sign-in and first-administrator
forms post here (plain HTML forms), and these handlers answer with a 303 redirect carrying
`Set-Cookie`. The script then reads the cookie with `st.context.cookies` and asks
`workflows.auth.session_user` on every rerun.

Cross-site requests: the cookie is SameSite=Strict, and every POST must come from this
origin (Origin or Referer equal to the Host), which also stops sign-in CSRF.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

import storage
from annotate.core.errors import USER_ERRORS, one_line
from workflows import auth

log = logging.getLogger("sourcedesk.auth")

MAX_FORM_BYTES = 16_384


def safe_next(value: object) -> str:
    """A same-site path to go to after sign-in; anything else becomes '/'."""
    text = str(value or "/")
    parts = urlsplit(text)
    if (
        parts.scheme
        or parts.netloc
        or not text.startswith("/")
        or text.startswith("//")
        or "\\" in text
        or any(ord(c) < 32 for c in text)
    ):
        return "/"
    return text


def _with_query(path: str, **params: str) -> str:
    parts = urlsplit(path)
    query = "&".join(p for p in (parts.query, urlencode(params)) if p)
    return f"{parts.path}?{query}" if query else parts.path


def _same_origin(request: Request) -> bool:
    host = request.headers.get("host", "")
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source or source == "null":
        return False
    return urlsplit(source).netloc == host


def _secure(request: Request) -> bool:
    proto = request.headers.get("x-forwarded-proto", request.url.scheme)
    return proto.split(",")[0].strip() == "https"


def _set_cookie(response: Response, request: Request, token: str) -> None:
    policy = auth.SessionPolicy.from_env()
    response.set_cookie(
        auth.SESSION_COOKIE,
        token,
        max_age=int(policy.absolute.total_seconds()),
        path="/",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )


def _clear_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        auth.SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=_secure(request)
    )


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    form = await request.form()
    return {key: str(value) for key, value in form.items() if isinstance(value, str)}


def _database() -> storage.Database:
    return storage.connect(storage.default_db_path(), create=False)


async def sign_in(request: Request) -> Response:
    if not _same_origin(request):
        return PlainTextResponse("cross-site request refused", status_code=403)
    form = await _form(request)
    target = safe_next(form.get("sd_next"))
    address = request.client.host if request.client else None
    try:
        db = _database()
        try:
            outcome = auth.sign_in(
                db, form.get("sd_name", ""), form.get("sd_password", ""), address=address
            )
        finally:
            db.close()
    except Exception:
        log.exception("sign-in failed")
        return RedirectResponse(_with_query(target, auth_error="unavailable"), status_code=303)
    if not outcome.ok or outcome.token is None:
        params = {"auth_error": "signin"}
        if outcome.wait_seconds:
            params["auth_wait"] = str(int(outcome.wait_seconds + 0.999))
        return RedirectResponse(_with_query(target, **params), status_code=303)
    response = RedirectResponse(target, status_code=303)
    _set_cookie(response, request, outcome.token)
    return response


async def first_admin(request: Request) -> Response:
    if not _same_origin(request):
        return PlainTextResponse("cross-site request refused", status_code=403)
    form = await _form(request)
    target = safe_next(form.get("sd_next"))
    try:
        db = _database()
        try:
            _, token = auth.create_first_admin(
                db,
                form.get("sd_name", ""),
                form.get("sd_password", ""),
                form.get("sd_again", ""),
                form.get("sd_project", ""),
            )
        finally:
            db.close()
    except USER_ERRORS as exc:
        return RedirectResponse(
            _with_query(target, auth_error="first_admin", auth_detail=one_line(exc)[:200]),
            status_code=303,
        )
    except Exception:
        log.exception("creating the first administrator failed")
        return RedirectResponse(_with_query(target, auth_error="unavailable"), status_code=303)
    response = RedirectResponse(target, status_code=303)
    _set_cookie(response, request, token)
    return response


async def sign_out(request: Request) -> Response:
    if not _same_origin(request):
        return PlainTextResponse("cross-site request refused", status_code=403)
    token = request.cookies.get(auth.SESSION_COOKIE)
    try:
        db = _database()
        try:
            auth.end_session(db, token)
        finally:
            db.close()
    except Exception:
        log.exception("sign-out could not end the session row")
    response = RedirectResponse("/", status_code=303)
    _clear_cookie(response, request)
    return response


ROUTES = [
    Route("/auth/sign-in", sign_in, methods=["POST"]),
    Route("/auth/first-admin", first_admin, methods=["POST"]),
    Route("/auth/sign-out", sign_out, methods=["POST"]),
]
