"""Text from data is shown literally: no Markdown, no HTML, no bidi control.

Rendered output is checked with markdown-it (CommonMark, the parser family Streamlit's
react-markdown follows), with raw HTML enabled as `unsafe_allow_html` would.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from apptest_helpers import PASSWORD, app_for, button, by_label, open_page, parsed
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

import storage
from annotate.accounts.passwords import hash_password
from annotate.core.models import AnnotationInput
from annotate.core.taxonomy import default_taxonomy
from ui.markup import label, literal, plain, plain_html

RLO = "\u202e"
HOSTILE = [
    "![x](http://evil/beacon.png)",
    "[link](http://x)",
    ":red[x]",
    "<img src=x onerror=alert(1)>",
    f"{RLO}txt.exe",
    ":material/home: $x^2$ **bold** `code` &amp; ~~gone~~",
    "# heading\n> quote\n- item\n1. first\n    code block\n| a | b |\n|---|---|",
]
RENDER = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def _rendered_text(html: str) -> str:
    text = re.sub(r"<br\s*/?>\s*", "\n", html)
    text = re.sub(r"</?p>", "", text).strip()
    return (
        text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&amp;", "&")
        .replace("\u00a0", " ")
        .replace("\u2060", "")  # the invisible word joiner that keeps addresses unlinked
    )


@pytest.mark.parametrize("text", HOSTILE)
def test_literal_renders_exactly_the_text(text: str) -> None:
    html = RENDER.render(literal(text))
    assert not re.search(r"<(?!/?p>|br)", html), html  # no tag but paragraphs and breaks
    expected = plain(text)
    lines = [line.strip() if line.startswith("    ") else line for line in expected.split("\n")]
    assert _rendered_text(html).split("\n") == [line.rstrip() for line in lines]
    for directive in (":red[", ":material/"):  # Streamlit's own syntax, escaped
        assert directive not in literal(text)


@pytest.mark.parametrize("text", HOSTILE)
def test_labels_are_one_literal_line_and_plain_text_loses_only_controls(text: str) -> None:
    one = label(text)
    assert "\n" not in one
    assert not re.search(r"<(?!/?p>)", RENDER.render(one))
    assert RLO not in plain(text) and RLO not in one
    assert plain(text).replace("\n", "") == text.replace(RLO, "").replace("\n", "")
    assert "<img" not in plain_html(text) and RLO not in plain_html(text)


def test_bidi_controls_are_removed_and_ordinary_text_is_untouched() -> None:
    controls = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
    assert plain(f"a{controls}b\x00\x1bc\td\ne") == "abc\td\ne"
    assert label("Named official") == "Named official"
    assert literal("Le ministre a démenti") == "Le ministre a démenti"


# --- In the app. ---------------------------------------------------------------------

TITLE = f"![x](http://evil/beacon.png) [link](http://x) :red[x] <img src=x onerror=alert(1)> {RLO}"


def _hostile_project(path: Path) -> dict[str, int]:
    taxonomy = default_taxonomy()
    first = taxonomy.types[0].model_copy(
        update={"name_en": f":red[{RLO}evil] ![t](http://evil/t.png)",
                "definition_en": "[link](http://x) <img src=x onerror=alert(1)>"}
    )  # fmt: skip
    taxonomy = taxonomy.model_copy(
        update={"types": [first, *taxonomy.types[1:]], "name": f"{TITLE} taxonomy"}
    )
    db = storage.connect(path)
    storage.create_project(db, f"{TITLE} project", taxonomy=taxonomy)
    password_hash = hash_password(PASSWORD)
    ids = {"root": storage.add_user(db, "root", "admin", password_hash).id}
    for name in ("ann1", "ann2"):
        ids[name] = storage.add_user(db, name, "annotator", password_hash).id
    lines = ["Le ministre a démenti ces informations.", "Le texte sera signé lundi."]
    outcome = storage.add_document(db, parsed(lines, "evil.txt", TITLE))
    assert outcome.status == "added"
    sid = storage.statements_of(db, outcome.document_id)[0].id  # type: ignore[arg-type]
    for who, kind in (("ann1", first.key), ("ann2", taxonomy.types[1].key)):
        storage.save_annotation(
            db,
            AnnotationInput(statement_id=sid, annotator_id=ids[who], source_type=kind,
                            confidence=3, note=TITLE, taxonomy_version=taxonomy.version),
        )  # fmt: skip
    db.close()
    return ids  # type: ignore[return-value]


def _markdown_sources(at: AppTest) -> list[tuple[str, str, bool]]:
    """(element, Markdown source, allows HTML) of everything on the page that Streamlit
    renders as Markdown: text elements, alerts, and the labels of widgets and expanders."""
    found: list[tuple[str, str, bool]] = []
    for kind in ("markdown", "caption", "title", "header", "subheader", "error", "warning",
                 "info", "success"):  # fmt: skip
        for element in getattr(at, kind):
            html = bool(getattr(element.proto, "allow_html", False))
            found.append((kind, str(element.value), html))
    for kind in ("expander", "button", "checkbox", "toggle", "radio", "selectbox",
                 "multiselect", "text_input", "text_area", "tabs"):  # fmt: skip
        for element in getattr(at, kind):
            found.append((kind, str(getattr(element, "label", "")), False))
            if kind == "radio":
                found += [(kind, str(o), False) for o in element.options]
            if getattr(element.proto, "help", ""):
                found.append((f"{kind} help", element.proto.help, False))
    return found


def _assert_inert(at: AppTest, *, expect: str) -> None:
    assert not at.exception, at.exception
    sources = _markdown_sources(at)
    assert any(expect in source for _, source, _ in sources), "the hostile text was not shown"
    for kind, source, html in sources:
        rendered = MarkdownIt("commonmark", {"html": html}).render(source)
        assert "<img" not in rendered and "<a " not in rendered, (kind, source)
        assert RLO not in source, (kind, source)
        assert not re.search(r"(?<!\\):red\[", source), (kind, source)


@pytest.mark.apptest
def test_hostile_titles_names_and_definitions_render_inert_in_the_app(db_file: Path) -> None:
    ids = _hostile_project(db_file)
    at: Any = open_page(app_for(ids["root"]).run(), "review")
    _assert_inert(at, expect="beacon.png")  # the caption with the document's title

    at = open_page(app_for(ids["root"]).run(), "settings")
    by_label(at.segmented_control, "Section").set_value("Taxonomy").run()
    _assert_inert(at, expect="taxonomy")  # the taxonomy's name

    at = open_page(app_for(ids["root"]).run(), "documents")
    upload = f"title: {TITLE}\n\nLe ministre a démenti ces informations.\n".encode()
    at.file_uploader[0].set_value([("evil.txt", upload, "text/plain")]).run()
    _assert_inert(at, expect="beacon.png")  # the preview expander's title


@pytest.mark.apptest
def test_the_dataset_card_preview_is_shown_literally(db_file: Path) -> None:
    ids = _hostile_project(db_file)
    at: Any = open_page(app_for(ids["root"]).run(), "export")
    button(at, "Prepare export").click().run()
    cards = [m.value for m in at.markdown if "project" in str(m.value)]
    assert cards, "no dataset card preview"
    _assert_inert(at, expect="project")


@pytest.mark.apptest
def test_a_user_name_is_shown_literally_in_the_sidebar(db_file: Path) -> None:
    """A name may hold underscores: `__boss__` is shown as typed, not in bold."""
    _hostile_project(db_file)
    db = storage.connect(db_file)
    boss = storage.add_user(db, "__boss__", "editor", hash_password(PASSWORD))
    db.close()
    at: Any = app_for(boss.id).run()
    captions = [str(c.value) for c in at.sidebar.caption]
    assert any("\\_\\_boss\\_\\_" in c for c in captions), captions
    rendered = MarkdownIt("commonmark").render(captions[0])
    assert "<strong>" not in rendered and "__boss__" in rendered


@pytest.mark.parametrize(
    "text",
    [
        "Voir http://127.0.0.1:9/t.png et www.example.com",
        "HTTPS://tracker.example/p.gif",
        "écrire à ines@desk.example",
        "ftp://x.example/f",
    ],
)
def test_bare_addresses_are_not_turned_into_links(text: str) -> None:
    """GitHub-flavoured Markdown links bare addresses after escapes are resolved, so what
    the Markdown reads once escapes are gone must hold no address start."""
    from ui.markup import WORD_JOINER, literal

    shown = literal(text)
    unescaped = re.sub(r"\\(.)", r"\1", shown)
    assert not re.search(r"(?i)(https?|ftp)://|www\.|\w@\w", unescaped), unescaped
    assert unescaped.replace(WORD_JOINER, "") == text  # what a reader sees is unchanged
