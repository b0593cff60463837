"""The project row: settings, the taxonomy in force and the history of its versions."""

from __future__ import annotations

import json
from typing import TypedDict, Unpack

from sqlite_utils import Database

from annotate.core.models import Project, utcnow
from annotate.core.taxonomy import Taxonomy, default_taxonomy, scale_preset
from storage.errors import InUseError, NotFoundError, StorageError
from storage.rows import to_model
from storage.statement_status import open_expression
from storage.transactions import write


def _row_to_project(row: dict) -> Project:
    return to_model(Project, row)


def has_project(db: Database) -> bool:
    return db.execute("SELECT 1 FROM project WHERE id = 1").fetchone() is not None


def get_project(db: Database) -> Project:
    rows = list(db.query("SELECT * FROM project WHERE id = 1"))
    if not rows:
        raise NotFoundError("this database has no project yet: run `sourcedesk init` first")
    return _row_to_project(rows[0])


def get_taxonomy(db: Database) -> Taxonomy:
    return Taxonomy.from_json(get_project(db).taxonomy_json)


def create_project(
    db: Database,
    name: str,
    *,
    taxonomy: Taxonomy | None = None,
    scale: str = "confidence5",
    annotators_per_statement: int = 2,
    suggestions_enabled: bool = True,
) -> Project:
    if has_project(db):
        raise StorageError("this database already holds a project")
    taxonomy = taxonomy or default_taxonomy()
    scale_preset(scale)  # validates the preset name
    project = Project(
        id=1,
        name=name,
        taxonomy_json=taxonomy.to_json(),
        scale_preset=scale,
        annotators_per_statement=annotators_per_statement,
        suggestions_enabled=suggestions_enabled,
    )
    with write(db):
        db.table("project").insert(
            {
                "id": 1,
                "name": project.name,
                "taxonomy_json": project.taxonomy_json,
                "taxonomy_version": taxonomy.version,
                "scale_preset": project.scale_preset,
                "annotators_per_statement": project.annotators_per_statement,
                "suggestions_enabled": int(project.suggestions_enabled),
                "created_at": project.created_at.isoformat(),
            }
        )
        _record_taxonomy_version(db, taxonomy)
    return project


def _record_taxonomy_version(db: Database, taxonomy: Taxonomy) -> None:
    db.execute(
        "INSERT OR IGNORE INTO taxonomy_versions (version, taxonomy_json, created_at) "
        "VALUES (?, ?, ?)",
        [taxonomy.version, taxonomy.to_json(), utcnow().isoformat()],
    )


def taxonomy_versions(db: Database) -> dict[str, Taxonomy]:
    rows = db.execute("SELECT version, taxonomy_json FROM taxonomy_versions ORDER BY created_at")
    return {version: Taxonomy.from_json(text) for version, text in rows.fetchall()}


def labels_in_use(db: Database) -> set[str]:
    """Source-type keys referenced by any annotation or adjudication, history included."""
    used: set[str] = set()
    for table in ("annotation_revisions", "adjudication_revisions"):
        used |= {
            r[0]
            for r in db.execute(
                f"SELECT DISTINCT source_type FROM {table} WHERE source_type IS NOT NULL"
            )
        }
        for (cites,) in db.execute(f"SELECT DISTINCT also_cites FROM {table}"):
            used.update(json.loads(cites))
    return used


def update_taxonomy(db: Database, taxonomy: Taxonomy) -> Taxonomy:
    """Replace the taxonomy; labels in use may be retired but never removed.

    The version changes with every edit so that each annotation keeps pointing at the
    definitions its annotator saw.
    """
    with write(db):
        current = get_taxonomy(db)
        removed = set(current.keys) - set(taxonomy.keys)
        in_use = sorted(removed & labels_in_use(db))
        if in_use:
            raise InUseError(
                f"label(s) {', '.join(in_use)} are used by annotations: retire them instead"
            )
        if taxonomy.model_dump(exclude={"version"}) == current.model_dump(exclude={"version"}):
            return current
        if taxonomy.version == current.version:
            taxonomy = taxonomy.model_copy(update={"version": _next_version(db, current.version)})
        db.execute(
            "UPDATE project SET taxonomy_json = ?, taxonomy_version = ? WHERE id = 1",
            [taxonomy.to_json(), taxonomy.version],
        )
        _record_taxonomy_version(db, taxonomy)
    return taxonomy


def _next_version(db: Database, version: str) -> str:
    base = version.split("+")[0]
    known = set(taxonomy_versions(db))
    n = 2
    while f"{base}+{n}" in known:
        n += 1
    return f"{base}+{n}"


class SettingsChange(TypedDict, total=False):
    """The settings a save may change besides the scale (whose change has rules of its
    own, workflows.scale), declared once for the storage call and the workflow that passes
    them on. A setting left out, or None, keeps its value."""

    name: str | None
    annotators_per_statement: int | None
    suggestions_enabled: bool | None


def update_settings(
    db: Database, *, scale: str | None = None, **settings: Unpack[SettingsChange]
) -> Project:
    with write(db):
        project = get_project(db)
        changes: dict[str, object] = {k: v for k, v in settings.items() if v is not None}
        if scale is not None:
            scale_preset(scale)
            changes["scale_preset"] = scale
        updated = project.model_copy(update=changes)
        Project.model_validate(updated.model_dump())  # re-validate (names the bad field)
        db.execute(
            "UPDATE project SET name = ?, scale_preset = ?, annotators_per_statement = ?, "
            "suggestions_enabled = ? WHERE id = 1",
            [
                updated.name,
                updated.scale_preset,
                updated.annotators_per_statement,
                int(updated.suggestions_enabled),
            ],
        )
        if updated.annotators_per_statement != project.annotators_per_statement:
            refresh_open_statements(db)
    return updated


def bump_queue_generation(db: Database) -> None:
    """Some statement may have opened: annotators' "queue empty" marks are stale."""
    db.execute("UPDATE queue_state SET generation = generation + 1 WHERE id = 1")


def refresh_open_statements(db: Database, document_id: int | None = None) -> None:
    """Recompute which statements still need labels (after k changes or an import)."""
    where, params = ("WHERE document_id = ?", [document_id]) if document_id else ("", [])
    db.execute(
        f"UPDATE statements SET is_open = {open_expression()} {where}",
        params,
    )
    bump_queue_generation(db)
