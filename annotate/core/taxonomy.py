"""Taxonomies of source types and rating scales, loaded from data files.

A newsroom edits labels, definitions, keys and colours without touching code, and every
annotation records the taxonomy version it was made under.
"""

from __future__ import annotations

import json
import tomllib
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from annotate.core.errors import SourceDeskError, validation_line

DATA_DIR = Path(__file__).parent.parent / "data"
DEFAULT_TAXONOMY_FILE = DATA_DIR / "taxonomy_default.toml"
SCALES_FILE = DATA_DIR / "scales.toml"
DEFAULT_SCALE_PRESET = "confidence5"

_HEX_COLOUR = r"^#[0-9a-fA-F]{6}$"


class TaxonomyError(SourceDeskError):
    """A taxonomy or scale file that cannot be used; the message names the file and field."""


class SourceType(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    name_en: str = Field(min_length=1)
    name_fr: str = ""
    definition_en: str = ""
    definition_fr: str = ""
    shortcut: str = Field(default="", max_length=1)
    color: str = Field(default="#999999", pattern=_HEX_COLOUR)
    retired: bool = False

    def name(self, language: str = "en") -> str:
        return self.name_fr if language == "fr" and self.name_fr else self.name_en


class Taxonomy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = "Custom"
    version: str = Field(default="1", min_length=1)
    types: list[SourceType] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Taxonomy:
        keys = [t.key for t in self.types]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(f"types: duplicate key(s) {', '.join(dupes)}")
        shortcuts = [t.shortcut for t in self.types if t.shortcut and not t.retired]
        dupes = sorted({s for s in shortcuts if shortcuts.count(s) > 1})
        if dupes:
            raise ValueError(f"types: shortcut(s) {', '.join(dupes)} used twice")
        return self

    @property
    def active(self) -> list[SourceType]:
        return [t for t in self.types if not t.retired]

    @property
    def keys(self) -> list[str]:
        return [t.key for t in self.types]

    def get(self, key: str) -> SourceType | None:
        return next((t for t in self.types if t.key == key), None)

    def to_json(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_json(cls, text: str) -> Taxonomy:
        return cls.model_validate_json(text)


class ScaleLevel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: int
    code: str
    label_en: str
    label_fr: str = ""
    key: str = Field(default="", max_length=1)
    ordinal: bool = True

    def label(self, language: str = "en") -> str:
        return self.label_fr if language == "fr" and self.label_fr else self.label_en


class RatingScale(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str
    name_en: str
    name_fr: str = ""
    levels: list[ScaleLevel] = Field(min_length=2)

    @property
    def ordinal_values(self) -> list[int]:
        """Values on the ordered scale, low to high; 'cannot be judged' levels are excluded."""
        return sorted(level.value for level in self.levels if level.ordinal)

    def level(self, value: int | None) -> ScaleLevel | None:
        return next((lv for lv in self.levels if lv.value == value), None)


class ScalePreset(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str
    name: str
    version: str = Field(default="1", min_length=1)
    scales: list[RatingScale] = Field(min_length=1)

    @property
    def primary(self) -> RatingScale:
        return self.scales[0]


def _format_validation(source: str, exc: ValidationError) -> str:
    return validation_line(exc, prefix=f"{source}: field", default="(top level)").replace(
        "field: ", "field ", 1
    )


def parse_taxonomy(text: str, source: str = "taxonomy") -> Taxonomy:
    """Parse a taxonomy from TOML or JSON text (JSON if it starts with '{')."""
    try:
        data = json.loads(text) if text.lstrip().startswith("{") else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TaxonomyError(f"{source}: not valid TOML or JSON ({exc})") from None
    try:
        return Taxonomy.model_validate(data)
    except ValidationError as exc:
        raise TaxonomyError(_format_validation(source, exc)) from None


def load_taxonomy(path: Path) -> Taxonomy:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TaxonomyError(f"{path}: cannot be read ({exc})") from None
    return parse_taxonomy(text, str(path))


@cache
def default_taxonomy() -> Taxonomy:
    return load_taxonomy(DEFAULT_TAXONOMY_FILE)


@cache
def scale_presets() -> dict[str, ScalePreset]:
    data = tomllib.loads(SCALES_FILE.read_text(encoding="utf-8"))
    return {key: ScalePreset.model_validate({"key": key, **value}) for key, value in data.items()}


def scale_preset(key: str) -> ScalePreset:
    presets = scale_presets()
    if key not in presets:
        raise TaxonomyError(f"unknown scale preset {key!r}; choose one of {', '.join(presets)}")
    return presets[key]


# The keys of the Annotate page itself, by what they do. Letters are matched regardless of
# case; a taxonomy or scale may not use any of these, nor a key another part already uses.
PAGE_KEYS: dict[str, str] = {
    "Enter": "confirm the label",
    "Backspace": "reopen the previous label",
    "Escape": "leave a text field",
    "ArrowLeft": "go back through my labels",
    "ArrowRight": "go forward through my labels",
    " ": "skip the statement",
    "u": "use the suggested who and cue",
    "/": "type who, cue and a note",
    "?": "mark unsure",
    "!": "flag for discussion",
}


def key_name(key: str) -> str:
    """A key as people call it ("Space", "R")."""
    return "Space" if key == " " else key.upper() if len(key) == 1 else key


def check_keys(taxonomy: Taxonomy, preset: ScalePreset) -> None:
    """Refuse a taxonomy and scale whose keys collide with each other or with the page's own
    keys; the message names both uses of the key. Keys work exactly as the files give them."""
    owners: dict[str, str] = {
        k.lower(): f"the page's key to {what}" for k, what in PAGE_KEYS.items()
    }
    wanted: list[tuple[str, str]] = [
        (t.shortcut, f"source type {t.name_en!r}") for t in taxonomy.active if t.shortcut
    ]
    for scale in preset.scales:
        wanted += [
            (level.key, f"{scale.name_en} level {level.label_en!r}")
            for level in scale.levels
            if level.key
        ]
    for key, what in wanted:
        if not key.strip() and key != " ":
            raise TaxonomyError(f"{what}: its key must be a visible character")
        other = owners.get(key.lower())
        if other is not None:
            raise TaxonomyError(f"key {key_name(key)} of {what} is already {_as_owner(other)}")
        owners[key.lower()] = what


def _as_owner(owner: str) -> str:
    return owner if owner.startswith("the page") else f"the key of {owner}"
