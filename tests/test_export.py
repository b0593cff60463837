"""Exports read back with pandas, pyarrow and openpyxl and compared with the database."""

from __future__ import annotations

import csv
import json
import re
import tempfile
from pathlib import Path

import krippendorff
import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_export_data import ATTACKS, populate
from typer.testing import CliRunner

import storage
from annotate.exports import ExportFilters, ExportOptions, neutralise
from annotate.exports import options as options_module
from storage.exports import iter_long_chunks
from workflows.export import export_to as export_dataset


@pytest.fixture
def data(project_db, users):
    return populate(project_db, users)


def current_labels(db) -> dict[tuple[int, str], tuple]:
    """The oracle: every current label through the storage API."""
    out = {}
    for (sid,) in db.execute("SELECT id FROM statements").fetchall():
        rows = db.execute(
            "SELECT u.name FROM annotations a JOIN users u ON u.id = a.annotator_id "
            "WHERE a.statement_id = ? AND a.deleted = 0",
            [sid],
        ).fetchall()
        for (name,) in rows:
            a = storage.current_annotation(db, sid, storage.get_user(db, name).id)
            out[(sid, name)] = (a.source_type, a.confidence, a.also_cites, a.note, a.skipped)
    return out


def unneutralise(value: str) -> str:
    return (
        value[1:]
        if value.startswith("'") and value[1:].startswith(("=", "+", "-", "@", "\t", "\r"))
        else value
    )


def read_long(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pq.read_table(path).to_pandas()
    if path.suffix == ".jsonl":
        return pd.read_json(path, lines=True, dtype=False)
    if path.suffix == ".csv":
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    else:
        frame = pd.read_excel(path, dtype=str, keep_default_na=False)
    frame = frame.map(unneutralise)
    frame["statement_id"] = frame["statement_id"].astype(int)
    frame["confidence"] = [int(c) if c else None for c in frame["confidence"]]
    frame["also_cites"] = [json.loads(c) for c in frame["also_cites"]]
    frame["skipped"] = frame["skipped"].str.lower() == "true"
    frame["source_type"] = frame["source_type"].replace("", None)
    return frame


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "jsonl", "parquet"])
def test_long_export_holds_every_current_label(project_db, data, tmp_path, fmt) -> None:
    result = export_dataset(
        project_db,
        tmp_path / f"labels.{fmt}",
        ExportOptions(pseudonymise=False, format=fmt),
        n_boot=20,
    )
    frame = read_long(result.path)
    got = {
        (r.statement_id, r.annotator): (
            r.source_type if isinstance(r.source_type, str) else None,
            None if pd.isna(r.confidence) else int(r.confidence),
            list(r.also_cites),
            r.note,
            bool(r.skipped),
        )
        for r in frame.itertuples()
    }
    assert got == current_labels(project_db)
    assert result.rows == len(frame) == 10  # 11 labels (one edited twice), one deleted


def test_parquet_keeps_types(project_db, data, tmp_path) -> None:
    path = export_dataset(
        project_db,
        tmp_path / "l.parquet",
        ExportOptions(pseudonymise=False, format="parquet"),
        agreement=False,
    ).path
    schema = pq.read_schema(path)
    assert schema.field("published").type == pa.date32()
    assert schema.field("confidence").type == pa.int64()
    assert schema.field("also_cites").type == pa.list_(pa.string())
    assert schema.field("skipped").type == pa.bool_()
    assert schema.field("labelled_at").type == pa.timestamp("ms", tz="UTC")
    table = pq.read_table(path).to_pandas()
    alice = table[(table.annotator == "alice") & (table.statement_id == data["a"][2])].iloc[0]
    assert pd.isna(alice.confidence) and alice.unsure
    assert str(table[table.title == "alpha"].published.iloc[0]) == "2024-03-05"
    assert table[table.title == "beta"].published.isna().all()


@pytest.mark.parametrize("fmt", ["csv", "parquet", "jsonl", "xlsx"])
def test_wide_export_one_row_per_statement(project_db, data, tmp_path, fmt) -> None:
    path = export_dataset(
        project_db,
        tmp_path / f"w.{fmt}",
        ExportOptions(pseudonymise=False, format=fmt, shape="wide"),
        agreement=False,
    ).path
    if fmt == "parquet":
        frame = pq.read_table(path).to_pandas()
    elif fmt == "jsonl":
        frame = pd.read_json(path, lines=True, dtype=False)
    else:
        reader = pd.read_csv if fmt == "csv" else pd.read_excel
        frame = reader(path, dtype=str, keep_default_na=False).replace("", None)
        frame["statement_id"] = frame["statement_id"].astype(int)
    frame = frame.set_index("statement_id")
    a, b = data["a"], data["b"]
    assert list(frame.index) == [*a, *b]
    assert frame.loc[a[0], "alice__source_type"] == "named_official"
    assert frame.loc[a[0], "carol__source_type"] == "official_statement"
    assert frame.loc[a[0], "aggregated_source_type"] == "named_official"
    assert frame.loc[a[0], "aggregated_method"] == "majority"
    assert float(frame.loc[a[0], "aggregated_agreement"]) == pytest.approx(2 / 3)
    assert int(frame.loc[a[0], "aggregated_confidence"]) == 4  # lower median of 3, 4, 5
    assert frame.loc[a[1], "aggregated_method"] == "adjudicated"
    assert frame.loc[a[1], "adjudicated_by"] == "eve"
    assert int(frame.loc[a[1], "adjudicated_confidence"]) == 3
    assert frame.loc[a[1], "bob__source_type"] == "anonymous_official"  # the edit counts
    assert int(frame.loc[b[0], "n_annotators"]) == 2
    assert int(frame.loc[b[1], "n_annotators"]) == 0  # bob skipped, carol's label deleted
    if fmt == "parquet":
        assert frame.loc[a[0], "alice__also_cites"].tolist() == ["document", "expert"]
        assert frame["n_annotators"].dtype == np.int64


