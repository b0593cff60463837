"""Attribution suggestions, one idea per module:

* :mod:`.text` offset-preserving folding;
* :mod:`.lexicon` the per-language lexicons (``data/cues_<lang>.toml``);
* :mod:`.attribution` reporting predicates and their speaker phrases;
* :mod:`.speakers` what kind of source a speaker phrase names;
* :mod:`.mapping` from attributions to a source type, with the convention's precedence;
* :mod:`.cues` the rules-only suggestion of one statement (``detect_cues``);
* :mod:`.context` the speaker read in a neighbouring statement;
* :mod:`.model` the project's adapted model, learned from its settled labels;
* :mod:`.document` the suggestions of one document's statements (rules, context, model).
"""

from __future__ import annotations

from annotate.suggest.context import MAX_DISTANCE
from annotate.suggest.cues import (
    DATA_DIR,
    KINDS,
    CueDetector,
    LexiconError,
    Reading,
    default_detector,
    detect_cues,
    fold,
    load_lexicon,
)
from annotate.suggest.document import read_document, suggest_document, training_examples
from annotate.suggest.lexicon import optimise
from annotate.suggest.model import MIN_LABELS, AdaptedModel, TrainingError, adapt, features, train
from annotate.suggest.suggestion import Suggestion

__all__ = [
    "DATA_DIR",
    "KINDS",
    "MAX_DISTANCE",
    "MIN_LABELS",
    "AdaptedModel",
    "CueDetector",
    "LexiconError",
    "Reading",
    "Suggestion",
    "TrainingError",
    "adapt",
    "default_detector",
    "detect_cues",
    "features",
    "fold",
    "load_lexicon",
    "optimise",
    "read_document",
    "suggest_document",
    "train",
    "training_examples",
]
