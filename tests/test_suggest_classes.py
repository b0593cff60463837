"""The failure classes seen on real news, as general patterns (sentences written for these
tests): who speaks, what kind of source that is, and the type that follows from the
labelling convention; and the speaker read in a neighbouring statement."""

from __future__ import annotations

import pytest

from annotate.suggest.cues import detect_cues
from annotate.suggest.document import suggest_document

Case = tuple[str, str, str, str | None]


def _check(language: str, text: str, expected: str, who: str | None) -> None:
    s = detect_cues(text, language)
    assert s.suggested_type == expected, (s.suggested_type, s.who, [c.text for c in s.cues])
    if who is not None:
        assert s.who == who
        assert s.source_span is not None
        assert text[s.source_span.start : s.source_span.end] == who


SPOKESPEOPLE_AND_INSTITUTIONS: list[Case] = [
    ("en", "Maria Lopez, a spokeswoman for the Interior Ministry, said the border would reopen on "
     "Friday.", "named_official", "Maria Lopez, a spokeswoman for the Interior Ministry"),
    ("en", "A spokesman for the ministry said the border would reopen on Friday.",
     "official_statement", "A spokesman for the ministry"),
    ("en", "The ministry said the border would reopen on Friday.", "official_statement",
     "The ministry"),
    ("fr", "« La frontière rouvrira vendredi », ajoute le syndicat.", "official_statement",
     "le syndicat"),
    ("fr", "Selon les autorités, la frontière rouvrira vendredi.", "official_statement",
     "les autorités"),
    ("fr", "Le porte-parole du gouvernement, Benjamin Griveaux, a affirmé que la réforme serait "
     "votée.", "named_official", "Le porte-parole du gouvernement, Benjamin Griveaux"),
    ("fr", "Le ministère de l'Intérieur a indiqué dans un communiqué que trois personnes avaient "
     "été interpellées.", "official_statement", "Le ministère de l'Intérieur"),
]  # fmt: skip

DOCUMENTS: list[Case] = [
    ("en", "A poll released on Sunday found that most voters backed the plan.", "document",
     "A poll released on Sunday"),
    ("en", "Court records show the company paid the fine in March.", "document", "Court records"),
    ("en", "According to a database kept by the university, 41 mines closed last year.",
     "document", "a database kept by the university"),
    ("fr", "Selon l'Insee, les prix ont augmenté de 2 % sur un an.", "document", "l'Insee"),
    ("fr", "Selon un sondage publié dimanche, 58 % des électeurs soutiennent le projet.",
     "document", "un sondage publié dimanche"),
    ("en", "A study published in Nature concluded that the reef had lost half its coral.",
     "document", "A study published in Nature"),
    ("fr", "Le syndicat a publié des chiffres selon lesquels 300 postes seraient supprimés.",
     "document", "des chiffres"),
]  # fmt: skip

TOPIC_NOT_SOURCE: list[Case] = [
    ("en", "The attacker was known to the intelligence services before the shooting.",
     "unattributed", None),
    ("en", "Her nomination stalled for months in the CIA clearance process.", "unattributed",
     None),
    ("fr", "Le suspect était connu des services de renseignement depuis 2019.", "unattributed",
     None),
    ("en", "Compensation long denied to the families is finally being paid.", "unattributed",
     None),
    ("en", "The new rules would deny him a path to a second term.", "unattributed", None),
    ("en", "The Kremlin denied that its troops had crossed the border.", "official_denial",
     "The Kremlin"),
    ("fr", "Le parti nie toute irrégularité dans ses comptes.", "official_denial", "Le parti"),
    ("en", "The minister said, citing declassified intelligence, that the convoy carried rockets.",
     "declassified_intel", None),
]  # fmt: skip

CHANNEL_NOT_SOURCE: list[Case] = [
    ("en", "The minister told the AP that talks would resume next week.", "named_official",
     "The minister"),
    ("fr", "Un diplomate européen a confié à l'AFP que les sanctions seraient prolongées.",
     "anonymous_official", "Un diplomate européen"),
    ("en", "The senator said in a tweet that she would vote against the bill.", "named_official",
     "The senator"),
    ("fr", "Le maire a tweeté dimanche que la piscine rouvrirait lundi.", "named_official",
     "Le maire"),
]  # fmt: skip

SPEAKER_AFTER_THE_QUOTE_AND_NEW_VERBS: list[Case] = [
    ("fr", "« Nous ne céderons pas », a lancé la ministre du Travail, Claire Morin.",
     "named_official", "la ministre du Travail, Claire Morin"),
    ("en", '"We will not back down," Senator Ruth Adams said.', "named_official",
     "Senator Ruth Adams"),
    ("en", '"We will not back down," said Senator Ruth Adams.', "named_official",
     "Senator Ruth Adams"),
    ("fr", "« C'est une étape », a-t-il ajouté.", "named_official", "il"),
    ("en", "The governor urged residents to stay indoors.", "named_official", "The governor"),
    ("en", "Economist Tom Reyes argues that the cut came too late.", "expert",
     "Economist Tom Reyes"),
    ("fr", "Le préfet souligne que les routes restent fermées.", "named_official", "Le préfet"),
    ("fr", "La politologue Anne Marchal estime que la gauche peut gagner.", "expert",
     "La politologue Anne Marchal"),
    ("en", "The agency states that no permit was issued.", "official_statement", "The agency"),
    ("en", "The mayor acknowledges that the budget is tight.", "named_official", "The mayor"),
]  # fmt: skip

