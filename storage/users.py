"""Local accounts, roles and the record of failed sign-ins."""

from __future__ import annotations

import datetime as dt
import sqlite3

from sqlite_utils import Database

from annotate.accounts.passwords import throttle_seconds, verify_password
from annotate.core.models import Role, User, utcnow
from storage.errors import DuplicateError, NotFoundError, StorageError
from storage.transactions import write


def _to_user(row: dict) -> User:
    return User(
        id=row["id"],
        name=row["name"],
        role=row["role"],
        password_hash=row["password_hash"],
        active=bool(row["active"]),
        created_at=dt.datetime.fromisoformat(row["created_at"]),
    )


def count_users(db: Database) -> int:
    return db.execute("SELECT count(*) FROM users").fetchone()[0]


def count_sign_in_accounts(db: Database) -> int:
    """Active accounts with a password. Imported or demo annotators have none, so a sample
    project still opens on the first-admin screen."""
    return db.execute(
        "SELECT count(*) FROM users WHERE active = 1 AND password_hash != ''"
    ).fetchone()[0]


def add_user(db: Database, name: str, role: Role = "annotator", password_hash: str = "") -> User:
    user = User(name=name.strip(), role=role, password_hash=password_hash)
    try:
        with write(db):
            user_id = (
                db["users"]
                .insert(
                    {
                        "name": user.name,
                        "role": user.role,
                        "password_hash": user.password_hash,
                        "active": 1,
                        "created_at": user.created_at.isoformat(),
                    }
                )
                .last_pk
            )
    except sqlite3.IntegrityError:
        raise DuplicateError(f"a user named {user.name!r} already exists") from None
    return user.model_copy(update={"id": user_id})


def create_first_admin(db: Database, name: str, password_hash: str) -> User:
    """Create the first admin, only while no account can sign in."""
    with write(db):
        if count_sign_in_accounts(db):
            raise StorageError("an administrator already exists; sign in instead")
        return add_user(db, name, "admin", password_hash)


def list_users(db: Database) -> list[User]:
    return [_to_user(r) for r in db.query("SELECT * FROM users ORDER BY name")]


def get_user(db: Database, name: str) -> User:
    rows = list(db.query("SELECT * FROM users WHERE name = ?", [name]))
    if not rows:
        raise NotFoundError(f"no user named {name!r}")
    return _to_user(rows[0])


def get_user_by_id(db: Database, user_id: int) -> User:
    rows = list(db.query("SELECT * FROM users WHERE id = ?", [user_id]))
    if not rows:
        raise NotFoundError(f"no user with id {user_id}")
    return _to_user(rows[0])


def find_or_create_user(db: Database, name: str, role: Role = "annotator") -> User:
    """For imports that name annotators: reuse the account or create one without a password."""
    with write(db):
        rows = list(db.query("SELECT * FROM users WHERE name = ?", [name]))
        return _to_user(rows[0]) if rows else add_user(db, name, role)


def set_role(db: Database, name: str, role: Role) -> User:
    user = get_user(db, name)
    updated = user.model_copy(update={"role": role})
    User.model_validate(updated.model_dump())
    with write(db):
        if user.role == "admin" and role != "admin" and _admin_count(db) <= 1:
            raise StorageError("cannot remove the last administrator")
        db.execute("UPDATE users SET role = ? WHERE id = ?", [role, user.id])
    return updated


def set_active(db: Database, name: str, active: bool) -> User:
    user = get_user(db, name)
    with write(db):
        if user.role == "admin" and not active and _admin_count(db) <= 1:
            raise StorageError("cannot deactivate the last administrator")
        db.execute("UPDATE users SET active = ? WHERE id = ?", [int(active), user.id])
    return user.model_copy(update={"active": active})


def set_password_hash(db: Database, name: str, password_hash: str) -> None:
    user = get_user(db, name)
    with write(db):
        db.execute(
            "UPDATE users SET password_hash = ?, failed_logins = 0 WHERE id = ?",
            [password_hash, user.id],
        )


def _admin_count(db: Database) -> int:
    return db.execute("SELECT count(*) FROM users WHERE role = 'admin' AND active = 1").fetchone()[
        0
    ]


class SignInResult:
    """Outcome of a sign-in attempt: the user, or why not and how long to wait."""

    def __init__(self, user: User | None, message: str = "", wait_seconds: float = 0.0) -> None:
        self.user = user
        self.message = message
        self.wait_seconds = wait_seconds

    @property
    def ok(self) -> bool:
        return self.user is not None


def sign_in(
    db: Database, name: str, password: str, *, now: dt.datetime | None = None
) -> SignInResult:
    """Check a password, throttling repeated failures per account."""
    now = now or utcnow()
    rows = list(db.query("SELECT * FROM users WHERE name = ?", [name.strip()]))
    generic = "unknown user name or wrong password"
    if not rows:
        verify_password("", password)
        return SignInResult(None, generic)
    row = rows[0]
    wait = throttle_seconds(row["failed_logins"])
    if wait and row["last_failed_at"]:
        elapsed = (now - dt.datetime.fromisoformat(row["last_failed_at"])).total_seconds()
        if elapsed < wait:
            remaining = wait - elapsed
            return SignInResult(
                None, f"too many failed sign-ins: try again in {remaining:.0f} s", remaining
            )
    if not row["active"]:
        return SignInResult(None, "this account is deactivated")
    if verify_password(row["password_hash"], password):
        with write(db):
            db.execute("UPDATE users SET failed_logins = 0 WHERE id = ?", [row["id"]])
        return SignInResult(_to_user(row))
    with write(db):
        db.execute(
            "UPDATE users SET failed_logins = failed_logins + 1, last_failed_at = ? WHERE id = ?",
            [now.isoformat(), row["id"]],
        )
    return SignInResult(None, generic, throttle_seconds(row["failed_logins"] + 1))
