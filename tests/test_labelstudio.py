"""Label Studio: export as Label Studio reads it, import every shape it writes."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest
from builders import label, refused_import
from test_export_data import document, populate
from typer.testing import CliRunner

import storage
from annotate.core.errors import SourceDeskError
from annotate.core.taxonomy import scale_preset
from annotate.exports import ExportOptions
from annotate.interchange.labels import LabelImportError, LabelMapping
from annotate.interchange.labelstudio import parse_labelstudio
from workflows.export import export_to
from workflows.label_import import import_labels, import_labels_file


def export_labelstudio(db, path, **options):
    return export_to(db, path, ExportOptions(format="labelstudio", **options))


def fresh_project(tmp_path, name="fresh.db"):
    db = storage.connect(tmp_path / name)
    storage.create_project(db, "Fresh")
    return db


def labels_by_user(db, names=None) -> dict[tuple[str, str], tuple]:
    """{(statement text, person): (source type, confidence, also cites, skipped)} of the
    current labels, people renamed through `names`."""
    names = names or {}
    rows = db.execute(
        "SELECT s.text, u.name, a.source_type, a.confidence, a.also_cites, a.skipped "
        "FROM annotations a JOIN statements s ON s.id = a.statement_id "
        "JOIN users u ON u.id = a.annotator_id WHERE a.deleted = 0"
    ).fetchall()
    return {
        (text, names.get(user, user)): (st, conf, json.loads(cites), bool(skipped))
        for text, user, st, conf, cites, skipped in rows
    }


def final_labels(db) -> dict[str, tuple]:
    rows = db.execute(
        "SELECT s.text, j.source_type, j.confidence, j.also_cites FROM adjudications j "
        "JOIN statements s ON s.id = j.statement_id WHERE j.deleted = 0"
    ).fetchall()
    return {text: (st, conf, json.loads(cites)) for text, st, conf, cites in rows}


@pytest.fixture
def exported(project_db, users, tmp_path):
    populate(project_db, users)
    return export_labelstudio(project_db, tmp_path / "tasks.json")


def test_tasks_follow_label_studio_format(exported) -> None:
    tasks = json.loads(exported.path.read_text())
    assert len(tasks) == exported.rows == 5
    first = tasks[0]
    assert first["data"]["text"].startswith("Le ministre")
    assert first["data"]["meta"]["document"]["title"] == "alpha"
    # completed_by: one integer per person, the same on every task, listed beside the tasks
    assert [a["completed_by"] for a in first["annotations"]] == [1, 2, 3]
    users = json.loads(exported.users.read_text())
    assert [(u["id"], u["username"]) for u in users] == [
        (1, "annotator_01"),
        (2, "annotator_02"),
        (3, "annotator_03"),
        (4, "editor_01"),
    ]
    by_person = {
        a["completed_by"] for t in tasks for a in t["annotations"] if not a["ground_truth"]
    }
    assert by_person == {1, 2, 3}
    result = first["annotations"][0]["result"]
    assert result[0] == {
        "id": "source_type",
        "from_name": "source_type",
        "to_name": "text",
        "type": "choices",
        "origin": "manual",
        "value": {"choices": ["named_official"]},
    }
    assert result[1]["value"]["choices"] == ["document", "expert"]
    assert result[2]["from_name"] == "confidence" and result[2]["value"]["choices"] == ["4"]
    assert first["predictions"][0]["model_version"] == "sourcedesk-cues"
    assert first["predictions"][0]["result"][0]["value"]["choices"] == ["named_official"]
    finals = [a for t in tasks for a in t["annotations"] if a["ground_truth"]]
    assert len(finals) == 1 and finals[0]["completed_by"] == 4
    skipped = [a for t in tasks for a in t["annotations"] if a["was_cancelled"]]
    assert len(skipped) == 1 and skipped[0]["result"] == []
    config = ET.fromstring(exported.config.read_text())
    controls = {c.get("name"): c for c in config.iter("Choices")}
    assert set(controls) == {"source_type", "also_cites", "confidence"}


def test_round_trip_keeps_labels_per_person_and_final_labels(
    exported, project_db, tmp_path
) -> None:
    fresh = fresh_project(tmp_path)
    summary = import_labels_file(fresh, exported.path)
    assert (summary.documents_created, summary.statements_created) == (2, 5)
    assert (summary.labels, summary.final_labels) == (10, 1)
    assert sorted(summary.users_created) == [
        "annotator_01",
        "annotator_02",
        "annotator_03",
        "editor_01",
    ]
    pseudonyms = {"alice": "annotator_01", "bob": "annotator_02", "carol": "annotator_03"}
    assert labels_by_user(fresh) == labels_by_user(project_db, pseudonyms)
    assert final_labels(fresh) == final_labels(project_db) != {}
    # exported again, the file is the same but for ids and times
    again = export_labelstudio(fresh, tmp_path / "again.json")
    volatile = {"id", "statement_id", "created_at", "updated_at", "ref"}

    def normalise(value):
        if isinstance(value, dict):
            return {k: normalise(v) for k, v in value.items() if k not in volatile}
        if isinstance(value, list):
            return [normalise(v) for v in value]
        return value

    first = json.loads(exported.path.read_text())
    second = json.loads(again.path.read_text())
    # Predictions are the suggester's, tied to no one's label: none is read back as a label
    # or as a suggestion someone was shown.
    assert any(task["predictions"] for task in first)
    shown = fresh.execute(
        "SELECT count(*) FROM annotations WHERE suggestion_shown = 1 OR suggested_type IS NOT NULL"
    ).fetchone()[0]
    assert shown == 0
    assert all(task["predictions"] == [] for task in second)
    for task in first:
        task["predictions"] = []
    assert normalise(second) == normalise(first)


def test_imported_people_are_inactive_and_revisions_marked(exported, tmp_path) -> None:
    fresh = fresh_project(tmp_path)
    import_labels_file(fresh, exported.path)
    accounts = {u.name: u for u in storage.list_users(fresh)}
    assert accounts and not any(u.active for u in accounts.values())
    assert {u.role for u in accounts.values()} == {"annotator"}
    assert {u.password_hash for u in accounts.values()} == {""}
    marks = fresh.execute(
        "SELECT DISTINCT imported, import_source FROM annotation_revisions"
    ).fetchall()
    assert marks == [(1, "tasks.json")]


def test_existing_labels_are_kept_unless_overwrite(exported, tmp_path) -> None:
    fresh = fresh_project(tmp_path)
    import_labels_file(fresh, exported.path)
    tasks = json.loads(exported.path.read_text())
    tasks[0]["annotations"][0]["result"][0]["value"]["choices"] = ["expert"]
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(tasks))
    (tmp_path / "changed.users.json").write_text(exported.users.read_text())
    before = labels_by_user(fresh)
    with pytest.raises(LabelImportError) as info:
        import_labels_file(fresh, changed)
    assert "annotator_01 already has a label on this statement" in info.value.problems[0]
    assert "--overwrite" in info.value.problems[0]
    assert labels_by_user(fresh) == before
    summary = import_labels_file(fresh, changed, overwrite=True)
    assert (summary.labels_replaced, summary.labels_unchanged) == (1, 9)
    after = labels_by_user(fresh)
    text = tasks[0]["data"]["text"]
    assert after[(text, "annotator_01")][0] == "expert"
    history = storage.annotation_history(fresh, 1)
    assert [a.source_type for _, a in history if _ == "annotator_01"][-2:] == [
        "named_official",
        "expert",
    ]


def test_old_completions_int_and_object_completed_by_and_no_task_ids(project_db, users) -> None:
    taxonomy = storage.get_taxonomy(project_db)
    scale = scale_preset("confidence5").primary
    choice = {"from_name": "source_type", "to_name": "text", "type": "choices"}
    tasks = [
        {  # before Label Studio 1.0: `completions`, no task id
            "data": {"text": "Le porte-parole a démenti."},
            "completions": [
                {"completed_by": 7, "result": [{**choice, "value": {"choices": ["expert"]}}]}
            ],
        },
        {
            "id": 12,
            "data": {"text": "Selon CNN, l'attaque a eu lieu."},
            "annotations": [
                {
                    "completed_by": {"id": 3, "email": "ana@example.org", "first_name": ""},
                    "result": [{**choice, "value": {"choices": ["media_report"]}}],
                }
            ],
        },
    ]
    plan = parse_labelstudio(json.dumps(tasks), taxonomy, scale, users={7: "zoe"})
    summary = import_labels(project_db, plan)
    assert (summary.documents_created, summary.labels) == (2, 2)
    assert labels_by_user(project_db) == {
        ("Le porte-parole a démenti.", "zoe"): ("expert", None, [], False),
        ("Selon CNN, l'attaque a eu lieu.", "ana@example.org"): (
            "media_report",
            None,
            [],
            False,
        ),
    }


def test_annotations_with_the_same_choices_keep_their_own_person_and_flags(
    project_db, users
) -> None:
    """Annotations that repeat one set of choices share a read label only when who made
    them and their flags are the same too: 1 and true are different people, a result's
    own id and an annotation's times are not part of the label."""
    taxonomy = storage.get_taxonomy(project_db)
    scale = scale_preset("confidence5").primary

    def annotation(who, n, **flags):
        value = {"choices": ["expert"]}
        result = {"id": f"r{n}", "from_name": "source_type", "to_name": "text", "value": value}
        return {"completed_by": who, "created_at": f"2024-05-0{n}", "result": [result], **flags}

    texts = ["Un expert a parlé.", "Un autre expert a parlé.", "Un troisième expert."]
    tasks = [
        {"data": {"text": texts[0]}, "annotations": [annotation(1, 1), annotation(True, 2)]},
        {"data": {"text": texts[1]}, "annotations": [annotation(1, 3), annotation(2, 4)]},
        {"data": {"text": texts[2]}, "annotations": [annotation(1, 5, was_cancelled=True),
                                                     annotation(1, 6, ground_truth=True)]},
    ]  # fmt: skip
    users = {1: "zoe", 2: "ana"}
    # `true` names no one: the label is no one's until --user says whose it is.
    plan = parse_labelstudio(json.dumps(tasks), taxonomy, scale, users=users)
    assert plan.problems == [
        "labelstudio.json: 1 annotation(s) name no annotator (no `completed_by`): say who "
        "made these labels with --user NAME"
    ]
    plan = parse_labelstudio(json.dumps(tasks), taxonomy, scale, users=users, default_user="lea")
    assert plan.problems == []
    read = [[(x.annotator, x.skipped, x.final) for x in s.labels] for s in plan.statements]
    assert read == [
        [("zoe", False, False), ("lea", False, False)],
        [("zoe", False, False), ("ana", False, False)],
        [("zoe", True, False), ("zoe", False, True)],
    ]
    first, second = plan.statements[0].labels[0], plan.statements[1].labels[0]
    assert first is second  # one read label for the repeated annotation


