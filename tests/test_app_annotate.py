"""The Annotate page: the labelling widget's data, and the labels it sends saved on their
own statements (labels are sent as the browser sends them, through the widget's trigger).

The browser side (keys, typing ahead, two tabs, a merge while open) is in
tests/e2e/test_labelling.py.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

from apptest_helpers import ARTICLE, app_for, make_project
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest

import storage
from annotate.core.models import AnnotationInput, text_version


def widget(at: AppTest) -> Any:
    found = at.get("bidi_component")
    assert found, f"no labelling widget; exception: {at.exception}"
    return found[0]


def data(at: AppTest) -> dict[str, Any]:
    """What the page sent to the widget."""
    return json.loads(widget(at).proto.json)


def send(at: AppTest, items: list[dict[str, Any]], client: str = "tab-1") -> AppTest:
    """The widget's `labels` trigger, as the browser sends it (all unacknowledged labels)."""
    element = widget(at)
    states = at._tree.get_widget_states()
    states.widgets.append(
        WidgetState(
            id=f"$$STREAMLIT_INTERNAL_KEY_{element.proto.id}__events",
            json_trigger_value=json.dumps(
                [{"event": "labels", "value": {"client": client, "items": items}}]
            ),
        )
    )
    at._run(states)
    return at


def label(
    statement: dict[str, Any], seq: int, type_: str | None, level: int | None, **extra: Any
) -> dict[str, Any]:
    return {
        "seq": seq,
        "statement_id": statement["id"],
        "text_version": statement["version"],
        "source_type": type_,
        "confidence": level,
        "extra_ratings": {},
        "who": "",
        "cue": "",
        "note": "",
        "unsure": False,
        "flagged": False,
        "skipped": False,
        "lead_time_seconds": 1.25,
        "keys": ["3", "r"],
        "expected_revision": 0,
        "replaces": None,
        **extra,
    }


def shown_text(statement: dict[str, Any]) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", statement["html"]))


def test_the_widget_gets_the_queue_ahead_with_keys_as_the_files_give_them(db_file: Path) -> None:
    ids = make_project(db_file)
    at = app_for(ids["alice"]).run()
    assert not at.exception
    sent = data(at)
    assert [shown_text(s) for s in sent["queue"]] == ARTICLE  # the next statements, in order
    assert [t["shortcut"] for t in sent["types"]] == list("1234567890")
    # q w e r t: R works (the widget takes every key itself; nothing is remapped)
    assert [lv["key"] for lv in sent["scales"][0]["levels"]] == list("qwert")
    assert (sent["mine"], sent["left"], sent["require_enter"]) == (0, 3, False)
    assert sent["queue"][0]["version"] == text_version(ARTICLE[0])


def test_article_text_is_escaped_before_cues_are_marked(db_file: Path) -> None:
    hostile = "Le ministre a dit <script>alert(1)</script> [lien](https://x.example) $5."
    ids = make_project(db_file, documents=[[hostile]])
    at = app_for(ids["alice"]).run()
    statement = data(at)["queue"][0]
    assert "<script>" not in statement["html"]
    assert "&lt;script&gt;" in statement["html"]
    assert shown_text(statement) == hostile


def test_labels_typed_ahead_are_saved_each_on_its_own_statement(db_file: Path) -> None:
    ids = make_project(db_file)
    at = app_for(ids["alice"]).run()
    queue = data(at)["queue"]
    # Three labels arrive in one trigger (the browser moved on without waiting).
    send(at, [label(queue[0], 1, "official_denial", 4), label(queue[1], 2, "anonymous_official", 2),
              label(queue[2], 3, "official_statement", 5)])  # fmt: skip
    assert not at.exception
    sent = data(at)
    assert sent["ack"] == 3
    assert [r["revision"] for r in sent["results"]] == [1, 1, 1]
    assert (sent["mine"], sent["left"], sent["queue"]) == (3, 0, [])
    db = storage.connect(db_file)
    saved = [storage.current_annotation(db, s["id"], ids["alice"]) for s in queue]
    assert [(a.source_type, a.confidence, a.keys, a.lead_time_seconds) for a in saved if a] == [
        ("official_denial", 4, ["3", "r"], 1.25),
        ("anonymous_official", 2, ["3", "r"], 1.25),
        ("official_statement", 5, ["3", "r"], 1.25),
    ]
    # A label sent again (the browser re-sends until acknowledged) is saved once.
    send(at, [label(queue[0], 1, "official_denial", 4)])
    assert len(storage.annotation_history(db, queue[0]["id"])) == 1
    db.close()


def test_suggestions_are_stored_apart_from_the_annotators_answer(db_file: Path) -> None:
    ids = make_project(db_file)
    at = app_for(ids["alice"]).run()
    statement = data(at)["queue"][1]  # "Selon des sources proches du dossier, ..."
    send(at, [label(statement, 1, "anonymous_official", 3)])
    db = storage.connect(db_file)
    saved = storage.current_annotation(db, statement["id"], ids["alice"])
    db.close()
    assert saved is not None
    assert (saved.who, saved.cue) == ("", "")  # the annotator typed or accepted nothing
    assert saved.suggestion_shown == (statement["suggestion"] is not None)
    if statement["suggestion"] is not None:
        assert saved.suggested_type == statement["suggestion"]["type"]
        assert (saved.suggested_who, saved.suggested_cue) == (
            statement["suggestion"]["who"],
            statement["suggestion"]["cue"],
        )