def test_tie_is_reported_not_broken(project_db, users, tmp_path) -> None:
    from builders import label
    from test_export_data import document

    doc = storage.add_document(project_db, document(["Une phrase."], title="t")).document_id
    sid = storage.statements_of(project_db, doc)[0].id
    storage.save_annotation(project_db, label(sid, users["alice"], "expert", 2))
    storage.save_annotation(project_db, label(sid, users["bob"], "document", 4))
    path = export_dataset(
        project_db,
        tmp_path / "w.parquet",
        ExportOptions(pseudonymise=False, format="parquet", shape="wide"),
        agreement=False,
    ).path
    row = pq.read_table(path).to_pylist()[0]
    assert row["aggregated_method"] == "tie"
    assert row["aggregated_source_type"] is None
    assert sorted(row["aggregated_tied_labels"]) == ["document", "expert"]
    assert row["aggregated_confidence"] == 2  # lower median of 2 and 4


def test_all_revisions_export_every_saved_version(project_db, data, tmp_path) -> None:
    path = export_dataset(
        project_db,
        tmp_path / "r.jsonl",
        ExportOptions(pseudonymise=False, format="jsonl", all_revisions=True),
        agreement=False,
    ).path
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert (
        len(rows) == project_db.execute("SELECT count(*) FROM annotation_revisions").fetchone()[0]
    )
    bob = [
        (r["revision"], r["source_type"])
        for r in rows
        if r["annotator"] == "bob" and r["statement_id"] == data["a"][1]
    ]
    assert bob == [(1, "media_report"), (2, "anonymous_official")]
    deleted = [r for r in rows if r["deleted"]]
    assert [(r["annotator"], r["revision"]) for r in deleted] == [("carol", 2)]


def test_csv_and_xlsx_neutralise_formulas_jsonl_keeps_them(project_db, data, tmp_path) -> None:
    every = ExportOptions(
        pseudonymise=False, format="csv", all_revisions=True
    )  # one attack is in an old revision
    csv_path = export_dataset(project_db, tmp_path / "l.csv", every, agreement=False).path
    cells = [c for row in csv.reader(csv_path.open(encoding="utf-8-sig", newline="")) for c in row]
    for attack in ATTACKS:
        assert "'" + attack in cells
        assert attack not in cells
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)
    xlsx_path = export_dataset(
        project_db,
        tmp_path / "l.xlsx",
        ExportOptions(pseudonymise=False, format="xlsx"),
        agreement=False,
    ).path
    sheet = openpyxl.load_workbook(xlsx_path).active
    values = [c for row in sheet.iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in values)
    strings = [c.value for c in values if isinstance(c.value, str)]
    assert "'" + ATTACKS[1] in strings and "'" + ATTACKS[3] in strings
    assert not any(s.startswith(("=", "+", "-", "@", "\t", "\r")) for s in strings)
    jsonl = export_dataset(
        project_db,
        tmp_path / "l.jsonl",
        ExportOptions(pseudonymise=False, format="jsonl"),
        agreement=False,
    ).path
    notes = {json.loads(line)["note"] for line in jsonl.read_text().splitlines()}
    assert ATTACKS[1] in notes and ATTACKS[6] in notes


def test_neutralise_leaves_ordinary_values() -> None:
    assert neutralise("Le ministre") == "Le ministre"
    assert neutralise("-2+3") == "'-2+3"
    assert neutralise(-2) == -2
    assert neutralise(None) is None


def test_pseudonyms_follow_first_label_and_hide_names(project_db, data, tmp_path) -> None:
    options = ExportOptions(format="csv", shape="wide", pseudonymise=True)
    result = export_dataset(project_db, tmp_path / "p.csv", options, n_boot=20)
    text = result.path.read_text(encoding="utf-8-sig")
    card = result.card_md.read_text() + result.card_json.read_text()
    for name in ("alice", "bob", "carol", "eve"):
        assert not re.search(rf"\b{name}\b", text + card)
    header = next(csv.reader([text.splitlines()[0]]))
    # alice saved first, then bob, then carol
    assert [h for h in header if h.endswith("__source_type")] == [
        "annotator_01__source_type",
        "annotator_02__source_type",
        "annotator_03__source_type",
    ]
    assert "editor_01" in text
    again = export_dataset(project_db, tmp_path / "q.csv", options, agreement=False)
    assert again.path.read_text(encoding="utf-8-sig") == text


