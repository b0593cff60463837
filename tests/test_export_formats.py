"""What the export files hold for the tools that read them: Hugging Face cards, W3C Web
Annotations, the long and wide shapes' statement columns, spreadsheet cells, and the CLI's
choices (format from the extension, pseudonyms by default, no stray databases)."""

from __future__ import annotations

import json
import re

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from builders import label
from cli_helpers import assert_one_line_error, run
from test_export_data import document, populate

import storage
from annotate.documents import parse_file
from annotate.exports import ExportError, ExportOptions, spreadsheet_text, spreadsheet_text_array
from annotate.exports.card import DatasetCard, card_state, card_yaml
from annotate.exports.options import format_for_path
from workflows.export import export_dataset, export_to


@pytest.fixture
def data(project_db, users):
    return populate(project_db, users)


def yaml_header(markdown: str) -> list[str]:
    lines = markdown.splitlines()
    assert lines[0] == "---"
    end = lines.index("---", 1)
    return lines[1:end]


def test_card_starts_with_a_hugging_face_yaml_header(project_db, data, tmp_path) -> None:
    options = ExportOptions(format="parquet", license="cc-by-4.0")
    result = export_dataset(project_db, options, tmp_path, n_boot=20)
    header = yaml_header(result.card_md.read_text())
    assert header[:2] == ["language:", '- "fr"']
    assert 'license: "cc-by-4.0"' in header
    assert header[header.index("task_categories:") + 1] == "- text-classification"
    assert header[header.index("size_categories:") + 1] == "- n<1K"
    assert f'    path: "{result.path.name}"' in header
    assert result.path.parent == tmp_path and result.path.name == "test-project-long.parquet"
    # Into a folder: the card is the folder's README.md, where Hugging Face reads it from.
    assert result.card_md == tmp_path / "README.md"
    assert result.files == [result.path, result.card_md, result.card_json]
    # Then the sections of the Hub's dataset card template that an export fills, in order.
    headings = [line for line in result.card_md.read_text().splitlines() if line.startswith("#")]
    template = ["# Dataset Card for Test project", "## Dataset Details",
                "### Dataset Description", "## Uses", "### Direct Use", "### Out-of-Scope Use",
                "## Dataset Structure", "## Dataset Creation", "### Source Data",
                "#### Data Collection and Processing", "#### Who are the source data producers?",
                "### Annotations", "#### Annotation process", "#### Who are the annotators?",
                "#### Personal and Sensitive Information",
                "## Bias, Risks, and Limitations"]  # fmt: skip
    assert [h for h in headings if h in template] == template
    # The columns' types, as `datasets` features: the Hub reads them instead of guessing.
    features = header[header.index("dataset_info:") + 2 :]
    typed = dict(zip(features[::2], features[1::2], strict=True))
    assert typed['  - name: "statement_id"'] == "    dtype: int64"
    assert typed['  - name: "published"'] == "    dtype: date32"
    assert typed['  - name: "labelled_at"'] == "    dtype: timestamp[ms, tz=UTC]"
    assert typed['  - name: "also_cites"'] == "    list: string"
    assert typed['  - name: "taxonomy_version"'] == "    dtype: string"
    assert len(typed) == len(pq.read_schema(result.path))
    csv_card = card_yaml(
        DatasetCard.model_validate_json(result.card_json.read_text()).model_copy(
            update={"format": "csv"}
        )
    )
    assert '  - name: "also_cites"\n    dtype: string' in csv_card  # JSON text in a cell
    # Languages as the Hub lists them: ISO 639 codes, once each, without "und".
    card = DatasetCard.model_validate_json(result.card_json.read_text())
    # Free text from an imported file's metadata is no code, and stays out.
    languages = ["fr-CA", "en-gb", "fr", "und", "pt_BR", "Français\x85: evil", "deu"]
    tagged = card.model_copy(update={"languages": languages})
    header = yaml_header(card_yaml(tagged))
    assert header[: header.index("license: \"cc-by-4.0\"")] == [
        "language:", '- "fr"', '- "en"', '- "pt"', '- "deu"']  # fmt: skip
    # Text is quoted so that a YAML reader gives it back as it is: the characters YAML 1.1
    # reads as line breaks (NEL, U+2028) or refuses (C1 controls, DEL) are escaped.
    named = card.model_copy(update={"project": "Projet\x85 \u2028 é\x7f 😀\ufeff\uffff"})
    assert 'pretty_name: "Projet\\u0085 \\u2028 é\\u007f 😀\\ufeff\\uffff"' in card_yaml(named)
    # Beside a named file, the card is named after it.
    named = export_to(project_db, tmp_path / "named.csv", agreement=False)
    assert (named.card_md.name, named.card_json.name) == ("named.card.md", "named.card.json")


