"""`sourcedesk init --sample`: load the sample project (the work is `workflows.sample`)."""

from __future__ import annotations

import storage
from workflows import sample


def load_sample(db: storage.Database) -> str:
    """Load the sample articles and demo labels; the one line `init --sample` prints."""
    return sample.load_sample(db).summary()
