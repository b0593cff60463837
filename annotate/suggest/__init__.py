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
