"""Schema steps after 0002, one module each (`mNNNN_name.py` holding its `SQL`), applied in
name order as step `NNNN_name` (storage/schema.py registers them).

A released step is never edited: a change to the schema is a new module.
"""

__all__: list[str] = []
