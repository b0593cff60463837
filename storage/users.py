"""Local accounts, roles and the record of failed sign-ins."""

from __future__ import annotations

import datetime as dt
import sqlite3
import time

from sqlite_utils import Database

from annotate.accounts import passwords
from annotate.accounts.passwords import verify_password
from annotate.core.models import Role, User
from storage.errors import DuplicateError, NotFoundError, StorageError
from storage.rows import to_model
from storage.transactions import write


def _to_user(row: dict) -> User:
    return to_model(User, row)


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
                db.table("users")
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
        db.execute(
            "DELETE FROM sign_in_failures WHERE scope = 'account' AND key = ?",
            [user.name.casefold()],
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


GENERIC_SIGN_IN_ERROR = "unknown user name or wrong password"


def _throttle_keys(name: str, address: str | None) -> tuple[str, str]:
    """(address key, account key). Without an address, the first layer counts per name."""
    account = name.strip().casefold()
    return (address.strip() if address and address.strip() else f"name:{account}"), account


def _counters(db: Database, scope: str, key: str) -> tuple[int, float, float]:
    row = db.execute(
        "SELECT failures, last_failed_at, window_start FROM sign_in_failures "
        "WHERE scope = ? AND key = ?",
        [scope, key],
    ).fetchone()
    return (int(row[0]), float(row[1]), float(row[2])) if row else (0, 0.0, 0.0)


def _reserve_attempt(
    db: Database, address_key: str, account_key: str, at: float | None
) -> tuple[float, float]:
    """Under the write lock: (wait, 0) if throttled, else count the attempt as a failure
    before the password is checked and return (0, the wait the next attempt will face).

    The time is read once the lock is held: a clock read before waiting for the lock could
    be older than another attempt's record and see a wait that is not there."""
    with write(db):
        now = time.time() if at is None else at
        db.execute(
            "DELETE FROM sign_in_failures WHERE last_failed_at < ?",
            [now - passwords.FORGET_AFTER_SECONDS],
        )
        a_failures, a_last, _ = _counters(db, "address", address_key)
        c_failures, _, c_start = _counters(db, "account", account_key)
        wait = max(
            passwords.address_wait(a_failures, a_last, now),
            passwords.account_wait(c_failures, c_start, now),
        )
        if wait > 0:
            return wait, 0.0
        a_failures = passwords.address_failures(a_failures, a_last, now) + 1
        c_failures, c_start = passwords.account_window(c_failures, c_start, now)
        c_failures += 1
        upsert = (
            "INSERT INTO sign_in_failures (scope, key, failures, last_failed_at, window_start) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (scope, key) DO UPDATE SET "
            "failures = excluded.failures, last_failed_at = excluded.last_failed_at, "
            "window_start = excluded.window_start"
        )
        db.execute(upsert, ["address", address_key, a_failures, now, now])
        db.execute(upsert, ["account", account_key, c_failures, now, c_start])
        following = max(
            passwords.address_wait(a_failures, now, now),
            passwords.account_wait(c_failures, c_start, now),
        )
        return 0.0, following


def _forget_failures(db: Database, address_key: str, account_key: str) -> None:
    """After a right password: the account's count starts again, and the attempt reserved
    for this sign-in is given back to the address. Only that one attempt: a right password
    never wipes the address's failures (one's own account cannot reset a guessing
    address), and sign-ins that succeed never add up (a newsroom behind one address would
    otherwise lock itself out every morning)."""
    with write(db):
        db.execute(
            "DELETE FROM sign_in_failures WHERE (scope = 'account' AND key = ?) "
            "OR (scope = 'address' AND key = ? AND key LIKE 'name:%')",
            [account_key, address_key],
        )
        db.execute(
            "UPDATE sign_in_failures SET failures = max(failures - 1, 0) "
            "WHERE scope = 'address' AND key = ?",
            [address_key],
        )


def sign_in(
    db: Database,
    name: str,
    password: str,
    *,
    address: str | None = None,
    now: dt.datetime | None = None,
) -> SignInResult:
    """Check a password, throttled per client address and per account.

    The attempt is checked against the throttle and counted in one write transaction
    before the password is verified, so parallel attempts cannot exceed the limit. An
    unknown name, an account without a password and a wrong password take the same
    path, the same single argon2 verification and get the same message.
    """
    address_key, account_key = _throttle_keys(name, address)
    at = now.timestamp() if now is not None else None
    wait, following = _reserve_attempt(db, address_key, account_key, at)
    if wait > 0:
        return SignInResult(None, f"too many failed sign-ins: try again in {wait:.0f} s", wait)
    rows = list(db.query("SELECT * FROM users WHERE name = ?", [name.strip()]))
    row = rows[0] if rows else None
    if not verify_password(row["password_hash"] if row else "", password) or row is None:
        return SignInResult(None, GENERIC_SIGN_IN_ERROR, following)
    _forget_failures(db, address_key, account_key)
    if not row["active"]:  # said only to someone who knows the password
        return SignInResult(None, "this account is deactivated")
    return SignInResult(_to_user(row))
