"""Who is signed in: password sign-in, server-side sessions, single sign-on, the first
administrator.

Sessions are rows in the database keyed by the SHA-256 of a random 256-bit token; the
browser holds the token in an HttpOnly, SameSite=Strict cookie set by the app's HTTP
routes (ui/auth_routes.py). Every rerun of every tab re-reads the row, so signing out in
one tab, a password reset, a role change or a deactivation (a trigger in the schema ends
that user's sessions) takes effect at the next action everywhere.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import storage
from annotate.accounts.passwords import hash_password
from annotate.core.errors import SourceDeskError
from annotate.core.models import User, utcnow
from storage import sessions
from workflows.project import create_project

__all__ = [
    "SESSION_COOKIE",
    "SessionPolicy",
    "SignInOutcome",
    "SsoRefused",
    "create_first_admin",
    "end_session",
    "first_admin_allowed",
    "open_session",
    "session_user",
    "sign_in",
    "sign_out_everywhere",
    "sso_user",
]

SESSION_COOKIE = "sourcedesk_session"
# Last-seen is written at most this often, so a busy page does not write on every rerun.
TOUCH_EVERY = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class SessionPolicy:
    """Idle and absolute lifetimes; `SOURCEDESK_SESSION_IDLE_HOURS` and
    `SOURCEDESK_SESSION_MAX_DAYS` override the defaults (12 hours, 14 days)."""

    idle: dt.timedelta = dt.timedelta(hours=12)
    absolute: dt.timedelta = dt.timedelta(days=14)

    @classmethod
    def from_env(cls) -> SessionPolicy:
        def number(name: str, default: float) -> float:
            raw = os.environ.get(name, "")
            try:
                value = float(raw) if raw else default
            except ValueError:
                raise SourceDeskError(f"{name}: {raw!r} is not a number") from None
            if value <= 0:
                raise SourceDeskError(f"{name}: must be above 0, got {raw}")
            return value

        return cls(
            idle=dt.timedelta(hours=number("SOURCEDESK_SESSION_IDLE_HOURS", 12)),
            absolute=dt.timedelta(days=number("SOURCEDESK_SESSION_MAX_DAYS", 14)),
        )


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(
    db: storage.Database, user: User, *, via: str = "password", policy: SessionPolicy | None = None
) -> str:
    """A new session for `user`; returns the token to hand to the browser (once)."""
    if user.id is None:
        raise SourceDeskError("cannot open a session for an unsaved user")
    policy = policy or SessionPolicy.from_env()
    token = secrets.token_urlsafe(32)  # 256 bits
    sessions.insert_session(db, _hash(token), user.id, via, utcnow() + policy.absolute)
    return token


def session_user(
    db: storage.Database, token: str | None, *, policy: SessionPolicy | None = None
) -> User | None:
    """The active user of a live session, or None (unknown, ended, idle or expired)."""
    if not token:
        return None
    policy = policy or SessionPolicy.from_env()
    key = _hash(token)
    found = sessions.live_session(db, key)
    if found is None:
        return None
    user_id, last_seen, expires_at = found
    now = utcnow()
    if now >= expires_at or now - last_seen >= policy.idle:
        sessions.end_session(db, key)
        return None
    try:
        user = storage.get_user_by_id(db, user_id)
    except storage.NotFoundError:
        return None
    if not user.active:
        return None
    if now - last_seen >= TOUCH_EVERY:
        sessions.touch_session(db, key)
    return user


def end_session(db: storage.Database, token: str | None) -> None:
    if token:
        sessions.end_session(db, _hash(token))


def sign_out_everywhere(db: storage.Database, user_id: int) -> int:
    return sessions.end_user_sessions(db, user_id)


@dataclass(frozen=True)
class SignInOutcome:
    ok: bool
    message: str
    user: User | None = None
    token: str | None = None
    wait_seconds: float = 0.0


def sign_in(
    db: storage.Database, name: str, password: str, *, address: str | None = None
) -> SignInOutcome:
    """Check a password (throttled in storage) and open a session when it is right."""
    result = storage.sign_in(db, name, password, address=address)
    if not result.ok or result.user is None:
        return SignInOutcome(False, result.message, wait_seconds=result.wait_seconds)
    token = open_session(db, result.user)
    return SignInOutcome(True, "", result.user, token)


def first_admin_allowed(db: storage.Database) -> bool:
    """Only a database without any account offers to create the first administrator."""
    return storage.count_users(db) == 0


def create_first_admin(
    db: storage.Database, name: str, password: str, again: str, project_name: str = ""
) -> tuple[User, str]:
    """The first administrator (and the project, if the file has none); returns the user
    and a session token."""
    if not name.strip():
        raise SourceDeskError("Administrator name: please enter a name")
    if password != again:
        raise SourceDeskError("Password: the two passwords differ")
    password_hash = hash_password(password)
    if not first_admin_allowed(db):
        raise SourceDeskError("this project already has accounts: sign in instead")
    if not storage.has_project(db):
        create_project(db, project_name.strip() or "SourceDesk project")
    user = storage.create_first_admin(db, name, password_hash)
    return user, open_session(db, user)


class SsoRefused(SourceDeskError):
    """The provider's identity matches no account under the binding rules."""


def sso_user(db: storage.Database, claims: Mapping[str, Any]) -> User:
    """The account a single sign-on identity may use.

    The identity is the provider's subject (`iss` + `sub`) bound to an account; the first
    sign-in binds it when the provider vouches for an e-mail address (`email_verified`
    true) that an administrator set on exactly that account, and the account is not bound
    to another subject yet. Display names and unverified e-mails never count.
    """
    issuer = str(claims.get("iss") or "")
    subject = str(claims.get("sub") or "")
    if not issuer or not subject:
        raise SsoRefused("the identity provider sent no subject; ask an administrator")
    user_id = sessions.user_id_by_sso(db, issuer, subject)
    if user_id is None:
        email = str(claims.get("email") or "")
        if not email or claims.get("email_verified") is not True:
            raise SsoRefused(
                "your single sign-on identity is not linked to a SourceDesk account "
                "(a verified e-mail address is needed); ask an administrator"
            )
        user_id = sessions.user_id_by_email(db, email)
        if user_id is None or sessions.sso_binding(db, user_id) is not None:
            raise SsoRefused(
                "your single sign-on identity does not match an active SourceDesk account; "
                "ask an administrator to add you"
            )
        sessions.bind_sso(db, user_id, issuer, subject)
    user = storage.get_user_by_id(db, user_id)
    if not user.active:
        raise SsoRefused("this account is deactivated; ask an administrator")
    return user
