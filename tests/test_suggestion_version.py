"""Each label records what made the suggestion its annotator saw (the project model's
version, or the rules alone), and every export and the dump carry it."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from builders import label, lines_document

import storage
from annotate.core.errors import SourceDeskError
from annotate.core.models import MAX_SUGGESTION_VERSION, RULES_SUGGESTION, text_version
from annotate.exports import ExportOptions
from annotate.interchange.dump import TABLES
from storage.exports import iter_long_chunks, iter_wide_chunks
from storage.schema import latest_version, migrations
from storage.transactions import write
from workflows.dump import dump_project, load_dump
from workflows.export import export_to
from workflows.labels import LabelSubmission, ShownSuggestions, SuggestionView, save_labels

LINES = [
    "Le ministre a démenti ces informations.",
    "Selon des sources proches du dossier, l'accord est prêt.",
    "Le texte sera signé lundi.",
]
MODEL = "m45-0123abcd"


@pytest.fixture
def sids(project_db: storage.Database) -> list[int]:
    outcome = storage.add_document(project_db, lines_document(LINES, title="alpha"))
    assert outcome.status == "added", outcome.message
    return [s.id for s in storage.statements_of(project_db, outcome.document_id)]  # type: ignore[arg-type, misc]


def shown_with(version: str) -> SuggestionView:
    return SuggestionView(type="anonymous_official", who="des sources", cue="Selon", spans=[],
                          model_version=version)  # fmt: skip


def first_statement(db: storage.Database) -> int:
    return min(s.id for s in storage.statements_of(db, 1) if s.id is not None)


# --- the schema -------------------------------------------------------------------------


def test_both_label_tables_have_the_column_with_an_empty_default(db: storage.Database) -> None:
    for table in ("annotations", "annotation_revisions"):
        columns = {r[1]: r for r in db.execute(f"PRAGMA table_info([{table}])").fetchall()}
        _, _, declared, not_null, default, _ = columns["suggestion_version"]
        assert (declared, not_null, default) == ("TEXT", 1, "''"), table


def test_labels_saved_before_the_step_keep_an_empty_version(db_path: Path) -> None:
    """A database from before the step: its labels read back as 'not recorded'."""
    old = storage.connect(db_path, migrate=False)
    with write(old):
        migrations.apply(old, stop_before="0010_suggestion_version")
        old.execute(f"PRAGMA user_version = {latest_version() - 1}")
    storage.create_project(old, "Old")
    alice = storage.add_user(old, "alice", "annotator").id
    outcome = storage.add_document(old, lines_document(LINES, title="alpha"))
    (first, *_) = storage.statements_of(old, outcome.document_id)  # type: ignore[arg-type]
    with write(old):
        old.execute(
            "INSERT INTO annotations (statement_id, annotator_id, revision, source_type, "
            "suggestion_shown, suggested_type, created_at, updated_at) "
            "VALUES (?, ?, 1, 'expert', 1, 'expert', '2024-01-01T00:00:00+00:00', "
            "'2024-01-01T00:00:00+00:00')",
            [first.id, alice],
        )
    old.close()
    db = storage.connect(db_path)  # upgrades
    assert storage.schema_version(db) == latest_version()
    saved = storage.current_annotation(db, first.id, alice)  # type: ignore[arg-type]
    assert saved is not None and saved.suggestion_shown
    assert (saved.suggested_type, saved.suggestion_version) == ("expert", "")
    db.close()


# --- storage ----------------------------------------------------------------------------


def test_the_version_is_stored_with_each_revision(project_db, users, sids) -> None:
    alice = users["alice"]
    shown = {"suggestion_shown": True, "suggested_type": "anonymous_official"}
    storage.save_annotation(project_db, label(sids[1], alice, "expert", 3, **shown,
                                              suggestion_version=MODEL))  # fmt: skip
    saved = storage.current_annotation(project_db, sids[1], alice)
    assert saved is not None and saved.suggestion_version == MODEL
    storage.save_annotation(project_db, label(sids[1], alice, "media_report", 3, **shown,
                                              suggestion_version="m95-ffff"))  # fmt: skip
    storage.delete_annotation(project_db, sids[1], alice)
    history = storage.annotation_history(project_db, sids[1])
    assert [(a.revision, a.suggestion_version, a.deleted) for _, a in history] == [
        (1, MODEL, False),
        (2, "m95-ffff", False),
        (3, "m95-ffff", True),  # a delete keeps what the label was made with
    ]
    assert storage.my_recent(project_db, alice) == []


def test_a_version_longer_than_the_limit_is_refused(project_db, users, sids) -> None:
    with pytest.raises(ValueError, match="suggestion_version"):
        label(sids[0], users["alice"], suggestion_version="m" * (MAX_SUGGESTION_VERSION + 1))


# --- saving from the labelling widget ---------------------------------------------------


def test_save_labels_records_the_model_the_rules_or_nothing(project_db, users, sids) -> None:
    versions = [text_version(t) for t in LINES]
    shown: ShownSuggestions = {
        sids[0]: (versions[0], shown_with(MODEL)),
        sids[1]: (versions[1], shown_with("")),  # the rules alone
        sids[2]: (versions[2], None),  # nothing was shown
    }
    outcomes = save_labels(
        project_db,
        users["alice"],
        [LabelSubmission(sid, v, "expert", 3) for sid, v in zip(sids, versions, strict=True)],
        shown,
    )
    assert all(o.ok for o in outcomes), [o.message for o in outcomes]
    saved = [storage.current_annotation(project_db, sid, users["alice"]) for sid in sids]
    assert [(a.suggestion_shown, a.suggestion_version) for a in saved if a] == [
        (True, MODEL),
        (True, RULES_SUGGESTION),
        (False, ""),
    ]


# --- exports ----------------------------------------------------------------------------


@pytest.fixture
def labelled(project_db, users, sids) -> storage.Database:
    """alice saw the model's suggestion, bob the rules', carol none; bob's label on the
    second statement predates the record (empty version)."""
    suggested = {"suggestion_shown": True, "suggested_type": "official_denial"}
    save = storage.save_annotation
    save(project_db, label(sids[0], users["alice"], "official_denial", 4, **suggested,
                           suggestion_version=MODEL))  # fmt: skip
    save(project_db, label(sids[0], users["bob"], "official_denial", 3, **suggested,
                           suggestion_version=RULES_SUGGESTION))  # fmt: skip
    save(project_db, label(sids[0], users["carol"], "expert", 2))
    save(project_db, label(sids[1], users["bob"], "anonymous_official", 3,
                           suggestion_shown=True, suggested_type="anonymous_official"))  # fmt: skip
    return project_db


def test_long_export_has_the_column_with_each_labels_version(labelled, tmp_path) -> None:
    versions = {"alice": MODEL, "bob": RULES_SUGGESTION, "carol": ""}
    csv = export_to(labelled, tmp_path / "l.csv", ExportOptions(pseudonymise=False), card=False)
    frame = pd.read_csv(csv.path, keep_default_na=False)
    columns = list(frame.columns)
    assert columns.index("suggestion_version") == columns.index("suggested_type") + 1
    first = frame[frame["statement_id"] == first_statement(labelled)]
    assert dict(zip(first["annotator"], first["suggestion_version"], strict=True)) == versions
    options = ExportOptions(pseudonymise=False, format="parquet", all_revisions=True)
    parquet = export_to(labelled, tmp_path / "r.parquet", options, card=False)
    rows = pd.read_parquet(parquet.path)
    assert sorted(rows["suggestion_version"]) == sorted(["", "", MODEL, RULES_SUGGESTION])
    # the chunked readers carry it too (next to suggested_type)
    (chunk,) = list(iter_long_chunks(labelled))
    assert sorted(chunk["suggestion_version"]) == sorted(["", "", MODEL, RULES_SUGGESTION])
    (wide,) = list(iter_wide_chunks(labelled))
    assert {(r[1], r[10]) for r in wide.annotations} >= {("alice", MODEL), ("carol", "")}


def test_label_studio_predictions_name_the_stored_version(labelled, tmp_path) -> None:
    result = export_to(labelled, tmp_path / "tasks.json", ExportOptions(format="labelstudio"))
    tasks = {t["data"]["text"]: t for t in json.loads(result.path.read_text())}
    predictions = [
        (p["model_version"], p["result"][0]["value"]["choices"])
        for p in tasks[LINES[0]]["predictions"]
    ]
    assert predictions == [(MODEL, ["official_denial"]), ("rules", ["official_denial"])]
    # a label saved before versions were recorded names the suggester as a whole
    (older,) = tasks[LINES[1]]["predictions"]
    assert older["model_version"] == "sourcedesk-cues"


def test_an_old_read_only_database_exports_without_the_column(labelled, db_path) -> None:
    """Exports read a file opened read-only without upgrading it: no column, no value."""
    for table in ("annotations", "annotation_revisions"):
        labelled.execute(f"ALTER TABLE [{table}] DROP COLUMN suggestion_version")
    labelled.close()
    old = storage.connect(db_path, read_only=True)
    (chunk,) = list(iter_long_chunks(old))
    assert set(chunk["suggestion_version"]) == {""}
    (wide,) = list(iter_wide_chunks(old))
    assert {r[10] for r in wide.annotations} == {""}
    old.close()


# --- the dump ---------------------------------------------------------------------------


def test_dump_and_load_keep_the_version(labelled, users, tmp_path) -> None:
    dump = tmp_path / "backup.jsonl"
    dump_project(labelled, dump)
    rows = [json.loads(line) for line in dump.read_text().splitlines()]
    assert {
        r["row"]["suggestion_version"] for r in rows if r.get("table") == "annotation_revisions"
    } == {"", MODEL, RULES_SUGGESTION}
    target = storage.connect(tmp_path / "restored.db")
    load_dump(target, dump, keep_roles=True)
    for table in ("annotations", "annotation_revisions"):
        query = f"SELECT id, suggestion_version FROM [{table}] ORDER BY id"
        assert target.execute(query).fetchall() == labelled.execute(query).fetchall(), table
    first = first_statement(target)
    restored = storage.current_annotation(target, first, users["alice"])
    assert restored is not None and restored.suggestion_version == MODEL
    target.close()


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("m" * (MAX_SUGGESTION_VERSION + 1), f"longer than {MAX_SUGGESTION_VERSION} characters"),
        ("m45\n<script>", "control characters"),
        (45, "expected text"),
        (None, "must not be empty"),
    ],
)
def test_load_refuses_a_version_that_is_not_a_short_line(
    labelled, tmp_path, value: object, problem: str
) -> None:
    dump = tmp_path / "backup.jsonl"
    dump_project(labelled, dump)
    records = [json.loads(line) for line in dump.read_text().splitlines()]
    number = next(i for i, r in enumerate(records, 1) if r.get("table") == "annotations")
    records[number - 1]["row"]["suggestion_version"] = value
    forged = tmp_path / "forged.jsonl"
    forged.write_text("".join(json.dumps(r) + "\n" for r in records))
    target = storage.connect(tmp_path / "restored.db")
    with pytest.raises(SourceDeskError) as info:
        load_dump(target, forged, keep_roles=True)
    assert f"line {number}: field row.suggestion_version: " in str(info.value)
    assert problem in str(info.value)
    assert all(target.execute(f"SELECT count(*) FROM [{t}]").fetchone()[0] == 0 for t in TABLES)
    target.close()
