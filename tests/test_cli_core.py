"""The core commands on real database files: init, import, users, status, suggest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli.main  # noqa: F401  (registers every command)
import storage
from cli.common import app

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
SEED_1 = SAMPLE / "000_7ff1cdb65df24172.txt"
SEED_2 = SAMPLE / "003_f122783fec769f10.txt"


def run(*args: str | Path, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, [str(a) for a in args], env=env)


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    path = tmp_path / "cli.db"
    assert run("init", "--db", path, "--name", "Desk").exit_code == 0
    return path


def test_init_with_sample_loads_both_articles_and_the_demo_labels(tmp_path: Path) -> None:
    path = tmp_path / "sample.db"
    result = run("init", "--db", path, "--k", "3", "--sample")
    assert result.exit_code == 0, result.output
    assert "sample project: 2 documents, 99 demo annotations" in result.output
    status = json.loads(run("status", "--db", path, "--json").output)
    assert (status["documents"], status["statements"], status["annotations"]) == (2, 33, 99)
    assert status["annotators_per_statement"] == 3
    # Every statement but the stray "efforts." has three labels.
    assert status["complete"] == 32
    assert [a["annotator"] for a in status["annotators"]] == [
        "annotator_a",
        "annotator_b",
        "annotator_c",
    ]


def test_init_reads_a_custom_taxonomy_and_refuses_a_second_project(tmp_path: Path) -> None:
    taxonomy = tmp_path / "desk.toml"
    taxonomy.write_text(
        'version = "3"\n[[types]]\nkey = "wire"\nname_en = "Wire"\n', encoding="utf-8"
    )
    path = tmp_path / "custom.db"
    assert run("init", "--db", path, "--taxonomy", taxonomy).exit_code == 0
    assert storage.get_taxonomy(storage.connect(path)).keys == ["wire"]
    again = run("init", "--db", path)
    assert again.exit_code == 1
    assert again.output.strip() == "error: this database already holds a project"


def test_a_bad_taxonomy_file_is_one_line_and_creates_nothing(tmp_path: Path) -> None:
    taxonomy = tmp_path / "bad.toml"
    taxonomy.write_text('[[types]]\nkey = "Bad Key"\nname_en = "x"\n', encoding="utf-8")
    path = tmp_path / "none.db"
    result = run("init", "--db", path, "--taxonomy", taxonomy)
    assert result.exit_code == 1
    assert result.output.startswith(f"error: {taxonomy}: field types.0.key")
    assert not storage.has_project(storage.connect(path))


def test_import_reports_added_duplicates_and_errors(db_file: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    first = run("import", "--db", db_file, SEED_1, SEED_2)
    assert first.exit_code == 0, first.output
    assert "2 document(s) added (33 statements), 0 duplicate(s) skipped, 0 error(s)" in (
        first.output
    )
    second = run("import", "--db", db_file, SEED_1, empty)
    assert second.exit_code == 1
    assert "0 document(s) added (0 statements), 1 duplicate(s) skipped, 1 error(s)" in (
        second.output
    )
    assert "skipped: 000_7ff1cdb65df24172.txt: same text as document 1" in second.output
    assert "error: empty.txt" in second.output
    assert storage.totals(storage.connect(db_file))["documents"] == 2


def test_the_environment_variable_names_the_database(db_file: Path) -> None:
    result = run("status", "--json", env={storage.DB_ENV_VAR: str(db_file)})
    assert result.exit_code == 0 and json.loads(result.output)["project"] == "Desk"


def test_users_add_list_and_set_role(db_file: Path) -> None:
    env = {"SOURCEDESK_PASSWORD": "long enough secret"}
    assert run("users", "add", "ines", "--role", "editor", "--db", db_file, env=env).exit_code == 0
    assert run("users", "add", "jo", "--db", db_file, env=env).exit_code == 0
    listed = run("users", "list", "--db", db_file).output.splitlines()
    assert listed == ["ines\teditor", "jo\tannotator"]
    changed = run("users", "set-role", "jo", "admin", "--db", db_file)
    assert changed.output.strip() == "jo is now admin"
    assert storage.get_user(storage.connect(db_file), "jo").role == "admin"


def test_suggest_json_gives_type_score_and_exact_cue_spans() -> None:
    result = run("suggest", "--json", SEED_1)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert len(rows) == 11
    first = rows[0]
    assert set(first) >= {"text", "language", "suggested_type", "score", "cues"}
    assert (first["language"], first["suggested_type"]) == ("fr", "declassified_intel")
    for cue in first["cues"]:
        assert first["text"][cue["start"] : cue["end"]] == cue["text"]
    kinds = {cue["kind"] for cue in first["cues"]}
    assert {"reporting_verb", "anonymity", "intelligence"} <= kinds
    assert rows[4]["suggested_type"] == "no_comment"  # "CNN a contacté ... commentaires"


def test_import_maps_csv_columns_and_names_a_missing_one(db_file: Path, tmp_path: Path) -> None:
    table = tmp_path / "rows.csv"
    table.write_text(
        "article_id,body\nA1,Le ministre a déclaré que tout allait bien.\n"
        'A1,"Selon CNN, la livraison a eu lieu."\n',
        encoding="utf-8",
    )
    missing = run("import", "--db", db_file, table)
    assert missing.exit_code == 1 and "rows.csv" in missing.output and "text" in missing.output
    assert storage.totals(storage.connect(db_file))["documents"] == 0
    bad = run("import", "--db", db_file, table, "--column", "body")
    assert bad.exit_code == 2 and "FIELD=COLUMN" in bad.output
    mapped = run(
        "import", "--db", db_file, table, "--column", "text=body", "--column", "document=article_id"
    )
    assert mapped.exit_code == 0, mapped.output
    assert "1 document(s) added (2 statements)" in mapped.output


def test_set_password_lets_a_restored_user_sign_in(db_file: Path) -> None:
    database = storage.connect(db_file)
    storage.add_user(database, "restored", "annotator")  # as after `sourcedesk load`
    assert not storage.sign_in(database, "restored", "new secret 123").ok
    result = run("users", "set-password", "restored", "--db", db_file,
                 env={"SOURCEDESK_PASSWORD": "new secret 123"})  # fmt: skip
    assert result.exit_code == 0 and "new secret 123" not in result.output
    assert storage.sign_in(storage.connect(db_file), "restored", "new secret 123").ok
    missing = run("users", "set-password", "nobody", "--db", db_file,
                  env={"SOURCEDESK_PASSWORD": "new secret 123"})  # fmt: skip
    assert missing.exit_code == 1 and missing.output.strip() == "error: no user named 'nobody'"
