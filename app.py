"""SourceDesk's Streamlit entry point: page config, the sign-in gate, and the pages a
role may open. `sourcedesk serve` runs it inside ui/server.py, which adds the sign-in
routes (database: $SOURCEDESK_DB)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from annotate.core.errors import SourceDeskError, one_line
from ui import auth, session
from ui.markup import literal
from ui.routes import pages_for, refused_page
from ui.widgets import language_picker

# A local icon: a Material icon as favicon makes every page load fetch it from Google.
FAVICON = Path(__file__).resolve().parent / "ui" / "assets" / "favicon.png"
st.set_page_config(page_title="SourceDesk", page_icon=str(FAVICON), layout="wide")

try:
    try:
        user = auth.gate()
    except SourceDeskError as exc:  # no database file, or one this version cannot open
        st.error(f"SourceDesk cannot open its database: {literal(one_line(exc))}")
        st.stop()
        raise
    navigation = st.navigation(pages_for(user.role))
    refused = refused_page(user.role, st.context.url)
    if refused and not st.session_state.get("refused_page_told"):
        st.session_state["refused_page_told"] = True  # the link is read once per session
        st.info(refused)
    with st.sidebar:
        st.caption(f"Signed in as {literal(user.name)} ({user.role})")
        auth.sign_out_control()
        language_picker(user)
    navigation.run()
finally:
    session.close_db()
