"""build_report on a small hand-made frame: exact values, filters, flat tables."""

from __future__ import annotations

import datetime as dt

import krippendorff
import numpy as np
import pandas as pd
import pytest

from annotate.agreement.disagreement import statement_disagreement
from annotate.agreement.report import (
    LABEL_COLUMNS,
    ReportFilters,
    build_report,
    plain_summary,
    reading_band,
)
from annotate.agreement.table import (
    CARD_FIELDS,
    disagreement_table,
    hidden_line,
    people_figures,
    pooled_pair_counts,
    report_tables,
)
from annotate.exports.card import agreement_figures

D1, D2 = dt.date(2024, 1, 10), dt.date(2024, 3, 2)
COLUMNS = list(LABEL_COLUMNS)
NO, AO, OD, UN, MR = (
    "named_official",
    "anonymous_official",
    "official_denial",
    "unattributed",
    "media_report",
)
ROWS = [
    (1, "ann", NO, 4, True, 1, "Le Monde", D1),
    (1, "bob", NO, 4, False, 1, "Le Monde", D1),
    (1, "cat", NO, 5, False, 1, "Le Monde", D1),
    (2, "ann", AO, 3, True, 1, "Le Monde", D1),
    (2, "bob", AO, 2, False, 1, "Le Monde", D1),
    (2, "cat", UN, 2, False, 1, "Le Monde", D1),
    (3, "ann", OD, 5, True, 1, "Le Monde", D1),
    (3, "bob", OD, 5, False, 1, "Le Monde", D1),
    (3, "cat", OD, None, False, 1, "Le Monde", D1),
    (4, "ann", UN, 1, False, 2, "AFP", D2),
    (4, "bob", UN, 1, False, 2, "AFP", D2),
    (5, "ann", MR, 3, False, 2, "AFP", D2),
    (5, "bob", AO, 4, False, 2, "AFP", D2),
    (5, "cat", MR, 3, False, 2, "AFP", D2),
    (6, "ann", NO, 4, False, 2, "AFP", None),
]


@pytest.fixture
def labels() -> pd.DataFrame:
    return pd.DataFrame(ROWS, columns=COLUMNS)


@pytest.fixture
def adjudications() -> pd.DataFrame:
    return pd.DataFrame(
        [(2, AO, 3), (5, MR, 3)], columns=["statement_id", "source_type", "confidence"]
    )


