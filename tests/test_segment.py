"""Sentence segmentation: exact offsets, French and English punctuation, non-statements.

The two seed articles are pinned segment by segment; the lists below were reviewed by
eye and are the oracle.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotate.documents.language import detect_language
from annotate.statements.segment import Segment, segment_text

SAMPLES = Path(__file__).resolve().parent.parent / "sample_data"
SEED_RUSSIA_IRAN_FILE = SAMPLES / "000_7ff1cdb65df24172.txt"
SEED_LOWERCASE_FILE = SAMPLES / "003_f122783fec769f10.txt"

SEED_RUSSIA_IRAN = [
    (
        "heading",
        (
            "date 2024-01 La Russie semble prête à acheter des missiles balistiques à l'Iran, "
            "selon un fonctionnaire"
        ),
    ),
    (
        "statement",
        (
            "Les négociations russes visant à acquérir les missiles balistiques à courte "
            'portée de l\'Iran "progressent activement", a déclaré le fonctionnaire, citant '
            "des renseignements américains récemment déclassifiés."
        ),
    ),
    (
        "statement",
        (
            "Il a évoqué une réunion entre des responsables militaires iraniens du Corps des "
            "gardiens de la révolution islamique et le ministre russe de la défense, Sergei "
            "Shoigu, qui s'est tenue en Iran en septembre et au cours de laquelle les Iraniens "
            "ont présenté aux Russes leur missile balistique à courte portée Ababil et "
            "d'autres systèmes de missiles."
        ),
    ),
    (
        "statement",
        (
            '"Cet événement a marqué la première présentation publique de missiles balistiques '
            "à un haut responsable russe en visite en Iran depuis le début de la guerre entre "
            "la Russie et l'Ukraine\", a déclaré le responsable."
        ),
    ),
    (
        "statement",
        (
            "Ensuite, à la mi-décembre, le CGRI a déployé des missiles balistiques et des "
            "systèmes de soutien aux missiles dans une zone d'entraînement à l'intérieur de "
            "l'Iran pour les montrer à une délégation russe en visite, a indiqué le "
            "responsable, autant de signes que la Russie a l'intention d'acheter les systèmes "
            "à l'Iran."
        ),
    ),
    (
        "statement",
        (
            "CNN a contacté l'ambassade de Russie et la mission iranienne auprès des Nations "
            "unies pour obtenir des commentaires."
        ),
    ),
    (
        "statement",
        (
            "L'accord potentiel sur les armes intervient alors que les États-Unis n'ont plus "
            "de fonds à fournir à l'Ukraine jusqu'à ce que le Congrès approuve la demande "
            "supplémentaire d'urgence de l'administration."
        ),
    ),
    (
        "statement",
        (
            "La Russie, quant à elle, a considérablement intensifié ses attaques de missiles "
            "contre des cibles ukrainiennes dans tout le pays ces derniers jours et a maintenu "
            "son partenariat de défense avec l'Iran."
        ),
    ),
    (
        "statement",
        (
            "La fourniture de missiles balistiques marquerait une escalade significative du "
            "soutien de l'Iran à la Russie."
        ),
    ),
    (
        "statement",
        (
            "L'Iran a déjà fourni à la Russie des centaines de drones que les forces russes "
            "ont utilisés dans leur guerre contre l'Ukraine, et la Russie construit dans le "
            "pays, avec l'aide de l'Iran, une usine de fabrication de drones qui pourrait "
            "avoir un impact significatif sur la guerre en Ukraine une fois qu'elle sera "
            "achevée, a rapporté CNN."
        ),
    ),
    (
        "statement",
        (
            "Le Wall Street Journal a d'abord rapporté que la Russie avait l'intention "
            "d'acheter des missiles balistiques."
        ),
    ),
    (
        "statement",
        (
            "La possibilité d'un tel transfert a été évoquée pour la première fois quelques "
            "mois après l'invasion de l'Ukraine par la Russie, et a été une source de profonde "
            "inquiétude pour les responsables américains, selon CNN."
        ),
    ),
]
SEED_LOWERCASE = [
    ("heading", "nouvelles"),
    (
        "heading",
        (
            "les services de renseignement américains confirment que l'iran a transféré des "
            "missiles balistiques à courte portée à la russie"
        ),
    ),
    ("heading", "2024-09-08"),
    (
        "boilerplate",
        (
            "한어Русский "
            "языкEnglishFrançaisIndonesianSanskrit日本語DeutschPortuguêsΕλληνικάespañolItalianoSuomalainenLatina"
        ),
    ),
    ("caption", "le guide suprême iranien, l'ayatollah ali khamenei |"),
    (
        "statement",
        (
            "les médias américains ont rapporté le 7 septembre, citant deux sources "
            "gouvernementales proches du dossier, que les autorités américaines avaient "
            "informé leurs alliés et confirmé que l'iran avait transféré des missiles "
            "balistiques à courte portée à la russie pour les utiliser dans sa guerre en "
            "ukraine."
        ),
    ),
    (
        "statement",
        (
            "les états-unis n'ont fourni aucun détail sur le nombre d'armes livrées ni sur la "
            "date de leur transfert, mais ils ont confirmé les conclusions des agences de "
            "renseignement américaines, selon le rapport."
        ),
    ),
    (
        "statement",
        (
            "le wall street journal a été le premier à rapporter les conclusions des services "
            "de renseignement américains."
        ),
    ),
    (
        "statement",
        (
            "les responsables américains qui ont divulgué les informations des services de "
            "renseignement se sont exprimés sous couvert d’anonymat pour discuter de la "
            "question, qui n’a pas encore été rendue publique."
        ),
    ),
    (
        "statement",
        (
            "la maison blanche a refusé de confirmer les transferts d'armes, mais a réitéré "
            "ses inquiétudes quant au soutien croissant de l'iran à la guerre russe."
        ),
    ),
    (
        "statement",
        (
            "la maison blanche a mis en garde l’iran ces derniers mois contre le transfert de "
            "missiles balistiques vers la russie."
        ),
    ),
    (
        "statement",
        (
            "le porte-parole du conseil de sécurité nationale des états-unis, sean savett, a "
            "déclaré dans un communiqué : « tout transfert de missiles balistiques par l'iran "
            "vers la russie représenterait une escalade dramatique du soutien de l'iran à la "
            "guerre d'agression de la russie en ukraine et entraînerait davantage de morts "
            "parmi les civils ukrainiens. »"
        ),
    ),
    (
        "statement",
        (
            "le communiqué souligne que \"ce partenariat entre l'iran et la russie menace la "
            "sécurité européenne et démontre comment l'iran étend son influence au-delà du "
            'moyen-orient et dans le monde entier pour créer une instabilité régionale".'
        ),
    ),
    ("heading", "images de données"),
    (
        "statement",
        (
            "selon certaines informations, les conclusions américaines ont été publiées alors "
            "que moscou tentait de repousser l’offensive soudaine de l’ukraine sur le "
            "continent russe."
        ),
    ),
    (
        "statement",
        (
            "l’ukraine a pris l’initiative de porter la guerre sur le territoire russe, ce qui "
            "a entraîné l’occupation d’environ 1\xa0300 kilomètres carrés de territoire dans "
            "la région de koursk, dans le sud de la russie."
        ),
    ),
    (
        "statement",
        (
            "pendant ce temps, le président ukrainien volodymyr zelensky fait pression sur les "
            "états-unis et leurs alliés occidentaux pour qu'ils autorisent son armée à "
            "utiliser des missiles fournis par l'occident pour frapper des cibles militaires "
            "au plus profond de la russie et pour contrer les frappes aériennes de moscou sur "
            "l'ukraine."
        ),
    ),
    (
        "statement",
        (
            "conformément aux précédentes conclusions des services de renseignement "
            "américains, les responsables iraniens auraient immédiatement nié avoir fourni des "
            "armes à la guerre russe en ukraine."
        ),
    ),
    (
        "statement",
        (
            "un communiqué de la mission iranienne auprès des nations unies a déclaré : « "
            "l'iran considère qu'il est inhumain de fournir une assistance militaire aux "
            "parties au conflit - ce qui entraînerait une augmentation des pertes, la "
            "destruction des infrastructures et un éloignement des négociations de "
            "cessez-le-feu. par conséquent, l'iran évite non seulement de participer lui-même. "
            "de telles actions appellent également les autres pays à cesser de fournir des "
            "armes à toutes les parties au conflit.»"
        ),
    ),
    ("caption", "photo d'archives\xa0: poutine se rend en iran et est reçu par khamenei"),
    (
        "statement",
        (
            "le directeur de la cia, william burns, a mis en garde contre les liens de défense "
            "croissants et « troublants » entre la russie, l'iran et la corée du nord lors "
            "d'une apparition conjointe avec des responsables du renseignement britannique à "
            "londres le 7 septembre, menaçant les alliés occidentaux en ukraine et au "
            "moyen-orient."
        ),
    ),
    (
        "statement",
        (
            "d’autres conclusions des services de renseignement, déclassifiées et publiées à "
            "plusieurs reprises par la maison blanche, montrent que la corée du nord a expédié "
            "des munitions et des missiles à la russie pour les utiliser sur le champ de "
            "bataille en ukraine, tandis que l’iran a fourni des drones d’attaque à moscou et "
            "a aidé le kremlin à construire des usines de fabrication de drones."
        ),
    ),
    (
        "statement",
        (
            "la maison blanche s’inquiète depuis des mois d’un éventuel accord de coopération "
            "militaire entre l’iran et la russie."
        ),
    ),
    (
        "statement",
        (
            "l’administration biden a déclaré en janvier que les responsables du renseignement "
            "américain avaient déterminé que l’accord russo-iranien n’était pas encore conclu, "
            "mais les responsables américains craignaient que les négociations pour que la "
            "russie achète des missiles à l’iran avancent."
        ),
    ),
    (
        "statement",
        (
            "la maison blanche a déclaré que l'iran avait accueilli un haut responsable russe "
            "de la défense en septembre et lui avait montré une gamme de systèmes de missiles "
            "balistiques à vendre, renforçant ainsi les inquiétudes des états-unis concernant "
            "un accord russo-iranien."
        ),
    ),
    (
        "statement",
        (
            "les états-unis et leurs alliés ont pris des mesures visant à empêcher la "
            "fourniture, la vente ou le transfert d’articles iraniens et liés aux missiles "
            "balistiques, notamment en donnant des directives aux entreprises privées sur les "
            "pratiques d’achat de missiles de l’iran pour garantir que ces entreprises ne "
            "soutiennent pas par inadvertance le développement d’armes de l’iran."
        ),
    ),
    ("statement", "efforts."),
    ("caption", "photo d’archives : lancement d’un essai de missile supersonique par l’iran"),
    (
        "statement",
        (
            "vendredi 13 août prochain, le président américain biden recevra le nouveau "
            "premier ministre britannique keir starmer à la maison blanche et s'entretiendra "
            "avec lui."
        ),
    ),
    (
        "statement",
        (
            "la secrétaire de presse de la maison blanche, karine jean-pierre, a déclaré que "
            "\"le soutien continu et fort à l'ukraine dans sa résistance à l'agression russe\" "
            "serait à l'ordre du jour."
        ),
    ),
    ("boilerplate", "lectures complémentaires\xa0:"),
    ("boilerplate", "lectures complémentaires\xa0:"),
]


def _pairs(text: str, language: str = "fr") -> list[tuple[str, str]]:
    return [(s.kind, s.text) for s in segment_text(text, language)]


def _texts(text: str, language: str) -> list[str]:
    return [s.text for s in segment_text(text, language)]


def _assert_exact(text: str, segments: list[Segment]) -> None:
    for segment in segments:
        assert text[segment.start : segment.end] == segment.text
        assert segment.text == segment.text.strip()


# --- The seed articles. -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [(SEED_RUSSIA_IRAN_FILE, SEED_RUSSIA_IRAN), (SEED_LOWERCASE_FILE, SEED_LOWERCASE)],
    ids=["russia-iran", "all-lowercase"],
)
def test_seed_articles_segment_as_reviewed(path: Path, expected: list[tuple[str, str]]) -> None:
    text = path.read_text(encoding="utf-8")
    segments = segment_text(text, "fr")
    assert [(s.kind, s.text) for s in segments] == expected
    _assert_exact(text, segments)


def test_seed_statement_counts() -> None:
    counts = [
        sum(kind == "statement" for kind, _ in seed) for seed in (SEED_RUSSIA_IRAN, SEED_LOWERCASE)
    ]
    assert counts == [11, 22]


def test_seeds_are_detected_as_french() -> None:
    for path in (SEED_RUSSIA_IRAN_FILE, SEED_LOWERCASE_FILE):
        assert detect_language(path.read_text(encoding="utf-8")) == "fr"


# --- English. ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Mr. Smith met Dr. Jones at St. Paul's. They talked.",
            ["Mr. Smith met Dr. Jones at St. Paul's.", "They talked."],
        ),
        (
            "The U.S. said on Monday it would act. The U.N. agreed.",
            ["The U.S. said on Monday it would act.", "The U.N. agreed."],
        ),
        (
            "Sanctions were imposed by the U.S. The move angered Moscow.",
            ["Sanctions were imposed by the U.S.", "The move angered Moscow."],
        ),
        (
            "CIA Director William J. Burns spoke in London. He warned of risks.",
            ["CIA Director William J. Burns spoke in London.", "He warned of risks."],
        ),
        (
            "Growth was 3.5 percent in 2023. Inflation fell.",
            ["Growth was 3.5 percent in 2023.", "Inflation fell."],
        ),
        (
            'He said: "We will act. We will not wait." Then he left.',
            ['He said: "We will act. We will not wait."', "Then he left."],
        ),
        (
            '"It is over!" she said. Nobody answered.',
            ['"It is over!" she said.', "Nobody answered."],
        ),
        (
            "Nothing, e.g. nothing at all. Fruits, vegetables, etc. were sold.",
            ["Nothing, e.g. nothing at all.", "Fruits, vegetables, etc. were sold."],
        ),
        (
            "Martin Luther King Jr. said it. Officials agreed.",
            ["Martin Luther King Jr. said it.", "Officials agreed."],
        ),
        (
            "He paid $1.5 million (approx. 1.4 million euros). It was a lot.",
            ["He paid $1.5 million (approx. 1.4 million euros).", "It was a lot."],
        ),
        ("Wait... What happened? Nobody knew.", ["Wait...", "What happened?", "Nobody knew."]),
        (
            "It was made in the U.S. Mr. Biden said so.",
            ["It was made in the U.S.", "Mr. Biden said so."],
        ),
        ("It was… fine. Really.", ["It was… fine.", "Really."]),
        (
            'The report said the plan was "dead". The ministry disagreed.',
            ['The report said the plan was "dead".', "The ministry disagreed."],
        ),
        ("See (p. 12) and (…) later. Done.", ["See (p. 12) and (…) later.", "Done."]),
    ],
)
def test_english_sentences(text: str, expected: list[str]) -> None:
    assert _texts(text, "en") == expected


def test_hard_wrapped_lines_are_joined_into_sentences() -> None:
    text = (
        "WASHINGTON - The United States said on Thursday that Iran had\n"
        "transferred short-range ballistic missiles to Russia, a move officials\n"
        "described as a dramatic escalation. The officials spoke on condition of\n"
        "anonymity because the findings had not been made public.\n"
    )
    segments = segment_text(text, "en")
    assert [s.text.replace("\n", " ") for s in segments] == [
        "WASHINGTON - The United States said on Thursday that Iran had transferred "
        "short-range ballistic missiles to Russia, a move officials described as a "
        "dramatic escalation.",
        "The officials spoke on condition of anonymity because the findings had not "
        "been made public.",
    ]
    _assert_exact(text, segments)


# --- French. ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "M. Dupont et Mme Martin sont arrivés. Ils ont parlé.",
            ["M. Dupont et Mme Martin sont arrivés.", "Ils ont parlé."],
        ),
        (
            "Le 3 sept. 2024, ils étaient sept. Le lendemain, rien.",
            ["Le 3 sept. 2024, ils étaient sept.", "Le lendemain, rien."],
        ),
        (
            "Il a déclaré : « Nous agirons. Nous n'attendrons pas. » Le ministre est parti.",
            ["Il a déclaré : « Nous agirons. Nous n'attendrons pas. »", "Le ministre est parti."],
        ),
        (
            "« C'est fini ! » a-t-il lancé. Personne n'a répondu.",
            ["« C'est fini ! » a-t-il lancé.", "Personne n'a répondu."],
        ),
        (
            "La croissance a été de 3,5 % en 2023. L'inflation a reculé\u202f!",
            ["La croissance a été de 3,5 % en 2023.", "L'inflation a reculé\u202f!"],
        ),
        (
            "Environ 1\u00a0300 kilomètres carrés. Soit 1\u202f300 km².",
            ["Environ 1\u00a0300 kilomètres carrés.", "Soit 1\u202f300 km²."],
        ),
        (
            "Quoi\u00a0? Il a dit «\u00a0non\u00a0». Fin.",
            ["Quoi\u00a0?", "Il a dit «\u00a0non\u00a0».", "Fin."],
        ),
        (
            "Les fruits, p. ex. les pommes, sont chers. Il faut agir.",
            ["Les fruits, p. ex. les pommes, sont chers.", "Il faut agir."],
        ),
        (
            "Il a dit « le mot “ambigu” est mal choisi. Vraiment. » Puis il est parti.",
            ["Il a dit « le mot “ambigu” est mal choisi. Vraiment. »", "Puis il est parti."],
        ),
        (
            "la guerre a commencé. les états-unis ont réagi.",
            ["la guerre a commencé.", "les états-unis ont réagi."],
        ),
        (
            "il a dit : « la guerre continue. nous résisterons. » les combats ont repris.",
            ["il a dit : « la guerre continue. nous résisterons. »", "les combats ont repris."],
        ),
        (
            "Un « oubli. Il manque la fin. Voilà.",
            ["Un « oubli.", "Il manque la fin.", "Voilà."],
        ),
    ],
)
def test_french_sentences(text: str, expected: list[str]) -> None:
    assert _texts(text, "fr") == expected


def test_paragraph_break_always_ends_a_segment() -> None:
    text = "Il a déclaré que « la guerre\n\ncontinuera » demain"
    assert _texts(text, "fr") == ["Il a déclaré que « la guerre", "continuera » demain"]


def test_numbered_list_item_is_not_split_after_its_number() -> None:
    assert _texts("1. Le premier point est clair.", "fr") == ["1. Le premier point est clair."]


# --- Non-statements. --------------------------------------------------------------------


def test_non_statement_lines_are_marked() -> None:
    text = (
        "Par Jean Dupont\n\nPhoto : AFP\n\n(AFP)\n\nLire aussi : La guerre en Ukraine\n\n"
        "Le texte commence ici.\n\nPublié le 12/01/2024 à 10h32\n\n© 2024 Le Journal"
    )
    assert _pairs(text) == [
        ("byline", "Par Jean Dupont"),
        ("caption", "Photo : AFP"),
        ("caption", "(AFP)"),
        ("boilerplate", "Lire aussi : La guerre en Ukraine"),
        ("statement", "Le texte commence ici."),
        ("byline", "Publié le 12/01/2024 à 10h32"),
        ("boilerplate", "© 2024 Le Journal"),
    ]


def test_english_non_statements() -> None:
    text = (
        "Iran ships missiles to Russia\n\nBy Jane Smith, CNN\n\nShare\n\n"
        "Subscribe to our newsletter\n\nRead more: Iran news\n\nShares of Apple fell.\n\n"
        "Par ailleurs, rien.\n\nFile photo: a missile launch\n\n— CNN"
    )
    assert _pairs(text, "en") == [
        ("heading", "Iran ships missiles to Russia"),
        ("byline", "By Jane Smith, CNN"),
        ("boilerplate", "Share"),
        ("boilerplate", "Subscribe to our newsletter"),
        ("boilerplate", "Read more: Iran news"),
        ("statement", "Shares of Apple fell."),
        ("statement", "Par ailleurs, rien."),
        ("caption", "File photo: a missile launch"),
        ("byline", "— CNN"),
    ]


def test_a_quoted_line_without_final_period_is_a_statement_not_a_heading() -> None:
    assert _pairs("« Nous ne céderons pas »") == [("statement", "« Nous ne céderons pas »")]


def test_unknown_language_uses_french_and_english_lists() -> None:
    assert _texts("M. Dupont met Mr. Smith. They talked.", "und") == [
        "M. Dupont met Mr. Smith.",
        "They talked.",
    ]


# --- Properties. ------------------------------------------------------------------------

_ALPHABET = st.sampled_from(
    [
        *"aAbé Z.!?…;:,'’\"«»“”„()[]-—|#©\n\n\t\u00a0\u202f0123456789",
        "M.",
        "U.S.",
        "etc.",
        "...",
        "\r\n",
        "Le ",
        "The ",
        "photo :",
        "Par ",
        "\u2028",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_ALPHABET, max_size=80).map("".join), st.sampled_from(["fr", "en", "und"]))
def test_segments_slice_exactly_and_cover_all_text(text: str, language: str) -> None:
    segments = segment_text(text, language)
    position = 0
    for segment in segments:
        assert segment.start >= position
        assert segment.end > segment.start
        assert text[segment.start : segment.end] == segment.text
        assert segment.text == segment.text.strip()
        assert text[position : segment.start].strip() == ""
        position = segment.end
    assert text[position:].strip() == ""


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_unicode_is_covered(text: str) -> None:
    segments = segment_text(text, "fr")
    covered = "".join(text[s.start : s.end] for s in segments)
    assert [ch for ch in covered if not ch.isspace()] == [ch for ch in text if not ch.isspace()]
    assert all(a.end <= b.start for a, b in itertools.pairwise(segments))
