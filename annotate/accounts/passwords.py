"""Password hashing (argon2id) and the sign-in throttle.

Throttling is a policy, not storage: the delay grows with consecutive failures so that
guessing is slow while a user who mistypes once is barely delayed.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from annotate.core.errors import SourceDeskError

MIN_PASSWORD_LENGTH = 8
_hasher = PasswordHasher()


class PasswordError(SourceDeskError):
    pass


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordError(f"password: must be at least {MIN_PASSWORD_LENGTH} characters long")


def hash_password(password: str) -> str:
    check_password_policy(password)
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def throttle_seconds(failed_logins: int) -> float:
    """Seconds a user must wait before the next attempt after `failed_logins` failures."""
    if failed_logins < 3:
        return 0.0
    return float(min(300, 2 ** (failed_logins - 2)))
