"""Settings: a project that has labels changes its scale only with an explicit mapping of
old levels to new ones, applied as new revisions."""

from __future__ import annotations

from pathlib import Path

from apptest_helpers import button, by_label, make_project, texts
from page_helpers import page_app

import storage
from annotate.core.models import AnnotationInput


def _labelled(db_file: Path) -> tuple[dict[str, int], list[int]]:
    ids = make_project(db_file)
    db = storage.connect(db_file)
    sids = [s.id for s in storage.statements_of(db, 1)]
    for sid, level in zip(sids, (3, 5), strict=False):
        storage.save_annotation(
            db,
            AnnotationInput(statement_id=sid, annotator_id=ids["alice"],
                            source_type="expert", confidence=level),
        )  # fmt: skip
    db.close()
    return ids, sids  # type: ignore[return-value]


def test_changing_the_scale_of_a_labelled_project_is_refused_without_a_mapping(
    db_file: Path,
) -> None:
    ids, _ = _labelled(db_file)
    at = page_app("settings", ids["root"])
    by_label(at.selectbox, "Confidence scale").set_value("analytic3")
    button(at, "Save settings").click().run()
    assert not at.exception
    (error,) = [e.value for e in at.error]
    assert "2 label(s) were made on 'Confidence, 5 points'" in error
    assert "missing: confidence (Moderate, Very high)" in error
    db = storage.connect(db_file)
    assert storage.get_project(db).scale_preset == "confidence5"
    db.close()


def test_a_mapping_moves_every_label_to_the_new_scale_as_a_new_revision(db_file: Path) -> None:
    ids, sids = _labelled(db_file)
    at = page_app("settings", ids["root"])
    by_label(at.selectbox, "New scale").set_value("analytic3").run()
    by_label(at.selectbox, "Moderate (Confidence, 5 points) becomes").set_value(2).run()
    button(at, "Change the scale and relabel").click().run()
    assert "missing: confidence (Very high)" in texts(at)  # nothing changed yet
    by_label(at.selectbox, "Very high (Confidence, 5 points) becomes").set_value(3).run()
    button(at, "Change the scale and relabel").click().run()
    assert not at.exception
    assert "2 label(s) got a new revision" in texts(at)
    db = storage.connect(db_file)
    assert storage.get_project(db).scale_preset == "analytic3"
    moved = [storage.current_annotation(db, sid, ids["alice"]) for sid in sids[:2]]
    assert [(a.confidence, a.revision, a.scale_preset) for a in moved if a] == [
        (2, 2, "analytic3"),
        (3, 2, "analytic3"),
    ]
    db.close()
