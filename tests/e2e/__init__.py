"""Browser end-to-end tests (headless Chromium against `streamlit run`)."""
