"""Agreement (editors): how far annotators agree on source type and confidence, where they
disagree, and the labels that come out of their votes.

The report is cached on the data version plus the filters and options, so widgets that
only change what is displayed never recompute the bootstrap.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

import storage
from annotate.agreement.aggregated_labels import aggregated_labels
from annotate.agreement.report import (
    AgreementReport,
    ReportFilters,
    VariableAgreement,
)
from annotate.agreement.table import NO_LABELS, figure_table, one_annotator
from annotate.core.taxonomy import RatingScale, Taxonomy, scale_preset
from storage.frames import statement_texts
from storage.reports import agreement_report
from ui import charts, session
from ui.widgets import data_version, document_titles, level_label, type_name

SUGGESTION_CHOICES: dict[str, bool | None] = {
    "All labels": None,
    "Made with a suggestion shown": True,
    "Made without a suggestion": False,
}
VARIABLE_TITLES = {"source_type": "Source type (nominal)", "confidence": "Confidence (ordinal)"}
BAND_BADGE = {"reliable": "green", "tentative": "orange", "unreliable": "red"}
POOLED = "All annotators (pooled coincidences)"

Namer = Callable[[str], str]


@st.cache_data(max_entries=16, show_spinner=False)
def _labels(path: str, version: tuple[int, ...]) -> pd.DataFrame:
    return storage.labels_frame(session.db())


@st.cache_data(max_entries=32, show_spinner="Computing agreement…")
def _report(
    path: str, version: tuple[int, ...], filters_json: str, n_boot: int, seed: int
) -> AgreementReport:
    filters = ReportFilters.model_validate_json(filters_json)
    return agreement_report(session.db(), filters, n_boot=n_boot, seed=seed, pair_confusions=True)


@st.cache_data(max_entries=16, show_spinner=False)
def _aggregates(
    path: str, version: tuple[int, ...], filters_json: str, levels: tuple[int, ...]
) -> dict[str, Any]:
    db = session.db()
    result = aggregated_labels(
        storage.labels_frame(db),
        storage.adjudications_frame(db),
        levels,
        ReportFilters.model_validate_json(filters_json),
    )
    return {
        "vs_adjudicated": result.vs_adjudicated,
        "majority": result.majority,
        "dawid_skene": result.dawid_skene,
        "dawid_skene_note": result.dawid_skene_note,
        "median": result.median_confidence,
        "texts": statement_texts(db, result.statement_ids),
        "documents": result.documents,
    }


def _controls(labels: pd.DataFrame, titles: dict[int, str]) -> tuple[ReportFilters, int, int]:
    with st.expander("Filters and options", expanded=True):
        c = st.columns(3)
        documents = c[0].multiselect(
            "Documents",
            sorted(int(i) for i in labels["document_id"].unique()),
            format_func=lambda i: titles.get(i, f"Document {i}"),
            placeholder="All documents",
            key="agr_documents",
        )
        outlets = c[1].multiselect(
            "Outlets",
            sorted(str(o) for o in labels["outlet"].fillna("").unique()),
            format_func=lambda o: o or "(no outlet)",
            placeholder="All outlets",
            key="agr_outlets",
        )
        annotators = c[2].multiselect(
            "Annotators",
            sorted(labels["annotator"].astype(str).unique()),
            placeholder="All annotators",
            key="agr_annotators",
        )
        c = st.columns([1, 1, 2, 1, 1])
        date_from = c[0].date_input("Published from", value=None, key="agr_from")
        date_to = c[1].date_input("Published to", value=None, key="agr_to")
        shown = c[2].radio(
            "Suggestions", list(SUGGESTION_CHOICES), horizontal=True, key="agr_suggestions"
        )
        n_boot = c[3].number_input(
            "Bootstrap resamples", min_value=0, max_value=20_000, value=1000, step=100,
            key="agr_n_boot",
        )  # fmt: skip
        seed = c[4].number_input("Seed", min_value=0, value=42, step=1, key="agr_seed")
    filters = ReportFilters(
        document_ids=documents or None,
        outlets=outlets or None,
        date_from=date_from if isinstance(date_from, dt.date) else None,
        date_to=date_to if isinstance(date_to, dt.date) else None,
        annotators=annotators or None,
        suggestion_shown=SUGGESTION_CHOICES[shown],
    )
    return filters, int(n_boot), int(seed)


def _chart(chart: Any, extra: int = 70) -> None:
    st.altair_chart(chart, width="stretch", height=charts.shown_height(chart, extra))


def _download(frame: pd.DataFrame, name: str, key: str) -> None:
    st.download_button(
        "Download CSV",
        frame.to_csv(index=False).encode("utf-8"),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"agr_dl_{key}",
        icon=":material/download:",
    )


def _namer(variable: str, taxonomy: Taxonomy, scale: RatingScale) -> Namer:
    if variable == "source_type":
        return lambda key: type_name(taxonomy, key)

    def confidence(value: str) -> str:
        try:
            level = scale.level(int(value))
        except ValueError:
            level = None
        return level_label(level) if level else value

    return confidence


def render() -> None:
    session.require_role("editor")
    db = session.db()
    project = storage.get_project(db)
    taxonomy = Taxonomy.from_json(project.taxonomy_json)
    scale = scale_preset(project.scale_preset).primary
    path, version = str(session.db_path()), data_version()

    st.title("Agreement")
    labels = _labels(path, version)
    if labels.empty:
        st.info(
            "No labels yet. Agreement figures appear once at least two annotators have "
            "labelled the same statements."
        )
        return
    titles = document_titles()
    filters, n_boot, seed = _controls(labels, titles)
    filters_json = filters.model_dump_json()
    report = _report(path, version, filters_json, n_boot, seed)
    st.caption(
        f"{report.n_labels} labels · {report.n_statements} statements · "
        f"{report.n_documents} documents · annotators: {', '.join(report.annotators) or '—'} · "
        f"{report.n_boot} bootstrap resamples over statements, seed {report.seed}"
    )
    if report.n_labels == 0:
        st.info(NO_LABELS)
        return
    if len(report.annotators) < 2:
        st.info(one_annotator(report.annotators))
        return
    extra = _aggregates(path, version, filters_json, tuple(scale.ordinal_values))
    namers = {v: _namer(v, taxonomy, scale) for v in VARIABLE_TITLES}
    tabs = st.tabs(
        ["Figures", "Confusions", "Per label", "Per annotator", "Suggestions",
         "Disagreements", "Aggregated labels"]
    )  # fmt: skip
    with tabs[0]:
        _figures(report)
    with tabs[1]:
        _confusions(report, extra["vs_adjudicated"], namers)
    with tabs[2]:
        _per_label(report, namers)
    with tabs[3]:
        _per_annotator(report)
    with tabs[4]:
        _suggestions(report)
    with tabs[5]:
        _disagreements(report, extra, titles, namers)
    with tabs[6]:
        _aggregated(extra, titles, namers)


def _variables(report: AgreementReport) -> tuple[VariableAgreement, VariableAgreement]:
    return report.source_type, report.confidence


def _figures(report: AgreementReport) -> None:
    st.caption(
        "Krippendorff's reading: α ≥ .800 reliable; .667 ≤ α < .800 tentative conclusions "
        "only; below .667 unreliable. Percent agreement ignores chance: read it beside the "
        "others. Intervals are percentile bootstrap intervals over statements."
    )
    table = figure_table(report)
    for var in _variables(report):
        st.subheader(VARIABLE_TITLES[var.variable])
        alpha = var.alpha[var.reading_metric]
        if var.reading is None or alpha.value is None:
            st.badge(f"α ({var.reading_metric}) undefined", color="gray")
            st.caption(f"Why: {alpha.explanation or 'not enough data'}")
        else:
            st.badge(
                f"α ({var.reading_metric}) = {alpha.value:.3f} · {var.reading}",
                color=BAND_BADGE[var.reading],  # type: ignore[arg-type]
            )
        rows = table[table["variable"] == var.variable].drop(columns="variable")
        shown = rows.assign(
            band=rows["band"].fillna(""),
            explanation=[
                f"undefined: {e}" if v is None or pd.isna(v) else (e or "")
                for v, e in zip(rows["value"], rows["explanation"], strict=True)
            ],
        )
        number = st.column_config.NumberColumn(format="%.3f")
        st.dataframe(
            shown,
            hide_index=True,
            width="stretch",
            column_config={"value": number, "ci_low": number, "ci_high": number},
        )
        if rows["value"].notna().any():
            _chart(charts.intervals(rows, category="figure"))
        _download(rows.assign(variable=var.variable), f"agreement_{var.variable}", var.variable)


def _confusions(
    report: AgreementReport,
    vs_adjudicated: dict[str, dict[str, list[list[int]]]],
    namers: dict[str, Namer],
) -> None:
    variable = st.radio(
        "Variable",
        list(VARIABLE_TITLES),
        format_func=VARIABLE_TITLES.__getitem__,
        horizontal=True,
        key="agr_confusion_variable",
    )
    var = report.source_type if variable == "source_type" else report.confidence
    choices = [POOLED, *(var.pair_confusions or {})]
    choices += [f"{c} vs adjudicated" for c in vs_adjudicated.get(variable, {})]
    choice = st.selectbox("Compare", choices, key="agr_confusion_pair")
    if choice == POOLED:
        matrix: list[list[Any]] = var.coincidences
        row_title, column_title = "label", "paired label (another annotator)"
    elif choice.endswith(" vs adjudicated"):
        coder = choice.removesuffix(" vs adjudicated")
        matrix = vs_adjudicated[variable][coder]
        row_title, column_title = coder, "adjudicated"
    else:
        matrix = (var.pair_confusions or {})[choice]
        row_title, column_title = choice.split(" vs ", 1)
    cells = charts.matrix_frame(matrix, var.levels, name=namers[variable])
    if choice == POOLED:
        st.caption(
            "Krippendorff's coincidences: every pair of labels two annotators gave the same "
            "statement, each statement weighted by 1/(labels − 1). The diagonal is agreement."
        )
    if cells["count"].sum() == 0:
        st.info("No statements were labelled by both sides of this comparison.")
    else:
        _chart(charts.heatmap(cells, row_title=row_title, column_title=column_title), 200)
    _download(
        cells.rename(columns={"row": row_title, "column": column_title}),
        "confusion",
        "confusion",
    )
    st.subheader("Most confused pairs of labels")
    confusions = pd.DataFrame([c.model_dump() for c in var.confusions])
    if confusions.empty:
        st.caption("No disagreement on this variable.")
        return
    name = namers[variable]
    confusions["label_a"] = confusions["label_a"].map(name)
    confusions["label_b"] = confusions["label_b"].map(name)
    st.dataframe(confusions, hide_index=True, width="stretch")
    _download(confusions, f"confused_pairs_{variable}", f"pairs_{variable}")


def _per_label(report: AgreementReport, namers: dict[str, Namer]) -> None:
    st.caption(
        "Specific agreement: of the labels given to a category, the share another annotator "
        "matched on the same statement. α (binary): that category against all the others."
    )
    for var in _variables(report):
        st.subheader(VARIABLE_TITLES[var.variable])
        frame = pd.DataFrame([r.model_dump() for r in var.labels])
        if frame.empty:
            st.caption("No labels.")
            continue
        name = namers[var.variable]
        frame["label"] = frame["label"].map(name)
        frame["most_confused_with"] = frame["most_confused_with"].map(
            lambda v, name=name: name(v) if isinstance(v, str) else ""
        )
        frame = frame[frame["n_values"] > 0]
        _chart(
            charts.bars(frame, category="label", value="specific_agreement",
                        title="specific agreement")
        )  # fmt: skip
        st.dataframe(frame, hide_index=True, width="stretch")
        _download(frame, f"per_label_{var.variable}", f"label_{var.variable}")


def _per_annotator(report: AgreementReport) -> None:
    st.caption(
        "Each annotator against the pooled labels of the others (each statement counts "
        "once), α without that annotator, and agreement with the adjudicated label."
    )
    for var in _variables(report):
        st.subheader(VARIABLE_TITLES[var.variable])
        frame = pd.DataFrame([r.model_dump() for r in var.annotators])
        long = frame.melt(
            id_vars="coder",
            value_vars=["agreement_with_others", "agreement_with_adjudicated"],
            var_name="against",
            value_name="agreement",
        )
        long["against"] = long["against"].map(
            {"agreement_with_others": "the others", "agreement_with_adjudicated": "adjudicated"}
        )
        _chart(
            charts.grouped_bars(long, category="coder", series="against", value="agreement"), 100
        )
        if frame["n_adjudicated"].sum() == 0:
            st.caption("No adjudicated statements among these labels yet.")
        st.dataframe(frame, hide_index=True, width="stretch")
        _download(frame, f"per_annotator_{var.variable}", f"coder_{var.variable}")


def _suggestions(report: AgreementReport) -> None:
    st.caption(
        "Krippendorff's alpha over the labels made while a cue suggestion was shown, and "
        "over those made without one. A higher alpha with suggestions can mean the "
        "suggestion steered annotators rather than that the task got easier."
    )
    rows = []
    for comp in report.suggestions:
        for shown, result in (("with", comp.with_suggestion), ("without", comp.without_suggestion)):
            rows.append(
                {
                    "comparison": f"{comp.variable} · {shown} suggestion",
                    "variable": comp.variable,
                    "metric": comp.metric,
                    "suggestion": shown,
                    "value": result.value,
                    "ci_low": result.ci_low,
                    "ci_high": result.ci_high,
                    "n_units": result.n_units,
                    "n_pairable": result.n_pairable,
                    "explanation": "" if result.value is not None else result.explanation,
                }
            )
    frame = pd.DataFrame(rows)
    number = st.column_config.NumberColumn(format="%.3f")
    st.dataframe(
        frame.drop(columns="comparison"),
        hide_index=True,
        width="stretch",
        column_config={"value": number, "ci_low": number, "ci_high": number},
    )
    if frame["value"].notna().any():
        _chart(charts.intervals(frame, category="comparison"))
    _download(frame, "suggestions", "suggestions")


def _disagreements(
    report: AgreementReport, extra: dict[str, Any], titles: dict[int, str],
    namers: dict[str, Namer],
) -> None:  # fmt: skip
    st.caption("Statements with the most disagreement first; statements all agree on are left out.")
    texts, documents = extra["texts"], extra["documents"]
    for var in _variables(report):
        st.subheader(VARIABLE_TITLES[var.variable])
        if not var.top_disagreements:
            st.caption("No disagreement on this variable.")
            continue
        name = namers[var.variable]
        frame = pd.DataFrame(
            [
                {
                    "rank": rank,
                    "statement": int(d.unit),
                    "document": titles.get(documents.get(int(d.unit), -1), ""),
                    "disagreement": d.disagreement,
                    "labels": "; ".join(f"{c}: {name(v)}" for c, v in d.values.items()),
                    "text": texts.get(int(d.unit), ""),
                }
                for rank, d in enumerate(var.top_disagreements, start=1)
            ]
        )
        # st.dataframe shows cells as plain text: statement text is never rendered.
        st.dataframe(
            frame,
            hide_index=True,
            width="stretch",
            column_config={"disagreement": st.column_config.NumberColumn(format="%.2f")},
        )
        _download(frame, f"disagreements_{var.variable}", f"disagree_{var.variable}")


def _aggregated(extra: dict[str, Any], titles: dict[int, str], namers: dict[str, Namer]) -> None:
    st.caption(
        "One label per statement. Majority vote reports ties as ties; Dawid–Skene weighs "
        "each annotator by their estimated confusion matrix and gives the posterior of its "
        "label. An adjudicated label always wins. Confidence: the lower median rating."
    )
    majority, skene, median = extra["majority"], extra["dawid_skene"], extra["median"]
    if extra["dawid_skene_note"]:
        st.caption(f"Dawid–Skene: {extra['dawid_skene_note']}")
    type_name_ = namers["source_type"]
    conf_name = namers["confidence"]

    def show(v: Any, name: Namer) -> str:
        return "" if v is None or (not isinstance(v, list | str) and pd.isna(v)) else name(str(v))

    frame = pd.DataFrame({"statement": majority["unit"].astype(int)})
    frame["document"] = [titles.get(extra["documents"].get(s, -1), "") for s in frame["statement"]]
    frame["majority"] = [show(v, type_name_) for v in majority["label"]]
    frame["method"] = majority["method"].to_numpy()
    frame["tied"] = [
        ", ".join(type_name_(str(t)) for t in v) if isinstance(v, list) else ""
        for v in majority["tied_labels"]
    ]
    frame["votes"] = [f"{int(a)}/{int(b)}" for a, b in zip(majority["votes"], majority["n_votes"],
                                                           strict=True)]  # fmt: skip
    ds = skene.set_index("unit")
    frame["dawid_skene"] = [show(ds["label"].get(s), type_name_) for s in frame["statement"]]
    if "posterior" in ds:
        frame["posterior"] = [ds["posterior"].get(s) for s in frame["statement"]]
    med = median.set_index("unit")["label"]
    frame["confidence (median)"] = [show(med.get(s), conf_name) for s in frame["statement"]]
    frame["text"] = [extra["texts"].get(int(s), "") for s in frame["statement"]]
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config={"posterior": st.column_config.NumberColumn(format="%.3f")},
    )
    _download(frame, "aggregated_labels", "aggregated")
