"""Saving a label (workflows/labels.py) and keeping keys and scales meaningful
(workflows/scale.py, annotate/core/taxonomy.py), on real database files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from apptest_helpers import ARTICLE, make_project

import storage
from annotate.core.models import AnnotationInput, text_version
from annotate.core.taxonomy import (
    PAGE_KEYS,
    SourceType,
    Taxonomy,
    TaxonomyError,
    check_keys,
    default_taxonomy,
    scale_preset,
    scale_presets,
)
from workflows.labels import (
    IncompleteLabelError,
    LabelSubmission,
    ShownSuggestions,
    StatementChangedError,
    SuggestionView,
    complete_label,
    median_seconds_per_label,
    save_label,
    save_labels,
)
from workflows.scale import (
    ScaleChangeError,
    change_scale,
    mapping_needed,
    save_taxonomy,
    update_project_settings,
)


@pytest.fixture
def project(tmp_path: Path) -> Iterator[tuple[storage.Database, dict[str, int], list[int]]]:
    path = tmp_path / "labels.db"
    ids = make_project(path)
    db = storage.connect(path)
    statement_ids = [s.id for s in storage.statements_of(db, 1) if s.id is not None]
    yield db, ids, statement_ids
    db.close()


def answer(sid: int, who: int, type_: str | None = "official_denial", level: int | None = 3,
           **extra: object) -> AnnotationInput:  # fmt: skip
    return AnnotationInput(statement_id=sid, annotator_id=who, source_type=type_,
                           confidence=level, **extra)  # fmt: skip


# --- keys -------------------------------------------------------------------------------


def test_the_shipped_taxonomy_and_every_shipped_scale_have_distinct_keys() -> None:
    for preset in scale_presets().values():
        check_keys(default_taxonomy(), preset)  # raises on a collision


def test_a_type_key_that_takes_a_confidence_key_is_refused_naming_both() -> None:
    types = [t.model_copy(update={"shortcut": "q"}) if t.key == "expert" else t
             for t in default_taxonomy().types]  # fmt: skip
    taxonomy = Taxonomy(name="x", version="2", types=types)
    with pytest.raises(TaxonomyError) as caught:
        check_keys(taxonomy, scale_preset("confidence5"))
    assert str(caught.value) == (
        "key Q of Confidence level 'Very low' is already the key of source type 'Expert or analyst'"
    )


def test_a_key_of_the_page_is_refused_naming_what_it_does() -> None:
    assert PAGE_KEYS[" "] == "skip the statement"
    types = [*default_taxonomy().types, SourceType(key="rumour", name_en="Rumour", shortcut="u")]
    with pytest.raises(TaxonomyError) as caught:
        check_keys(Taxonomy(types=types), scale_preset("confidence5"))
    assert str(caught.value) == (
        "key U of source type 'Rumour' is already the page's key to use the suggested who and cue"
    )


def test_saving_a_colliding_taxonomy_changes_nothing(project) -> None:
    db, _, _ = project
    before = storage.get_taxonomy(db)
    types = [
        t.model_copy(update={"shortcut": "e"}) if t.key == "expert" else t for t in before.types
    ]
    with pytest.raises(TaxonomyError, match="key E of Confidence level 'Moderate'"):
        save_taxonomy(db, Taxonomy(name=before.name, version=before.version, types=types))
    assert storage.get_taxonomy(db) == before


# --- saving a label ---------------------------------------------------------------------


def test_a_label_records_scale_text_version_time_and_keys(project) -> None:
    db, ids, sids = project
    value = answer(sids[0], ids["alice"], text_version=text_version(ARTICLE[0]),
                   lead_time_seconds=2.5, keys=["3", "e"])  # fmt: skip
    saved = save_label(db, value, expected_revision=0)
    a = saved.annotation
    assert saved.changed and a.revision == 1
    assert (a.scale_preset, a.scale_version, a.taxonomy_version) == ("confidence5", "1", "2024.1")
    assert (a.text_version, a.lead_time_seconds, a.keys) == (
        text_version(ARTICLE[0]),
        2.5,
        ["3", "e"],
    )


def test_a_save_that_changes_nothing_adds_no_revision(project) -> None:
    db, ids, sids = project
    save_label(db, answer(sids[0], ids["alice"], note="vu"))
    again = save_label(db, answer(sids[0], ids["alice"], note=" vu ", lead_time_seconds=9.0))
    assert not again.changed and again.annotation.revision == 1
    assert len(storage.annotation_history(db, sids[0])) == 1
    changed = save_label(db, answer(sids[0], ids["alice"], level=4))
    assert changed.changed and changed.annotation.revision == 2


def test_a_label_on_text_that_changed_is_refused(project) -> None:
    db, ids, sids = project
    seen = text_version(ARTICLE[1])  # the annotator had statement 1 open
    storage.merge_statements(db, 1, 0)  # ids are reused: statement 1 now holds other text
    with pytest.raises(StatementChangedError, match=r"statement \d+ changed: an editor merged"):
        save_label(db, answer(sids[1], ids["alice"], text_version=seen))
    gone = max(sids)  # after the merge the document has one statement fewer
    with pytest.raises(StatementChangedError, match="merged or removed"):
        save_label(db, answer(gone, ids["alice"], text_version=text_version(ARTICLE[2])))
    assert storage.my_recent(db, ids["alice"]) == []


def test_completeness_rules_apply_without_a_database() -> None:
    preset, taxonomy = scale_preset("admiralty"), default_taxonomy()
    with pytest.raises(IncompleteLabelError, match="credibility: choose a level of Information"):
        complete_label(answer(1, 1, level=5), taxonomy, preset)
    with pytest.raises(IncompleteLabelError, match="confidence: 9 is not a level of Source"):
        complete_label(answer(1, 1, level=9), taxonomy, preset)
    skipped = complete_label(answer(1, 1, skipped=True, also_cites=["expert"]), taxonomy, preset)
    assert (skipped.source_type, skipped.confidence, skipped.also_cites) == (None, None, [])
    done = complete_label(
        answer(1, 1, level=5, extra_ratings={"credibility": 0}, also_cites=["official_denial"]),
        taxonomy,
        preset,
    )
    assert done.also_cites == [] and done.extra_ratings == {"credibility": 0}


def test_suggestions_stay_suggestions(project) -> None:
    db, ids, sids = project
    (outcome,) = save_labels(
        db, ids["alice"], [LabelSubmission(sids[1], text_version(ARTICLE[1]), "expert", 3)]
    )
    assert outcome.ok, outcome.message
    saved = storage.current_annotation(db, sids[1], ids["alice"])
    assert saved is not None and (saved.who, saved.cue) == ("", "")
    if saved.suggestion_shown:  # whatever the detector said is in its own fields
        assert saved.suggested_type is not None


def test_median_seconds_per_label_by_annotator(project) -> None:
    db, ids, sids = project
    for sid, seconds in zip(sids, (1.0, 4.0, 2.5), strict=True):
        save_label(db, answer(sid, ids["alice"], lead_time_seconds=seconds))
    save_label(db, answer(sids[0], ids["bob"]))  # no timing recorded: left out
    assert median_seconds_per_label(db) == {"alice": 2.5}


# --- changing the scale -----------------------------------------------------------------


def test_changing_the_scale_with_labels_needs_a_mapping(project) -> None:
    db, ids, sids = project
    save_label(db, answer(sids[0], ids["alice"], level=3))
    save_label(db, answer(sids[1], ids["bob"], level=4))
    assert mapping_needed(db, "analytic3") == {"confidence": [3, 4]}
    with pytest.raises(ScaleChangeError, match=r"missing: confidence \(Moderate, High\)"):
        update_project_settings(db, scale="analytic3", name="Renamed")
    assert (storage.get_project(db).scale_preset, storage.get_project(db).name) == (
        "confidence5",
        "Test",
    )
    with pytest.raises(ScaleChangeError, match=r"mapping\.confidence: 7 is not a level"):
        change_scale(db, "analytic3", {"confidence": {3: 2, 4: 7}})
    change = change_scale(db, "analytic3", {"confidence": {3: 2, 4: 3}})
    assert change.relabelled == 2
    moved = storage.current_annotation(db, sids[0], ids["alice"])
    assert moved is not None and (moved.confidence, moved.revision) == (2, 2)
    assert (moved.scale_preset, moved.source_type) == ("analytic3", "official_denial")
    history = storage.annotation_history(db, sids[0])
    assert [(a.confidence, a.scale_preset) for _, a in history] == [
        (3, "confidence5"),
        (2, "analytic3"),
    ]
    assert storage.get_project(db).scale_preset == "analytic3"


def test_a_project_without_labels_changes_scale_freely(project) -> None:
    db, _, _ = project
    assert mapping_needed(db, "admiralty") == {}
    assert change_scale(db, "admiralty").relabelled == 0
    assert storage.get_project(db).scale_preset == "admiralty"


def test_an_export_keeps_suggestions_apart_from_the_annotators_answers(
    project, tmp_path: Path
) -> None:
    """Suggestions shown, never accepted: the annotators' who and cue stay empty and the
    suggestion is in its own, clearly named columns."""
    import pandas as pd

    from workflows.export import export_to

    db, ids, sids = project
    shown: ShownSuggestions = {
        sid: (text_version(text), None) for sid, text in zip(sids, ARTICLE, strict=True)
    }
    suggestion = SuggestionView(
        type="anonymous_official", who="des sources", cue="Selon", spans=[(0, 5, "cue")]
    )
    shown[sids[1]] = (text_version(ARTICLE[1]), suggestion)
    for who in ("alice", "bob"):
        outcomes = save_labels(
            db,
            ids[who],
            [LabelSubmission(sids[1], text_version(ARTICLE[1]), "anonymous_official", 4)],
            shown,
        )
        assert outcomes[0].ok, outcomes[0].message
    export_to(db, tmp_path / "labels.csv", card=False, agreement=False)
    frame = pd.read_csv(tmp_path / "labels.csv", keep_default_na=False)
    rows = frame[frame["statement_id"] == sids[1]]
    assert len(rows) == 2
    assert set(rows["who"]) == {""} and set(rows["cue"]) == {""}
    assert set(rows["suggested_who"]) == {"des sources"}
    assert set(rows["suggested_cue"]) == {"Selon"}
    assert set(rows["suggested_type"]) == {"anonymous_official"}