REFUSALS_AND_EXPERTS: list[Case] = [
    ("en", "The company could not be reached for comment.", "no_comment", "The company"),
    ("en", "The White House wouldn't say whether the president had been briefed.", "no_comment",
     "The White House"),
    ("fr", "Les dirigeants du club n'ont pas pu être joints.", "no_comment",
     "Les dirigeants du club"),
    ("fr", "Le procureur s'est refusé à communiquer le nom du suspect.", "no_comment",
     "Le procureur"),
    ("fr", "Pour cet universitaire, la réforme manque sa cible.", "expert", "cet universitaire"),
    ("en", "A professor at Yale said the ruling would not stand.", "expert", "A professor at Yale"),
    ("en", "John Hale, a political analyst, said the vote was a warning.", "expert",
     "John Hale, a political analyst"),
]  # fmt: skip


@pytest.mark.parametrize(("language", "text", "expected", "who"), SPOKESPEOPLE_AND_INSTITUTIONS)
def test_spokespeople_and_institutions(
    language: str, text: str, expected: str, who: str | None
) -> None:
    _check(language, text, expected, who)


@pytest.mark.parametrize(("language", "text", "expected", "who"), DOCUMENTS)
def test_polls_records_studies_and_statistics_are_documents(
    language: str, text: str, expected: str, who: str | None
) -> None:
    _check(language, text, expected, who)


@pytest.mark.parametrize(("language", "text", "expected", "who"), TOPIC_NOT_SOURCE)
def test_intelligence_and_denial_as_topics_are_not_sources(
    language: str, text: str, expected: str, who: str | None
) -> None:
    _check(language, text, expected, who)


@pytest.mark.parametrize(("language", "text", "expected", "who"), CHANNEL_NOT_SOURCE)
def test_the_channel_is_not_the_source(
    language: str, text: str, expected: str, who: str | None
) -> None:
    _check(language, text, expected, who)


@pytest.mark.parametrize(
    ("language", "text", "expected", "who"), SPEAKER_AFTER_THE_QUOTE_AND_NEW_VERBS
)
def test_speaker_after_the_quote_and_reporting_verbs(
    language: str, text: str, expected: str, who: str | None
) -> None:
    _check(language, text, expected, who)


@pytest.mark.parametrize(("language", "text", "expected", "who"), REFUSALS_AND_EXPERTS)
def test_refusals_without_comment_and_experts_by_role(
    language: str, text: str, expected: str, who: str | None
) -> None:
    _check(language, text, expected, who)


# --- context: the speaker of a neighbouring statement ----------------------------------------


def test_pronoun_speaker_takes_the_previous_statements_speaker() -> None:
    texts = [
        "L'économiste Claire Dupuy, de l'université de Lille, juge la hausse inévitable.",
        "« Les ménages vont payer », a-t-elle ajouté.",
    ]
    first, second = suggest_document(texts, "fr")
    assert (first.suggested_type, first.context_note) == ("expert", None)
    assert second.suggested_type == "expert"
    assert second.who == "elle"  # the span stays in its own statement
    assert second.context_note == (
        "speaker from the previous statement: L'économiste Claire Dupuy, de l'université de Lille"
    )
    alone = detect_cues(texts[1], "fr")
    assert (alone.suggested_type, alone.context_note) == ("named_official", None)


def test_bare_quote_takes_the_next_statements_speaker() -> None:
    texts = [
        "The fire destroyed 200 homes overnight.",
        '"We have never seen anything like it."',
        "Fire chief Dana Cole said crews would work through the night.",
    ]
    _, quote, chief = suggest_document(texts, "en")
    assert chief.suggested_type == "named_official"
    assert quote.suggested_type == "named_official"
    assert quote.source_span is None
    assert quote.context_note == "speaker from the next statement: Fire chief Dana Cole"


def test_a_pronoun_denial_stays_a_denial_and_context_needs_a_neighbour() -> None:
    texts = [
        "A spokesman for the ministry said the convoy was civilian.",
        "He denied that any weapons were on board.",
    ]
    first, second = suggest_document(texts, "en")
    assert first.suggested_type == "official_statement"
    assert second.suggested_type == "official_denial"
    assert second.context_note is not None and "A spokesman for the ministry" in second.context_note
    (lonely,) = suggest_document(["She said the plan was sound."], "en")
    assert (lonely.suggested_type, lonely.context_note) == ("named_official", None)


def test_context_reaches_two_statements_and_no_further() -> None:
    texts = [
        "Analyst Mia Green said oil would stay above $90.",
        "Prices rose 3% on Monday.",
        "Stocks were flat.",
        "She added that demand was weak.",
    ]
    s = suggest_document(texts, "en")
    assert s[3].context_note is None
    s = suggest_document(texts[:1] + texts[2:], "en")
    assert s[2].suggested_type == "expert"
    assert s[2].context_note == "speaker from the previous statement (2 away): Analyst Mia Green"
