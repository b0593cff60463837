"""The sign-in throttle: atomic, blind to whether a name exists, per address and account.

Password checks are counted by wrapping argon2's own `PasswordHasher.verify`: a guess
that reaches argon2 is a real guess; one refused by the throttle never gets there.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import argon2
import pytest

import storage
from annotate.accounts import passwords
from annotate.accounts.passwords import hash_password

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every argon2 verification made in this process, by the hash it was checked against."""
    seen: list[str] = []
    lock = threading.Lock()
    original = argon2.PasswordHasher.verify

    def counting(self: argon2.PasswordHasher, hash: str | bytes, password: str | bytes) -> bool:
        with lock:
            seen.append(str(hash))
        return original(self, hash, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting)
    yield seen


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = tmp_path / "signin.db"
    db = storage.connect(path)
    storage.create_project(db, "Sign-in test")
    storage.add_user(db, "alice", "admin", hash_password(PASSWORD))
    storage.add_user(db, "imported", "annotator")  # no password (an imported account)
    db.close()
    return path


def _at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def _parallel_wrong_guesses(path: Path, addresses: list[str]) -> list[storage.SignInResult]:
    results: list[storage.SignInResult] = []
    start = threading.Barrier(len(addresses))

    def guess(address: str) -> None:
        db = storage.connect(path)
        try:
            start.wait()
            results.append(storage.sign_in(db, "alice", "wrong guess", address=address))
        finally:
            db.close()

    threads = [threading.Thread(target=guess, args=(a,)) for a in addresses]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_sixteen_parallel_guesses_from_one_address_make_only_the_free_checks(
    project: Path, checks: list[str]
) -> None:
    results = _parallel_wrong_guesses(project, ["203.0.113.7"] * 16)
    assert len(results) == 16 and not any(r.ok for r in results)
    assert len(checks) == passwords.ADDRESS_FREE_FAILURES  # 3, not 16
    refused = [r for r in results if r.message.startswith("too many failed sign-ins")]
    assert len(refused) == 16 - passwords.ADDRESS_FREE_FAILURES


@pytest.mark.slow
def test_sixteen_parallel_guesses_from_many_addresses_stop_at_the_account_limit(
    project: Path, checks: list[str]
) -> None:
    db = storage.connect(project)
    limit = passwords.ACCOUNT_FAILURES_PER_WINDOW
    for n in range(limit - 2):  # 18 failures from 18 addresses just before
        storage.sign_in(db, "alice", "wrong", address=f"198.51.100.{n}")
    db.close()
    checks.clear()
    results = _parallel_wrong_guesses(project, [f"192.0.2.{n}" for n in range(16)])
    assert len(checks) == 2  # the account allows two more in this window, however parallel
    assert sum(r.message.startswith("too many") for r in results) == 14


_GUESSER = textwrap.dedent(
    """
    import sys, argon2, storage
    count = 0
    original = argon2.PasswordHasher.verify
    def counting(self, hash, password):
        global count
        count += 1
        return original(self, hash, password)
    argon2.PasswordHasher.verify = counting
    db = storage.connect(sys.argv[1])
    print("ready", flush=True)
    sys.stdin.readline()
    result = storage.sign_in(db, "alice", "wrong guess", address="203.0.113.9")
    print(count, result.ok, flush=True)
    """
)


@pytest.mark.slow
def test_sixteen_processes_on_one_file_make_at_most_the_allowed_checks(project: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _GUESSER, str(project)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(16)
    ]
    for child in children:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    for child in children:  # release them together
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    outputs = [child.communicate(timeout=120)[0].split() for child in children]
    assert all(child.returncode == 0 for child in children)
    assert all(ok == "False" for _, ok in outputs)
    assert sum(int(count) for count, _ in outputs) == passwords.ADDRESS_FREE_FAILURES


@pytest.mark.slow
def test_unknown_names_cost_the_same_checks_and_get_the_same_answers(
    project: Path, checks: list[str]
) -> None:
    db = storage.connect(project)
    answers: dict[str, list[tuple[str, float]]] = {}
    for name in ("alice", "nobody", "imported"):  # known, unknown, known without password
        before = len(checks)
        answers[name] = []
        for _ in range(5):
            result = storage.sign_in(db, name, "wrong guess", now=_at(0))
            answers[name].append((result.message, result.wait_seconds))
        # one argon2 verification per attempt that was not throttled, none after
        assert len(checks) - before == passwords.ADDRESS_FREE_FAILURES
    assert answers["alice"] == answers["nobody"] == answers["imported"]
    assert answers["nobody"][0] == ("unknown user name or wrong password", 0.0)
    assert answers["nobody"][2][1] == 2.0  # the third failure imposes a wait, for anyone
    assert answers["nobody"][3][0].startswith("too many failed sign-ins")
    # The unknown name was checked against a real argon2 hash, not skipped.
    assert all(h.startswith("$argon2id$") for h in checks)
    db.close()