MIN_ITEMS = [
    {
        "id": 1,
        "text": "Le ministre a déclaré que l'accord était signé.",
        "annotator": 1,
        "annotation_id": 10,
        "created_at": "2024-05-01T10:00:00.000000Z",
        "updated_at": "2024-05-01T10:00:00.000000Z",
        "lead_time": 4.2,
        "source_type": "named_official",
        "also_cites": {"choices": ["document", "expert"]},
        "confidence": "4",
    },
    {
        "id": 1,
        "text": "Le ministre a déclaré que l'accord était signé.",
        "annotator": "bea@example.org",
        "annotation_id": 11,
        "created_at": "2024-05-01T10:01:00.000000Z",
        "updated_at": "2024-05-01T10:01:00.000000Z",
        "lead_time": 3.0,
        "source_type": "Official statement",
    },
]
EXPECTED_MIN = {
    ("Le ministre a déclaré que l'accord était signé.", "labelstudio_user_1"): (
        "named_official",
        4,
        ["document", "expert"],
        False,
    ),
    ("Le ministre a déclaré que l'accord était signé.", "bea@example.org"): (
        "official_statement",
        None,
        [],
        False,
    ),
}


def test_json_min_export_is_read(project_db, tmp_path) -> None:
    path = tmp_path / "project-1-at-2024.json"
    path.write_text(json.dumps(MIN_ITEMS, ensure_ascii=False))
    summary = import_labels_file(project_db, path)
    assert (summary.documents_created, summary.statements_created, summary.labels) == (1, 1, 2)
    assert labels_by_user(project_db) == EXPECTED_MIN


