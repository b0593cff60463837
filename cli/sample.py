"""Loading the sample project: the two seed articles and the demo annotations.

The demo annotations are made up by three pseudonymous annotators so that a first start
shows queues, disagreements and agreement figures; every row says `"demo": true`.
"""

from __future__ import annotations

import json
from pathlib import Path

import storage
from annotate.core.models import AnnotationInput
from annotate.documents.ingest import parse_path

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data"
DEMO_FILE = SAMPLE_DIR / "DEMO_annotations.jsonl"


def load_sample(db: storage.Database, sample_dir: Path = SAMPLE_DIR) -> str:
    documents: dict[str, int] = {}
    for path in sorted(sample_dir.glob("*.txt")):
        for outcome in storage.add_documents(db, parse_path(path)):
            if outcome.document_id is not None:
                documents[path.name] = outcome.document_id
    demo = sample_dir / DEMO_FILE.name
    saved = 0
    if demo.exists():
        version = storage.get_taxonomy(db).version
        statements = {
            doc_id: storage.statements_of(db, doc_id, only_statements=True)
            for doc_id in documents.values()
        }
        with storage.write(db):
            for number, line in enumerate(demo.read_text(encoding="utf-8").splitlines(), 1):
                row = json.loads(line)
                doc_id = documents.get(row["document"])
                if doc_id is None:
                    raise storage.NotFoundError(f"{demo.name}:{number}: unknown document")
                match = [
                    s for s in statements[doc_id] if s.text.startswith(row["statement_starts_with"])
                ]
                if len(match) != 1:
                    raise storage.NotFoundError(
                        f"{demo.name}:{number}: statement_starts_with matches "
                        f"{len(match)} statements, not 1"
                    )
                user = storage.find_or_create_user(db, row["annotator"])
                storage.save_annotation(
                    db,
                    AnnotationInput(
                        statement_id=match[0].id,  # type: ignore[arg-type]
                        annotator_id=user.id,  # type: ignore[arg-type]
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
    return f"sample project: {len(documents)} documents, {saved} demo annotations"
