"""`sourcedesk users ...`: local accounts, roles, e-mails for single sign-on."""

from __future__ import annotations

import os
from typing import Annotated

import typer

import storage
from annotate.accounts.passwords import hash_password
from annotate.core.errors import SourceDeskError
from annotate.core.models import ROLES, Role
from cli.common import DbOption, app, friendly_errors, open_db

users_app = typer.Typer(help="Manage local accounts and roles.", no_args_is_help=True)
app.add_typer(users_app, name="users")


PasswordOption = Annotated[
    str | None,
    typer.Option(help="Password (prompted if omitted; SOURCEDESK_PASSWORD also works)."),
]


def hashed_password(given: str | None) -> str:
    """The argon2 hash of the password given, else of $SOURCEDESK_PASSWORD, else prompted
    twice with hidden input."""
    secret = given or os.environ.get("SOURCEDESK_PASSWORD")
    if secret is None:
        secret = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    return hash_password(secret)


def checked_role(value: str, option: str) -> Role:
    if value not in ROLES:
        raise SourceDeskError(f"{option}: {value!r} is not a role ({', '.join(ROLES)})")
    return value


EmailOption = Annotated[
    str | None,
    typer.Option(
        help="E-mail address for single sign-on: the provider must vouch for it "
        "(email_verified) the first time; the account is then bound to that identity."
    ),
]


@users_app.command("add")
@friendly_errors
def users_add(
    name: str,
    role: Annotated[str, typer.Option(help=f"One of {', '.join(ROLES)}.")] = "annotator",
    password: PasswordOption = None,
    email: EmailOption = None,
    sso_only: Annotated[
        bool, typer.Option("--sso-only", help="No local password: single sign-on only.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Add an account (with a local password unless --sso-only)."""
    if sso_only and not email:
        raise SourceDeskError("--sso-only: an account without a password needs --email")
    database = open_db(db)
    password_hash = "" if sso_only else hashed_password(password)
    user = storage.add_user(database, name, checked_role(role, "--role"), password_hash)
    if email and user.id is not None:
        storage.sessions.set_user_email(database, user.id, email.strip())
    typer.echo(f"added {user.name} ({user.role})")


@users_app.command("set-email")
@friendly_errors
def users_set_email(name: str, email: str, db: DbOption = None) -> None:
    """Set the e-mail address single sign-on may bind to this account."""
    database = open_db(db)
    user = storage.get_user(database, name)
    if user.id is not None:
        storage.sessions.set_user_email(database, user.id, email.strip())
    typer.echo(f"e-mail of {user.name} set")


@users_app.command("bind-sso")
@friendly_errors
def users_bind_sso(
    name: str,
    issuer: Annotated[str, typer.Option(help="The provider's issuer (the `iss` claim).")],
    subject: Annotated[str, typer.Option(help="The person's subject (the `sub` claim).")],
    db: DbOption = None,
) -> None:
    """Bind a single sign-on identity (issuer + subject) to an account."""
    database = open_db(db)
    user = storage.get_user(database, name)
    if user.id is not None:
        storage.sessions.bind_sso(database, user.id, issuer, subject)
    typer.echo(f"{user.name} is bound to {subject} at {issuer}")


@users_app.command("set-password")
@friendly_errors
def users_set_password(
    name: str,
    password: PasswordOption = None,
    db: DbOption = None,
) -> None:
    """Set a user's password (for example after `sourcedesk load`, which restores none)."""
    database = open_db(db)
    storage.set_password_hash(database, name, hashed_password(password))
    typer.echo(f"password set for {name}")


@users_app.command("list")
@friendly_errors
def users_list(db: DbOption = None) -> None:
    """List accounts and roles."""
    database = open_db(db)
    for user in storage.list_users(database):
        state = "" if user.active else " (deactivated)"
        typer.echo(f"{user.name}\t{user.role}{state}")


@users_app.command("set-role")
@friendly_errors
def users_set_role(
    name: str,
    role: Annotated[str, typer.Argument(help=f"One of {', '.join(ROLES)}.")],
    db: DbOption = None,
) -> None:
    """Change a user's role."""
    database = open_db(db)
    user = storage.set_role(database, name, checked_role(role, "ROLE"))
    typer.echo(f"{user.name} is now {user.role}")
