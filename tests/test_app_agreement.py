"""The Agreement page on the sample project: figures, bands, filters, roles, empty data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from apptest_helpers import PASSWORD, app_for, by_label, make_project, open_page, texts
from streamlit.testing.v1 import AppTest

import storage
from annotate.accounts.passwords import hash_password
from annotate.agreement.report import ReportFilters
from cli.sample import load_sample
from storage.reports import agreement_report


@pytest.fixture
def sample(db_file: Path) -> dict[str, int]:
    """The sample project (three demo annotators, k=3) plus an editor and an annotator."""
    db = storage.connect(db_file)
    storage.create_project(db, "Sample", annotators_per_statement=3)
    load_sample(db)
    ids = {
        name: storage.add_user(db, name, role, hash_password(PASSWORD)).id  # type: ignore[arg-type]
        for name, role in [("eve", "editor"), ("alice", "annotator")]
    }
    db.close()
    return ids  # type: ignore[return-value]


def figures(at: AppTest) -> pd.DataFrame:
    """Both figure tables of the page (source type first), as the page computed them."""
    tables = [d.value for d in at.dataframe if "figure" in d.value.columns]
    assert len(tables) == 2, "expected one figure table per variable"
    return pd.concat(
        [tables[0].assign(variable="source_type"), tables[1].assign(variable="confidence")],
        ignore_index=True,
    )


def open_agreement(user_id: int, n_boot: int = 200) -> AppTest:
    at = open_page(app_for(user_id, timeout=60).run(), "agreement")
    assert not at.exception, at.exception
    by_label(at.number_input, "Bootstrap resamples").set_value(n_boot).run()
    return at


def test_the_page_shows_every_figure_with_its_interval_and_band(sample: dict[str, int]) -> None:
    at = open_agreement(sample["eve"])
    assert at.title[0].value == "Agreement"
    page = texts(at)
    assert "97 labels · 33 statements · 2 documents" in page
    table = figures(at)
    by_figure = table.set_index(["variable", "figure"])
    alpha = by_figure.loc[("source_type", "Krippendorff's alpha (nominal)")]
    # The sample's demo labels: three annotators on 32 shared statements.
    assert alpha["value"] == pytest.approx(0.5667187907219182)
    assert (alpha["n_units"], alpha["n_pairable"]) == (32, 96)
    assert alpha["ci_low"] < alpha["value"] < alpha["ci_high"]
    assert alpha["band"] == "unreliable"
    ordinal = by_figure.loc[("confidence", "Krippendorff's alpha (ordinal)")]
    assert ordinal["value"] == pytest.approx(0.7924130080608098) and ordinal["band"] == "tentative"
    assert ("confidence", "Krippendorff's alpha (interval)") in by_figure.index
    pairs = [f for f in table["figure"] if f.startswith("Cohen's kappa (quadratic weights) · ")]
    assert len(pairs) == 3
    assert {"Fleiss' kappa", "Gwet's AC1", "Percent agreement"} <= set(table["figure"])
    assert "Gwet's AC2 (quadratic weights)" in set(table["figure"])
    assert "α (nominal) = 0.567 · unreliable" in page  # the badge
    assert "α (ordinal) = 0.792 · tentative" in page
    assert table["value"].notna().all()


def test_the_page_values_match_the_shared_report(db_file: Path, sample: dict[str, int]) -> None:
    at = open_agreement(sample["eve"], n_boot=200)
    shown = figures(at)
    report = agreement_report(storage.connect(db_file), ReportFilters(), n_boot=200, seed=42)
    assert list(shown.loc[shown["variable"] == "source_type", "value"])[:4] == [
        report.source_type.percent_agreement.value,
        report.source_type.alpha["nominal"].value,
        report.source_type.fleiss.value,
        report.source_type.gwet.value,
    ]
    assert shown["ci_low"].iloc[1] == report.source_type.alpha["nominal"].ci_low


def test_filtering_to_one_document_changes_the_figures(sample: dict[str, int]) -> None:
    at = open_agreement(sample["eve"])
    before = figures(at).set_index(["variable", "figure"])["value"]
    documents = by_label(at.multiselect, "Documents")
    documents.set_value([1]).run()
    page = texts(at)
    assert "2 documents" not in page and "1 documents" in page
    after = figures(at).set_index(["variable", "figure"])["value"]
    key = ("source_type", "Krippendorff's alpha (nominal)")
    assert after[key] != before[key]


def test_the_charts_and_tables_are_there(sample: dict[str, int]) -> None:
    at = open_agreement(sample["eve"])
    columns = [tuple(d.value.columns) for d in at.dataframe]
    assert any("specific_agreement" in c for c in columns)
    assert any("agreement_with_others" in c for c in columns)
    assert any("dawid_skene" in c and "majority" in c for c in columns)
    disagreements = [d.value for d in at.dataframe if "labels" in d.value.columns]
    assert disagreements and disagreements[0]["disagreement"].is_monotonic_decreasing
    assert disagreements[0]["text"].str.len().gt(0).all()
    assert len(at.get("vega_lite_chart")) >= 5
    assert len(at.get("download_button")) >= 8


def test_an_annotator_cannot_open_the_page(sample: dict[str, int]) -> None:
    at = open_page(app_for(sample["alice"]).run(), "agreement")
    assert not any(t.value == "Agreement" for t in at.title)
    assert not at.dataframe


def test_a_single_annotator_gets_a_message(sample: dict[str, int]) -> None:
    at = open_agreement(sample["eve"], n_boot=0)
    by_label(at.multiselect, "Annotators").select("annotator_a").run()
    assert "at least two annotators" in texts(at)
    assert not at.exception and not at.error


def test_an_empty_project_gets_a_message(db_file: Path) -> None:
    ids = make_project(db_file)
    at = open_page(app_for(ids["eve"]).run(), "agreement")
    assert "No labels yet" in texts(at)
    assert not at.exception and not at.error
