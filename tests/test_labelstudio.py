"""Label Studio and doccano: export, import into a fresh database, export again."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pandas as pd
import pytest
from test_export_data import populate
from typer.testing import CliRunner

import storage
from annotate.core.taxonomy import scale_preset
from annotate.interchange.doccano import parse_doccano
from annotate.interchange.labels import LabelImportError
from annotate.interchange.labelstudio import parse_labelstudio
from storage.exports import export_labelstudio
from storage.restore import import_labels

# What may differ between an export and the export of its re-import: database ids and
# the times labels were saved (the import saves them now).
VOLATILE = {"id", "statement_id", "created_at", "updated_at"}


def normalise(value):
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    return value


def plan_for(db, path):
    scale = scale_preset(storage.get_project(db).scale_preset).primary
    return parse_labelstudio(path.read_text(), storage.get_taxonomy(db), scale, source=path.name)


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
    names = [a["annotator"] for a in first["annotations"]]
    assert names == ["alice", "bob", "carol"]
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
    assert first["predictions"][0]["result"][0]["value"]["choices"] == ["named_official"]
    skipped = [a for t in tasks for a in t["annotations"] if a["was_cancelled"]]
    assert len(skipped) == 1 and skipped[0]["result"] == []
    config = ET.fromstring(exported.path.with_name("tasks.config.xml").read_text())
    controls = {c.get("name"): c for c in config.iter("Choices")}
    assert set(controls) == {"source_type", "also_cites", "confidence"}
    assert {c.get("value") for c in controls["source_type"]} >= {
        "declassified_intel",
        "official_denial",
    }


def test_round_trip_through_a_fresh_database(exported, tmp_path) -> None:
    fresh = storage.connect(tmp_path / "fresh.db")
    storage.create_project(fresh, "Fresh")
    summary = import_labels(fresh, plan_for(fresh, exported.path))
    assert (summary.documents_created, summary.statements_created, summary.labels) == (2, 5, 10)
    assert sorted(summary.users_created) == ["alice", "bob", "carol"]
    again = export_labelstudio(fresh, tmp_path / "again.json")
    first = json.loads(exported.path.read_text())
    second = json.loads(again.path.read_text())
    assert normalise(second) == normalise(first)
    # Importing the same file again matches the statements instead of duplicating them.
    repeat = import_labels(fresh, plan_for(fresh, exported.path), with_labels=False)
    assert (repeat.statements_matched, repeat.documents_created) == (5, 0)


def test_bad_tasks_are_all_reported_and_nothing_written(exported, tmp_path) -> None:
    tasks = json.loads(exported.path.read_text())
    tasks[0]["annotations"][0]["result"][0]["value"]["choices"] = ["rumour"]
    confidence = [r for r in tasks[1]["annotations"][0]["result"] if r["id"] == "confidence"]
    confidence[0]["value"]["choices"] = ["9"]
    del tasks[2]["data"]["text"]
    tasks[3]["data"]["meta"]["document"]["published"] = "someday"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(tasks))
    fresh = storage.connect(tmp_path / "fresh.db")
    storage.create_project(fresh, "Fresh")
    with pytest.raises(LabelImportError) as info:
        import_labels(fresh, plan_for(fresh, bad))
    problems = "\n".join(info.value.problems)
    assert "task 1 (id 1): field source_type: unknown label 'rumour' (by alice)" in problems
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
        import_labels(project_db, plan_for(project_db, bad))
    assert storage.totals(project_db) == before


def test_doccano_lines_become_statements_and_labels(project_db, users, tmp_path) -> None:
    lines = [
        {"id": 1, "text": "Le Kremlin a démenti.", "label": ["Official denial", "confidence:4"]},
        {
            "id": 2,
            "text": "Selon CNN, l'attaque a eu lieu.",
            "label": ["media_report", "expert"],
            "user": "dora",
        },
        {"id": 3, "text": "Phrase sans étiquette.", "label": []},
    ]
    text = "\n".join(json.dumps(x, ensure_ascii=False) for x in lines)
    scale = scale_preset("confidence5").primary
    plan = parse_doccano(text, storage.get_taxonomy(project_db), scale, default_user="zoe")
    summary = import_labels(project_db, plan)
    assert (summary.documents_created, summary.labels) == (3, 2)
    assert sorted(summary.users_created) == ["dora", "zoe"]
    labels = storage.labels_frame(project_db).sort_values("statement_id")
    got = [
        [r.annotator, r.source_type, None if pd.isna(r.confidence) else int(r.confidence)]
        for r in labels.itertuples()
    ]
    assert got == [
        ["zoe", "official_denial", 4],
        ["dora", "media_report", None],
    ]
    dora = storage.get_user(project_db, "dora")
    sid = int(labels.iloc[1].statement_id)
    assert storage.current_annotation(project_db, sid, dora.id).also_cites == ["expert"]


def test_bad_doccano_lines_name_their_line(project_db, users) -> None:
    text = "\n".join(
        [
            json.dumps({"text": "Une phrase.", "label": [[0, 3, "PER"]]}),
            "{oops",
            json.dumps({"label": ["expert"]}),
            json.dumps({"text": "Autre.", "label": ["gossip"]}),
            json.dumps({"text": "Encore.", "label": ["expert"], "statement_id": 999}),
        ]
    )
    scale = scale_preset("confidence5").primary
    plan = parse_doccano(text, storage.get_taxonomy(project_db), scale, source="d.jsonl")
    with pytest.raises(LabelImportError) as info:
        import_labels(project_db, plan)
    problems = info.value.problems
    assert problems[0].startswith("d.jsonl: line 1: field label: [0, 3, 'PER'] is a span label")
    assert problems[1].startswith("d.jsonl: line 2: not valid JSON")
    assert problems[2] == "d.jsonl: line 3: field text: missing or not a string"
    assert "d.jsonl: line 4: field source_type: unknown label 'gossip' (by doccano)" in problems
    assert "d.jsonl: line 5: field statement_id: unknown statement 999" in problems
    assert storage.totals(project_db)["documents"] == 0


def test_cli_import_labels_reports_problems(exported, tmp_path) -> None:
    import cli.export
    import cli.main  # noqa: F401  (the init command)
    from cli.common import app

    fresh = tmp_path / "fresh.db"
    assert CliRunner().invoke(app, ["init", "--db", str(fresh)]).exit_code == 0
    ok = CliRunner().invoke(app, ["import-labels", str(exported.path), "--db", str(fresh)])
    assert ok.exit_code == 0, ok.output
    assert "10 label(s) imported" in ok.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x", "label": ["gossip"]}\n')
    run = CliRunner().invoke(app, ["import-labels", str(bad), "--db", str(fresh)])
    assert run.exit_code == 1
    assert "unknown label 'gossip'" in run.output
