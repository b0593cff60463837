"""Suggestions that learn from a project's settled labels, on real SQLite files: which labels
count, training and versions, retraining as labels arrive, document context from storage,
and the CLI using the same adapted suggestions as the app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import label, lines_document
from cli_helpers import run

import storage
from annotate.core.models import AdjudicationInput, Statement
from annotate.suggest.cues import detect_cues
from annotate.suggest.model import MIN_LABELS, AdaptedModel, TrainingError, train
from storage.suggestion_models import (
    suggestion_models,
    training_label_count,
    training_labels,
)
from workflows.suggest import (
    RETRAIN_EVERY,
    NotEnoughLabelsError,
    current_model,
    maybe_retrain,
    store_model,
    suggest_for_statements,
    train_model,
)

# A newsroom whose convention departs from the rules: it files economists and analysts
# quoted by name under "named official". The rules say "expert".
NAMES = ["Anne Morel", "Paul Girard", "Lina Haddad", "Marc Petit", "Sofia Rossi", "Hugo Blanc",
         "Nora Klein", "Yves Caron", "Emma Roux", "Karim Saadi", "Julie Perrin",
         "Théo Marchand"]  # fmt: skip
ROLES = ["l'économiste", "l'analyste", "le chercheur", "la politologue"]
CLAIMS = ["la croissance ralentira", "le chômage va baisser", "les prix resteront hauts",
          "la dette est soutenable", "l'euro va remonter"]  # fmt: skip
OTHERS = [
    ("Le ministère n'a pas souhaité commenter ces chiffres.", "no_comment"),
    ("Selon l'Insee, l'inflation a atteint 2 % en mai.", "document"),
    ("Le Kremlin a démenti toute implication dans l'attaque.", "official_denial"),
    ("Selon Le Monde, le projet sera abandonné.", "media_report"),
    ("L'usine emploie 300 personnes depuis 1998.", "unattributed"),
]


def _expert_lines(count: int, offset: int = 0) -> list[str]:
    lines = []
    for i in range(offset, offset + count):
        role, name = ROLES[i % len(ROLES)], NAMES[i % len(NAMES)]
        claim = CLAIMS[i % len(CLAIMS)]
        lines.append(f"{role.capitalize()} {name} estime que {claim} cette année ({i}).")
    return lines


def _import(db: storage.Database, lines: list[str], name: str) -> list[Statement]:
    outcome = storage.add_document(db, lines_document(lines, name=name))
    assert outcome.status == "added", outcome.message
    return storage.statements_of(db, outcome.document_id, only_statements=True)  # type: ignore[arg-type]


def _agree(
    db: storage.Database, statement: Statement, source_type: str, users: dict[str, int]
) -> None:
    for who in ("alice", "bob"):
        storage.save_annotation(db, label(statement.id, users[who], source_type))  # type: ignore[arg-type]


@pytest.fixture
def labelled(project_db: storage.Database, users: dict[str, int]) -> storage.Database:
    """A project with 45 settled labels in the newsroom's convention."""
    experts = _import(project_db, _expert_lines(30), "experts.txt")
    for st in experts:
        _agree(project_db, st, "named_official", users)
    others = _import(project_db, [t for t, _ in OTHERS] * 3, "others.txt")
    for st, (_, key) in zip(others, OTHERS * 3, strict=True):
        _agree(project_db, st, key, users)
    return project_db


def test_settled_labels_are_adjudicated_or_agreed_by_all(
    project_db: storage.Database, users: dict[str, int]
) -> None:
    a, b, c, d = _import(project_db, ["Un.", "Deux.", "Trois.", "Quatre."], "four.txt")
    _agree(project_db, a, "expert", users)  # agreed by both (k = 2)
    storage.save_annotation(project_db, label(b.id, users["alice"], "expert"))  # type: ignore[arg-type]
    storage.save_annotation(project_db, label(b.id, users["bob"], "document"))  # type: ignore[arg-type]
    storage.save_annotation(project_db, label(c.id, users["alice"], "expert"))  # type: ignore[arg-type]  # one of two
    _agree(project_db, d, "expert", users)
    storage.adjudicate(
        project_db,
        AdjudicationInput(statement_id=b.id, editor_id=users["eve"], source_type="document"),
        expected_revision=None,
    )
    storage.adjudicate(  # the editor's label wins over the annotators' agreement
        project_db,
        AdjudicationInput(statement_id=d.id, editor_id=users["eve"], source_type="media_report"),
        expected_revision=None,
    )
    got = {(x.statement_id, x.source_type) for x in training_labels(project_db)}
    assert got == {(a.id, "expert"), (b.id, "document"), (d.id, "media_report")}
    assert training_label_count(project_db) == 3


def test_too_few_labels_is_one_line_and_stores_nothing(
    project_db: storage.Database, users: dict[str, int]
) -> None:
    (st,) = _import(project_db, ["Le ministre a démenti."], "one.txt")
    _agree(project_db, st, "official_denial", users)
    with pytest.raises(NotEnoughLabelsError, match=f"1 settled label.*at least {MIN_LABELS}"):
        train_model(project_db)
    assert suggestion_models(project_db) == []
    assert maybe_retrain(project_db) is None
    with pytest.raises(TrainingError, match="single source type"):
        train([({"w=x": 1.0}, "expert", "expert")] * MIN_LABELS)


