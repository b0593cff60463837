"""Sign-in sessions and single sign-on identities (SQL only; the rules are in
workflows/auth.py)."""

from __future__ import annotations

import datetime as dt

from sqlite_utils import Database

from annotate.core.models import utcnow
from storage import dialect
from storage.errors import DuplicateError, NotFoundError
from storage.transactions import write


def _iso(value: dt.datetime) -> str:
    return value.isoformat()


def insert_session(
    db: Database, token_hash: str, user_id: int, via: str, expires_at: dt.datetime
) -> None:
    now = _iso(utcnow())
    with write(db):
        db.execute(
            "INSERT INTO sessions (token_hash, user_id, via, created_at, last_seen_at, "
            "expires_at) VALUES (?, ?, ?, ?, ?, ?)",
            [token_hash, user_id, via, now, now, _iso(expires_at)],
        )


def live_session(db: Database, token_hash: str) -> tuple[int, dt.datetime, dt.datetime] | None:
    """(user id, last seen, absolute expiry) of a session that has not been ended."""
    row = db.execute(
        "SELECT user_id, last_seen_at, expires_at FROM sessions "
        "WHERE token_hash = ? AND ended_at IS NULL",
        [token_hash],
    ).fetchone()
    if row is None:
        return None
    return int(row[0]), dt.datetime.fromisoformat(row[1]), dt.datetime.fromisoformat(row[2])


def touch_session(db: Database, token_hash: str) -> None:
    with write(db):
        db.execute(
            "UPDATE sessions SET last_seen_at = ? WHERE token_hash = ? AND ended_at IS NULL",
            [_iso(utcnow()), token_hash],
        )


def end_session(db: Database, token_hash: str) -> None:
    with write(db):
        db.execute(
            "UPDATE sessions SET ended_at = ? WHERE token_hash = ? AND ended_at IS NULL",
            [_iso(utcnow()), token_hash],
        )


def end_user_sessions(db: Database, user_id: int) -> int:
    with write(db):
        cursor = db.execute(
            "UPDATE sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL",
            [_iso(utcnow()), user_id],
        )
    return cursor.rowcount


def live_session_count(db: Database, user_id: int) -> int:
    return int(
        db.execute(
            "SELECT count(*) FROM sessions WHERE user_id = ? AND ended_at IS NULL", [user_id]
        ).fetchone()[0]
    )


def set_user_email(db: Database, user_id: int, email: str) -> None:
    try:
        with write(db):
            db.execute(
                "INSERT INTO user_emails (user_id, email) VALUES (?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET email = excluded.email",
                [user_id, email],
            )
    except dialect.IntegrityError:
        raise DuplicateError(f"the e-mail {email!r} belongs to another account") from None


def user_id_by_email(db: Database, email: str) -> int | None:
    row = db.execute("SELECT user_id FROM user_emails WHERE email = ?", [email]).fetchone()
    return int(row[0]) if row else None


def user_email(db: Database, user_id: int) -> str | None:
    row = db.execute("SELECT email FROM user_emails WHERE user_id = ?", [user_id]).fetchone()
    return str(row[0]) if row else None


def user_id_by_sso(db: Database, issuer: str, subject: str) -> int | None:
    row = db.execute(
        "SELECT user_id FROM sso_identities WHERE issuer = ? AND subject = ?", [issuer, subject]
    ).fetchone()
    return int(row[0]) if row else None


def sso_binding(db: Database, user_id: int) -> tuple[str, str] | None:
    row = db.execute(
        "SELECT issuer, subject FROM sso_identities WHERE user_id = ?", [user_id]
    ).fetchone()
    return (str(row[0]), str(row[1])) if row else None


def bind_sso(db: Database, user_id: int, issuer: str, subject: str) -> None:
    with write(db):
        taken = user_id_by_sso(db, issuer, subject)
        if taken is not None and taken != user_id:
            raise DuplicateError("this single sign-on identity is bound to another account")
        if db.execute("SELECT 1 FROM users WHERE id = ?", [user_id]).fetchone() is None:
            raise NotFoundError(f"no user with id {user_id}")
        db.execute(
            "INSERT INTO sso_identities (issuer, subject, user_id, bound_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET issuer = excluded.issuer, "
            "subject = excluded.subject, bound_at = excluded.bound_at",
            [issuer, subject, user_id, _iso(utcnow())],
        )