def test_deactivation_is_only_revealed_to_someone_who_knows_the_password(
    project: Path,
) -> None:
    db = storage.connect(project)
    storage.add_user(db, "bob", "annotator", hash_password(PASSWORD))
    storage.add_user(db, "carol", "annotator", hash_password(PASSWORD))
    storage.set_active(db, "bob", False)
    wrong = storage.sign_in(db, "bob", "wrong guess", address="192.0.2.1")
    assert wrong.message == storage.sign_in(db, "nobody", "x", address="192.0.2.2").message
    right = storage.sign_in(db, "bob", PASSWORD, address="192.0.2.3")
    assert not right.ok and right.message == "this account is deactivated"
    assert storage.sign_in(db, "carol", PASSWORD, address="192.0.2.4").ok
    db.close()


@pytest.mark.slow
def test_a_stranger_from_one_address_cannot_keep_an_account_locked(project: Path) -> None:
    """Two hours of guessing as fast as the throttle allows, from one address: the owner,
    from another address, is never refused, and the stranger waits at most 300 s."""
    db = storage.connect(project)
    minute, guesses, waits = 0.0, 0, []
    while minute < 120:
        result = storage.sign_in(db, "alice", f"guess {guesses}", address="203.0.113.66",
                                 now=_at(minute))  # fmt: skip
        if result.message.startswith("too many"):
            waits.append(result.wait_seconds)
            minute += result.wait_seconds / 60
        else:
            guesses += 1
            minute += 1 / 60
    assert max(waits) <= passwords.MAX_WAIT_SECONDS
    assert guesses < 50  # instead of one every second: 7,200
    owner = storage.sign_in(db, "alice", PASSWORD, address="192.0.2.10", now=_at(minute))
    assert owner.ok, owner.message
    db.close()


@pytest.mark.slow
def test_an_account_lockout_by_many_addresses_ends_on_its_own(project: Path) -> None:
    db = storage.connect(project)
    for n in range(passwords.ACCOUNT_FAILURES_PER_WINDOW):
        storage.sign_in(db, "alice", "wrong", address=f"198.51.100.{n}", now=_at(n / 60))
    locked = storage.sign_in(db, "alice", PASSWORD, address="192.0.2.10", now=_at(1))
    assert not locked.ok and locked.message.startswith("too many")
    assert locked.wait_seconds <= passwords.ACCOUNT_WINDOW_SECONDS
    # Knocking while locked does not extend the lock.
    for n in range(10):
        storage.sign_in(db, "alice", "wrong", address=f"192.0.2.{50 + n}", now=_at(2 + n))
    after = storage.sign_in(db, "alice", PASSWORD, address="192.0.2.10", now=_at(15))
    assert after.ok, after.message
    db.close()


@pytest.mark.slow
def test_a_new_password_clears_the_accounts_count(project: Path) -> None:
    db = storage.connect(project)
    for n in range(passwords.ACCOUNT_FAILURES_PER_WINDOW):
        storage.sign_in(db, "alice", "wrong", address=f"198.51.100.{n}", now=_at(n / 60))
    storage.set_password_hash(db, "alice", hash_password("a brand new secret"))
    result = storage.sign_in(db, "alice", "a brand new secret", address="192.0.2.1", now=_at(1))
    assert result.ok, result.message
    db.close()


@pytest.mark.slow
def test_right_passwords_from_one_office_address_never_throttle_anyone(project: Path) -> None:
    """A newsroom behind one address signs in all morning: successes do not count, so the
    next colleague's first attempt is not made to wait."""
    db = storage.connect(project)
    for name in ("bob", "carol", "dan", "erin"):
        storage.add_user(db, name, "annotator", hash_password(PASSWORD))
    office = "198.51.100.7"
    for minute, name in enumerate(["alice", "bob", "carol", "dan", "alice", "bob"]):
        result = storage.sign_in(db, name, PASSWORD, address=office, now=_at(minute / 10))
        assert result.ok, (name, result.message)
    erin = storage.sign_in(db, "erin", PASSWORD, address=office, now=_at(0.7))
    assert erin.ok, erin.message
    # Failures still count: three wrong guesses from the office start the wait.
    for i in range(3):
        storage.sign_in(db, "erin", f"typo {i}", address=office, now=_at(0.8))
    assert storage.sign_in(db, "erin", PASSWORD, address=office, now=_at(0.8)).wait_seconds > 0
    db.close()


def test_an_attempt_timed_before_a_later_record_is_not_made_to_wait() -> None:
    """Parallel attempts read the clock at different moments: a record a little newer than
    this attempt's clock must not invent a wait while failures are still free."""
    later = 1_000.5
    for failures in range(passwords.ADDRESS_FREE_FAILURES):
        assert passwords.address_wait(failures, later, now=1_000.0) == 0.0
    assert passwords.address_wait(passwords.ADDRESS_FREE_FAILURES, later, now=1_000.0) > 0.0
