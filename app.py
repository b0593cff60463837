"""SourceDesk's Streamlit entry point: page config, the sign-in gate, and the pages a
role may open. Run with `streamlit run app.py` (database: $SOURCEDESK_DB)."""

from __future__ import annotations

import streamlit as st

from ui import auth, session
from ui.routes import pages_for

st.set_page_config(page_title="SourceDesk", page_icon=":material/fact_check:", layout="wide")

try:
    user = auth.gate()
    navigation = st.navigation(pages_for(user.role))
    with st.sidebar:
        st.caption(f"Signed in as {user.name} ({user.role})")
        if st.button("Sign out", icon=":material/logout:"):
            auth.sign_out()
    navigation.run()
finally:
    session.close_db()
