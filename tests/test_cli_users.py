"""`sourcedesk users ...`: accounts, roles, passwords."""

from __future__ import annotations

from pathlib import Path

from cli_helpers import (
    PASSWORD,
    assert_one_line_error,
    run,
)

import storage


def test_unknown_user_and_wrong_role_are_one_line(cli_db: Path) -> None:
    db = str(cli_db)
    assert_one_line_error(run("users", "set-role", "nobody", "editor", "--db", db), "'nobody'")
    assert run("users", "add", "alice", "--password", PASSWORD, "--db", db).exit_code == 0
    assert_one_line_error(run("users", "set-role", "alice", "wizard", "--db", db), "role")
    err = assert_one_line_error(
        run("users", "add", "bob", "--role", "wizard", "--password", PASSWORD, "--db", db), "role"
    )
    assert PASSWORD not in err
    assert_one_line_error(
        run("users", "add", "alice", "--password", PASSWORD, "--db", db), "already exists"
    )
    assert_one_line_error(
        run("users", "add", "bad<name>", "--password", PASSWORD, "--db", db), "name"
    )
    listed = run("users", "list", "--db", db)
    assert listed.stdout.splitlines() == ["alice\tannotator"]


def test_removing_the_last_admin_is_refused(cli_db: Path) -> None:
    db = str(cli_db)
    added = run("users", "add", "root", "--role", "admin", "--password", PASSWORD, "--db", db)
    assert added.exit_code == 0, added.output
    assert_one_line_error(run("users", "set-role", "root", "editor", "--db", db), "last admin")


def _hash_of(db_path: Path, name: str) -> str:
    db = storage.connect(db_path)
    try:
        return storage.get_user(db, name).password_hash
    finally:
        db.close()


def test_passwords_are_stored_as_argon2id_hashes_and_never_echoed(cli_db: Path) -> None:
    db = str(cli_db)
    given = run("users", "add", "alice", "--password", PASSWORD, "--db", db)
    prompted = run("users", "add", "bob", "--db", db, input=f"{PASSWORD}\n{PASSWORD}\n")
    from_env = run("users", "add", "carol", "--db", db, env={"SOURCEDESK_PASSWORD": PASSWORD})
    for result, name in ((given, "alice"), (prompted, "bob"), (from_env, "carol")):
        assert result.exit_code == 0, result.output
        assert PASSWORD not in result.output and PASSWORD not in result.stderr
        assert f"added {name} (annotator)" in result.stdout
        stored = _hash_of(cli_db, name)
        assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert len({_hash_of(cli_db, n) for n in ("alice", "bob", "carol")}) == 3  # salted
    database = storage.connect(cli_db)
    assert storage.sign_in(database, "bob", PASSWORD).ok
    assert not storage.sign_in(database, "bob", PASSWORD + "!").ok
    raw = cli_db.read_bytes() + Path(f"{cli_db}-wal").read_bytes()
    assert PASSWORD.encode() not in raw
    database.close()


def test_a_short_password_is_refused_and_creates_no_user(cli_db: Path) -> None:
    result = run("users", "add", "dave", "--password", "short", "--db", str(cli_db))
    err = assert_one_line_error(result, "at least 8 characters")
    assert "short" not in err.replace("at least", "")
    assert run("users", "list", "--db", str(cli_db)).stdout.strip() == ""


def test_mismatched_prompted_passwords_are_asked_again(cli_db: Path) -> None:
    result = run(
        "users", "add", "erin", "--db", str(cli_db),
        input=f"{PASSWORD}\nsomething else\n{PASSWORD}\n{PASSWORD}\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert _hash_of(cli_db, "erin").startswith("$argon2id$")


def test_users_add_list_and_set_role(cli_db: Path) -> None:
    env = {"SOURCEDESK_PASSWORD": "long enough secret"}
    assert run("users", "add", "ines", "--role", "editor", "--db", cli_db, env=env).exit_code == 0
    assert run("users", "add", "jo", "--db", cli_db, env=env).exit_code == 0
    listed = run("users", "list", "--db", cli_db).output.splitlines()
    assert listed == ["ines\teditor", "jo\tannotator"]
    changed = run("users", "set-role", "jo", "admin", "--db", cli_db)
    assert changed.output.strip() == "jo is now admin"
    assert storage.get_user(storage.connect(cli_db), "jo").role == "admin"


def test_set_password_lets_a_restored_user_sign_in(cli_db: Path) -> None:
    database = storage.connect(cli_db)
    storage.add_user(database, "restored", "annotator")  # as after `sourcedesk load`
    assert not storage.sign_in(database, "restored", "new secret 123").ok
    result = run("users", "set-password", "restored", "--db", cli_db,
                 env={"SOURCEDESK_PASSWORD": "new secret 123"})  # fmt: skip
    assert result.exit_code == 0 and "new secret 123" not in result.output
    assert storage.sign_in(storage.connect(cli_db), "restored", "new secret 123").ok
    missing = run("users", "set-password", "nobody", "--db", cli_db,
                  env={"SOURCEDESK_PASSWORD": "new secret 123"})  # fmt: skip
    assert missing.exit_code == 1 and missing.output.strip() == "error: no user named 'nobody'"


def test_sso_accounts_take_an_email_and_a_binding(cli_db: Path) -> None:
    db = str(cli_db)
    added = run("users", "add", "ines", "--email", "ines@desk.example", "--sso-only", "--db", db)
    assert added.exit_code == 0, added.output
    assert_one_line_error(run("users", "add", "jo", "--sso-only", "--db", db), "--email")
    bound = run(
        "users", "bind-sso", "ines", "--issuer", "https://idp", "--subject", "s1", "--db", db
    )
    assert bound.exit_code == 0, bound.output
    database = storage.connect(cli_db)
    ines = storage.get_user(database, "ines")
    assert ines.password_hash == ""  # no local password: the sign-in form cannot reach it
    assert storage.sessions.user_email(database, ines.id) == "ines@desk.example"  # type: ignore[arg-type]
    assert storage.sessions.user_id_by_sso(database, "https://idp", "s1") == ines.id
    assert_one_line_error(run("users", "set-role", "ines", "boss", "--db", db), "boss")
