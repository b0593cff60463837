"""The published label per statement: adjudication first, then votes, never a silent tie-break."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from annotate.agreement.aggregated_labels import aggregated_labels
from annotate.agreement.report import ReportFilters


def _labels() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "statement_id": [1, 1, 1, 2, 2, 3, 3, 3],
            "annotator": ["a", "b", "c", "a", "b", "a", "b", "c"],
            "source_type": ["expert", "expert", "document", "expert", "document"]
            + ["media_report"] * 3,
            "confidence": pd.array([3, 4, 5, 2, 2, 1, 5, 5], dtype="Int64"),
            "suggestion_shown": [False] * 8,
            "document_id": [1, 1, 1, 1, 1, 2, 2, 2],
            "outlet": ["x"] * 8,
            "published": [dt.date(2024, 1, 1)] * 8,
        }
    )


ADJUDICATED = pd.DataFrame(
    {"statement_id": [3], "source_type": ["document"], "confidence": pd.array([4], dtype="Int64")}
)


def test_adjudication_wins_majority_reports_ties_and_median_is_the_lower_one() -> None:
    result = aggregated_labels(_labels(), ADJUDICATED, [1, 2, 3, 4, 5])
    majority = result.majority.set_index("unit")
    assert majority.loc[1, ["label", "method", "votes"]].tolist() == ["expert", "majority", 2]
    assert majority.loc[2, "method"] == "tie" and majority.loc[2, "label"] is None
    assert sorted(majority.loc[2, "tied_labels"]) == ["document", "expert"]
    assert majority.loc[3, ["label", "method"]].tolist() == ["document", "adjudicated"]
    median = result.median_confidence.set_index("unit")
    assert median.loc[1, "label"] == 4 and median.loc[3, "label"] == 4
    assert result.dawid_skene.set_index("unit").loc[3, "method"] == "adjudicated"
    # Every annotator said media_report where the editor decided document.
    assert result.vs_adjudicated["source_type"]["a"] == [[0, 0, 0], [0, 0, 0], [1, 0, 0]]


def test_filters_restrict_the_statements() -> None:
    result = aggregated_labels(
        _labels(), ADJUDICATED, [1, 2, 3, 4, 5], ReportFilters(document_ids=[1])
    )
    assert result.statement_ids == [1, 2]
    assert "source_type" not in result.vs_adjudicated
