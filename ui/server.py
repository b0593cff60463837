"""The ASGI application: Streamlit's app (app.py) plus the sign-in routes.

`sourcedesk serve` runs this file with `streamlit run`, which finds `app` and serves it.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui.auth_routes import ROUTES

SCRIPT = Path(__file__).resolve().parent.parent / "app.py"

app = st.App(str(SCRIPT), routes=ROUTES)