def wide(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Coders × units numeric matrix for the krippendorff package."""
    table = frame.pivot(index="annotator", columns="statement_id", values=column)
    codes = {v: i for i, v in enumerate(sorted(frame[column].dropna().unique()))}
    return table.map(lambda v: codes.get(v, np.nan)).to_numpy(dtype=float)


def test_report_values(labels: pd.DataFrame, adjudications: pd.DataFrame) -> None:
    report = build_report(labels, adjudications, n_boot=200)
    st = report.source_type
    # Units 1-5 are pairable; shares of agreeing pairs 1, 1/3, 1, 1, 1/3.
    assert st.percent_agreement.value == pytest.approx(11 / 15)
    assert st.alpha["nominal"].value == pytest.approx(2 / 3)
    assert st.alpha["nominal"].value == pytest.approx(
        krippendorff.alpha(
            reliability_data=wide(labels, "source_type"), level_of_measurement="nominal"
        )
    )
    # 0.6667 is just below the .667 line.
    assert st.reading == "unreliable"
    ann_bob = st.cohen_pairs[0]
    assert ann_bob.coders == ("ann", "bob")
    # po = 4/5, pe = 0.2 → κ = 0.75.
    assert ann_bob.value == pytest.approx(0.75)
    assert st.n_statements == 6
    assert st.annotators[0].coder == "ann"
    assert st.annotators[0].agreement_with_adjudicated == 1.0
    assert st.annotators[1].agreement_with_adjudicated == 0.5
    assert [(c.label_a, c.label_b) for c in st.confusions] == [(AO, MR), (AO, UN)]
    assert [d.unit for d in st.top_disagreements] == ["2", "5"]
    conf = report.confidence
    assert conf.scale == "ordinal"
    assert conf.levels == ["1", "2", "3", "4", "5"]
    assert conf.alpha["ordinal"].value == pytest.approx(
        krippendorff.alpha(
            reliability_data=wide(labels, "confidence"),
            level_of_measurement="ordinal",
            value_domain=np.arange(5, dtype=float),
        )
    )
    assert conf.alpha["interval"].value == pytest.approx(
        krippendorff.alpha(
            reliability_data=wide(labels, "confidence") + 1, level_of_measurement="interval"
        )
    )
    assert conf.cohen_pairs[0].weights == "quadratic"
    assert conf.gwet.coefficient == "gwet_ac2"
    assert conf.n_labels == 14
    for result in (st.percent_agreement, st.alpha["nominal"], st.fleiss, st.gwet):
        assert result.ci_low <= result.value <= result.ci_high
        assert result.n_boot == 200


def test_suggestion_comparison(labels: pd.DataFrame) -> None:
    report = build_report(labels, n_boot=50)
    by_flag = report.suggestions[0]
    assert by_flag.variable == "source_type"
    # Only ann saw suggestions: no pairable values with one coder.
    assert by_flag.with_suggestion.value is None
    assert by_flag.with_suggestion.explanation == "only one coder: agreement needs at least two"
    without = labels[~labels["suggestion_shown"]]
    assert by_flag.without_suggestion.value == pytest.approx(
        krippendorff.alpha(
            reliability_data=wide(without, "source_type"), level_of_measurement="nominal"
        )
    )


@pytest.mark.parametrize(
    ("filters", "statements", "annotators"),
    [
        (ReportFilters(outlets=["AFP"]), 3, ["ann", "bob", "cat"]),
        (ReportFilters(document_ids=[1]), 3, ["ann", "bob", "cat"]),
        (ReportFilters(date_to=dt.date(2024, 2, 1)), 3, ["ann", "bob", "cat"]),
        (ReportFilters(date_from=dt.date(2024, 2, 1)), 2, ["ann", "bob", "cat"]),
        (ReportFilters(annotators=["ann", "bob"]), 6, ["ann", "bob"]),
        (ReportFilters(suggestion_shown=False), 6, ["ann", "bob", "cat"]),
    ],
)
def test_filters_apply_before_computing(
    labels: pd.DataFrame, filters: ReportFilters, statements: int, annotators: list[str]
) -> None:
    report = build_report(labels, filters=filters, n_boot=0)
    assert report.n_statements == statements
    assert report.annotators == annotators
    assert report.filters == filters


def test_filtered_values(labels: pd.DataFrame) -> None:
    afp = build_report(labels, filters=ReportFilters(outlets=["AFP"]), n_boot=0)
    # Units 4 (agree) and 5 (1 of 3 pairs agree).
    assert afp.source_type.percent_agreement.value == pytest.approx(2 / 3)
    pair = build_report(labels, filters=ReportFilters(annotators=["ann", "bob"]), n_boot=0)
    assert len(pair.source_type.cohen_pairs) == 1
    assert pair.source_type.cohen_pairs[0].value == pytest.approx(0.75)


def test_pair_confusions_on_request(labels: pd.DataFrame) -> None:
    report = build_report(labels, n_boot=0, pair_confusions=True)
    table = np.array(report.source_type.pair_confusions["ann vs bob"])
    assert table.sum() == 5
    assert np.trace(table) == 4
    assert build_report(labels, n_boot=0).source_type.pair_confusions is None


def test_out_of_scale_confidence_is_missing(labels: pd.DataFrame) -> None:
    labels.loc[0, "confidence"] = 6
    report = build_report(labels, n_boot=0)
    assert report.confidence.n_labels == 13
    assert "(6) were treated as missing" in report.confidence.alpha["ordinal"].note


def test_missing_columns_are_named(labels: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"labels: missing column\(s\) outlet, published"):
        build_report(labels.drop(columns=["outlet", "published"]))


def test_report_tables_and_json(labels: pd.DataFrame, adjudications: pd.DataFrame) -> None:
    report = build_report(labels, adjudications, n_boot=20)
    tables = report_tables(report)
    assert set(tables) == {
        "figures",
        "labels",
        "annotators",
        "confusions",
        "disagreements",
        "suggestions",
    }
    coefficients = tables["figures"]
    # source type: pa, alpha, Fleiss, AC1, 3 pairs; confidence: pa, 2 alphas, Fleiss, AC2, 3 pairs.
    assert len(coefficients) == 7 + 8
    alpha_row = coefficients[
        (coefficients["variable"] == "source_type")
        & (coefficients["coefficient"] == "krippendorff_alpha")
    ].iloc[0]
    assert alpha_row["band"] == "unreliable" and alpha_row["headline"]
    assert alpha_row["value"] == pytest.approx(2 / 3)
    assert tables["disagreements"].iloc[0]["values"] == f"ann={AO}; bob={AO}; cat={UN}"
    dumped = report.model_dump(mode="json")
    assert dumped["source_type"]["alpha"]["nominal"]["n_pairable"] == 14


def test_empty_labels_give_an_explained_report(labels: pd.DataFrame) -> None:
    report = build_report(labels.iloc[0:0], n_boot=10)
    assert report.n_labels == 0
    assert report.source_type.alpha["nominal"].value is None
    assert report.source_type.alpha["nominal"].explanation == "no values: nothing to compare"


@pytest.mark.parametrize(
    ("alpha", "band"),
    [
        (0.8, "reliable"),
        (0.7999, "tentative"),
        (0.667, "tentative"),
        (0.6669, "unreliable"),
        (None, None),
    ],
)
def test_reading_band(alpha: float | None, band: str | None) -> None:
    assert reading_band(alpha) == band


def test_people_see_figures_without_none_or_raw_names(labels: pd.DataFrame) -> None:
    report = build_report(labels, n_boot=50)
    figures = report_tables(report)["figures"]
    types = figures[figures["variable"] == "source_type"]
    people = people_figures(types)
    assert list(people.columns) == ["Figure", "Value", "95% interval", "Statements", "Reading"]
    cells = people.astype(str).to_numpy().ravel().tolist()
    assert not any(c in ("None", "nan", "<NA>") for c in cells)
    alpha = people[people["Figure"] == "Krippendorff's alpha (nominal)"].iloc[0]
    assert alpha["Value"] == "0.667" and alpha["Reading"] == "unreliable"
    assert alpha["Statements"] == 5
    # ann and bob share 5 statements: shown; cat shares 4 with each, and Fleiss' kappa
    # (statements with three labels) has 4: hidden, with the reason.
    assert "Cohen's kappa · ann vs bob" in set(people["Figure"])
    assert "Cohen's kappa · ann vs cat" not in set(people["Figure"])
    assert hidden_line(types) == (
        "2 figure(s) not shown: Cohen's kappa · ann vs cat, "
        "Cohen's kappa · bob vs cat "
        "(computed over 4 statement(s) only, fewer than 5)."
    )


def test_plain_summary_says_what_the_figures_mean(labels: pd.DataFrame) -> None:
    report = build_report(labels, n_boot=0)
    names = {AO: "Anonymous", UN: "Unattributed", MR: "Media", NO: "Named", OD: "Denial"}
    text = plain_summary(report, names.__getitem__)
    assert text.startswith("Agreement on the source type is too low to rely on (α 0.667)")
    top = report.source_type.confusions[0]
    assert (
        f"The most confused pair of source types is {names[top.label_a]} vs "
        f"{names[top.label_b]}" in text
    )
    few = build_report(labels[labels["statement_id"].isin([1, 2])], n_boot=0)
    assert plain_summary(few).startswith(
        "Agreement on the source type cannot be measured yet (2 statement(s)"
    )


def test_pooled_pairs_are_integer_counts(labels: pd.DataFrame) -> None:
    report = build_report(labels, n_boot=0, pair_confusions=True)
    var = report.source_type
    pooled = pooled_pair_counts(var)
    index = {level: i for i, level in enumerate(var.levels)}
    assert all(isinstance(x, int) for row in pooled for x in row)
    # Statement 2 (AO, AO, UN) splits two annotator pairs between AO and UN.
    assert pooled[index[AO]][index[UN]] == pooled[index[UN]][index[AO]] == 2
    assert pooled[index[NO]][index[NO]] == 3  # statement 1: three agreeing pairs
    assert np.trace(np.asarray(pooled)) + np.triu(np.asarray(pooled), 1).sum() == 13


def test_disagreement_table_uses_the_review_score(labels: pd.DataFrame) -> None:
    table = disagreement_table(labels)
    assert list(table["statement_id"]) == [2, 5, 1]  # 3, 4 and 6: no disagreement
    # The same function storage keeps for the Review queue: 2/3 of pairs split on the type,
    # plus 0.01 for a one-step spread of confidence (0.68 on both pages, not 0.67).
    assert table["disagreement"].iloc[0] == statement_disagreement([AO, AO, UN], [3, 2, 2])
    assert table["disagreement"].iloc[0] == pytest.approx(2 / 3 + 0.01, abs=1e-6)
    assert table["labels"].iloc[0] == {"ann": (AO, 3), "bob": (AO, 2), "cat": (UN, 2)}


def test_the_card_figures_are_the_reports_headline_figures(
    labels: pd.DataFrame, adjudications: pd.DataFrame
) -> None:
    report = build_report(labels, adjudications, n_boot=20)
    card = agreement_figures(labels, adjudications, confidence_levels=[1, 2, 3, 4, 5], n_boot=20)
    for variable in (report.source_type, report.confidence):
        expected = [
            variable.percent_agreement,
            *variable.alpha.values(),
            variable.fleiss,
            variable.gwet,
        ]
        mine = [f for f in card if f.variable == variable.variable]
        assert [f.coefficient for f in mine] == [r.coefficient for r in expected]
        for figure, result in zip(mine, expected, strict=True):
            assert (figure.value, figure.ci_low, figure.ci_high) == (
                result.value,
                result.ci_low,
                result.ci_high,
            )
            assert figure.n_units == result.n_units
            reads = result.coefficient == "krippendorff_alpha" and (
                result.metric == variable.reading_metric
            )
            assert figure.reading == (variable.reading if reads else None)
    assert set(CARD_FIELDS) == set(type(card[0]).model_fields)


@pytest.mark.parametrize("confidence", [None, 6])
def test_a_report_is_built_when_no_confidence_is_usable(
    labels: pd.DataFrame, confidence: int | None
) -> None:
    """Nobody rated confidence (or only "cannot be judged"): the source type is still
    reported, and confidence says why it has no figure."""
    frame = labels.assign(confidence=pd.array([confidence] * len(labels), dtype="Int64"))
    report = build_report(frame, n_boot=10)
    assert report.source_type.alpha["nominal"].value is not None
    assert report.confidence.alpha["ordinal"].value is None
    assert report.confidence.alpha["ordinal"].explanation == "no values: nothing to compare"
    assert report.confidence.top_disagreements == []
    assert report.confidence.n_labels == 0


def test_matrix_products_run_on_one_thread_while_the_report_runs_its_own(
    labels: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report's threads use every core; OpenBLAS threads on top of them would only wait
    for a core. Its thread count is back to what it was once the report is done."""
    from threadpoolctl import threadpool_info

    import annotate.agreement.bootstrap as bootstrap

    def blas_threads() -> set[int]:
        return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}

    seen: list[set[int]] = []
    real = bootstrap.resample_sums

    def recording(*args, **kwargs):
        seen.append(blas_threads())
        return real(*args, **kwargs)

    monkeypatch.setattr(bootstrap, "resample_sums", recording)
    before = blas_threads()
    build_report(labels, n_boot=20)
    assert seen and all(threads == {1} for threads in seen)
    assert blas_threads() == before
