"""Article text as HTML that shows exactly what the article says.

Statement text is untrusted: it may contain `<script>`, markdown links or `$` signs.
`html.escape` handles HTML; markdown and LaTeX syntax are neutralised by writing every
ASCII punctuation character as a numeric character reference, which markdown renders
literally. Highlights are added only after escaping, around spans of the original text.
"""

from __future__ import annotations

import html
import re
import string
from collections.abc import Iterable

# An entity produced by html.escape (kept), or any other ASCII punctuation character.
_TOKEN = re.compile(r"&(?:[a-z]+|#x?[0-9a-f]+);|[" + re.escape(string.punctuation) + "]")


def _reference(match: re.Match[str]) -> str:
    token = match.group(0)
    return token if len(token) > 1 else f"&#{ord(token)};"


def plain_html(text: str) -> str:
    """`text` as HTML (inside st.markdown) that renders literally, line breaks kept."""
    escaped = html.escape(text, quote=True)
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
