"""doccano: export JSONL, and import every generation of its text-classification exports."""

from __future__ import annotations

import json

import pytest
from builders import refused_import
from test_export_data import populate

import storage
from annotate.core.taxonomy import scale_preset
from annotate.exports import ExportOptions
from annotate.interchange.doccano import parse_doccano
from annotate.interchange.labels import LabelImportError, LabelMapping
from workflows.export import export_to
from workflows.label_import import import_labels, import_labels_file

TEXTS = ["Le Kremlin a démenti.", "Selon CNN, l'attaque a eu lieu.", "Phrase sans étiquette."]
EXPECTED = {
    (TEXTS[0], "zoe"): ("official_denial", 4, []),
    (TEXTS[1], "dora"): ("media_report", None, ["expert"]),
}


def labels(db) -> dict[tuple[str, str], tuple]:
    rows = db.execute(
        "SELECT s.text, u.name, a.source_type, a.confidence, a.also_cites "
        "FROM annotations a JOIN statements s ON s.id = a.statement_id "
        "JOIN users u ON u.id = a.annotator_id WHERE a.deleted = 0"
    ).fetchall()
    return {(t, u): (st, c, json.loads(cites)) for t, u, st, c, cites in rows}


def write_lines(path, rows) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


def test_current_label_lists(project_db, tmp_path) -> None:
    path = tmp_path / "all.jsonl"
    write_lines(
        path,
        [
            {"id": 1, "text": TEXTS[0], "label": ["Official denial", "confidence:4"]},
            {
                "id": 2,
                "text": TEXTS[1],
                "label": ["media_report", "also_cites:expert"],
                "user": "dora",
            },
            {"id": 3, "text": TEXTS[2], "label": []},
        ],
    )
    summary = import_labels_file(project_db, path, default_user="zoe")
    assert (summary.documents_created, summary.labels) == (3, 2)
    assert labels(project_db) == EXPECTED


def test_older_labels_key(project_db, tmp_path) -> None:
    path = tmp_path / "old.jsonl"
    write_lines(
        path,
        [
            {"id": 1, "text": TEXTS[0], "labels": ["official_denial", "confidence:4"]},
            {
                "id": 2,
                "text": TEXTS[1],
                "labels": ["also_cites:expert", "media_report"],
                "user": "dora",
            },
        ],
    )
    import_labels_file(project_db, path, default_user="zoe")
    assert labels(project_db) == EXPECTED


def test_version_one_annotations_with_label_ids_and_labels_file(project_db, tmp_path) -> None:
    labels_file = tmp_path / "labels.json"
    labels_file.write_text(
        json.dumps(
            [
                {"id": 11, "text": "official_denial", "prefix_key": None, "suffix_key": "d"},
                {"id": 12, "text": "media_report", "prefix_key": None, "suffix_key": "m"},
                {"id": 13, "text": "also_cites:expert", "prefix_key": None, "suffix_key": "e"},
                {"id": 14, "text": "confidence:4", "prefix_key": None, "suffix_key": "4"},
            ]
        )
    )
    path = tmp_path / "v1.jsonl"
    stamp = "2020-03-01T10:00:00.000Z"
    write_lines(
        path,
        [
            {
                "id": 1,
                "text": TEXTS[0],
                "annotations": [
                    {"label": 11, "user": 1, "id": 1, "created_at": stamp, "prob": 0.0},
                    {"label": 14, "user": 1, "id": 2, "created_at": stamp, "prob": 0.0},
                ],
                "meta": {},
                "annotation_approver": None,
            },
            {
                "id": 2,
                "text": TEXTS[1],
                "annotations": [
                    {"label": 12, "user": 2, "id": 3, "created_at": stamp, "prob": 0.0},
                    {"label": 13, "user": 2, "id": 4, "created_at": stamp, "prob": 0.0},
                ],
                "meta": {},
                "annotation_approver": None,
            },
        ],
    )
    with pytest.raises(LabelImportError, match="needs the project's labels file"):
        import_labels_file(project_db, path)
    import_labels_file(project_db, path, labels_file=labels_file)
    assert labels(project_db) == {
        (TEXTS[0], "doccano_user_1"): ("official_denial", 4, []),
        (TEXTS[1], "doccano_user_2"): ("media_report", None, ["expert"]),
    }


