"""Passwords: argon2id hashes, the password policy and the sign-in throttle's arithmetic."""

from __future__ import annotations

from annotate.accounts.passwords import (
    MIN_PASSWORD_LENGTH,
    PasswordError,
    hash_password,
    verify_password,
)

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "PasswordError",
    "hash_password",
    "verify_password",
]