def test_an_export_folder_is_a_dataset_and_its_own_readme_is_kept(
    project_db, data, db_path, tmp_path
) -> None:
    folder = tmp_path / "dataset"
    result = run("export", "--db", db_path, "--out", f"{folder}/", "--format", "jsonl",
                 "--no-agreement")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir()) == [
        "README.md", "test-project-long.card.json", "test-project-long.jsonl"]  # fmt: skip
    header = yaml_header((folder / "README.md").read_text(encoding="utf-8"))
    assert '    path: "test-project-long.jsonl"' in header
    # The next export into the folder replaces the card it wrote.
    again = run("export", "--db", db_path, "--out", folder, "--format", "parquet",
                "--no-agreement")  # fmt: skip
    assert again.exit_code == 0, again.output
    header = yaml_header((folder / "README.md").read_text(encoding="utf-8"))
    assert '    path: "test-project-long.parquet"' in header
    # A README.md the export did not write stays, and nothing is written beside it.
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "README.md").write_text("# Our dataset\n", encoding="utf-8")
    refused = run("export", "--db", db_path, "--out", mine, "--no-agreement")
    assert_one_line_error(refused, "README.md is not a dataset card an export wrote")
    assert [p.name for p in mine.iterdir()] == ["README.md"]
    assert (mine / "README.md").read_text(encoding="utf-8") == "# Our dataset\n"


def test_web_annotations_anchor_each_label_in_its_article(project_db, data, tmp_path) -> None:
    # bob's edited label was first saved the day before
    project_db.execute(
        "UPDATE annotations SET created_at = '2024-03-04T09:00:00+00:00' WHERE revision = 2"
    )
    project_db.conn.commit()
    result = export_to(project_db, tmp_path / "labels.jsonld")
    assert result.format == "webannotation"
    collection = json.loads(result.path.read_text())
    assert collection["type"] == "AnnotationCollection"
    assert collection["first"]["type"] == "AnnotationPage"
    # The model's MUSTs: the collection and its page have IRIs, times are UTC with Z.
    assert collection["id"].startswith("urn:uuid:")
    assert collection["first"]["id"].startswith("urn:uuid:")
    assert collection["id"] != collection["first"]["id"]
    items = collection["first"]["items"]
    stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"
    assert all(re.fullmatch(stamp, i["created"]) and re.fullmatch(stamp, i["modified"])
               for i in items)  # fmt: skip
    # Created when first saved, modified when last revised.
    assert [i["created"] for i in items if i["created"] != i["modified"]] == [
        "2024-03-04T09:00:00Z"
    ]
    # Label Studio's annotations too.
    tasks = json.loads(export_to(project_db, tmp_path / "ls.json", ExportOptions(
        format="labelstudio")).path.read_text())  # fmt: skip
    created = [a["created_at"] for t in tasks for a in t["annotations"]
               if a["created_at"] != a["updated_at"]]  # fmt: skip
    assert created == ["2024-03-04T09:00:00+00:00"]
    assert all(set(i["target"]) == {"source", "selector"} for i in items)
    assert len(items) == collection["total"] == result.rows == 9
    texts = {d.document.id: storage.get_document(project_db, d.document.id).text
             for d in storage.list_documents(project_db)}  # fmt: skip
    by_url = {storage.get_document(project_db, i).url: t for i, t in texts.items()}
    for item in items:
        assert item["@context"] == "http://www.w3.org/ns/anno.jsonld"
        assert item["type"] == "Annotation" and item["motivation"] == "classifying"
        quote, position = item["target"]["selector"]
        assert quote["type"] == "TextQuoteSelector"
        assert position["type"] == "TextPositionSelector"
        text = by_url[item["target"]["source"]]
        assert text[position["start"] : position["end"]] == quote["exact"]
        assert text[: position["start"]].endswith(quote["prefix"])
        assert text[position["end"] :].startswith(quote["suffix"])
        assert item["creator"]["nickname"].startswith("annotator_")
    first = items[0]
    assert {"type": "TextualBody", "purpose": "classifying", "value": "named_official"} in first[
        "body"
    ]


def test_long_export_carries_final_label_and_agreement(project_db, data, tmp_path) -> None:
    path = export_to(
        project_db, tmp_path / "l.parquet", ExportOptions(format="parquet"), agreement=False
    ).path
    rows = pq.read_table(path).to_pylist()
    adjudicated = {r["statement_id"]: r["adjudicated_source_type"] for r in rows}
    final = project_db.execute(
        "SELECT statement_id, source_type FROM adjudications WHERE deleted = 0"
    ).fetchall()
    assert final and all(adjudicated[sid] == st for sid, st in final)
    assert sum(v is not None for v in adjudicated.values()) == len(final)
    agreement = {r["statement_id"]: r["statement_agreement"] for r in rows}
    first = rows[0]["statement_id"]  # named_official, named_official, official_statement
    assert agreement[first] == pytest.approx(2 / 3)
    assert pq.read_schema(path).field("statement_agreement").type == pa.float64()


