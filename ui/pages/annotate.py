"""Annotate: one statement at a time, in its context, two keys per label.

The labelling widget (ui/components/labeller.py) handles every key in the browser: a
source-type key, then a confidence key, saves and moves on; keys typed ahead apply to the
next statements, which the widget already holds. This page hands it the next statements
of the annotator's queue and saves the labels it sends, each on its own statement id and
text version, through `workflows.labels.save_labels`.

Annotators label blind: nothing here reads another annotator's labels, notes or counts;
the only figures shown are the annotator's own labels and what is left in their queue.
"""

from __future__ import annotations

import time
from typing import Any

import streamlit as st

from annotate.core.models import User
from storage import project_progress
from ui import session
from ui.components.labeller import labeller, received, submission, widget_data
from ui.widgets import language
from workflows.labels import LabelSubmission, labelling_view, save_labels

AHEAD = 24  # statements the widget holds beyond the one shown (typing ahead runs on these)
WIDGET = "ann_labeller"
STATE = "ann_labelling"
KEEP_RESULTS = 50
KEEP_TIMINGS = 400
KEEP_SHOWN = 500  # suggestions shown on this page, kept to record them with the labels


def _state() -> dict[str, Any]:
    state: dict[str, Any] = st.session_state.setdefault(
        STATE,
        {"client": "", "ack": 0, "revisions": {}, "results": [], "server_ms": [], "shown": {}},
    )
    return state


def _seq(item: dict[str, Any]) -> int:
    seq = item.get("seq")
    return seq if isinstance(seq, int) and not isinstance(seq, bool) else 0


def _expected(item: dict[str, Any], revisions: dict[int, int]) -> int | None:
    """The revision the annotator edited: of a label made on this page (`replaces`), else
    the one the widget was given (0: a first label)."""
    replaces = item.get("replaces")
    if isinstance(replaces, int) and replaces in revisions:
        return revisions[replaces]
    expected = item.get("expected_revision")
    return expected if isinstance(expected, int) and not isinstance(expected, bool) else None


def _on_labels() -> None:
    """Save the labels the widget sent that were not saved yet, in the order typed."""
    user = session.current_user()
    if user is None or user.id is None:
        return  # signed out meanwhile: nothing is acknowledged, nothing saved
    client, items = received(WIDGET)
    state = _state()
    if client != state["client"]:  # a new page load numbers its labels from 1 again
        state.update(client=client, ack=0, revisions={}, results=[])
    fresh = sorted((i for i in items if _seq(i) > state["ack"]), key=_seq)
    if not fresh:
        return
    subs: list[LabelSubmission] = [submission(i, _expected(i, state["revisions"])) for i in fresh]
    started = time.perf_counter()
    outcomes = save_labels(session.db(), user.id, subs, state["shown"])
    per_label = (time.perf_counter() - started) * 1000 / len(subs)
    for item, outcome in zip(fresh, outcomes, strict=True):
        seq = _seq(item)
        if outcome.ok and outcome.revision is not None:
            state["revisions"][seq] = outcome.revision
        state["results"].append(
            {"seq": seq, "ok": outcome.ok, "message": outcome.message, "revision": outcome.revision}
        )
        state["ack"] = seq
    state["results"] = state["results"][-KEEP_RESULTS:]
    state["server_ms"] = (state["server_ms"] + [round(per_label, 2)] * len(subs))[-KEEP_TIMINGS:]


@st.fragment
def _labelling(user: User) -> None:
    """The widget; a label sent reruns only this fragment."""
    try:
        now = session.current_user()
        if now is None or now.id != user.id:  # signed out (or switched) in another tab
            st.rerun(scope="app")
        assert user.id is not None
        state = _state()
        view = labelling_view(session.db(), user.id, ahead=AHEAD + 1, shown=state["shown"])
        shown = {i.statement.id: (i.version, i.suggestion) for i in view.queue if i.statement.id}
        state["shown"] = dict(list({**state["shown"], **shown}.items())[-KEEP_SHOWN:])
        data = widget_data(
            view,
            user=user.id,
            ack=state["ack"],
            results=state["results"],
            server_ms=state["server_ms"],
            language=language(),
        )
        labeller(data, key=WIDGET, on_labels=_on_labels)
    finally:
        session.close_db()  # a fragment rerun does not pass through app.py's cleanup


def render() -> None:
    user = session.require_role("annotator")
    st.title("Annotate")
    if session.has_role(user, "editor"):  # annotators never see counts others move
        project = project_progress(session.db())
        st.caption(f"Project: {project.done} of {project.total} statements complete.")
    _labelling(user)
