"""Export page."""

import streamlit as st


def render() -> None:
    st.title("Export")
    st.info("This page is not available yet.")
