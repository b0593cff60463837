"""Files written by the tools themselves: Label Studio 1.23.2 and doccano 1.8.4 exports
(`tests/data/interop/`), made by running each tool on a small project, read as they are."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from builders import refused_import
from test_labelstudio import final_labels
from test_labelstudio import labels_by_user as labels

from annotate.interchange.labels import LabelImportError
from workflows.label_import import import_labels_file

DATA = Path(__file__).parent / "data" / "interop"
LABEL_STUDIO = DATA / "labelstudio-1.23"
DOCCANO = DATA / "doccano-1.8"


MINISTER = "The minister said the talks were progressing."
REUTERS = "According to a report by Reuters, the shipment left on Tuesday."
UNNAMED = "An official who asked not to be named said the deal was close."
MINISTRY = "The ministry said in a statement that the talks had ended."


def test_label_studio_json_keeps_people_skips_and_the_final_label(project_db) -> None:
    summary = import_labels_file(
        project_db,
        LABEL_STUDIO / "handmade_json.json",
        users_file=LABEL_STUDIO / "ls_users_api.json",
    )
    assert (summary.statements_created, summary.labels, summary.final_labels) == (3, 5, 1)
    assert labels(project_db) == {
        (REUTERS, "annotator_02"): ("document", 4, ["media_report"], False),
        (UNNAMED, "a@b.c"): (None, None, [], True),  # a cancelled annotation: a skip
        (UNNAMED, "annotator_01"): ("anonymous_official", 3, [], False),
        (MINISTRY, "a@b.c"): ("official_statement", 4, ["document", "media_report"], False),
        (MINISTRY, "annotator_02"): ("named_official", 2, [], False),
    }
    # The ground_truth annotation is the statement's final label.
    assert final_labels(project_db) == {REUTERS: ("media_report", 5, [])}


@pytest.mark.parametrize("name", ["handmade_json_min.json", "handmade_csv.csv"])
def test_label_studio_json_min_and_csv_give_the_same_labels(project_db, name) -> None:
    """The JSON export's labels, as these shapes keep them: Label Studio leaves the
    cancelled annotation out, and writes the ground_truth one as a plain annotation."""
    summary = import_labels_file(
        project_db, LABEL_STUDIO / name, users_file=LABEL_STUDIO / "ls_users_api.json"
    )
    assert (summary.statements_created, summary.labels, summary.final_labels) == (3, 5, 0)
    assert labels(project_db) == {
        (REUTERS, "annotator_02"): ("document", 4, ["media_report"], False),
        (REUTERS, "a@b.c"): ("media_report", 5, [], False),
        (UNNAMED, "annotator_01"): ("anonymous_official", 3, [], False),
        (MINISTRY, "a@b.c"): ("official_statement", 4, ["document", "media_report"], False),
        (MINISTRY, "annotator_02"): ("named_official", 2, [], False),
    }


def test_label_studio_tsv_is_read_as_label_studio(project_db) -> None:
    # Label Studio's TSV export (tab-separated JSON-MIN), which it also serves as `.csv`.
    summary = import_labels_file(project_db, LABEL_STUDIO / "rich_via_ls_tsv.tsv")
    assert (summary.documents_created, summary.statements_created) == (2, 32)
    assert summary.labels == 81
    # No users listing beside it: each number is Label Studio's own id for a person.
    got = labels(project_db)
    assert Counter(person for _, person in got) == {
        "labelstudio_user_2": 25,
        "labelstudio_user_3": 24,
        "labelstudio_user_4": 23,
        "labelstudio_user_5": 5,
        "labelstudio_user_6": 4,
    }


@pytest.mark.parametrize("name", ["hand__all__ann1.jsonl", "hand__all__ann1.json",
                                  "hand__all__ann1.csv"])  # fmt: skip
def test_doccano_exports_of_one_person_in_every_format(project_db, name) -> None:
    # doccano names the person only in the file name: --user says who it is.
    summary = import_labels_file(project_db, DOCCANO / name, default_user="ann1")
    assert (summary.statements_created, summary.labels) == (5, 2)
    got = labels(project_db)
    assert got[(MINISTER, "ann1")] == ("named_official", 4, [], False)
    assert {person for _, person in got} == {"ann1"}


def test_a_doccano_label_set_with_two_source_types_is_refused(project_db) -> None:
    with pytest.raises(LabelImportError) as refused:
        import_labels_file(project_db, DOCCANO / "hand__all__ann2.jsonl", default_user="ann2")
    assert refused.value.problems == [
        "hand__all__ann2.jsonl: line 2: field label: two source types ('anonymous_official' "
        "and 'media_report') and doccano keeps no order: write the cited one as "
        "also_cites:media_report"
    ]
    assert labels(project_db) == {}


@pytest.mark.parametrize("name", ["handmade_json_min.json", "handmade_csv.csv"])
def test_label_studio_min_shapes_from_another_labelling_config_are_refused(
    project_db, tmp_path, name
) -> None:
    """JSON-MIN and CSV name controls only by their keys: a project whose controls are not
    SourceDesk's would otherwise import its statements with no label at all."""
    text = (LABEL_STUDIO / name).read_text(encoding="utf-8")
    for ours, theirs in (("source_type", "sentiment"), ("also_cites", "topics"),
                         ("confidence", "rating"), ("note", "comment")):  # fmt: skip
        text = text.replace(ours, theirs)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LabelImportError) as refused:
        import_labels_file(project_db, path)
    first = "line 2" if name.endswith(".csv") else "task 1 (id 65)"
    assert refused.value.problems == [
        f"{name}: 5 of 5 annotation(s) carry none of SourceDesk's controls (source_type, "
        f"also_cites, confidence, note), the first at {first}; their other keys: comment, "
        "outlet, rating, sentiment, topics: name the labelling config's controls as "
        "SourceDesk's, or export Label Studio's JSON"
    ]
    assert labels(project_db) == {}


