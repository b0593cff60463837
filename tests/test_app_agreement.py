"""The Agreement page on the sample project, for fact-checkers: a summary in words, figures
with intervals (no None, no raw column names), hidden figures explained in one line,
integer counts, the Review page's disagreement score, filters, roles, empty data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from apptest_helpers import PASSWORD, by_label, make_project, texts
from page_helpers import page_app
from streamlit.testing.v1 import AppTest

import storage
from annotate.accounts.passwords import hash_password
from annotate.agreement.report import ReportFilters
from annotate.core.models import AnnotationInput
from ui.markup import plain_html
from workflows.agreement import agreement_report
from workflows.sample import load_sample

RAW_NAMES = {
    "n_pairable", "ci_low", "ci_high", "n_units", "coder", "specific_agreement",
    "alpha_binary", "agreement_with_others", "label_a", "pairs", "explanation",
}  # fmt: skip
FIGURE_COLUMNS = ["Figure", "Value", "95% interval", "Statements", "Reading"]


@pytest.fixture
def sample(db_file: Path) -> dict[str, int]:
    """The sample project (three demo annotators, k=3) plus an editor and an annotator."""
    db = storage.connect(db_file)
    storage.create_project(db, "Sample", annotators_per_statement=3)
    load_sample(db)
    ids = {
        name: storage.add_user(db, name, role, hash_password(PASSWORD)).id
        for name, role in [("eve", "editor"), ("alice", "annotator")]
    }
    db.close()
    return ids  # type: ignore[return-value]


def figures(at: AppTest) -> pd.DataFrame:
    """Both figure tables of the page (source type first)."""
    tables = [d.value for d in at.dataframe if list(d.value.columns) == FIGURE_COLUMNS]
    assert len(tables) == 2, "expected one figure table per variable"
    return pd.concat(
        [tables[0].assign(variable="source_type"), tables[1].assign(variable="confidence")],
        ignore_index=True,
    )


def open_agreement(user_id: int, n_boot: int = 200) -> AppTest:
    at = page_app("agreement", user_id)
    assert not at.exception, at.exception
    by_label(at.number_input, "Bootstrap resamples").set_value(n_boot).run()
    return at


def test_a_summary_in_words_comes_first(db_file: Path, sample: dict[str, int]) -> None:
    at = open_agreement(sample["eve"])
    summary = at.main.children[2].markdown[0].value  # after the title and the filters
    report = agreement_report(storage.connect(db_file), ReportFilters(), n_boot=200, seed=42)
    alpha = report.source_type.alpha["nominal"]
    top = report.source_type.confusions[0]
    taxonomy = storage.get_taxonomy(storage.connect(db_file))
    expected = (
        f"Agreement on the source type is tentative (α 0.720, 95% interval {alpha.ci_low:.3f} "
        f"to {alpha.ci_high:.3f}); agreement on confidence is tentative (α 0.741"
    )
    assert plain_html(expected) in summary
    pair = (
        f"The most confused pair of source types is {taxonomy.get(top.label_a).name()} vs "
        f"{taxonomy.get(top.label_b).name()}"
    )
    assert plain_html(pair) in summary


def test_figures_are_for_people(db_file: Path, sample: dict[str, int]) -> None:
    at = open_agreement(sample["eve"])
    table = figures(at)
    by_figure = table.set_index(["variable", "Figure"])
    report = agreement_report(storage.connect(db_file), ReportFilters(), n_boot=200, seed=42)
    alpha = by_figure.loc[("source_type", "Krippendorff's alpha (nominal)")]
    expected = report.source_type.alpha["nominal"]
    assert alpha["Value"] == f"{expected.value:.3f}" == "0.720"
    assert alpha["95% interval"] == f"{expected.ci_low:.3f} to {expected.ci_high:.3f}"
    assert (alpha["Statements"], alpha["Reading"]) == (32, "tentative")
    ordinal = by_figure.loc[("confidence", "Krippendorff's alpha (ordinal)")]
    assert (ordinal["Value"], ordinal["Reading"]) == ("0.741", "tentative")
    assert "α = 0.720 · tentative" in texts(at)  # the badge
    # No None, NaN or raw column names anywhere on the page's tables.
    for frame in (d.value for d in at.dataframe):
        assert not RAW_NAMES & set(frame.columns), frame.columns
        cells = frame.astype(str).to_numpy().ravel().tolist()
        assert not {"None", "nan", "<NA>", "undefined"} & set(cells)
    # Every figure shown has a value: undefined ones are not rows.
    assert (table["Value"] != "").all()


def test_undefined_figures_are_one_line_that_says_why(db_file: Path) -> None:
    # Three statements, two annotators: every figure rests on fewer than five statements.
    ids = make_project(db_file)
    db = storage.connect(db_file)
    for statement_id, a, b in [(1, "expert", "expert"), (2, "expert", "document"),
                               (3, "document", "document")]:  # fmt: skip
        for name, source_type in (("alice", a), ("bob", b)):
            storage.save_annotation(
                db,
                AnnotationInput(statement_id=statement_id, annotator_id=ids[name],
                                source_type=source_type, confidence=3),
            )  # fmt: skip
    at = open_agreement(ids["eve"], n_boot=0)
    lines = [c.value for c in at.caption if " figure(s) not shown: " in c.value]
    assert len(lines) == 2  # one line per variable
    assert lines[0].startswith("5 figure(s) not shown: Percent agreement, ")
    assert lines[0].endswith("(computed over 3 statement(s) only, fewer than 5).")
    assert not [d for d in at.dataframe if list(d.value.columns) == FIGURE_COLUMNS]
    assert "Agreement on the source type cannot be measured yet" in texts(at)
    assert not at.exception and not at.error


def test_confusions_count_pairs_as_integers(sample: dict[str, int]) -> None:
    at = open_agreement(sample["eve"], n_boot=0)
    pairs = next(
        d.value for d in at.dataframe if "Annotator pairs split between them" in d.value.columns
    )
    counts = pairs["Annotator pairs split between them"]
    assert pd.api.types.is_integer_dtype(counts) and (counts > 0).all()
    heatmap = next(c for c in at.get("vega_lite_chart") if "count" in c.proto.spec)
    assert heatmap is not None


def test_disagreement_is_the_review_score(db_file: Path, sample: dict[str, int]) -> None:
    at = open_agreement(sample["eve"], n_boot=0)
    table = next(d.value for d in at.dataframe if "Disagreement" in d.value.columns)
    shown = dict(zip(table["Statement"], table["Disagreement"], strict=True))
    queue = storage.review_queue(storage.connect(db_file), storage.ReviewFilters(), limit=500)
    review = {i.statement.id: f"{i.disagreement:.2f}" for i in queue if i.disagreement > 0}
    assert shown == review  # same statements, same numbers (0.68, not 0.67 on one page)
    assert "0.68" in shown.values()
    assert table["Text"].str.len().gt(0).all()


def test_filtering_to_one_document_changes_the_figures(sample: dict[str, int]) -> None:
    at = open_agreement(sample["eve"])
    before = figures(at).set_index(["variable", "Figure"])["Value"]
    by_label(at.multiselect, "Documents").set_value([2]).run()
    assert "of 1 documents" in texts(at)
    after = figures(at).set_index(["variable", "Figure"])["Value"]
    key = ("source_type", "Krippendorff's alpha (nominal)")
    assert after[key] != before[key]


def test_the_charts_tables_and_downloads_are_there(sample: dict[str, int]) -> None:
    at = open_agreement(sample["eve"])
    columns = [set(d.value.columns) for d in at.dataframe]
    assert any("Specific agreement" in c for c in columns)
    assert any("Agreement with the others" in c for c in columns)
    assert any({"Label", "How", "Dawid–Skene", "Tied between"} <= c for c in columns)
    assert len(at.get("vega_lite_chart")) >= 5
    assert len(at.get("download_button")) >= 8


def test_an_annotator_cannot_open_the_page(sample: dict[str, int]) -> None:
    at = page_app("agreement", sample["alice"])
    assert at.error[0].value == "This page is for editors only."
    assert not at.dataframe


def test_a_single_annotator_gets_a_message(sample: dict[str, int]) -> None:
    at = open_agreement(sample["eve"], n_boot=0)
    by_label(at.multiselect, "Annotators").select("annotator_a").run()
    assert "at least two annotators" in texts(at)
    assert not at.exception and not at.error


def test_an_empty_project_gets_a_message(db_file: Path) -> None:
    ids = make_project(db_file)
    at = page_app("agreement", ids["eve"])
    assert "No labels yet" in texts(at)
    assert not at.exception and not at.error
