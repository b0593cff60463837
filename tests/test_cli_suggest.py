"""`sourcedesk suggest`."""

from __future__ import annotations

import json

from cli_helpers import (
    SEED_1,
    run,
)


def test_suggest_json_gives_type_score_and_exact_cue_spans() -> None:
    result = run("suggest", "--json", SEED_1)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert len(rows) == 11
    first = rows[0]
    assert set(first) >= {"text", "language", "suggested_type", "score", "cues"}
    assert (first["language"], first["suggested_type"]) == ("fr", "declassified_intel")
    for cue in first["cues"]:
        assert first["text"][cue["start"] : cue["end"]] == cue["text"]
    kinds = {cue["kind"] for cue in first["cues"]}
    assert {"reporting_verb", "anonymity", "intelligence"} <= kinds
    assert rows[4]["suggested_type"] == "no_comment"  # "CNN a contacté ... commentaires"
