"""Taxonomy and rating scales are data: the defaults, custom files, and bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import import_text, label

import storage
from annotate.core.taxonomy import (
    TaxonomyError,
    default_taxonomy,
    load_taxonomy,
    parse_taxonomy,
    scale_preset,
    scale_presets,
)

DEFAULT_KEYS = [
    "declassified_intel",
    "anonymous_official",
    "official_denial",
    "named_official",
    "official_statement",
    "no_comment",
    "media_report",
    "document",
    "expert",
    "unattributed",
]


def test_default_taxonomy_has_the_ten_types_in_order_with_keys_and_french_names() -> None:
    taxonomy = default_taxonomy()
    assert taxonomy.keys == DEFAULT_KEYS
    assert [t.shortcut for t in taxonomy.types] == list("1234567890")
    assert taxonomy.get("official_denial").name("fr") == "Démenti officiel"  # type: ignore[union-attr]
    assert all(t.definition_en and t.definition_fr for t in taxonomy.types)
    assert taxonomy.version == "2024.1"


def test_scale_presets_and_their_ordinal_values() -> None:
    assert set(scale_presets()) == {"confidence5", "analytic3", "admiralty"}
    assert scale_preset("confidence5").primary.ordinal_values == [1, 2, 3, 4, 5]
    assert [lv.code for lv in scale_preset("analytic3").primary.levels] == ["L", "M", "H"]
    admiralty = scale_preset("admiralty")
    reliability, credibility = admiralty.scales
    assert [lv.code for lv in reliability.levels] == ["A", "B", "C", "D", "E", "F"]
    # "Cannot be judged" (F, 6) is outside the ordered scale: missing for ordinal agreement.
    assert reliability.ordinal_values == [1, 2, 3, 4, 5]
    assert reliability.level(0).code == "F"  # type: ignore[union-attr]
    assert credibility.level(0).code == "6"  # type: ignore[union-attr]
    with pytest.raises(TaxonomyError, match="unknown scale preset 'nato'"):
        scale_preset("nato")


def test_custom_taxonomy_from_toml_and_json(tmp_path: Path) -> None:
    toml_file = tmp_path / "mine.toml"
    toml_file.write_text(
        'name = "Desk"\nversion = "7"\n'
        '[[types]]\nkey = "wire"\nname_en = "Wire copy"\nshortcut = "w"\n'
        '[[types]]\nkey = "own"\nname_en = "Own reporting"\ncolor = "#112233"\n',
        encoding="utf-8",
    )
    from_toml = load_taxonomy(toml_file)
    assert from_toml.keys == ["wire", "own"] and from_toml.version == "7"
    json_file = tmp_path / "mine.json"
    json_file.write_text(json.dumps(from_toml.model_dump()), encoding="utf-8")
    assert load_taxonomy(json_file) == from_toml


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("types = [", "not valid TOML or JSON"),
        ('version = "1"', "field types: Field required"),
        ('[[types]]\nkey = "Bad Key"\nname_en = "x"', "field types.0.key"),
        ('[[types]]\nkey = "a"\nname_en = "A"\ncolor = "red"', "field types.0.color"),
        (
            '[[types]]\nkey = "a"\nname_en = "A"\n[[types]]\nkey = "a"\nname_en = "B"',
            "duplicate key(s) a",
        ),
        (
            '[[types]]\nkey = "a"\nname_en = "A"\nshortcut = "1"\n'
            '[[types]]\nkey = "b"\nname_en = "B"\nshortcut = "1"',
            "shortcut(s) 1 used twice",
        ),
    ],
)
def test_bad_taxonomy_file_names_the_file_and_field(text: str, message: str) -> None:
    with pytest.raises(TaxonomyError) as excinfo:
        parse_taxonomy(text, "desk.toml")
    assert str(excinfo.value).startswith("desk.toml: ")
    assert message in str(excinfo.value)


def test_project_records_taxonomy_version_on_annotations(project_db, users) -> None:
    statement = import_text(project_db, "Le ministre a déclaré que tout allait bien.")[0]
    version = storage.get_taxonomy(project_db).version
    saved = storage.save_annotation(
        project_db, label(statement.id, users["alice"], taxonomy_version=version)
    )
    assert saved.taxonomy_version == "2024.1"
