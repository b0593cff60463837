"""Operations: plain functions that compose the domain (annotate/) and storage/ and return
data, in the style of Prodigy recipes. Pages and CLI commands call one of these and render
what it returns; no rule lives twice.
"""

# The operations, one module each; import the one you need (`from workflows import auth`).
__all__ = [
    "agreement",
    "auth",
    "documents",
    "dump",
    "export",
    "label_import",
    "labels",
    "project",
    "sample",
    "scale",
    "suggest",
]
