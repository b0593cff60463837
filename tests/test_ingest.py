"""Ingestion: every format to documents with exact offsets, every bad input to one clear error."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotate.documents import (
    SUPPORTED_SUFFIXES,
    ColumnMapping,
    IngestError,
    ParsedDocument,
    content_hash,
    parse_date,
    parse_file,
    parse_path,
)
from annotate.documents.language import detect_language

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "data" / "ingest"
SEED_RUSSIA_IRAN = ROOT / "sample_data" / "000_7ff1cdb65df24172.txt"
SEED_LOWERCASE = ROOT / "sample_data" / "003_f122783fec769f10.txt"


def _check_offsets(document: ParsedDocument) -> None:
    assert document.statements, document.source_name
    previous_end = 0
    for statement in document.statements:
        assert document.text[statement.start : statement.end] == statement.text
        assert statement.start >= previous_end
        previous_end = statement.end


def _kinds_and_texts(document: ParsedDocument) -> list[tuple[str, str]]:
    return [(s.kind, s.text) for s in document.statements]


def _error(name: str, data: bytes, **kw: object) -> IngestError:
    with pytest.raises(IngestError) as info:
        parse_file(name, data, **kw)  # type: ignore[arg-type]
    return info.value


# --- The seed articles. -----------------------------------------------------------------


def test_seed_with_date_header_on_the_title_line() -> None:
    [document] = parse_path(SEED_RUSSIA_IRAN)
    _check_offsets(document)
    assert document.source_name == "000_7ff1cdb65df24172.txt"
    assert document.published == dt.date(2024, 1, 1)
    assert document.published_precision == "month"
    title = (
        "La Russie semble prête à acheter des missiles balistiques à l'Iran, selon un fonctionnaire"
    )
    assert document.title == title
    assert document.text.startswith(title + "\n\nLes négociations russes")
    assert "date 2024-01" not in document.text
    assert document.language == "fr"
    assert document.statements[0].kind == "heading"
    assert document.statements[0].text == title
    assert [s.kind for s in document.statements].count("statement") == 11


def test_all_lowercase_seed_takes_title_and_date_from_its_leading_lines() -> None:
    [document] = parse_path(SEED_LOWERCASE)
    _check_offsets(document)
    assert document.language == "fr"
    assert document.title.startswith("les services de renseignement américains confirment")
    assert (document.published, document.published_precision) == (dt.date(2024, 9, 8), "day")
    assert _kinds_and_texts(document)[:5] == [
        ("heading", "nouvelles"),
        ("heading", document.title),
        ("heading", "2024-09-08"),
        (
            "boilerplate",
            "한어Русский языкEnglishFrançaisIndonesianSanskrit日本語DeutschPortuguêsΕλληνικά"
            "españolItalianoSuomalainenLatina",
        ),
        ("caption", "le guide suprême iranien, l'ayatollah ali khamenei |"),
    ]
    assert [s.kind for s in document.statements].count("statement") == 22


def test_reimport_with_different_spacing_has_the_same_hash() -> None:
    data = SEED_LOWERCASE.read_bytes()
    respaced = data.replace(b"\n\n", b"\r\n\r\n\r\n").replace(b". ", b".  ")
    [first] = parse_file("a.txt", data)
    [second] = parse_file("b.txt", respaced)
    assert first.content_hash == second.content_hash
    assert first.content_hash != content_hash(first.text + " encore")
    assert len(first.content_hash) == 64


def test_content_hash_normalises_unicode_and_whitespace() -> None:
    composed = "Le Président a déclaré\u00a0: non."
    decomposed = "Le  Président a de\u0301clare\u0301 : non.\n"
    assert content_hash(composed) == content_hash(decomposed)


# --- Formats. ---------------------------------------------------------------------------


def test_text_file_with_metadata_header() -> None:
    [document] = parse_path(FIXTURES / "header.txt")
    _check_offsets(document)
    assert document.title == "Iran transfers missiles to Russia"
    assert document.outlet == "The Daily Example"
    assert document.url == "https://example.org/iran-missiles"
    assert (document.published, document.published_precision) == (dt.date(2024, 1, 15), "day")
    assert document.language == "en"
    assert _kinds_and_texts(document) == [
        ("statement", "U.S. officials said on Friday that Iran had shipped missiles to Russia."),
        ("statement", "The officials spoke on condition of anonymity."),
        ("statement", "Iran denied the report."),
    ]


def test_markdown_title_and_markup_are_stripped() -> None:
    [document] = parse_path(FIXTURES / "article.md")
    _check_offsets(document)
    assert document.title == "L'Iran a livré des missiles à la Russie"
    assert _kinds_and_texts(document) == [
        ("heading", "L'Iran a livré des missiles à la Russie"),
        ("byline", "Par Jean Dupont"),
        ("statement", "Le porte-parole a déclaré que la livraison était « une escalade »."),
        ("statement", "La Maison Blanche a refusé de confirmer."),
    ]
    assert "**" not in document.text and "https://" not in document.text


def test_html_article_drops_navigation_and_footer() -> None:
    [document] = parse_path(FIXTURES / "article.html")
    _check_offsets(document)
    assert document.title == "L'Iran a transféré des missiles à la Russie"
    assert document.outlet == "Le Quotidien"
    assert document.url == "https://example.org/monde/iran-missiles"
    assert (document.published, document.published_precision) == (dt.date(2024, 9, 8), "day")
    assert document.language == "fr"
    for furniture in ("English", "Accueil", "droits réservés", "newsletter"):
        assert furniture not in document.text
    assert [s.kind for s in document.statements] == ["heading"] + ["statement"] * 4
    assert document.statements[3].text.endswith("une escalade dramatique. »")


def test_html_fallback_when_the_extractor_finds_nothing() -> None:
    page = b"<html><head><title>Court</title></head><body><div>Un texte. Deux.</div></body></html>"
    [document] = parse_file("court.htm", page)
    _check_offsets(document)
    assert "Un texte." in [s.text for s in document.statements]


def test_html_without_text_is_an_error() -> None:
    error = _error("vide.html", b"<html><body><script>var x = 1;</script></body></html>")
    assert str(error) == "vide.html: no article text found in the page"


def test_html_in_a_declared_legacy_charset() -> None:
    page = '<html><head><meta charset="iso-8859-1"></head><body><p>Le général a démenti.</p>'
    [document] = parse_file("latin.html", (page + "</body></html>").encode("latin-1"))
    assert [s.text for s in document.statements] == ["Le général a démenti."]


def test_csv_of_documents_with_bom_and_semicolons() -> None:
    first, second = parse_path(FIXTURES / "documents.csv")
    for document in (first, second):
        _check_offsets(document)
    assert first.source_name == "documents.csv:line 2"
    assert (first.external_id, first.title, first.outlet) == (
        "A-1",
        "Missiles iraniens",
        "Le Quotidien",
    )
    assert (first.published, first.published_precision) == (dt.date(2024, 9, 1), "month")
    assert [s.text for s in first.statements] == [
        "M. Savett a déclaré que le transfert serait une escalade.",
        "Téhéran a démenti.",
        "La Maison Blanche n'a pas commenté.",
    ]
    # The first row spans three physical lines, so the second row starts on line 5.
    assert second.source_name == "documents.csv:line 5"
    assert (second.published, second.published_precision) == (dt.date(2024, 1, 1), "year")


def test_csv_of_ready_made_statements_is_not_resplit() -> None:
    d1, d2 = parse_path(FIXTURES / "statements_tab.csv")
    assert d1.external_id == "D1" and d2.external_id == "D2"
    assert d1.text == (
        "The U.S. said Iran shipped missiles. Officials spoke anonymously.\n\n"
        "The White House declined to comment."
    )
    assert [(s.start, s.end, s.kind) for s in d1.statements] == [
        (0, 65, "statement"),
        (67, 103, "statement"),
    ]
    _check_offsets(d1)
    assert d1.title == "Missiles" and d1.language == "en"
    assert d1.source_name == "statements_tab.csv:line 2"
    assert d2.source_name == "statements_tab.csv:line 3"


def test_jsonl_documents_and_statements() -> None:
    j1, j2 = parse_path(FIXTURES / "documents.jsonl")
    assert (j1.source_name, j1.external_id, j1.language) == ("documents.jsonl:line 1", "J-1", "fr")
    assert (j2.source_name, j2.language) == ("documents.jsonl:line 3", "en")
    assert [s.text for s in j1.statements] == [
        "Les États-Unis ont confirmé le transfert.",
        "L'Iran a démenti.",
    ]
    [grouped] = parse_path(FIXTURES / "statements.jsonl")
    assert [s.text for s in grouped.statements] == [
        "Le fonctionnaire a cité des renseignements déclassifiés. Il a été clair.",
        "CNN a contacté l'ambassade.",
    ]
    _check_offsets(grouped)


def test_column_mapping_renames_columns() -> None:
    data = "corps,titre\nLe ministre a démenti. Rien de plus.,Démenti\n".encode()
    mapping = ColumnMapping(text="corps", title="titre")
    [document] = parse_file("renamed.csv", data, mapping=mapping)
    assert document.title == "Démenti"
    assert [s.text for s in document.statements] == ["Le ministre a démenti.", "Rien de plus."]


def test_utf16_text_with_bom_is_decoded() -> None:
    [document] = parse_file("windows.txt", "Le ministre a démenti.".encode("utf-16"))
    assert document.text == "Le ministre a démenti."


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024", (dt.date(2024, 1, 1), "year")),
        ("2024-01", (dt.date(2024, 1, 1), "month")),
        ("2024-01-15", (dt.date(2024, 1, 15), "day")),
        ("15/01/2024", (dt.date(2024, 1, 15), "day")),
        ("2024-09-08T10:00:00+02:00", (dt.date(2024, 9, 8), "day")),
        ("hier", None),
    ],
)
def test_parse_date(value: str, expected: object) -> None:
    assert parse_date(value) == expected


def test_impossible_header_date_names_line_and_field() -> None:
    error = _error("bad-date.txt", b"title: Un titre\ndate: 2024-13-45\n\nLe texte.")
    assert (error.file, error.line, error.field) == ("bad-date.txt", 2, "date")
    assert str(error).startswith("bad-date.txt, line 2, field 'date': impossible date '2024-13-45'")


# --- Bad input. -------------------------------------------------------------------------


def test_invalid_utf8_reports_byte_offset_and_line() -> None:
    error = _error("latin.txt", "Première ligne.\nLe général a dit.".encode("latin-1"))
    assert (error.file, error.line) == ("latin.txt", 1)
    assert "invalid UTF-8 at byte offset 5 (byte 0xe8)" in str(error)
    error = _error("latin.csv", b"text\nok\n" + "Le général".encode("latin-1"))
    assert error.line == 3 and "byte offset 12" in str(error)


def test_binary_file_is_refused() -> None:
    error = _error("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert str(error) == (
        "image.txt: looks like a binary file (NUL byte at offset 8); expected UTF-8 text"
    )


@pytest.mark.parametrize("data", [b"", b"   \n\t\n", "\u00a0\n".encode()])
def test_empty_file_is_refused(data: bytes) -> None:
    error = _error("vide.txt", data)
    assert error.file == "vide.txt"
    assert "empty" in str(error) or "only whitespace" in str(error)


def test_oversized_file_gives_size_and_limit(tmp_path: Path) -> None:
    error = _error("big.txt", b"x" * 2048, max_bytes=1000)
    assert str(error) == "big.txt: file is 2,048 bytes, larger than the limit of 1,000 bytes"
    path = tmp_path / "big.txt"
    path.write_bytes(b"y" * 5000)
    with pytest.raises(IngestError, match="5,000 bytes, larger than the limit of 1,000"):
        parse_path(path, max_bytes=1000)


def test_unknown_suffix_lists_the_supported_ones() -> None:
    error = _error("notes.docx", b"PK\x03\x04")
    assert ".docx" in str(error)
    assert all(suffix in str(error) for suffix in SUPPORTED_SUFFIXES)


def test_missing_file_is_an_ingest_error(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r"absent\.txt: cannot open the file"):
        parse_path(tmp_path / "absent.txt")


def test_missing_text_column_lists_the_columns_found() -> None:
    error = _error("articles.csv", b"titre,corps\nUn titre,Un corps.\n")
    assert (error.file, error.field) == ("articles.csv", "text")
    assert str(error) == (
        "articles.csv, field 'text': missing column 'text' (columns found: 'titre', 'corps')"
    )


def test_empty_text_cell_names_the_line() -> None:
    error = _error("articles.csv", b"title,text\nA,Un texte.\nB,\nC,Encore.\n")
    assert (error.line, error.field) == (3, "text")
    assert str(error) == "articles.csv, line 3, field 'text': empty text"


def test_bad_json_line_is_named() -> None:
    data = b'{"text": "Bon."}\n{"text": "Mauvais.",}\n'
    error = _error("lignes.jsonl", data)
    assert error.line == 2
    assert str(error).startswith("lignes.jsonl, line 2: invalid JSON")


def test_non_object_json_line_is_named() -> None:
    error = _error("lignes.jsonl", b'{"text": "Bon."}\n\n["une", "liste"]\n')
    assert str(error) == "lignes.jsonl, line 3: expected a JSON object, found list"


def test_jsonl_line_without_text_key() -> None:
    error = _error("lignes.jsonl", b'{"text": "Bon."}\n{"body": "Autre."}\n')
    assert (error.line, error.field) == (2, "text")
    assert "keys found: 'body'" in str(error)


def test_bad_language_and_date_cells_name_their_line() -> None:
    error = _error("a.csv", b"text,language\nUn texte.,fr\nDeux.,french!!\n")
    assert (error.line, error.field) == (3, "language")
    error = _error("a.jsonl", json.dumps({"text": "Un.", "published": "demain"}).encode())
    assert (error.line, error.field) == (1, "published")


def test_csv_row_with_too_many_cells() -> None:
    error = _error("a.csv", b"title,text\nA,Un texte.,en trop\n")
    assert error.line == 2 and "3 cells" in str(error)


def test_header_only_csv_is_an_error() -> None:
    assert "no rows" in str(_error("a.csv", b"title,text\n"))


def test_header_without_body_is_an_error() -> None:
    error = _error("a.txt", b"title: Seulement un titre\n")
    assert str(error) == "a.txt: no article text after the metadata header"


def test_a_file_parses_entirely_or_not_at_all() -> None:
    data = b'{"text": "Bon."}\n{"text": "Bon aussi."}\n{"text": ""}\n'
    with pytest.raises(IngestError):
        parse_file("lignes.jsonl", data)


# --- Language and robustness. -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "U.S. officials, speaking on condition of anonymity, said Iran had shipped "
            "short-range ballistic missiles to Russia.",
            "en",
        ),
        ("Die Regierung hat die Lieferung von Raketen an Russland bestätigt.", "de"),
        ("les services de renseignement américains confirment le transfert", "fr"),
        ("2024-09-08", "und"),
        ("hello", "und"),
        ("", "und"),
    ],
)
def test_detect_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400), st.sampled_from(SUPPORTED_SUFFIXES))
def test_arbitrary_bytes_parse_or_raise_ingest_error(data: bytes, suffix: str) -> None:
    try:
        documents = parse_file("x" + suffix, data)
    except IngestError as error:
        assert str(error).startswith("x" + suffix)
        return
    for document in documents:
        for statement in document.statements:
            assert document.text[statement.start : statement.end] == statement.text


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=1, max_size=300), st.sampled_from([".txt", ".md", ".html"]))
def test_arbitrary_text_parses_or_raises_ingest_error(text: str, suffix: str) -> None:
    try:
        documents = parse_file("x" + suffix, text.encode("utf-8", "surrogatepass"))
    except IngestError:
        return
    for document in documents:
        for statement in document.statements:
            assert document.text[statement.start : statement.end] == statement.text
