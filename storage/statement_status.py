"""The one definition of an "open" and a "complete" statement.

Open: a statement (not a heading, caption or boilerplate) of a live document that has
fewer current labels than the project asks for (k); it is in annotators' queues.
Complete: a statement of a live document with at least k labels. Every query that counts
progress reads the `live_statements` view (migration 0003), and every write that
recomputes `statements.is_open` uses `open_expression`, so the two can never drift apart.
"""

from __future__ import annotations

K = "(SELECT annotators_per_statement FROM project WHERE id = 1)"
LIVE_STATEMENTS_VIEW = f"""
CREATE VIEW live_statements AS
SELECT s.*, (s.label_count >= {K}) AS complete
FROM statements s JOIN documents d ON d.id = s.document_id
WHERE d.deleted = 0 AND s.kind = 'statement'
"""


def open_expression(
    label_count: str = "label_count",
    kind: str = "kind",
    document_id: str = "statements.document_id",
) -> str:
    """SQL for `is_open` of a `statements` row; each argument may name a parameter instead
    of the row's column: the new count when the same UPDATE also sets it (SET reads the
    old row), or every value when an INSERT computes the row's `is_open` as it writes it."""
    live = f"EXISTS (SELECT 1 FROM documents d WHERE d.id = {document_id} AND d.deleted = 0)"
    return f"({kind} = 'statement' AND {label_count} < {K} AND {live})"