def test_model_learns_the_newsroom_convention_and_is_versioned(labelled: storage.Database) -> None:
    info = train_model(labelled)
    assert info.n_labels == 45
    assert info.alpha > 0
    assert info.cv_macro_f1 > info.rules_cv_macro_f1
    stored = suggestion_models(labelled)
    assert [m.version for m in stored] == [info.version]
    assert stored[0].version.startswith("m45-")
    model = current_model(labelled)
    assert isinstance(model, AdaptedModel) and model.version == info.version
    assert AdaptedModel.from_json(model.to_json()) == model

    new = _import(labelled, [*_expert_lines(2, offset=40), OTHERS[2][0]], "new.txt")
    rules = [detect_cues(s.text, "fr").suggested_type for s in new]
    assert rules == ["expert", "expert", "official_denial"]
    got = suggest_for_statements(labelled, new)
    assert [got[s.id].suggested_type for s in new] == [  # type: ignore[index]
        "named_official", "named_official", "official_denial"
    ]  # fmt: skip
    assert {got[s.id].model_version for s in new} == {info.version}  # type: ignore[index]
    assert got[new[0].id].who.startswith("L'économiste")  # type: ignore[index]


def test_versions_are_append_only(labelled: storage.Database) -> None:
    info = train_model(labelled)
    again = train_model(labelled)  # same labels: same weights, same version, one row
    assert again.version == info.version
    assert len(suggestion_models(labelled)) == 1
    with pytest.raises(Exception, match="append-only"):
        labelled.execute("UPDATE suggestion_models SET alpha = 0")
    with pytest.raises(Exception, match="append-only"):
        labelled.execute("DELETE FROM suggestion_models")


def test_retrained_when_enough_new_labels_arrive(
    labelled: storage.Database, users: dict[str, int]
) -> None:
    first = maybe_retrain(labelled)
    assert first is not None and first.n_labels == 45
    assert maybe_retrain(labelled) is None
    more = _import(labelled, _expert_lines(RETRAIN_EVERY - 1, offset=100), "more.txt")
    for st in more:
        _agree(labelled, st, "named_official", users)
    assert maybe_retrain(labelled) is None  # 49 new labels: not yet
    (last,) = _import(labelled, ["Le Pentagone a refusé de commenter."], "last.txt")
    _agree(labelled, last, "no_comment", users)
    before = {m.version for m in suggestion_models(labelled)}
    got = suggest_for_statements(labelled, [last])  # retrains first: 95 labels
    assert len(suggestion_models(labelled)) == 2
    newest = suggestion_models(labelled)[0]
    assert newest.version not in before and newest.n_labels == 45 + RETRAIN_EVERY
    assert got[last.id].model_version == newest.version  # type: ignore[index]


def test_suggestions_read_neighbours_from_storage(
    project_db: storage.Database,
) -> None:
    statements = _import(
        project_db,
        [
            "Le porte-parole de la mairie, Jean Dupuis, a confirmé la fermeture du pont.",
            "« Les travaux dureront six mois », a-t-il précisé.",
            "Le pont a été construit en 1962.",
        ],
        "pont.txt",
    )
    second = statements[1]
    assert second.id is not None
    got = suggest_for_statements(project_db, [second])
    assert list(got) == [second.id]
    s = got[second.id]
    assert (s.suggested_type, s.who, s.model_version) == ("named_official", "il", None)
    assert s.context_note == (
        "speaker from the previous statement: Le porte-parole de la mairie, Jean Dupuis"
    )


def test_cli_suggest_with_db_uses_the_projects_model(
    labelled: storage.Database, db_path: Path, tmp_path: Path
) -> None:
    article = tmp_path / "article.txt"
    article.write_text(
        "L'analyste Claire Fontaine estime que la croissance ralentira.\n\n"
        "Le ministère n'a pas souhaité commenter.\n",
        encoding="utf-8",
    )
    without = run("suggest", "--json", article)
    assert without.exit_code == 0, without.output
    rows = [json.loads(line) for line in without.output.splitlines()]
    assert [(r["suggested_type"], r["model_version"]) for r in rows] == [
        ("expert", None), ("no_comment", None)
    ]  # fmt: skip
    assert {"text", "language", "suggested_type", "score", "secondary", "source_span",
            "cues"} <= set(rows[0])  # fmt: skip
    labelled.close()
    trained = run("suggest", "--json", "--db", db_path, "--retrain", article)
    assert trained.exit_code == 0, trained.output
    rows = [json.loads(line) for line in trained.stdout.splitlines()]
    version = suggestion_models(storage.connect(db_path))[0].version
    assert [(r["suggested_type"], r["model_version"]) for r in rows] == [
        ("named_official", version), ("no_comment", version)
    ]  # fmt: skip
    assert f"model {version}: 45 labels" in trained.stderr


def test_cli_retrain_needs_a_db_and_enough_labels(
    project_db: storage.Database, db_path: Path, tmp_path: Path
) -> None:
    article = tmp_path / "a.txt"
    article.write_text("Le ministre a démenti.\n", encoding="utf-8")
    project_db.close()
    result = run("suggest", "--db", db_path, "--retrain", article)
    assert result.exit_code == 1
    assert "0 settled label(s); the suggestion model needs at least 30" in result.output
    assert "Traceback" not in result.output


def test_stored_model_round_trip(project_db: storage.Database) -> None:
    model = train(
        [({"w=a": 1.0}, "expert", "expert")] * 20 + [({"w=b": 1.0}, "expert", "document")] * 20
    )
    stored = store_model(project_db, model)
    assert AdaptedModel.from_json(stored.model_json) == model
    assert model.classes == ("document", "expert")
    probs = model.probabilities({"w=b": 1.0})
    assert probs[0] > 0.5 and abs(sum(probs) - 1.0) < 1e-9