CSV_TEXT = (
    "id,text,label\n"
    f'1,"{TEXTS[0]}",official_denial#confidence:4\n'
    f'2,"{TEXTS[1]}",media_report\n'
    f'2,"{TEXTS[1]}",also_cites:expert\n'
)


def test_csv(project_db, tmp_path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(CSV_TEXT, encoding="utf-8")
    import_labels_file(project_db, path, default_user="zoe")
    assert labels(project_db) == {
        (TEXTS[0], "zoe"): ("official_denial", 4, []),
        (TEXTS[1], "zoe"): ("media_report", None, ["expert"]),
    }


def test_utf16_csv(project_db, tmp_path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(CSV_TEXT.replace(",", "\t").encode("utf-16"))
    import_labels_file(project_db, path, default_user="zoe")
    assert labels(project_db)[(TEXTS[0], "zoe")] == ("official_denial", 4, [])


def test_export_then_import_into_a_fresh_project(project_db, users, tmp_path) -> None:
    populate(project_db, users)
    result = export_to(project_db, tmp_path / "d.jsonl", ExportOptions(format="doccano"))
    lines = [json.loads(line) for line in result.path.read_text().splitlines()]
    assert result.rows == len(lines) == 9  # ten current labels, one of them skipped
    first = lines[0]
    assert set(first) == {"text", "label", "user", "meta"}
    assert first["label"] == [
        "named_official", "also_cites:document", "also_cites:expert", "confidence:4"]  # fmt: skip
    assert first["user"] == "annotator_01"
    assert first["meta"]["document"]["title"] == "alpha"
    fresh = storage.connect(tmp_path / "fresh.db")
    storage.create_project(fresh, "Fresh")
    summary = import_labels_file(fresh, result.path)
    assert (summary.documents_created, summary.labels) == (2, 9)
    names = {"alice": "annotator_01", "bob": "annotator_02", "carol": "annotator_03"}
    source = {
        (t, names[u]): v
        for (t, u), v in labels(project_db).items()
        if v[0] is not None  # the skipped label is not a doccano label
    }
    assert labels(fresh) == source
    # doccano keeps a text's labels as a set and writes them sorted: read back the same.
    resorted = tmp_path / "resorted.jsonl"
    write_lines(resorted, [{**line, "label": sorted(line["label"])} for line in lines])
    again = storage.connect(tmp_path / "again.db")
    storage.create_project(again, "Again")
    import_labels_file(again, resorted)
    assert labels(again) == source


def test_two_plain_source_types_are_a_problem_not_a_guess(project_db, tmp_path) -> None:
    path = tmp_path / "sorted.jsonl"
    write_lines(path, [{"text": TEXTS[0], "label": ["expert", "media_report"], "user": "dora"}])
    with pytest.raises(LabelImportError) as refused:
        import_labels_file(project_db, path)
    assert refused.value.problems == [
        "sorted.jsonl: line 1: field label: two source types ('expert' and 'media_report') "
        "and doccano keeps no order: write the cited one as also_cites:media_report"
    ]
    assert labels(project_db) == {}


def test_labels_of_no_named_person_need_user(project_db, tmp_path) -> None:
    # A person's own doccano export names no one: nobody is guessed.
    path = tmp_path / "ann1.jsonl"
    write_lines(path, [{"text": TEXTS[0], "label": ["expert"]},
                       {"text": TEXTS[1], "label": []},
                       {"text": TEXTS[2], "label": ["media_report"], "user": "dora"}])  # fmt: skip
    with pytest.raises(LabelImportError) as refused:
        import_labels_file(project_db, path)
    assert refused.value.problems == [
        "ann1.jsonl: 1 line(s) name no annotator (no `user`): say who made these labels "
        "with --user NAME"
    ]
    import_labels_file(project_db, path, default_user="ann1")
    assert labels(project_db) == {
        (TEXTS[0], "ann1"): ("expert", None, []),
        (TEXTS[2], "dora"): ("media_report", None, []),
    }


def test_a_doccano_csv_with_quotes_and_line_breaks_in_texts(project_db, tmp_path) -> None:
    # As doccano 1.8 writes it: RFC 4180, a text with doubled quotes, a line break and
    # single quotes (which a dialect sniffer takes for the quote character).
    path = tmp_path / "doccano.csv"
    path.write_text(
        "id,text,label,meta\n"
        '1,"Officials said ""no deal"".\nSecond line; it\'s here.",official_denial,'
        "\"{'a': 'b'}\"\n"
        "2,The minister's aide spoke.,named_official#confidence:4,\"{'c': 'd'}\"\n"
        "3,'Quoted' text,bogus,\n",
        encoding="utf-8",
    )
    with pytest.raises(LabelImportError) as refused:
        import_labels_file(project_db, path, default_user="zoe")
    assert [p.split(": field")[0] for p in refused.value.problems] == ["doccano.csv: line 5"]
    path.write_text(path.read_text(encoding="utf-8").replace(",bogus,", ",expert,"))
    import_labels_file(project_db, path, default_user="zoe")
    assert labels(project_db) == {
        ('Officials said "no deal".\nSecond line; it\'s here.', "zoe"): (
            "official_denial",
            None,
            [],
        ),
        ("The minister's aide spoke.", "zoe"): ("named_official", 4, []),
        ("'Quoted' text", "zoe"): ("expert", None, []),
    }


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
    plan = parse_doccano(
        text, storage.get_taxonomy(project_db), scale, source="d.jsonl", default_user="doccano"
    )
    with pytest.raises(LabelImportError) as info:
        import_labels(project_db, plan)
    problems = info.value.problems
    assert problems[0].startswith("d.jsonl: line 1: field label: [0, 3, 'PER'] is a span label")
    assert problems[1] == "d.jsonl: line 2: not valid JSON (key must be a string at column 2)"
    assert problems[2] == "d.jsonl: line 3: field text: missing or not a string"
    assert any(
        p.startswith("d.jsonl: line 4: field source_type: unknown label 'gossip' (by doccano)")
        for p in problems
    )
    assert "d.jsonl: line 5: field statement_id: unknown statement 999" in problems
    assert storage.totals(project_db)["documents"] == 0


def test_a_document_that_is_not_an_object_is_refused_on_every_line(project_db, tmp_path) -> None:
    """Lines share the document objects they name; a bare value is never taken for the
    object with an empty key that a line before it named."""
    path = tmp_path / "shapes.jsonl"
    write_lines(
        path,
        [
            {"text": TEXTS[0], "label": ["expert"], "user": "a", "meta": {"document": {"": "d1"}}},
            {"text": TEXTS[1], "label": ["expert"], "user": "a", "meta": {"document": "d1"}},
            {"text": TEXTS[2], "label": ["expert"], "user": "a", "meta": {"document": True}},
        ],
    )
    with pytest.raises(LabelImportError) as info:
        import_labels_file(project_db, path)
    assert [p.split(":")[1] for p in info.value.problems] == [" line 2", " line 3"]
    assert all("field meta" in p and "valid dictionary" in p for p in info.value.problems)


def test_ids_and_offsets_beyond_sqlite_integers_are_problems(project_db, tmp_path) -> None:
    path = tmp_path / "huge.jsonl"
    write_lines(
        path,
        [
            {"text": TEXTS[0], "label": ["expert"], "statement_id": 2**64, "user": "zoe"},
            {
                "text": TEXTS[1],
                "label": ["expert"],
                "meta": {"start": -1, "end": 30},
                "user": "zoe",
            },
        ],
    )
    first, second = refused_import(project_db, path)
    assert first.startswith("huge.jsonl: line 1: field meta.statement_id: ")
    assert second.startswith("huge.jsonl: line 2: field meta.start: ")


def test_two_documents_with_one_text_cannot_label_one_statement_twice(project_db, tmp_path) -> None:
    """The database keeps a text once: two documents of a file with the same text become
    one, and one person's labels from both would be two labels on one statement."""
    path = tmp_path / "twice.jsonl"
    rows = [
        {"text": TEXTS[0], "label": [kind], "user": "ann",
         "meta": {"start": 0, "end": len(TEXTS[0]), "document": {"ref": ref}}}
        for ref, kind in (("one", "expert"), ("two", "official_denial"))
    ]  # fmt: skip
    write_lines(path, rows)
    assert refused_import(project_db, path) == [
        "twice.jsonl: line 2: field text: the same statement as twice.jsonl: line 1 (the file "
        "holds its document's text twice), which already has a label by ann; nothing was "
        "imported"
    ]
    # Two people, one label each: the statement simply gets both.
    rows[1]["user"] = "bob"
    write_lines(path, rows)
    summary = import_labels_file(project_db, path)
    assert (summary.documents_created, summary.labels) == (1, 2)


def test_a_line_separator_inside_a_text_stays_in_its_line(project_db, tmp_path) -> None:
    """JSON may hold U+2028, U+2029 and NEL unescaped (Python's json module writes them so
    with ensure_ascii=False): a JSON Lines file is split at line feeds only."""
    texts = ["Premier paragraphe.\u2028Suite du même énoncé.", "Fin\u0085 de ligne\u2029 ici."]
    path = tmp_path / "separators.jsonl"
    write_lines(path, [{"text": t, "label": ["expert"], "user": "ann"} for t in texts])
    assert "\u2028" in path.read_text(encoding="utf-8")  # written as it is, not escaped
    summary = import_labels_file(project_db, path)
    assert (summary.statements_created, summary.labels) == (2, 2)
    assert {t for t, _ in labels(project_db)} == set(texts)


def test_a_byte_that_is_not_utf8_names_its_line_and_column(project_db, tmp_path) -> None:
    path = tmp_path / "latin1.jsonl"
    good = json.dumps({"text": TEXTS[0], "label": ["expert"], "user": "zoe"}, ensure_ascii=False)
    path.write_bytes(good.encode() + b"\n" + '{"text": "Le café", "label": []}'.encode("latin-1"))
    assert refused_import(project_db, path) == [
        "latin1.jsonl: line 2: not valid JSON (invalid unicode code point at column 17)"
    ]


def test_byte_order_marks_and_windows_line_ends(project_db, tmp_path) -> None:
    rows = [{"text": t, "label": ["expert"], "user": "ann"} for t in TEXTS]
    body = "\r\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\r\n"
    for name, data in (("bom.jsonl", b"\xef\xbb\xbf" + body.encode()),
                       ("utf16.jsonl", body.encode("utf-16"))):  # fmt: skip
        path = tmp_path / name
        path.write_bytes(data)
        summary = import_labels_file(project_db, path, overwrite=True)
        assert summary.labels + summary.labels_unchanged == 3, name
    assert set(labels(project_db)) == {(t, "ann") for t in TEXTS}


def test_typed_keys_tell_apart_what_equality_joins() -> None:
    from annotate.interchange.labels import typed_key

    joined = [1, True, 1.0, "1", [1], {"a": 1}, {"a": True}, None, 0, False, ""]
    assert len({typed_key(v) for v in joined}) == len(joined)
    # Equal values built apart (not one shared object) give one key.
    built = json.loads('[{"ref": "d1", "n": [1, 2]}, {"ref": "d1", "n": [1, 2]}]')
    assert built[0] is not built[1] and typed_key(built[0]) == typed_key(built[1])
    shared = "d" + str(1)
    assert typed_key([shared, shared]) == typed_key(["d1", "d" + "1"])


def test_a_json_export_whose_first_text_is_long_is_read_as_doccano(project_db, tmp_path) -> None:
    """The shape is told by the first example's keys, wherever they are: doccano writes
    the text (and any metadata columns) before the labels."""
    long_text = "Selon un rapport, " + "la livraison a eu lieu. " * 4_000  # 96 kB
    path = tmp_path / "export.json"
    items = [
        {"id": 1, "text": long_text, "label": ["media_report"]},
        {"id": 2, "text": TEXTS[0], "label": ["official_denial"]},
    ]
    path.write_text(json.dumps(items))
    assert refused_import(project_db, path) == [
        "export.json: 2 item(s) name no annotator (no `user`): say who made these labels "
        "with --user NAME"
    ]
    import_labels_file(project_db, path, default_user="ann1")
    assert labels(project_db) == {
        (long_text, "ann1"): ("media_report", None, []),
        (TEXTS[0], "ann1"): ("official_denial", None, []),
    }


def test_version_one_annotations_without_a_user_need_user(project_db, tmp_path) -> None:
    path = tmp_path / "v1.jsonl"
    write_lines(
        path,
        [
            {"text": TEXTS[0], "annotations": [{"label": "official_denial"}]},
            {"text": TEXTS[1], "annotations": [{"label": "expert", "user": 7}]},
        ],
    )
    assert refused_import(project_db, path) == [
        "v1.jsonl: 1 line(s) name no annotator (no `user`): say who made these labels with "
        "--user NAME"
    ]
    import_labels_file(project_db, path, default_user="zoe")
    # A number is doccano's own id for a person.
    assert labels(project_db) == {
        (TEXTS[0], "zoe"): ("official_denial", None, []),
        (TEXTS[1], "doccano_user_7"): ("expert", None, []),
    }


def test_label_lists_that_say_too_much_or_too_little(project_db, tmp_path) -> None:
    path = tmp_path / "lists.jsonl"
    write_lines(path, [
        {"text": TEXTS[0], "label": ["confidence:1", "confidence:5", "expert"], "user": "zoe"},
        {"text": TEXTS[1], "label": ["also_cites:media_report"], "user": "zoe"},
        {"text": TEXTS[2], "label": ["also_cites:", "expert"], "user": "zoe"},
    ])  # fmt: skip
    assert refused_import(project_db, path) == [
        "lists.jsonl: line 1: field label: two confidence levels (1 and 5): a label has one",
        "lists.jsonl: line 2: field also_cites: cites media_report but names no source type: "
        "add the one the statement comes from",
        "lists.jsonl: line 3: field label: 'also_cites:' names no source",
    ]


def test_a_label_that_also_cites_its_own_source_keeps_the_others(project_db, tmp_path) -> None:
    path = tmp_path / "self.jsonl"
    cites = ["also_cites:expert", "also_cites:media_report", "also_cites:expert"]
    write_lines(path, [{"text": TEXTS[1], "user": "dora", "label": [*cites, "media_report"]}])
    import_labels_file(project_db, path)
    assert labels(project_db) == {(TEXTS[1], "dora"): ("media_report", None, ["expert"])}


def test_a_mapped_source_type_is_not_also_cited(project_db, tmp_path) -> None:
    path = tmp_path / "theirs.jsonl"
    label_list = ["journal", "also_cites:media_report", "also_cites:expert"]
    write_lines(path, [{"text": TEXTS[1], "label": label_list, "user": "zoe"}])
    import_labels_file(project_db, path, mapping=LabelMapping(mapping={"journal": "media_report"}))
    assert labels(project_db) == {(TEXTS[1], "zoe"): ("media_report", None, ["expert"])}


def test_a_user_number_is_doccanos_and_anything_else_names_no_one(project_db, tmp_path) -> None:
    path = tmp_path / "numbers.jsonl"
    write_lines(path, [
        {"text": TEXTS[0], "label": ["expert"], "user": 3},
        {"text": TEXTS[1], "label": ["expert"], "user": 0},
        {"text": TEXTS[2], "label": ["expert"], "user": True},
        {"text": "Un quatrième texte.", "label": ["expert"], "user": {"name": "x"}},
    ])  # fmt: skip
    assert refused_import(project_db, path) == [
        "numbers.jsonl: 2 line(s) name no annotator (no `user`): say who made these labels "
        "with --user NAME"
    ]
    import_labels_file(project_db, path, default_user="ann")
    assert {person for _, person in labels(project_db)} == {
        "doccano_user_3", "doccano_user_0", "ann"}  # fmt: skip


def test_a_json_export_is_told_by_its_first_item_that_says(project_db, tmp_path) -> None:
    """An example without labels (or a task nobody labelled) says nothing of the shape:
    the next items do."""
    path = tmp_path / "export.json"
    items = [{"id": 1, "text": TEXTS[2]}, {"id": 2, "text": TEXTS[0], "label": ["expert"]}]
    path.write_text(json.dumps(items))
    summary = import_labels_file(project_db, path, default_user="ann")
    assert (summary.statements_created, summary.labels) == (2, 1)
    assert labels(project_db) == {(TEXTS[0], "ann"): ("expert", None, [])}