def test_wide_export_tells_skipped_from_not_labelled(project_db, users, tmp_path) -> None:
    doc = storage.add_document(project_db, document(["Une phrase.", "Une autre."], title="t"))
    first, second = (s.id for s in storage.statements_of(project_db, doc.document_id))
    storage.save_annotation(project_db, label(first, users["alice"], "expert", 2))
    storage.save_annotation(project_db, label(first, users["bob"], None, None, skipped=True))
    storage.save_annotation(project_db, label(second, users["alice"], "expert", 2))
    options = ExportOptions(format="parquet", shape="wide", pseudonymise=False)
    rows = pq.read_table(export_to(project_db, tmp_path / "w.parquet", options).path).to_pylist()
    assert [r["bob__skipped"] for r in rows] == [True, None]
    assert [r["alice__skipped"] for r in rows] == [False, False]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PARIS, March 4, 2025 — The minister said the deal was signed.", "2025-03-04"),
        ("Paris, le 4 mars 2025\n\nLe ministre a déclaré que l'accord était signé.", "2025-03-04"),
        ("Lyon, 1er février 2024 – Le porte-parole a démenti.", "2024-02-01"),
    ],
)
def test_dateline_fills_the_publication_date(text, expected) -> None:
    (doc,) = parse_file("article.txt", text.encode())
    assert doc.published is not None and doc.published.isoformat() == expected
    assert doc.published_precision == "day"


def test_date_in_the_body_is_not_a_dateline() -> None:
    text = "Le ministre a parlé longtemps, très longtemps, de l'accord signé le 4 mars 2025."
    (doc,) = parse_file("article.txt", text.encode())
    assert doc.published is None


def test_control_character_cannot_hide_a_formula(project_db, users, tmp_path) -> None:
    attack = '\x01=HYPERLINK("http://evil.example/","x")'
    assert spreadsheet_text(attack) == "'" + attack[1:]
    assert spreadsheet_text_array(pa.array([attack, "ok", None])).to_pylist() == [
        "'" + attack[1:],
        "ok",
        None,
    ]
    doc = storage.add_document(project_db, document(["Une phrase."], title="t"))
    sid = storage.statements_of(project_db, doc.document_id)[0].id
    storage.save_annotation(project_db, label(sid, users["alice"], "expert", 2, note=attack))
    path = export_to(project_db, tmp_path / "l.xlsx", agreement=False).path
    sheet = openpyxl.load_workbook(path).active
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("note") + 1)
    assert cell.value == "'" + attack[1:] and cell.data_type == "s"
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_format_follows_the_extension() -> None:
    assert format_for_path("labels.parquet", None) == "parquet"
    assert format_for_path("labels.json", None) == "labelstudio"
    assert format_for_path("labels.jsonld", None) == "webannotation"
    assert format_for_path("labels.jsonl", "doccano") == "doccano"
    with pytest.raises(ValueError, match=r"does not match the file extension '\.parquet'"):
        format_for_path("labels.parquet", "csv")


def test_cli_export_format_pseudonyms_and_clash(project_db, data, db_path, tmp_path) -> None:
    out = tmp_path / "labels.parquet"
    result = run("export", "--db", db_path, "--out", out, "--no-agreement")
    assert result.exit_code == 0, result.output
    table = pq.read_table(out)  # Parquet, not CSV text under a .parquet name
    assert set(table.column("annotator").to_pylist()) == {
        "annotator_01",
        "annotator_02",
        "annotator_03",
    }
    real = run("export", "--db", db_path, "--out", tmp_path / "r.csv", "--real-names",
               "--no-agreement")  # fmt: skip
    assert real.exit_code == 0, real.output
    assert "alice" in (tmp_path / "r.csv").read_text(encoding="utf-8-sig")
    clash = run("export", "--db", db_path, "--out", tmp_path / "x.parquet", "--format", "csv")
    assert clash.exit_code != 0
    assert "does not match the file extension" in clash.output
    assert not (tmp_path / "x.parquet").exists()


def test_reading_commands_never_create_a_database(tmp_path) -> None:
    missing = tmp_path / "none.db"
    for args in (
        ["status"],
        ["export", "--out", tmp_path / "x.csv"],
        ["agreement"],
        ["dump", tmp_path / "d.jsonl"],
    ):
        result = run(*args, "--db", missing)
        assert_one_line_error(result, "no such database")
        assert not missing.exists(), args
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_status_counts_are_integers(project_db, data, users, db_path) -> None:
    result = run("status", "--db", db_path)
    assert result.exit_code == 0, result.output
    assert ".0" not in result.output