def test_csv_export_is_read(project_db, tmp_path) -> None:
    out = io.StringIO()
    names = ["text", "id", "annotator", "annotation_id", "created_at", "updated_at",
             "lead_time", "source_type", "also_cites", "confidence"]  # fmt: skip
    writer = csv.DictWriter(out, fieldnames=names)
    writer.writeheader()
    for item in MIN_ITEMS:
        row = dict(item)
        if isinstance(row.get("also_cites"), dict):
            row["also_cites"] = json.dumps(row["also_cites"])
        writer.writerow(row)
    path = tmp_path / "project-1.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    summary = import_labels_file(project_db, path)
    assert (summary.statements_created, summary.labels) == (1, 2)
    assert labels_by_user(project_db) == EXPECTED_MIN


def _with_unknown_labels(exported, tmp_path):
    tasks = json.loads(exported.path.read_text())
    tasks[0]["annotations"][0]["result"][0]["value"]["choices"] = ["rumour"]
    tasks[1]["annotations"][0]["result"][0]["value"]["choices"] = ["gossip"]
    path = tmp_path / "theirs.json"
    path.write_text(json.dumps(tasks))
    (tmp_path / "theirs.users.json").write_text(exported.users.read_text())
    return path


def test_unknown_labels_are_all_listed_and_nothing_written(exported, tmp_path) -> None:
    path = _with_unknown_labels(exported, tmp_path)
    fresh = fresh_project(tmp_path)
    with pytest.raises(LabelImportError) as info:
        import_labels_file(fresh, path)
    problems = "\n".join(info.value.problems)
    assert "task 1 (id 1): field source_type: unknown label 'rumour' (by annotator_01)" in problems
    assert "task 2 (id 2): field source_type: unknown label 'gossip' (by annotator_01)" in problems
    assert "--map rumour=OURS" in problems
    assert storage.totals(fresh)["documents"] == 0 and storage.list_users(fresh) == []


