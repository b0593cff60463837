"""Loading the sample project: the seed articles of `sample_data/` and the demo labels.

The demo labels are made up by three pseudonymous annotators so that a first start shows
queues, disagreements, ties and agreement figures; every row says `"demo": true`. They
are spread so that most statements hold fewer labels than a project asks for (k = 3 with
`make run`): an annotator created on a fresh sample project finds a full queue.

Segments that are only a word or two of a sentence cut short (the seed article's stray
"efforts.") are merged into the statement before them, so nobody is asked to label a
fragment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import storage
from annotate.core.errors import SourceDeskError
from annotate.core.models import AnnotationInput, Statement
from annotate.documents import parse_path

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data"
DEMO_NAME = "DEMO_annotations.jsonl"
FRAGMENT_WORDS = 2  # a "statement" of at most this many words is a fragment


class SampleError(SourceDeskError):
    """A demo label that does not match the sample articles."""


@dataclass(frozen=True)
class SampleOutcome:
    documents: int
    demo_labels: int
    merged_fragments: int

    def summary(self) -> str:
        merged = f", {self.merged_fragments} fragment(s) merged" if self.merged_fragments else ""
        return (
            f"sample project: {self.documents} documents, {self.demo_labels} demo annotations"
            f"{merged}"
        )


def is_fragment(statement: Statement, previous: Statement | None) -> bool:
    """A statement of one or two words that directly follows another statement."""
    return (
        statement.kind == "statement"
        and previous is not None
        and previous.kind == "statement"
        and len(statement.text.split()) <= FRAGMENT_WORDS
    )


def merge_fragments(db: storage.Database, document_id: int) -> int:
    """Merge every fragment into the statement before it; returns how many were merged."""
    merged = 0
    while True:
        statements = storage.statements_of(db, document_id)
        found = next(
            (
                s.position
                for previous, s in zip([None, *statements], statements, strict=False)
                if is_fragment(s, previous)
            ),
            None,
        )
        if found is None:
            return merged
        storage.merge_statements(db, document_id, found - 1)
        merged += 1


def _statement_for(statements: list[Statement], starts_with: str, where: str) -> Statement:
    match = [s for s in statements if s.text.startswith(starts_with)]
    if len(match) != 1:
        raise SampleError(f"{where}: statement_starts_with matches {len(match)} statements, not 1")
    return match[0]


def load_sample(db: storage.Database, sample_dir: Path = SAMPLE_DIR) -> SampleOutcome:
    """Import the sample articles, merge their fragments, and save the demo labels.

    All or nothing: a demo line that matches no statement (or several) leaves the
    database as it was.
    """
    documents: dict[str, int] = {}
    merged = 0
    saved = 0
    with storage.write(db):
        for path in sorted(sample_dir.glob("*.txt")):
            for outcome in storage.add_documents(db, parse_path(path)):
                if outcome.document_id is not None:
                    documents[path.name] = outcome.document_id
        for document_id in documents.values():
            merged += merge_fragments(db, document_id)
        demo = sample_dir / DEMO_NAME
        if demo.exists():
            version = storage.get_taxonomy(db).version
            statements = {
                doc_id: storage.statements_of(db, doc_id, only_statements=True)
                for doc_id in documents.values()
            }
            for number, line in enumerate(demo.read_text(encoding="utf-8").splitlines(), 1):
                where = f"{demo.name}:{number}"
                row = json.loads(line)
                doc_id = documents.get(row["document"])
                if doc_id is None:
                    raise SampleError(f"{where}: unknown document {row['document']}")
                statement = _statement_for(statements[doc_id], row["statement_starts_with"], where)
                user = storage.find_or_create_user(db, row["annotator"])
                if statement.id is None or user.id is None:  # stored records have ids
                    raise SampleError(f"{where}: the statement or annotator was not stored")
                storage.save_annotation(
                    db,
                    AnnotationInput(
                        statement_id=statement.id,
                        annotator_id=user.id,
                        source_type=row["source_type"],
                        also_cites=row["also_cites"],
                        confidence=row["confidence"],
                        note=row["note"],
                        skipped=row["skipped"],
                        flagged=row["flagged"],
                        taxonomy_version=version,
                    ),
                )
                saved += 1
    return SampleOutcome(documents=len(documents), demo_labels=saved, merged_fragments=merged)
