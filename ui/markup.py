"""The one way text from data reaches the screen: literally.

Article text, titles, taxonomy names and definitions, user and project names, notes and
the dataset card are untrusted: they may hold `<img src=x onerror=...>`, a Markdown image
that loads a tracking pixel, links, Streamlit's `:red[...]` colours, `$` signs, or
right-to-left override characters that reorder the app's own words. Pick by context:

- `literal(text)`: anything Streamlit renders as Markdown (`st.markdown`, `st.caption`,
  `st.write`, titles, alerts, help texts). Markdown, HTML and Streamlit directives are
  backslash-escaped, lines keep their breaks, bidi controls are removed.
- `label(text)`: widget labels, expander titles, tab names and the options of radios and
  pills (Markdown on one line).
- `plain(text)`: places that show text without Markdown (select boxes, tables, text
  inputs): bidi and other control characters removed, nothing else changed.
- `plain_html(text)` / `highlight_html(...)`: inside HTML (`unsafe_allow_html`): every
  ASCII punctuation character becomes a numeric character reference, which Markdown
  renders literally. Highlights are added only after escaping, around spans of the
  original text.
"""

from __future__ import annotations

import html
import re
import string
from collections.abc import Iterable

BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
"""Marks, embeddings, overrides and isolates: they can reorder the text around them."""
_INVISIBLE = re.compile(f"[{BIDI_CONTROLS}\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Backslash-escaped everywhere: inline Markdown, HTML, entities, maths, Streamlit's
# `:directive[...]` and `:material/icon:` syntax.
_MARKDOWN_INLINE = re.compile(r"([\\`*_{}\[\]<>#|~$:&/!^=+\-])")
_ORDERED_ITEM = re.compile(r"^(\d+)([.)])")
# GitHub-flavoured Markdown turns bare addresses into links after escapes are resolved
# ("http://…", "www.…", "name@host"), so escaping cannot stop it: a word joiner (U+2060,
# invisible) inside each such start keeps them plain text.
WORD_JOINER = "\u2060"
_AUTOLINK_START = re.compile(r"(?i)(https?|ftp|mailto|xmpp|www)(?=\\?[:.])|(?<=\S)(@)(?=\S)")


def plain(text: str) -> str:
    """`text` without bidi controls or other control characters (newlines and tabs kept),
    for widgets that show text as it is (select boxes, tables, text inputs)."""
    return _INVISIBLE.sub("", str(text))


def _literal_line(line: str) -> str:
    stripped = line.lstrip(" \t")
    indent = "\u00a0" * (len(line) - len(stripped))  # 4 spaces would start a code block
    escaped = _MARKDOWN_INLINE.sub(r"\\\1", stripped)
    return indent + _ORDERED_ITEM.sub(r"\1\\\2", escaped)  # "1." would start a list


def _unlinked(line: str) -> str:
    return _AUTOLINK_START.sub(lambda m: m.group(0) + WORD_JOINER, line)


def literal(text: str) -> str:
    """`text` as Markdown that renders exactly as `text` reads: no formatting, link
    (bare addresses included), image, HTML, colour, icon or maths, and no bidi control;
    line breaks kept."""
    return "  \n".join(_unlinked(_literal_line(line)) for line in plain(text).split("\n"))


def label(text: str) -> str:
    """`text` as a widget label or option (Markdown on one line): `literal`, with every
    run of whitespace (line breaks included) shown as one space."""
    return literal(" ".join(plain(text).split()))


# An entity produced by html.escape (kept), or any other ASCII punctuation character.
_TOKEN = re.compile(r"&(?:[a-z]+|#x?[0-9a-f]+);|[" + re.escape(string.punctuation) + "]")


def _reference(match: re.Match[str]) -> str:
    token = match.group(0)
    return token if len(token) > 1 else f"&#{ord(token)};"


def plain_html(text: str) -> str:
    """`text` as HTML (inside st.markdown) that renders literally, line breaks kept."""
    escaped = html.escape(plain(text), quote=True)
    return _TOKEN.sub(_reference, escaped).replace("\n", "<br>")


def highlight_html(text: str, spans: Iterable[tuple[int, int, str]]) -> str:
    """`text` as literal HTML with each (start, end, title) span wrapped in <mark>.

    Spans are offsets into `text`; overlapping or out-of-range spans are dropped rather
    than producing broken markup.
    """
    pieces: list[str] = []
    cursor = 0
    for start, end, title in sorted(spans, key=lambda s: (s[0], -s[1])):
        if start < cursor or end <= start or end > len(text):
            continue
        pieces.append(plain_html(text[cursor:start]))
        pieces.append(f'<mark title="{plain_html(title)}">{plain_html(text[start:end])}</mark>')
        cursor = end
    pieces.append(plain_html(text[cursor:]))
    return "".join(pieces)