def test_a_label_on_text_that_changed_is_refused_and_nothing_is_saved(db_file: Path) -> None:
    ids = make_project(db_file)
    at = app_for(ids["alice"]).run()
    queue = data(at)["queue"]
    db = storage.connect(db_file)
    storage.merge_statements(db, 1, 0)  # an editor merges the first two statements
    send(at, [label(queue[0], 1, "official_denial", 4), label(queue[1], 2, "expert", 3)])
    results = data(at)["results"]
    assert [r["ok"] for r in results] == [False, False]  # both ids now hold other text
    assert all(r["message"].startswith("This statement changed") for r in results)
    assert storage.my_recent(db, ids["alice"]) == []
    db.close()


def test_a_label_changed_in_another_tab_is_a_conflict(db_file: Path) -> None:
    ids = make_project(db_file)
    at = app_for(ids["alice"]).run()
    statement = data(at)["queue"][0]
    db = storage.connect(db_file)
    storage.save_annotation(
        db,
        AnnotationInput(statement_id=statement["id"], annotator_id=ids["alice"],
                        source_type="expert", confidence=2),
    )  # fmt: skip
    send(at, [label(statement, 1, "official_denial", 4)])
    (result,) = data(at)["results"]
    assert not result["ok"] and "changed in another tab" in result["message"]
    saved = storage.current_annotation(db, statement["id"], ids["alice"])
    assert saved is not None and (saved.source_type, saved.revision) == ("expert", 1)
    db.close()


def test_reopening_my_label_and_changing_it_makes_revision_2(db_file: Path) -> None:
    ids = make_project(db_file)
    at = app_for(ids["alice"]).run()
    statement = data(at)["queue"][0]
    send(at, [label(statement, 1, "official_denial", 4)])
    recent = data(at)["recent"]
    assert [r["statement"]["id"] for r in recent] == [statement["id"]]
    assert recent[0]["label"]["levels"] == {"confidence": 4} and recent[0]["revision"] == 1
    # the edit names the label it replaces (made on this page): its revision is known here
    send(at, [label(statement, 2, "official_denial", 5, replaces=1, expected_revision=None)])
    db = storage.connect(db_file)
    saved = storage.current_annotation(db, statement["id"], ids["alice"])
    assert saved is not None and (saved.confidence, saved.revision) == (5, 2)
    # the same answer again adds no revision
    send(at, [label(statement, 3, "official_denial", 5, replaces=2, expected_revision=None)])
    assert len(storage.annotation_history(db, statement["id"])) == 2
    db.close()


def test_skip_incomplete_and_unknown_labels(db_file: Path) -> None:
    ids = make_project(db_file)
    at = app_for(ids["alice"]).run()
    queue = data(at)["queue"]
    send(at, [label(queue[0], 1, None, None, skipped=True, keys=["Space"]),
              label(queue[1], 2, "official_denial", None),
              label(queue[2], 3, "no_such_type", 3)])  # fmt: skip
    results = data(at)["results"]
    assert [r["ok"] for r in results] == [True, False, False]
    assert "confidence: choose a level of Confidence" in results[1]["message"]
    assert "'no_such_type' is not in taxonomy" in results[2]["message"]
    db = storage.connect(db_file)
    skipped = storage.current_annotation(db, queue[0]["id"], ids["alice"])
    assert skipped is not None and skipped.skipped and skipped.keys == ["Space"]
    assert storage.current_annotation(db, queue[1]["id"], ids["alice"]) is None
    db.close()


def test_labelling_is_blind_and_progress_is_my_own(db_file: Path) -> None:
    ids = make_project(db_file, k=2)
    db = storage.connect(db_file)
    first = storage.statements_of(db, 1)[0]
    storage.save_annotation(
        db,
        AnnotationInput(statement_id=first.id, annotator_id=ids["bob"],
                        source_type="expert", confidence=5, note="bob-private-note"),
    )  # fmt: skip
    db.close()
    at = app_for(ids["alice"]).run()
    page = widget(at).proto.json + "".join(m.value for m in at.markdown)
    assert "bob" not in page and "expert" not in json.dumps(data(at)["recent"])
    sent = data(at)
    assert (sent["mine"], sent["left"]) == (0, 3)  # bob's label moves none of alice's figures
    assert "complete" not in page.lower()  # no document or project counters


def test_the_project_may_require_enter_and_editors_see_project_progress(db_file: Path) -> None:
    ids = make_project(db_file)
    db = storage.connect(db_file)
    storage.set_require_enter(db, True)
    db.close()
    assert data(app_for(ids["alice"]).run())["require_enter"] is True
    editor = app_for(ids["eve"]).run()
    assert "Project: 0 of 3 statements complete." in [c.value for c in editor.caption]
    annotator = app_for(ids["alice"]).run()
    assert not [c.value for c in annotator.caption if c.value.startswith("Project:")]


def test_an_empty_queue_sends_no_statements(db_file: Path) -> None:
    ids = make_project(db_file, documents=[])
    at = app_for(ids["alice"]).run()
    sent = data(at)
    assert (sent["queue"], sent["left"]) == ([], 0)
