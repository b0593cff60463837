"""Altair charts of the agreement report.

Each builder takes the long frame it draws, so the page can offer exactly that frame as
the chart's CSV download.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import altair as alt
import pandas as pd

BAND_COLOURS = {"reliable": "#2e7d32", "tentative": "#ef6c00", "unreliable": "#c62828"}


def matrix_frame(
    matrix: Sequence[Sequence[int]],
    levels: Sequence[str],
    *,
    name: Callable[[str], str] = str,
) -> pd.DataFrame:
    """A square matrix of counts as one row per cell: row label, column label, count."""
    records = [
        {"row": name(a), "column": name(b), "count": round(matrix[i][j])}
        for i, a in enumerate(levels)
        for j, b in enumerate(levels)
    ]
    return pd.DataFrame(records, columns=["row", "column", "count"])


def heatmap(cells: pd.DataFrame, *, row_title: str, column_title: str) -> alt.Chart:
    """Counts of one label (rows) against another (columns), the count written in each cell.

    Field names are fixed ("row", "column") because annotator names may hold characters
    that Vega-Lite reads as field paths; the names go in the axis titles.
    """
    order = list(dict.fromkeys(cells["row"]))
    base = alt.Chart(cells).encode(
        x=alt.X("column:N", sort=order, title=column_title, axis=alt.Axis(labelLimit=160)),
        y=alt.Y("row:N", sort=order, title=row_title, axis=alt.Axis(labelLimit=220)),
    )
    squares = base.mark_rect().encode(
        color=alt.Color("count:Q", scale=alt.Scale(scheme="blues"), title="count"),
        tooltip=["row", "column", alt.Tooltip("count:Q", format="d")],
    )
    text = (
        base.mark_text(baseline="middle")
        .encode(text=alt.Text("count:Q", format="d"))
        .transform_filter(alt.datum.count > 0)
    )
    return (squares + text).properties(height=max(160, 32 * len(order)))


def bars(frame: pd.DataFrame, *, category: str, value: str, title: str) -> alt.Chart:
    """Horizontal bars on a 0–1 scale, one per category (missing values leave no bar)."""
    return (
        alt.Chart(frame.dropna(subset=[value]))
        .mark_bar()
        .encode(
            x=alt.X(f"{value}:Q", scale=alt.Scale(domain=[0, 1]), title=title),
            y=alt.Y(f"{category}:N", sort="-x", title=None, axis=alt.Axis(labelLimit=220)),
            tooltip=[category, alt.Tooltip(f"{value}:Q", format=".2f")],
        )
        .properties(height=max(120, 26 * len(frame)))
    )


def grouped_bars(frame: pd.DataFrame, *, category: str, series: str, value: str) -> alt.Chart:
    """Bars per category, one colour per series (e.g. "with the others", "with adjudication")."""
    return (
        alt.Chart(frame.dropna(subset=[value]))
        .mark_bar()
        .encode(
            x=alt.X(f"{value}:Q", scale=alt.Scale(domain=[0, 1]), title="agreement"),
            y=alt.Y(f"{category}:N", title=None),
            yOffset=alt.YOffset(f"{series}:N"),
            color=alt.Color(f"{series}:N", title=None, legend=alt.Legend(orient="bottom")),
            tooltip=[category, series, alt.Tooltip(f"{value}:Q", format=".2f")],
        )
        .properties(height=max(140, 44 * frame[category].nunique()))
    )


def intervals(frame: pd.DataFrame, *, category: str) -> alt.Chart:
    """Point estimates with their interval (columns value, ci_low, ci_high), on -1..1."""
    shown = frame.dropna(subset=["value"])
    base = alt.Chart(shown).encode(
        y=alt.Y(f"{category}:N", sort=None, title=None, axis=alt.Axis(labelLimit=320))
    )
    rule = base.mark_rule().encode(
        x=alt.X("ci_low:Q", scale=alt.Scale(domain=[-1, 1]), title="value and its interval"),
        x2="ci_high:Q",
    )
    point = base.mark_point(filled=True, size=60).encode(
        x="value:Q",
        tooltip=[
            category,
            alt.Tooltip("value:Q", format=".2f", title="value"),
            alt.Tooltip("ci_low:Q", format=".2f", title="interval from"),
            alt.Tooltip("ci_high:Q", format=".2f", title="interval to"),
        ],
    )
    return (rule + point).properties(height=max(80, 28 * len(shown)))


def shown_height(chart: alt.TopLevelMixin, extra: int = 70) -> int:
    """The element height for a chart: its plot height plus room for axes and legend."""
    return int(getattr(chart, "height", 200)) + extra