def test_map_and_unmapped_skip(exported, tmp_path) -> None:
    path = _with_unknown_labels(exported, tmp_path)
    fresh = fresh_project(tmp_path)
    mapping = LabelMapping(mapping={"rumour": "unattributed"}, unmapped="skip")
    summary = import_labels_file(fresh, path, mapping=mapping)
    assert (summary.labels, summary.labels_skipped) == (9, 1)
    first = json.loads(path.read_text())[0]["data"]["text"]
    assert labels_by_user(fresh)[(first, "annotator_01")][0] == "unattributed"
    with pytest.raises(LabelImportError, match="'nowhere' is not a source type"):
        import_labels_file(
            fresh_project(tmp_path, "other.db"),
            path,
            mapping=LabelMapping(mapping={"rumour": "nowhere", "gossip": "expert"}),
        )


def test_bad_tasks_are_all_reported_and_nothing_written(exported, tmp_path) -> None:
    tasks = json.loads(exported.path.read_text())
    confidence = [r for r in tasks[1]["annotations"][0]["result"] if r["id"] == "confidence"]
    confidence[0]["value"]["choices"] = ["9"]
    del tasks[2]["data"]["text"]
    tasks[3]["data"]["meta"]["document"]["published"] = "someday"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(tasks))
    fresh = fresh_project(tmp_path)
    with pytest.raises(LabelImportError) as info:
        import_labels_file(fresh, bad)
    problems = "\n".join(info.value.problems)
    assert (
        "task 2 (id 2): annotations[0]: field result[1].value.choices: unknown confidence"
        in problems
    )
    assert "task 3 (id 3): field data.text: missing" in problems
    assert "task 4 (id 4): field data.meta.document.published" in problems
    assert storage.totals(fresh)["documents"] == 0 and storage.list_users(fresh) == []


