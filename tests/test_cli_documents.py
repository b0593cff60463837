"""`sourcedesk import`."""

from __future__ import annotations

from pathlib import Path

from cli_helpers import (
    SEED_1,
    SEED_2,
    run,
)

import storage


def test_import_errors_name_the_file(cli_db: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"title,outlet\nx,y\n")
    result = run("import", str(bad), "--db", str(cli_db))
    assert result.exit_code == 1
    assert "bad.csv, field 'text': missing column 'text'" in result.stderr
    assert "Traceback" not in result.output
    missing = run("import", str(tmp_path / "missing.txt"), "--db", str(cli_db))
    assert missing.exit_code != 0 and "Traceback" not in missing.output


def test_import_reports_added_duplicates_and_errors(cli_db: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    first = run("import", "--db", cli_db, SEED_1, SEED_2)
    assert first.exit_code == 0, first.output
    assert "2 document(s) added (33 statements), 0 duplicate(s) skipped, 0 error(s)" in (
        first.output
    )
    second = run("import", "--db", cli_db, SEED_1, empty)
    assert second.exit_code == 1
    assert "0 document(s) added (0 statements), 1 duplicate(s) skipped, 1 error(s)" in (
        second.output
    )
    assert "skipped: 000_7ff1cdb65df24172.txt: same text as document 1" in second.output
    assert "error: empty.txt" in second.output
    assert storage.totals(storage.connect(cli_db))["documents"] == 2


def test_import_maps_csv_columns_and_names_a_missing_one(cli_db: Path, tmp_path: Path) -> None:
    table = tmp_path / "rows.csv"
    table.write_text(
        "article_id,body\nA1,Le ministre a déclaré que tout allait bien.\n"
        'A1,"Selon CNN, la livraison a eu lieu."\n',
        encoding="utf-8",
    )
    missing = run("import", "--db", cli_db, table)
    assert missing.exit_code == 1 and "rows.csv" in missing.output and "text" in missing.output
    assert storage.totals(storage.connect(cli_db))["documents"] == 0
    bad = run("import", "--db", cli_db, table, "--column", "body")
    assert bad.exit_code == 2 and "FIELD=COLUMN" in bad.output
    mapped = run(
        "import", "--db", cli_db, table, "--column", "text=body", "--column", "document=article_id"
    )
    assert mapped.exit_code == 0, mapped.output
    assert "1 document(s) added (2 statements)" in mapped.output