def test_filters_select_labels(project_db, data, tmp_path, users) -> None:
    def rows(filters: ExportFilters) -> list[dict]:
        path = export_dataset(
            project_db,
            tmp_path / "f.jsonl",
            ExportOptions(pseudonymise=False, format="jsonl", filters=filters),
            agreement=False,
        ).path
        return [json.loads(line) for line in path.read_text().splitlines()]

    assert {r["annotator"] for r in rows(ExportFilters(annotators=["bob"]))} == {"bob"}
    doc_b = storage.get_statement(project_db, data["b"][0]).document_id
    assert {r["title"] for r in rows(ExportFilters(document_ids=[doc_b]))} == {"beta"}
    import datetime as dt

    tomorrow = dt.date.today() + dt.timedelta(days=2)
    assert rows(ExportFilters(labelled_from=tomorrow)) == []
    with pytest.raises(ValueError, match="annotators: no user named 'zed'"):
        rows(ExportFilters(annotators=["zed"]))


def test_chunked_reading_matches_one_chunk(project_db, data) -> None:
    small = list(iter_long_chunks(project_db, chunk_size=2))
    assert len(small) == 5
    merged = {k: [v for c in small for v in c[k]] for k in small[0]}
    (whole,) = list(iter_long_chunks(project_db, chunk_size=1000))
    assert merged == whole


def test_failed_export_leaves_no_file(project_db, data, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr("annotate.exports.writers.XLSX_MAX_ROWS", 3)
    scratch = tmp_path / "scratch"  # where the Excel writer keeps its rows until it saves
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    target = tmp_path / "big.xlsx"
    with pytest.raises(ValueError, match="at most 3 rows"):
        export_dataset(
            project_db, target, ExportOptions(pseudonymise=False, format="xlsx", chunk_size=2)
        )
    assert not target.exists()
    assert list(scratch.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "scratch", "test.db", "test.db-shm", "test.db-wal"
    ]  # fmt: skip
    assert options_module.XLSX_MAX_ROWS > 1_000_000  # the patch did not leak


def test_card_records_taxonomy_options_and_alpha(project_db, data, tmp_path) -> None:
    options = ExportOptions(
        pseudonymise=False, format="parquet", filters=ExportFilters(annotators=["alice", "bob"])
    )
    result = export_dataset(project_db, tmp_path / "c.parquet", options, n_boot=200)
    card = json.loads(result.card_json.read_text())
    assert card["options"]["filters"]["annotators"] == ["alice", "bob"]
    assert card["taxonomies"][0]["version"] == storage.get_taxonomy(project_db).version
    assert card["scale"]["key"] == "confidence5"
    assert {a["annotator"]: a["labels"] for a in card["annotators"]} == {"alice": 4, "bob": 3}
    assert [c["name"] for c in card["columns"]][:3] == ["statement_id", "document_id", "position"]
    # Oracle: the krippendorff package on the same reliability data.
    labels = storage.labels_frame(project_db)
    labels = labels[labels.annotator.isin(["alice", "bob"])]
    matrix = labels.pivot(index="annotator", columns="statement_id", values="source_type")
    codes = {k: i for i, k in enumerate(sorted(labels.source_type.unique()))}
    coded = matrix.map(lambda v: codes[v] if isinstance(v, str) else np.nan).to_numpy(float)
    expected = krippendorff.alpha(reliability_data=coded, level_of_measurement="nominal")
    alpha = next(
        g
        for g in card["agreement"]
        if g["variable"] == "source_type"
        and g["coefficient"] == "krippendorff_alpha"
        and g["metric"] == "nominal"
    )
    assert alpha["value"] == pytest.approx(expected)
    assert alpha["ci_low"] is not None and alpha["ci_low"] <= alpha["value"] <= alpha["ci_high"]
    md = result.card_md.read_text()
    assert "## Dataset Structure" in md and "`also_cites` | list" in md
    assert result.card_md.name == "c.card.md"


def test_cli_export_writes_file_and_card(project_db, data, db_path, tmp_path) -> None:
    import cli.export  # noqa: F401  (registers the commands)
    from cli.common import app

    out = tmp_path / "cli.parquet"
    run = CliRunner().invoke(
        app,
        [
            "export",
            "--db",
            str(db_path),
            "--out",
            str(out),
            "--format",
            "parquet",
            "--shape",
            "wide",
            "--no-agreement",
        ],
    )
    assert run.exit_code == 0, run.output
    assert pq.read_table(out).num_rows == 5
    assert (tmp_path / "cli.card.json").exists()
    bad = CliRunner().invoke(
        app,
        ["export", "--db", str(db_path), "--out", str(out), "--shape", "wide", "--all-revisions"],
    )
    assert bad.exit_code == 1
