"""`sourcedesk agreement`: the table, the JSON report, filters, help and empty projects."""

from __future__ import annotations

import json
from pathlib import Path

import krippendorff
import numpy as np
import pytest
from apptest_helpers import PASSWORD, by_label
from page_helpers import page_app
from typer.testing import CliRunner

import cli.agreement
import cli.main  # noqa: F401  (registers the other commands)
import storage
from annotate.accounts.passwords import hash_password
from cli.common import app
from workflows.sample import SAMPLE_DIR, load_sample

runner = CliRunner()


@pytest.fixture
def sample_db(tmp_path: Path) -> Path:
    path = tmp_path / "sample.db"
    db = storage.connect(path)
    storage.create_project(db, "Sample", annotators_per_statement=3)
    load_sample(db)
    db.close()
    return path


def run_json(db: Path, *args: str) -> dict:  # type: ignore[type-arg]
    result = runner.invoke(app, ["agreement", "--db", str(db), "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_table_lists_each_figure_with_interval_and_band(sample_db: Path) -> None:
    result = runner.invoke(app, ["agreement", "--db", str(sample_db), "--n-boot", "100"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "72 labels · 32 statements · 2 documents" in out
    assert "Agreement on the source type is tentative (α 0.720, 95% interval " in out
    assert "The most confused pair of source types is Other outlet's report vs Unattributed" in out
    header = next(line for line in out.splitlines() if line.startswith("figure"))
    assert header.split() == ["figure", "variable", "value", "95%", "CI", "n", "units", "n",
                              "pairable", "band"]  # fmt: skip
    alpha = next(line for line in out.splitlines() if "Krippendorff's alpha (nominal)" in line)
    assert "0.720" in alpha and alpha.endswith("tentative") and " 32 " in alpha
    assert "Krippendorff's alpha (ordinal)" in out and "Krippendorff's alpha (interval)" in out
    assert out.count("Cohen's kappa (quadratic weights) · ") == 3
    assert "Gwet's AC1" in out and "Gwet's AC2 (quadratic weights)" in out


def test_json_is_the_report(sample_db: Path) -> None:
    report = run_json(sample_db, "--n-boot", "50", "--seed", "7")
    assert (report["n_boot"], report["seed"], report["n_labels"]) == (50, 7, 72)
    assert report["annotators"] == ["annotator_a", "annotator_b", "annotator_c"]
    alpha = report["source_type"]["alpha"]["nominal"]
    assert alpha["value"] == pytest.approx(demo_alpha())
    assert report["source_type"]["reading"] == "tentative"
    assert set(report["confidence"]["alpha"]) == {"ordinal", "interval"}
    assert report["confidence"]["cohen_pairs"][0]["weights"] == "quadratic"


def demo_alpha() -> float:
    """Nominal alpha of the demo labels, by the `krippendorff` package (the oracle)."""
    rows = [json.loads(line) for line in (SAMPLE_DIR / "DEMO_annotations.jsonl").open()]
    rows = [r for r in rows if not r["skipped"]]
    units = sorted({(r["document"], r["statement_starts_with"]) for r in rows})
    coders = sorted({r["annotator"] for r in rows})
    codes = {t: i for i, t in enumerate(sorted({r["source_type"] for r in rows}))}
    grid = np.full((len(coders), len(units)), np.nan)
    for r in rows:
        grid[coders.index(r["annotator"]), units.index((r["document"],
             r["statement_starts_with"]))] = codes[r["source_type"]]  # fmt: skip
    return float(krippendorff.alpha(reliability_data=grid, level_of_measurement="nominal"))


@pytest.mark.apptest
def test_json_matches_what_the_page_shows(sample_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(storage.DB_ENV_VAR, str(sample_db))
    db = storage.connect(sample_db)
    editor = storage.add_user(db, "eve", "editor", hash_password(PASSWORD)).id
    db.close()
    at = page_app("agreement", editor)  # type: ignore[arg-type]
    by_label(at.number_input, "Bootstrap resamples").set_value(300).run()
    by_label(at.multiselect, "Documents").set_value([2]).run()
    tables = [d.value for d in at.dataframe if "Figure" in d.value.columns]
    page = {
        (variable, row["Figure"]): (row["Value"], row["95% interval"])
        for variable, table in zip(("source_type", "confidence"), tables, strict=True)
        for _, row in table.iterrows()
    }
    report = run_json(sample_db, "--n-boot", "300", "--document", "2")

    def shown(r: dict) -> tuple[str, str]:  # type: ignore[type-arg]
        return f"{r['value']:.3f}", f"{r['ci_low']:.3f} to {r['ci_high']:.3f}"

    assert page["source_type", "Krippendorff's alpha (nominal)"] == shown(
        report["source_type"]["alpha"]["nominal"]
    )
    assert page["confidence", "Krippendorff's alpha (ordinal)"] == shown(
        report["confidence"]["alpha"]["ordinal"]
    )
    assert page["confidence", "Fleiss' kappa"] == shown(report["confidence"]["fleiss"])
    pair = next(
        r for r in report["confidence"]["cohen_pairs"]
        if r["coders"] == ["annotator_a", "annotator_b"]
    )  # fmt: skip
    assert page[
        "confidence", "Cohen's kappa (quadratic weights) · annotator_a vs annotator_b"
    ] == shown(pair)
    # And the filter mattered: the whole project gives another alpha.
    whole = run_json(sample_db, "--n-boot", "0")["source_type"]["alpha"]["nominal"]["value"]
    assert f"{whole:.3f}" != page["source_type", "Krippendorff's alpha (nominal)"][0]


def test_filters_change_the_values(sample_db: Path) -> None:
    everything = run_json(sample_db, "--n-boot", "0")
    one_doc = run_json(sample_db, "--n-boot", "0", "--document", "1")
    two = run_json(sample_db, "--n-boot", "0", "--annotator", "annotator_a",
                   "--annotator", "annotator_b")  # fmt: skip
    assert one_doc["n_documents"] == 1 and one_doc["n_labels"] < everything["n_labels"]
    assert one_doc["filters"]["document_ids"] == [1]
    alpha = [r["source_type"]["alpha"]["nominal"]["value"] for r in (everything, one_doc, two)]
    assert len(set(alpha)) == 3
    assert two["annotators"] == ["annotator_a", "annotator_b"]
    assert len(two["source_type"]["cohen_pairs"]) == 1
    # The sample labels were made without suggestions: "with" keeps nothing.
    with_ = run_json(sample_db, "--n-boot", "0", "--suggestions", "with")
    assert with_["n_labels"] == 0
    without = run_json(sample_db, "--n-boot", "0", "--suggestions", "without")
    assert without["n_labels"] == everything["n_labels"]
    later = run_json(sample_db, "--n-boot", "0", "--from", "2024-06-01")
    assert 0 < later["n_labels"] < everything["n_labels"]
    assert later["filters"]["date_from"] == "2024-06-01"


def test_a_bad_date_names_the_option(sample_db: Path) -> None:
    result = runner.invoke(app, ["agreement", "--db", str(sample_db), "--to", "2024-13-40"])
    assert result.exit_code == 2
    assert "--to" in result.output and "is not a date (YYYY-MM-DD)" in result.output


def test_help_describes_the_options() -> None:
    result = runner.invoke(app, ["agreement", "--help"])
    assert result.exit_code == 0
    for option in ("--document", "--outlet", "--from", "--to", "--annotator", "--suggestions",
                   "--n-boot", "--seed", "--json"):  # fmt: skip
        assert option in result.output
    assert "exits with code 0" in result.output


def test_an_empty_project_says_so_and_exits_0(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    storage.create_project(storage.connect(path), "Empty")
    result = runner.invoke(app, ["agreement", "--db", str(path)])
    assert result.exit_code == 0
    assert "No labels match these filters yet" in result.output
    report = run_json(path)
    assert report["n_labels"] == 0
    alpha = report["source_type"]["alpha"]["nominal"]
    assert alpha["value"] is None and alpha["explanation"]


def test_one_annotator_says_so(sample_db: Path) -> None:
    result = runner.invoke(app, ["agreement", "--db", str(sample_db), "--annotator", "annotator_c"])
    assert result.exit_code == 0
    assert "at least two annotators" in result.output and "annotator_c" in result.output


def test_no_project_is_an_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["agreement", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1
    assert result.output.startswith("error: ")
