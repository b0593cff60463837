"""Time and effort per label: the Agreement page's per-annotator table shows each
annotator's median seconds per label, from the lead times the labelling widget records."""

from __future__ import annotations

from pathlib import Path

from apptest_helpers import ARTICLE, by_label, make_project
from page_helpers import page_app

import storage
from annotate.core.models import AnnotationInput
from workflows.labels import save_label


def test_the_per_annotator_table_shows_median_seconds_per_label(db_file: Path) -> None:
    ids = make_project(db_file, documents=[ARTICLE, ARTICLE[::-1]], k=2)
    db = storage.connect(db_file)
    statements = storage.statements_of(db, 1) + storage.statements_of(db, 2)
    seconds = {"alice": [3.0, 5.0, 4.0, 9.5, 2.0, 6.0], "bob": [1.0, 2.0, 1.5, 8.0, 1.0, 2.5]}
    for name, times in seconds.items():
        for i, (statement, lead) in enumerate(zip(statements, times, strict=True)):
            value = AnnotationInput(
                statement_id=statement.id,
                annotator_id=ids[name],
                source_type=("official_denial", "expert")[i % 2 if name == "bob" else 0],
                confidence=1 + (i + len(name)) % 5,
                lead_time_seconds=lead,
            )
            save_label(db, value)
    db.close()
    at = page_app("agreement", ids["eve"])
    assert not at.exception, at.exception
    by_label(at.number_input, "Bootstrap resamples").set_value(200).run()
    tables = [d.value for d in at.dataframe if "Median seconds per label" in d.value.columns]
    assert tables, "no per-annotator table with median seconds"
    table = tables[0].set_index("Annotator")["Median seconds per label"]
    assert table.to_dict() == {"alice": "4.5", "bob": "1.8"}
