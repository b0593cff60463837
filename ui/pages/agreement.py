"""Agreement (editors): how far annotators agree on source type and confidence, where they
disagree, and the labels that come out of their votes, said for fact-checkers.

Everything comes from `workflows.agreement.agreement_view`, cached on the data version
plus the filters and options, so widgets that only change what is displayed never
recompute the bootstrap. Tables are worded by `annotate.agreement.table`; every CSV
download is neutralised (`ui.widgets.csv_download`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pandas as pd
import streamlit as st
from pydantic import BaseModel

import storage
from annotate.agreement.report import ReportFilters, VariableAgreement, plain_summary
from annotate.agreement.table import (
    confused_pairs,
    figure_table,
    for_people,
    hidden_line,
    interval,
    number,
    people_figures,
    pooled_pair_counts,
    suggestion_table,
    why_no_figures,
)
from annotate.core.taxonomy import RatingScale, Taxonomy, scale_preset
from ui import charts, session
from ui.markup import literal
from ui.widgets import (
    csv_download,
    data_version,
    document_titles,
    level_label,
    show_text,
    type_name,
)
from workflows.agreement import AgreementView, agreement_view
from workflows.labels import median_seconds_per_label

SUGGESTION_CHOICES: dict[str, bool | None] = {
    "All labels": None,
    "Made with a suggestion shown": True,
    "Made without a suggestion": False,
}
VARIABLE_TITLES = {"source_type": "Source type", "confidence": "Confidence"}
BAND_BADGE = {"reliable": "green", "tentative": "orange", "unreliable": "red"}
POOLED = "All annotators together"
# What each tab shows and how to read it, above its content.
TAB_INTROS = {
    "Figures": (
        "How to read α (Krippendorff's alpha): 0.80 or more, reliable; 0.667 to 0.80, "
        "tentative conclusions only; below 0.667, unreliable. Percent agreement ignores "
        "agreement by chance: read it beside the others."
    ),
    "Per label": (
        "Specific agreement: of the times a label was given, how often another annotator "
        "gave the same label to the same statement."
    ),
    "Per annotator": (
        "Each annotator against the others (each statement counts once), how α would "
        "change without them, and how often they matched the final label."
    ),
    "Suggestions": (
        "α over the labels made while a cue suggestion was shown, and over those made "
        "without one. A higher α with suggestions can mean the suggestion steered "
        "annotators rather than that the task got easier."
    ),
    "Disagreements": (
        "Statements with the most disagreement first (the score the Review page sorts by: "
        "the share of annotator pairs that chose different source types, plus up to 0.1 "
        "for a spread in confidence). Statements everyone agrees on are left out."
    ),
    "Aggregated labels": (
        "One label per statement. A final label set by an editor always wins; otherwise "
        "the majority, and a tie stays a tie. Dawid–Skene weighs each annotator by how "
        "reliable they have been. Confidence: the lower middle rating."
    ),
}

Namer = Callable[[str], str]


@st.cache_data(max_entries=16, show_spinner=False)
def _labels(path: str, version: tuple[int, ...]) -> pd.DataFrame:
    return storage.labels_frame(session.db())


@st.cache_data(max_entries=16, show_spinner="Computing agreement…")
def _view(
    path: str, version: tuple[int, ...], filters_json: str, n_boot: int, seed: int
) -> AgreementView:
    filters = ReportFilters.model_validate_json(filters_json)
    return agreement_view(session.db(), filters, n_boot=n_boot, seed=seed)


def _controls(labels: pd.DataFrame, titles: dict[int, str]) -> tuple[ReportFilters, int, int]:
    with st.expander("Filters and options"):
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
        d = st.columns([1, 1, 2, 1, 1])
        date_from = d[0].date_input("Published from", value=None, key="agr_from")
        date_to = d[1].date_input("Published to", value=None, key="agr_to")
        shown = d[2].radio(
            "Suggestions", list(SUGGESTION_CHOICES), horizontal=True, key="agr_suggestions"
        )
        n_boot = d[3].number_input(
            "Bootstrap resamples", min_value=0, max_value=20_000, value=1000, step=100,
            key="agr_n_boot",
        )  # fmt: skip
        seed = d[4].number_input("Seed", min_value=0, value=42, step=1, key="agr_seed")
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


def _table(frame: pd.DataFrame, **kwargs: Any) -> None:
    """A table of data: cells are plain text (st.dataframe renders no Markdown)."""
    st.dataframe(frame, hide_index=True, width="stretch", **kwargs)


def _offer(frame: pd.DataFrame, name: str, key: str) -> None:
    """A table with its CSV download beneath (`name`.csv): what readers see is what they
    can take away."""
    _table(frame)
    csv_download(frame, name, key)


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
    view = _view(path, version, filters.model_dump_json(), n_boot, seed)
    report = view.report
    nothing = why_no_figures(report)
    if nothing:
        st.info(literal(nothing))
        return
    namers = {v: _namer(v, taxonomy, scale) for v in VARIABLE_TITLES}
    with st.container(border=True):
        show_text(plain_summary(report, namers["source_type"]))
    st.caption(
        f"{report.n_labels} labels on {report.n_statements} statements of "
        f"{report.n_documents} documents, by {len(report.annotators)} annotators. "
        f"Intervals: {report.level:.0%}, from {report.n_boot} resamples of the statements."
    )
    tabs: dict[str, Callable[[], None]] = {
        "Figures": lambda: _figures(view),
        "Confusions": lambda: _confusions(view, namers),
        "Per label": lambda: _per_label(view, namers),
        "Per annotator": lambda: _per_annotator(view),
        "Suggestions": lambda: _suggestions(view),
        "Disagreements": lambda: _disagreements(view, titles, namers),
        "Aggregated labels": lambda: _aggregated(view, titles, namers),
    }
    for tab, (name, show) in zip(st.tabs(list(tabs)), tabs.items(), strict=True):
        with tab:
            if name in TAB_INTROS:
                st.caption(TAB_INTROS[name])
            show()


def _variables(view: AgreementView) -> tuple[VariableAgreement, VariableAgreement]:
    return view.report.source_type, view.report.confidence


def _breakdowns(
    view: AgreementView, rows: Callable[[VariableAgreement], Sequence[BaseModel]]
) -> Iterator[tuple[VariableAgreement, pd.DataFrame]]:
    """Each variable under its heading, with one of its breakdowns (`rows`: per label, per
    annotator) as a frame: the tabs that break agreement down show both variables alike."""
    for var in _variables(view):
        st.subheader(VARIABLE_TITLES[var.variable])
        yield var, pd.DataFrame([r.model_dump() for r in rows(var)])


def _figures(view: AgreementView) -> None:
    table = figure_table(view.report)
    for var in _variables(view):
        st.subheader(VARIABLE_TITLES[var.variable])
        alpha = var.alpha[var.reading_metric]
        if var.reading is not None and alpha.value is not None:
            st.badge(
                f"α = {alpha.value:.3f} · {var.reading}",
                color=BAND_BADGE[var.reading],  # type: ignore[arg-type]  # a colour name
            )
        rows = table[table["variable"] == var.variable]
        people = people_figures(rows)
        if not people.empty:
            _table(people)
            shown = rows[rows["shown"]]
            _chart(charts.intervals(shown.assign(figure=shown["figure"]), category="figure"))
        why = hidden_line(rows)
        if why:
            st.caption(why)
        csv_download(
            people, f"agreement_{var.variable}", f"agr_dl_{var.variable}", "Download these figures"
        )


def _confusions(view: AgreementView, namers: dict[str, Namer]) -> None:
    variable = st.radio(
        "Variable",
        list(VARIABLE_TITLES),
        format_func=VARIABLE_TITLES.__getitem__,
        horizontal=True,
        key="agr_confusion_variable",
    )
    var = view.report.source_type if variable == "source_type" else view.report.confidence
    adjudicated = view.aggregated.vs_adjudicated.get(variable, {})
    choices = [POOLED, *(var.pair_confusions or {})]
    choices += [f"{c} vs the final label" for c in adjudicated]
    choice = st.selectbox("Compare", choices, key="agr_confusion_pair")
    if choice == POOLED:
        matrix = pooled_pair_counts(var)
        row_title, column_title = "one annotator", "another annotator"
        st.caption(
            "Each cell counts pairs of annotators on the same statement: one chose the row "
            "label, the other the column label. The diagonal is agreement."
        )
    elif choice.endswith(" vs the final label"):
        coder = choice.removesuffix(" vs the final label")
        matrix = adjudicated[coder]
        row_title, column_title = coder, "final label"
    else:
        matrix = (var.pair_confusions or {})[choice]
        row_title, column_title = choice.split(" vs ", 1)
    cells = charts.matrix_frame(matrix, var.levels, name=namers[variable])
    if cells["count"].sum() == 0:
        st.info("No statements were labelled by both sides of this comparison.")
    else:
        _chart(charts.heatmap(cells, row_title=row_title, column_title=column_title), 200)
        csv_download(
            cells.rename(columns={"row": row_title, "column": column_title, "count": "count"}),
            "confusion",
            "agr_dl_confusion",
            "Download this matrix",
        )
    st.subheader("Most confused pairs of labels")
    pairs = confused_pairs(var, namers[variable])
    if pairs.empty:
        st.caption("No disagreement on this variable.")
        return
    _offer(pairs, f"confused_pairs_{variable}", f"agr_dl_pairs_{variable}")


def _per_label(view: AgreementView, namers: dict[str, Namer]) -> None:
    for var, frame in _breakdowns(view, lambda var: var.labels):
        if frame.empty or not (frame["n_values"] > 0).any():
            st.caption("No labels.")
            continue
        frame = frame[frame["n_values"] > 0]
        name = namers[var.variable]
        chart = frame.assign(label=frame["label"].map(name))
        _chart(
            charts.bars(chart, category="label", value="specific_agreement",
                        title="specific agreement")
        )  # fmt: skip
        people = for_people(
            frame,
            {
                "label": "Label",
                "n_values": "Times given",
                "specific_agreement": "Specific agreement",
                "alpha_binary": "α, this label against the rest",
                "most_confused_with": "Most often confused with",
            },
            decimals={"specific_agreement": 2, "alpha_binary": 2},
            names={"label": name, "most_confused_with": name},
        )
        _offer(people, f"per_label_{var.variable}", f"agr_dl_label_{var.variable}")


def _per_annotator(view: AgreementView) -> None:
    for var, frame in _breakdowns(view, lambda var: var.annotators):
        frame["median_seconds"] = frame["coder"].map(median_seconds_per_label(session.db()))
        long = frame.melt(
            id_vars="coder",
            value_vars=["agreement_with_others", "agreement_with_adjudicated"],
            var_name="against",
            value_name="agreement",
        )
        long["against"] = long["against"].map(
            {"agreement_with_others": "the others", "agreement_with_adjudicated": "final label"}
        )
        _chart(
            charts.grouped_bars(long, category="coder", series="against", value="agreement"), 100
        )
        if frame["n_adjudicated"].sum() == 0:
            st.caption("No final labels among these statements yet.")
        people = for_people(
            frame,
            {
                "coder": "Annotator",
                "n_units": "Statements labelled",
                "n_shared": "Shared with others",
                "agreement_with_others": "Agreement with the others",
                "kappa_vs_others": "κ against the others",
                "alpha_change_without": "Change in α without them",
                "n_adjudicated": "With a final label",
                "agreement_with_adjudicated": "Agreement with the final label",
                "median_seconds": "Median seconds per label",
            },
            decimals={
                "median_seconds": 1,
                "agreement_with_others": 2,
                "kappa_vs_others": 2,
                "alpha_change_without": 2,
                "agreement_with_adjudicated": 2,
            },
        )
        _offer(people, f"per_annotator_{var.variable}", f"agr_dl_coder_{var.variable}")


def _suggestions(view: AgreementView) -> None:
    frame = suggestion_table(view.report)
    shown = frame[frame["shown"]]
    people = pd.DataFrame(
        {
            "Variable": [VARIABLE_TITLES.get(v, v) for v in shown["variable"]],
            "Labels": ["with a suggestion" if s else "without" for s in shown["suggestion_shown"]],
            "α": [number(v, 3) for v in shown["alpha"]],
            f"{view.report.level:.0%} interval": [
                interval(lo, hi) for lo, hi in zip(shown["ci_low"], shown["ci_high"], strict=True)
            ],
            "Statements": shown["n_units"].astype(int),
        }
    )
    if not people.empty:
        _offer(people, "suggestions", "agr_dl_suggestions")
    hidden = frame[~frame["shown"]]
    if not hidden.empty:
        st.caption(
            f"{len(hidden)} comparison(s) not shown: "
            + "; ".join(
                f"{VARIABLE_TITLES.get(v, v)} {'with' if s else 'without'} a suggestion ({w})"
                for v, s, w in zip(
                    hidden["variable"], hidden["suggestion_shown"], hidden["why_hidden"],
                    strict=True,
                )
            )
            + "."
        )  # fmt: skip


def _disagreements(view: AgreementView, titles: dict[int, str], namers: dict[str, Namer]) -> None:
    table = view.disagreements
    if table.empty:
        st.caption("No disagreement among these labels.")
        return
    type_of, level_of = namers["source_type"], namers["confidence"]
    frame = pd.DataFrame(
        {
            "Statement": table["statement_id"].astype(int),
            "Document": [titles.get(int(d), "") for d in table["document_id"]],
            "Disagreement": [number(d) for d in table["disagreement"]],
            "Labels": [
                "; ".join(
                    f"{who}: {type_of(t)}" + (f", {level_of(str(c))}" if c is not None else "")
                    for who, (t, c) in labels.items()
                )
                for labels in table["labels"]
            ],
            "Text": [view.texts.get(int(s), "") for s in table["statement_id"]],
        }
    )
    _offer(frame, "disagreements", "agr_dl_disagreements")


def _aggregated(view: AgreementView, titles: dict[int, str], namers: dict[str, Namer]) -> None:
    agg = view.aggregated
    majority, skene, median = agg.majority, agg.dawid_skene, agg.median_confidence
    if agg.dawid_skene_note:
        st.caption(f"Dawid–Skene: {agg.dawid_skene_note}")
    type_of, level_of = namers["source_type"], namers["confidence"]

    def show(v: Any, name: Namer) -> str:
        return "" if v is None or (not isinstance(v, list | str) and pd.isna(v)) else name(str(v))

    methods = {"majority": "majority", "tie": "tie", "adjudicated": "final label"}
    statements = majority["unit"].astype(int)
    ds = skene.set_index("unit")
    med = median.set_index("unit")["label"]
    frame = pd.DataFrame(
        {
            "Statement": statements,
            "Document": [titles.get(agg.documents.get(int(s), -1), "") for s in statements],
            "Label": [show(v, type_of) for v in majority["label"]],
            "How": [methods.get(str(m), str(m)) for m in majority["method"]],
            "Tied between": [
                ", ".join(type_of(str(t)) for t in v) if isinstance(v, list) else ""
                for v in majority["tied_labels"]
            ],
            "Votes": [
                f"{int(a)} of {int(b)}"
                for a, b in zip(majority["votes"], majority["n_votes"], strict=True)
            ],
            "Dawid–Skene": [show(ds["label"].get(s), type_of) for s in statements],
            "Posterior": [
                number(ds["posterior"].get(s)) if "posterior" in ds else "" for s in statements
            ],
            "Confidence": [show(med.get(s), level_of) for s in statements],
            "Text": [view.texts.get(int(s), "") for s in statements],
        }
    )
    _offer(frame, "aggregated_labels", "agr_dl_aggregated")
