"""Password hashing (argon2id) and the sign-in throttle.

Throttling is a policy, not storage (storage counts; this module decides). Two layers:

1. Per client address: after `ADDRESS_FREE_FAILURES` failures the next attempt from that
   address must wait 2, 4, 8 ... up to `MAX_WAIT_SECONDS` s; the count starts again after
   `ADDRESS_QUIET_SECONDS` without a failure. When the caller knows no address, this
   layer counts per account name instead.
2. Per account, from any address: from `ACCOUNT_FAILURES_PER_WINDOW` failures within
   `ACCOUNT_WINDOW_SECONDS`, the account waits until the window ends.

The first layer stops a single address long before the second: one address makes at
most about a dozen guesses in a window, so a stranger cannot keep someone else's
account locked from one address, and every lockout ends on its own. Attempts made
while throttled are not counted, so waiting is never extended by knocking.
"""

from __future__ import annotations

import contextlib
import functools
import secrets

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


@functools.cache
def dummy_hash() -> str:
    """A hash of a random secret, checked instead of a missing or unusable one, so that an
    unknown name or an account without a password costs the same argon2 work."""
    return _hasher.hash(secrets.token_urlsafe(32))


def verify_password(password_hash: str, password: str) -> bool:
    """Exactly one argon2 verification, whatever `password_hash` is (empty, malformed)."""
    try:
        return _hasher.verify(password_hash or dummy_hash(), password) and bool(password_hash)
    except InvalidHashError:
        with contextlib.suppress(VerifyMismatchError, VerificationError):
            _hasher.verify(dummy_hash(), password)
        return False
    except (VerifyMismatchError, VerificationError):
        return False


ADDRESS_FREE_FAILURES = 3
MAX_WAIT_SECONDS = 300.0
ADDRESS_QUIET_SECONDS = 900.0
ACCOUNT_WINDOW_SECONDS = 900.0
ACCOUNT_FAILURES_PER_WINDOW = 20
FORGET_AFTER_SECONDS = 86_400.0
"""Throttle records older than this are deleted."""


def throttle_seconds(failed_logins: int) -> float:
    """Seconds an address must wait before the next attempt after `failed_logins` failures."""
    if failed_logins < ADDRESS_FREE_FAILURES:
        return 0.0
    return float(min(MAX_WAIT_SECONDS, 2 ** (failed_logins - ADDRESS_FREE_FAILURES + 1)))


def address_failures(failures: int, last_failed_at: float, now: float) -> int:
    """The failures that still count: none after a quiet period."""
    return 0 if now - last_failed_at >= ADDRESS_QUIET_SECONDS else failures


def address_wait(failures: int, last_failed_at: float, now: float) -> float:
    """Seconds left before this address may try again."""
    wait = throttle_seconds(address_failures(failures, last_failed_at, now))
    return max(0.0, last_failed_at + wait - now) if wait else 0.0


def account_window(failures: int, window_start: float, now: float) -> tuple[int, float]:
    """(failures in the current window, its start): a new window once the old one ended."""
    if now - window_start >= ACCOUNT_WINDOW_SECONDS:
        return 0, now
    return failures, window_start


def account_wait(failures: int, window_start: float, now: float) -> float:
    """Seconds left before this account may be tried again (from any address)."""
    counted, start = account_window(failures, window_start, now)
    if counted < ACCOUNT_FAILURES_PER_WINDOW:
        return 0.0
    return max(0.0, start + ACCOUNT_WINDOW_SECONDS - now)
