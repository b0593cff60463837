"""The documentation that is generated from code stays true to it."""

from __future__ import annotations

from pathlib import Path

import annotate.exports.columns as columns

ROOT = Path(__file__).resolve().parent.parent


def test_formats_doc_lists_the_export_columns_as_the_code_defines_them() -> None:
    text = (ROOT / "docs" / "formats.md").read_text(encoding="utf-8")
    assert columns.columns_markdown(columns.LONG_COLUMNS) in text
    assert columns.columns_markdown(columns.wide_columns(["annotator_01"])) in text


def test_readme_names_every_cli_command() -> None:
    import cli.main  # noqa: F401
    from cli.common import app

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    names = [c.name or c.callback.__name__ for c in app.registered_commands]  # type: ignore[union-attr]
    names += [
        f"users {c.name}"
        for g in app.registered_groups
        for c in g.typer_instance.registered_commands
    ]  # type: ignore[union-attr]
    missing = [n for n in names if f"sourcedesk {n}" not in readme]
    assert not missing, f"README does not mention: {missing}"


def test_formats_doc_is_generated_from_the_column_spec() -> None:
    from annotate.exports.formats_doc import formats_markdown

    text = (ROOT / "docs" / "formats.md").read_text(encoding="utf-8")
    assert text == formats_markdown(), (
        "run: python -m annotate.exports.formats_doc > docs/formats.md"
    )
