"""Main-text extraction from a saved web page.

News pages carry navigation, language menus, share buttons and footers around the
article; annotators must only see the article. trafilatura does the extraction (on the
string: nothing is fetched), and a plain lxml walk is the fallback for pages it rejects
(very short pages, unusual markup).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

__all__ = ["ExtractedPage", "decode_html", "extract_page"]

_DROPPED_TAGS = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form")
_BLOCK_TAGS = (
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "figcaption",
    "dd", "dt", "td", "th", "div", "section", "article", "br", "tr", "title",
)  # fmt: skip
_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-]+)""", re.I)


@dataclass(frozen=True)
class ExtractedPage:
    """The article's paragraphs and whatever metadata the page declared."""

    paragraphs: list[str]
    title: str = ""
    date: str = ""
    url: str = ""
    sitename: str = ""


def decode_html(data: bytes) -> str | None:
    """Decode a page as UTF-8, else with the charset its <meta> declares; None if neither."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    match = _META_CHARSET_RE.search(data[:4096])
    if match:
        try:
            return data.decode(match.group(1).decode("ascii"))
        except (LookupError, UnicodeDecodeError):
            return None
    return None


def _paragraphs(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def _with_trafilatura(html: str) -> ExtractedPage | None:
    import trafilatura

    # trafilatura logs a warning for every page it finds too short; the fallback
    # handles those, so the warning is noise.
    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    try:
        doc = trafilatura.bare_extraction(
            html, with_metadata=True, include_comments=False, include_tables=True
        )
    except Exception:
        return None
    # bare_extraction returns a Document (or a dict with as_dict=True); read either.
    fields = doc if isinstance(doc, dict) else doc.as_dict() if doc is not None else {}

    def field(name: str) -> str:
        return str(fields.get(name) or "").strip()

    if not field("text"):
        return None
    return ExtractedPage(
        paragraphs=_paragraphs(field("text")),
        title=field("title"),
        date=field("date"),
        url=field("url"),
        sitename=field("sitename"),
    )


def _with_lxml(html: str) -> ExtractedPage:
    import lxml.html

    try:
        root = lxml.html.document_fromstring(html)
    except Exception:
        return ExtractedPage(paragraphs=[])
    title = " ".join((root.findtext(".//title") or "").split())
    for element in list(root.iter(*_DROPPED_TAGS, "title")):
        element.drop_tree()
    for element in root.iter(*_BLOCK_TAGS):
        element.tail = "\n" + (element.tail or "")
        if element.tag != "br":
            element.text = "\n" + (element.text or "")
    return ExtractedPage(paragraphs=_paragraphs(root.text_content()), title=title)


def extract_page(html: str) -> ExtractedPage:
    """Extract the article text (one string per paragraph) and the page metadata."""
    page = _with_trafilatura(html)
    if page is None or not page.paragraphs:
        page = _with_lxml(html)
    return page