def test_arrow_labels_frame_equals_the_row_by_row_read(project_db, data) -> None:
    """The frame attaches names and document metadata in Arrow; the reference is one
    SQL join read row by row."""
    import pandas as pd

    from annotate.agreement.report import LABEL_COLUMNS

    reference_sql = """
        SELECT a.statement_id, u.name AS annotator, a.source_type, a.confidence,
               a.suggestion_shown, s.document_id, d.outlet, d.published
        FROM annotations a JOIN users u ON u.id = a.annotator_id
        JOIN statements s ON s.id = a.statement_id JOIN documents d ON d.id = s.document_id
        WHERE a.deleted = 0 AND a.skipped = 0 AND d.deleted = 0 AND s.kind = 'statement'
        ORDER BY a.statement_id, a.annotator_id"""

    def reference() -> pd.DataFrame:
        rows = pd.read_sql_query(reference_sql, project_db.conn)
        rows["suggestion_shown"] = rows["suggestion_shown"].astype(bool)
        rows["confidence"] = rows["confidence"].astype("Int64")
        rows["published"] = pd.to_datetime(rows["published"]).dt.date
        for column in ("annotator", "source_type", "outlet"):
            rows[column] = rows[column].astype("str")
        return rows[list(LABEL_COLUMNS)]

    arrow = storage.labels_frame(project_db)
    pd.testing.assert_frame_equal(arrow, reference())
    assert len(arrow) == 9
    # Inside a transaction the frame is read on the same connection, the same way.
    with storage.write(project_db):
        project_db.execute(
            "UPDATE documents SET deleted = 1 WHERE id = (SELECT min(id) FROM documents)"
        )
        inside = storage.labels_frame(project_db)
        pd.testing.assert_frame_equal(inside, reference())
        assert len(inside) < 9


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("-0.34", "-0.34"),  # a change in alpha: a number, not a formula
        ("+12", "+12"),
        ("-5%", "-5%"),
        ("1e-3", "1e-3"),
        ("-0.34\n=cmd|' /C calc'!A0", "'-0.34\n=cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
        ('\x01=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
    ],
)
def test_numbers_keep_their_sign_and_formulas_do_not_run(cell: str, written: str) -> None:
    import pyarrow as pa

    from annotate.exports.sanitize import spreadsheet_text, spreadsheet_text_array

    assert spreadsheet_text(cell) == written
    assert spreadsheet_text_array(pa.array([cell, "plain"])).to_pylist() == [written, "plain"]


def test_the_card_license_is_one_the_hub_lists(project_db, data, db_path, tmp_path) -> None:
    out = tmp_path / "l.csv"
    refused = run("export", "--db", db_path, "--out", out, "--license", "MIT License")
    assert_one_line_error(refused, "'MIT License' is not a Hugging Face license identifier")
    assert not out.exists()
    written = run("export", "--db", db_path, "--out", out, "--license", " CC-BY-4.0 ",
                  "--no-agreement")  # fmt: skip
    assert written.exit_code == 0, written.output
    header = yaml_header((tmp_path / "l.card.md").read_text(encoding="utf-8"))
    assert 'license: "cc-by-4.0"' in header


def test_a_card_edited_since_the_export_wrote_it_is_kept(project_db, data, tmp_path) -> None:
    """Hub users add a citation or a description to the card: the next export into the
    folder leaves such a card alone, and replaces one left as it was written."""
    options = ExportOptions(format="csv")
    card = export_dataset(project_db, options, tmp_path, n_boot=20).card_md
    written = card.read_text(encoding="utf-8")
    assert card_state(written) == "written"
    assert card_state(written.replace("\n", "\n\n", 1)) == "edited"
    assert card_state("# Our dataset\n") == "foreign"
    export_dataset(project_db, options, tmp_path, n_boot=20)  # replaced as it was
    card.write_text(written + "\n## Citation\n\nOur newsroom, 2025.\n", encoding="utf-8")
    with pytest.raises(ExportError, match=r"README\.md was edited since an export wrote it"):
        export_dataset(project_db, options, tmp_path, n_boot=20)
    assert card.read_text(encoding="utf-8").endswith("Our newsroom, 2025.\n")
    # A carriage return (in a project's name) is part of the card as it was written.
    storage.update_settings(project_db, name="Projet\rX")
    elsewhere = tmp_path / "elsewhere"
    export_dataset(project_db, options, elsewhere, n_boot=20)
    assert "Projet\rX" in (elsewhere / "README.md").read_bytes().decode()
    export_dataset(project_db, options, elsewhere, n_boot=20)