def test_unknown_statement_in_a_known_document_is_refused(exported, project_db, tmp_path) -> None:
    tasks = json.loads(exported.path.read_text())
    tasks[0]["data"]["text"] = "Une phrase que le document ne contient pas."
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(tasks[:1]))
    before = storage.totals(project_db)
    with pytest.raises(LabelImportError, match="unknown statement"):
        import_labels_file(project_db, bad)
    assert storage.totals(project_db) == before


def test_import_limits_are_checked_on_bytes_read(exported, tmp_path) -> None:
    import os

    fresh = fresh_project(tmp_path)
    with pytest.raises(SourceDeskError, match="larger than the limit"):
        import_labels_file(fresh, exported.path, max_bytes=100)
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    with pytest.raises(SourceDeskError, match="not a regular file"):
        import_labels_file(fresh, fifo)


def test_cli_import_labels(exported, tmp_path) -> None:
    import cli.export
    import cli.project  # noqa: F401  (the init command)
    from cli.common import app

    fresh = tmp_path / "fresh.db"
    assert CliRunner().invoke(app, ["init", "--db", str(fresh)]).exit_code == 0
    ok = CliRunner().invoke(app, ["import-labels", str(exported.path), "--db", str(fresh)])
    assert ok.exit_code == 0, ok.output
    assert "10 label(s) imported" in ok.output and "new inactive accounts" in ok.output
    again = CliRunner().invoke(app, ["import-labels", str(exported.path), "--db", str(fresh)])
    assert again.exit_code == 1 and "--overwrite" in again.output
    forced = CliRunner().invoke(
        app, ["import-labels", str(exported.path), "--db", str(fresh), "--overwrite"]
    )
    assert forced.exit_code == 0, forced.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x", "label": ["gossip"], "user": "zoe"}\n')
    run = CliRunner().invoke(app, ["import-labels", str(bad), "--db", str(fresh)])
    assert run.exit_code == 1
    assert "unknown label 'gossip'" in run.output
    mapped = CliRunner().invoke(
        app, ["import-labels", str(bad), "--db", str(fresh), "--map", "gossip=unattributed"]
    )
    assert mapped.exit_code == 0, mapped.output


def test_json_inside_cells_too_deep_to_read_is_taken_as_text(project_db, tmp_path) -> None:
    """A CSV cell holding JSON nested past the reader's depth is not JSON to the importer:
    a meta cell is left out and a control's value stays text (here too long for a label),
    listed with its line, never a crash."""
    deep = '{"x": ' + "[" * 5000 + "]" * 5000 + "}"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["text", "annotator", "source_type", "meta"])
    writer.writeheader()
    writer.writerow({"text": "Le ministère a démenti.", "annotator": "ann",
                     "source_type": "official_denial", "meta": deep})  # fmt: skip
    writer.writerow({"text": "Selon l'AFP.", "annotator": "ann", "source_type": deep})
    path = tmp_path / "deep.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    assert refused_import(project_db, path) == [
        "deep.csv: line 3: field source_type: String should have at most 64 characters"
    ]


def test_a_users_listing_that_is_not_json_is_one_listed_problem(exported, tmp_path) -> None:
    path = tmp_path / "theirs.json"
    path.write_text(exported.path.read_text())
    (tmp_path / "theirs.users.json").write_text('[{"id": 1, "username": "ann"')
    with pytest.raises(LabelImportError) as info:
        import_labels_file(fresh_project(tmp_path), path)
    assert info.value.problems == [
        "theirs.users.json: not a users listing (EOF while parsing an object at line 1 column 28)"
    ]


def test_a_utf16_export_cut_short_is_a_problem_of_the_file(project_db, tmp_path) -> None:
    """Named as Label Studio JSON or found to be one, a UTF-16 file that does not decode is
    listed like any other problem of the file."""
    path = tmp_path / "cut.json"
    path.write_bytes(b"\xff\xfe" + "[]".encode("utf-16-le") + b"\x00")
    for kind in ("auto", "labelstudio"):
        assert refused_import(project_db, path, kind=kind) == [
            "cut.json: not UTF-8 text (truncated data at byte offset 6)"
        ]


