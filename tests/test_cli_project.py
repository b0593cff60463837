"""`sourcedesk init` and `sourcedesk status`."""

from __future__ import annotations

import json
from pathlib import Path

from cli_helpers import SEED_1, SEED_2, assert_one_line_error, run

import storage


def test_init_with_sample_loads_both_articles_and_the_demo_labels(tmp_path: Path) -> None:
    path = tmp_path / "sample.db"
    result = run("init", "--db", path, "--k", "3", "--sample")
    assert result.exit_code == 0, result.output
    assert "sample project: 2 documents, 72 demo annotations, 1 fragment(s) merged" in result.output
    status = json.loads(run("status", "--db", path, "--json").output)
    # The stray "efforts." is merged into the statement before it: 32 statements, not 33.
    assert (status["documents"], status["statements"], status["annotations"]) == (2, 32, 72)
    assert status["annotators_per_statement"] == 3
    # Only 8 statements carry three demo labels, so a new annotator has work waiting.
    assert status["complete"] == 8
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


def test_the_environment_variable_names_the_database(cli_db: Path) -> None:
    result = run("status", "--json", env={storage.DB_ENV_VAR: str(cli_db)})
    assert result.exit_code == 0 and json.loads(result.output)["project"] == "CLI test"


def test_status_counts_only_live_documents_after_a_delete(cli_db: Path) -> None:
    """A deleted document's statements are neither to do nor complete (they once counted as
    complete, so status said 100% while the Annotate page had nothing left)."""
    assert run("import", SEED_1, SEED_2, "--db", cli_db).exit_code == 0
    db = storage.connect(cli_db)
    first, second = (d.document.id for d in storage.list_documents(db))
    live = len(storage.statements_of(db, second, only_statements=True))  # type: ignore[arg-type]
    storage.delete_document(db, first)  # type: ignore[arg-type]
    db.close()
    status = json.loads(run("status", "--json", "--db", cli_db).output)
    assert status["documents"] == 1
    assert status["statements"] == live == 22
    assert status["complete"] == 0
    assert "progress: 0% of statements" in run("status", "--db", cli_db).output


def test_init_with_an_admin_prints_a_password_that_signs_in(tmp_path: Path) -> None:
    path = tmp_path / "admin.db"
    result = run("init", "--db", path, "--sample", "--admin", "chief")
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("administrator"))
    password = line.rsplit(": ", 1)[1]
    assert len(password) >= 16
    db = storage.connect(path)
    outcome = storage.sign_in(db, "chief", password)
    assert outcome.ok and outcome.user is not None and outcome.user.role == "admin"


def test_a_taxonomy_whose_key_collides_with_the_scale_is_refused(tmp_path: Path) -> None:
    taxonomy = tmp_path / "taxonomy.toml"
    taxonomy.write_text(
        'name = "Clash"\nversion = "1"\n[[types]]\nkey = "named"\nname_en = "Named"\n'
        'name_fr = "Nommé"\ndefinition_en = "d"\ndefinition_fr = "d"\nshortcut = "q"\n'
        'color = "#112233"\n',
        encoding="utf-8",
    )
    path = tmp_path / "clash.db"
    result = run("init", "--db", path, "--taxonomy", taxonomy)
    err = assert_one_line_error(result, "key Q")
    assert "Named" in err
    assert not path.exists()  # nothing half-created