def test_label_studio_rows_of_another_config_among_ours_are_refused(project_db, tmp_path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_text(
        "annotation_id,annotator,source_type,sentiment,text\n"
        "1,bob,expert,,Premier texte ici\n"
        "2,bob,,positive,Second texte ici\n"
        "3,carol,,negative,Troisieme texte ici\n",
        encoding="utf-8",
    )
    assert refused_import(project_db, path) == [
        "mixed.csv: 2 of 3 annotation(s) carry none of SourceDesk's controls (source_type, "
        "also_cites, confidence, note), the first at line 3; their other keys: sentiment: "
        "name the labelling config's controls as SourceDesk's, or export Label Studio's JSON"
    ]


def test_label_studio_csv_problems_name_the_line_a_record_starts_on(project_db, tmp_path) -> None:
    path = tmp_path / "lines.csv"
    path.write_text(
        "annotation_id,annotator,confidence,source_type,text\n"
        '1,bob,4,expert,"Premier texte\nsur deux lignes\net trois"\n'
        "2,bob,99,expert,Second texte\n",
        encoding="utf-8",
    )
    assert refused_import(project_db, path) == [
        "lines.csv: line 5: field confidence.value.choices: unknown confidence level ['99']"
    ]


def test_a_doccano_file_read_as_label_studio_says_so(project_db, tmp_path) -> None:
    path = tmp_path / "doccano.json"
    path.write_text('[{"text": "Un texte.", "label": ["expert"], "user": "zoe"}]')
    assert refused_import(project_db, path, kind="labelstudio") == [
        "doccano.json: task 1: a doccano example (`label`, no `data`): use --kind doccano"
    ]


def test_a_label_studio_annotation_with_nothing_chosen_is_no_label(project_db, tmp_path) -> None:
    """Submitted with no choice (no control is required), an annotation is a JSON-MIN row
    with the task's data and no control: a statement without a label, not another config."""
    rows = [
        {"text": REUTERS, "outlet": "Wire", "annotator": 3, "annotation_id": 5,
         "source_type": "media_report"},
        {"text": MINISTRY, "outlet": "Wire", "annotator": 3, "annotation_id": 6},
    ]  # fmt: skip
    path = tmp_path / "min.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    summary = import_labels_file(project_db, path)
    assert (summary.statements_created, summary.labels) == (2, 1)
    assert labels(project_db) == {
        (REUTERS, "labelstudio_user_3"): ("media_report", None, [], False)
    }


def test_csv_problems_count_blank_lines_too(project_db, tmp_path) -> None:
    path = tmp_path / "blank.csv"
    path.write_text(
        'text,source_type,annotator\n\n"multi\nline",bogus_type,alice\n\n\n"b",bogus2,bob\n',
        encoding="utf-8",
    )
    problems = refused_import(project_db, path)
    assert [p.split(": field")[0] for p in problems] == ["blank.csv: line 3", "blank.csv: line 7"]


def test_label_studio_cites_without_a_source_type_are_refused(project_db, tmp_path) -> None:
    cites = {"from_name": "also_cites", "to_name": "text", "type": "choices",
             "value": {"choices": ["media_report"]}}  # fmt: skip
    tasks = [{"id": 4, "data": {"text": REUTERS},
              "annotations": [{"completed_by": 1, "result": [cites]}]}]  # fmt: skip
    path = tmp_path / "cites.json"
    path.write_text(json.dumps(tasks), encoding="utf-8")
    assert refused_import(project_db, path) == [
        "cites.json: task 1 (id 4): annotations[0]: field also_cites: cites media_report but "
        "names no source type: add the one the statement comes from"
    ]
