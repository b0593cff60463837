"""Schema steps after 0002, one module each (`mNNNN_name.py`), applied in name order.

A released step is never edited: a change to the schema is a new module.
"""
