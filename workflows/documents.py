"""Importing documents: parse each file (annotate.documents) and store what parsed
(storage), with an outcome per document.

The CLI's `import` calls `import_files`; a file that cannot be parsed becomes an error
outcome naming the file, and the other files still import. A file is read while it is
stored, a document at a time, so memory follows its largest document, not its size;
its documents are stored in one transaction, so a problem found half-way through it (a
bad row after good ones) leaves none of them: a file imports entirely or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import storage
from annotate.documents import ColumnMapping, IngestError, ParsedDocument
from annotate.documents.ingest import iter_path
from annotate.documents.parsed import StreamedDocument
from storage.restore import documents_by_hash

__all__ = [
    "DEFAULT_MAX_BYTES",
    "ImportReport",
    "duplicates_in",
    "import_files",
    "import_parsed",
]

DEFAULT_MAX_BYTES = 20_000_000


@dataclass
class ImportReport:
    """What an import did, document by document."""

    outcomes: list[storage.ImportOutcome] = field(default_factory=list)

    @property
    def added(self) -> int:
        return sum(o.status == "added" for o in self.outcomes)

    @property
    def duplicates(self) -> int:
        return sum(o.status == "duplicate" for o in self.outcomes)

    @property
    def errors(self) -> int:
        return sum(o.status == "error" for o in self.outcomes)

    @property
    def statements(self) -> int:
        return sum(o.statements for o in self.outcomes if o.status == "added")

    @staticmethod
    def describe(outcome: storage.ImportOutcome) -> str:
        """One line for an outcome, naming its file once."""
        if outcome.message.startswith(outcome.source_name):
            return outcome.message
        return f"{outcome.source_name}: {outcome.message}"

    def summary(self) -> str:
        return (
            f"{self.added} document(s) added ({self.statements} statements), "
            f"{self.duplicates} duplicate(s) skipped, {self.errors} error(s)"
        )


def duplicates_in(db: storage.Database, documents: Sequence[ParsedDocument]) -> list[str | None]:
    """For each document, why an import will skip it as a duplicate, or None: the project
    already holds its text (after normalising), or an earlier document of the same batch
    has it. A preview can say so before anything is imported."""
    stored = set(documents_by_hash(db, [d.content_hash for d in documents]))
    seen: set[str] = set()
    reasons: list[str | None] = []
    for document in documents:
        if document.content_hash in stored:
            reasons.append("already in the project")
        elif document.content_hash in seen:
            reasons.append("the same text as another document of this upload")
        else:
            reasons.append(None)
        seen.add(document.content_hash)
    return reasons


def import_parsed(
    db: storage.Database,
    files: Iterable[tuple[str, Iterable[ParsedDocument]]],
    on_outcome: Callable[[storage.ImportOutcome], None] | None = None,
) -> ImportReport:
    """Store the documents of files parsed beforehand (an upload: file name, documents)
    as `import_files` does: a file's documents in one transaction, all of them or none."""
    storage.get_project(db)  # no project: one clear error before anything is written
    report = ImportReport()
    for name, documents in files:
        _report(report, _store_file(db, name, iter(documents)), on_outcome)
    return report


def import_files(
    db: storage.Database,
    paths: Iterable[Path],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    mapping: ColumnMapping | None = None,
    on_outcome: Callable[[storage.ImportOutcome], None] | None = None,
) -> ImportReport:
    """Parse and store each file; a file that does not parse is one error outcome."""
    storage.get_project(db)
    report = ImportReport()
    for path in paths:
        path = Path(path)
        documents = iter_path(path, max_bytes=max_bytes, mapping=mapping)
        _report(report, _store_file(db, path.name, documents), on_outcome)
    return report


def _report(
    report: ImportReport,
    outcomes: list[storage.ImportOutcome],
    on_outcome: Callable[[storage.ImportOutcome], None] | None,
) -> None:
    for outcome in outcomes:
        report.outcomes.append(outcome)
        if on_outcome:
            on_outcome(outcome)


def _store_file(
    db: storage.Database, name: str, documents: Iterator[ParsedDocument | StreamedDocument]
) -> list[storage.ImportOutcome]:
    """The outcomes of one file's documents, stored in one transaction and reported once
    the file is done (a file that fails late reports its error alone, as if it had been
    parsed whole before anything was stored)."""
    outcomes: list[storage.ImportOutcome] = []
    try:
        upcoming = next(documents, None)  # the whole-file checks run before the write lock
        with storage.write(db):
            while upcoming is not None:
                outcome = storage.add_document(db, upcoming)
                if outcome.status == "error":  # one bad document: none of the file
                    raise _FileRefused(outcome)
                outcomes.append(outcome)
                upcoming = None  # the stored document is let go before the next is read
                upcoming = next(documents, None)
    except IngestError as exc:
        return [storage.ImportOutcome(source_name=exc.file, status="error", message=str(exc))]
    except storage.StorageError as exc:
        return [storage.ImportOutcome(source_name=name, status="error", message=str(exc))]
    except _FileRefused as refused:
        message = f"{refused.outcome.message}; nothing of {name} was imported"
        return [refused.outcome.model_copy(update={"message": message})]
    return outcomes


class _FileRefused(Exception):
    """Raised inside a file's transaction to roll back its documents stored so far."""

    def __init__(self, outcome: storage.ImportOutcome) -> None:
        super().__init__(outcome.message)
        self.outcome = outcome
