"""Agreement page."""

import streamlit as st


def render() -> None:
    st.title("Agreement")
    st.info("This page is not available yet.")