@pytest.mark.parametrize("fmt", ["labelstudio", "doccano"])
def test_a_date_known_to_the_month_stays_a_month(project_db, users, tmp_path, fmt) -> None:
    """A date known to the month is not the first of that month: both files carry how
    much of the date is known."""
    populate(project_db, users)
    project_db.execute(
        "UPDATE documents SET published = '2024-03-01', published_precision = 'month' "
        "WHERE title = 'alpha'"
    )
    project_db.conn.commit()
    out = export_to(project_db, tmp_path / f"out.{fmt}", ExportOptions(format=fmt))
    fresh = fresh_project(tmp_path)
    import_labels_file(fresh, out.path, default_user="someone")

    def dates(db):
        rows = db.execute("SELECT title, published, published_precision FROM documents")
        return {title: (published, precision) for title, published, precision in rows}

    expected = {"alpha": ("2024-03-01", "month"), "beta": (None, None)}
    assert dates(fresh) == dates(project_db) == expected


def test_an_overwriting_import_leaves_each_label_as_its_last_revision(
    project_db, users, tmp_path
) -> None:
    """--overwrite revises the labels whose answer the file changes: the new revision
    keeps nothing of how the earlier answer was made (the suggestion shown, its timing).
    A label the file gives as it is stays as it is, with no revision."""
    doc = storage.add_document(project_db, document(["Le ministre a parlé.", "Selon CNN, oui."],
                                                    title="gamma"))  # fmt: skip
    s0, s1 = (s.id for s in storage.statements_of(project_db, doc.document_id))
    alice, bob = users["alice"], users["bob"]
    shown = {"suggestion_shown": True, "suggested_type": "named_official",
             "suggestion_version": "v1", "lead_time_seconds": 4.5}  # fmt: skip
    storage.save_annotation(project_db, label(s0, alice, "named_official", 4, **shown))
    storage.save_annotation(project_db, label(s0, bob, "expert", 3, who="un expert"))
    storage.save_annotation(project_db, label(s1, alice, "media_report", 2))
    out = export_labelstudio(project_db, tmp_path / "own.json", pseudonymise=False)
    shared = (
        "source_type, also_cites, confidence, note, who, cue, skipped, unsure, flagged, "
        "extra_ratings, suggestion_shown, suggested_type, suggested_who, suggested_cue, "
        "suggestion_version, scale_preset, scale_version, text_version, lead_time_seconds, keys"
    )
    current_sql = f"SELECT id, revision, {shared} FROM annotations ORDER BY id"
    last_sql = (
        f"SELECT annotation_id, revision, {shared} FROM annotation_revisions r WHERE revision "
        "= (SELECT max(revision) FROM annotation_revisions WHERE annotation_id = r.annotation_id)"
        " ORDER BY annotation_id"
    )

    def consistent() -> bool:
        current = [tuple(r) for r in project_db.execute(current_sql)]
        return current == [tuple(r) for r in project_db.execute(last_sql)]

    def alice_s0():
        return project_db.execute(
            "SELECT source_type, revision, suggestion_version, lead_time_seconds "
            "FROM annotations WHERE statement_id = ? AND annotator_id = ?",
            [s0, alice],
        ).fetchone()

    assert consistent()
    # The file as it was: only bob's label changes (a Label Studio file has no `who`).
    summary = import_labels_file(project_db, out.path, overwrite=True)
    assert (summary.labels_replaced, summary.labels_unchanged) == (1, 2)
    assert consistent()
    assert tuple(alice_s0()) == ("named_official", 1, "v1", 4.5)
    # Another answer for alice's suggested label: revised, and what she was shown is gone.
    tasks = json.loads(out.path.read_text())
    tasks[0]["annotations"][0]["result"][0]["value"]["choices"] = ["expert"]
    out.path.write_text(json.dumps(tasks))
    summary = import_labels_file(project_db, out.path, overwrite=True)
    assert (summary.labels_replaced, summary.labels_unchanged) == (1, 2)
    assert consistent()
    assert tuple(alice_s0()) == ("expert", 2, "", None)
