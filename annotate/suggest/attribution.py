"""Attribution analysis: the reporting predicates of a statement and the phrase naming
each one's speaker.

A predicate is a reporting verb or construction of the lexicon ("said", « a lancé »,
"declined to comment", "according to", "records show"). Its speaker is found by rule:

* ``subject``: the subject before the verb, from the start of its clause (sentence
  punctuation, a closing quote, "that"/« que »); an apposition is kept ("Luisa Ortega,
  a spokeswoman for ...", « le porte-parole du gouvernement, Benjamin Griveaux »). When
  nothing stands before the verb but a closing quote or a comma, the subject is inverted and
  read after the verb ("..., said the official"; « ... », a lancé X, ...); a French clitic
  (« a-t-il ajouté ») is the speaker itself. A channel after the verb ("told the AP",
  « a confié à l'AFP ») is never read as the speaker.
* ``after``: the phrase after the cue ("according to <X>", « selon <X> », "citing <X>").
* ``match``: the cue itself names the source ("people familiar with the matter").

Spans are character offsets into the original statement (folding keeps offsets).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from annotate.suggest.lexicon import Lexicon, Marker, Predicate, SpanRules
from annotate.suggest.text import trim

__all__ = ["Analysis", "Attribution", "MarkerHit", "analyse"]


@dataclass(frozen=True, slots=True)
class Attribution:
    predicate: Predicate
    start: int
    end: int
    speaker: tuple[int, int] | None
    inverted: bool


@dataclass(frozen=True, slots=True)
class MarkerHit:
    marker: Marker
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Analysis:
    attributions: tuple[Attribution, ...]
    markers: tuple[MarkerHit, ...]


_Hit = tuple[int, int, int]  # start, end, index


def _non_overlapping(hits: list[_Hit]) -> list[_Hit]:
    """Longest match wins where matches overlap ("neither confirmed nor denied" over "denied")."""
    kept: list[_Hit] = []
    for hit in sorted(hits, key=lambda h: (h[0] - h[1], h[0])):
        if all(hit[1] <= k[0] or hit[0] >= k[1] for k in kept):
            kept.append(hit)
    kept.sort()
    return kept


def _blocked(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(start < e and s < end for s, e in spans)


def analyse(lex: Lexicon, text: str, folded: str) -> Analysis:
    raw: list[_Hit] = []
    clitics: dict[int, tuple[int, int]] = {}
    for index, p in enumerate(lex.predicates):
        for m in p.regex.finditer(folded):
            if p.not_after is not None and p.not_after.search(
                folded, max(0, m.start() - 12), m.start()
            ):
                continue  # a determiner before it: a noun ("la note"), not a verb
            raw.append((m.start(), m.end(), index))
            if "pron" in p.regex.groupindex and m.group("pron"):
                clitics[m.start()] = m.span("pron")
    mhits: list[_Hit] = [
        (m.start(), m.end(), index)
        for index, mk in enumerate(lex.markers)
        for m in mk.regex.finditer(folded)
    ]
    if raw or mhits:  # senses that only look like cues ("denied bail"): read only if needed
        blocks = [m.span() for b in lex.blocks for m in b.finditer(folded)]
        if blocks:
            raw = [h for h in raw if not _blocked(blocks, h[0], h[1])]
            mhits = [h for h in mhits if not _blocked(blocks, h[0], h[1])]
    attributions = []
    lowered = text.lower()
    for start, end, index in _non_overlapping(raw):
        p = lex.predicates[index]
        inverted = False
        speaker: tuple[int, int] | None = None
        if start in clitics:
            speaker = clitics[start]
        elif p.speaker == "match":
            speaker = (start, end)
        elif p.speaker == "after":
            speaker = phrase_after(lex.span, text, folded, end, open_tail=False)
        elif p.speaker == "antecedent":
            speaker = antecedent(lex.span, text, folded, start)
        elif p.speaker == "subject":
            before = _char_before(folded, start)
            if before == "," and _char_before(folded, folded.rindex(",", 0, start)) == '"':
                before = '"'  # « ... », a lancé X
            if before in ('"', "-", ""):
                speaker = phrase_after(lex.span, text, folded, end, open_tail=True)
                inverted = speaker is not None
            elif before == "," and _clause_before(lex.span, folded, lowered, start):
                # "<reported clause>, a indiqué le responsable": the subject is inverted
                after = phrase_after(lex.span, text, folded, end, open_tail=True)
                if after is not None and looks_like_subject(lex.span, text, lowered, after):
                    speaker, inverted = after, True
            if speaker is None:
                speaker = subject_before(lex.span, text, folded, start)
        attributions.append(Attribution(p, start, end, speaker, inverted))
    markers = tuple(MarkerHit(lex.markers[i], s, e) for s, e, i in _non_overlapping(mhits))
    return Analysis(tuple(attributions), markers)


def _char_before(folded: str, start: int) -> str:
    i = start - 1
    while i >= 0 and folded[i] in " \t\n":
        i -= 1
    return folded[i] if i >= 0 else ""


def _clause_before(rules: SpanRules, folded: str, lowered: str, pos: int) -> bool:
    """Whether the text before the verb, back to the sentence start, holds a clause of its
    own (a verb) rather than only a subject with its appositions."""
    lo = max(0, pos - 2 * rules.max_chars)
    for m in rules.cut.finditer(folded, lo, pos):
        lo = m.end()
    return rules.clause_words is None or rules.clause_words.search(lowered, lo, pos) is not None


def looks_like_subject(rules: SpanRules, text: str, lowered: str, span: tuple[int, int]) -> bool:
    """An inverted subject opens with a determiner or a capital and holds no verb."""
    s, e = span
    if rules.clause_words is not None and rules.clause_words.search(lowered, s, e):
        return False
    if e - s > 110:
        return False
    det = rules.determiners is not None and rules.determiners.match(lowered, s)
    return bool(det) or text[s].isupper()


_NAME_ONLY = re.compile(r"^(?:[A-ZÀ-Ý][\w'’.-]*\s*)+$")
_APPOSITION_LEAD = re.compile(
    r"^(?:a|an|the|one|un|une|le|la|les|l'|l’|chief|head|director|directeur|directrice"
    r"|president|presidente|président|présidente|porte-parole|spokes\w+|\d+)\b",
    re.IGNORECASE,
)
_RELATIVE = re.compile(r"^(?:who|which|qui)\b", re.IGNORECASE)
_PARTICIPLE_LEAD = re.compile(
    r"^(?:interrog|contact|sollicit|joint|asked|reached|questioned|speaking|quoted|cited|cit)",
    re.IGNORECASE,
)


def _chunks(folded: str, start: int, end: int) -> list[tuple[int, int]]:
    out = []
    pos = start
    for i in range(start, end):
        if folded[i] == ",":
            out.append((pos, i))
            pos = i + 1
    out.append((pos, end))
    return [c for c in (trim(folded, s, e) for s, e in out) if c is not None]


def _strip(rules: SpanRules, folded: str, start: int, end: int) -> tuple[int, int] | None:
    span = trim(folded, start, end)
    changed = True
    while span is not None and changed:
        changed = False
        s, e = span
        if rules.drop_leading is not None:
            m = rules.drop_leading.match(folded, s, e)
            if m and m.end() < e:
                span, changed = trim(folded, m.end(), e), True
                continue
        if rules.drop_trailing is not None:
            for m in rules.drop_trailing.finditer(folded, s, e):
                if m.end() == e and m.start() > s:
                    span, changed = trim(folded, s, m.start()), True
                    break
    return span


def _starts(regex: re.Pattern[str] | None, folded: str, pos: int) -> bool:
    return regex is not None and regex.match(folded, pos) is not None


def subject_before(rules: SpanRules, text: str, folded: str, pos: int) -> tuple[int, int] | None:
    lo = max(0, pos - rules.max_chars)
    for m in rules.cut.finditer(folded, lo, pos):
        lo = m.end()
    if rules.clause_start is not None:
        for m in rules.clause_start.finditer(folded, lo, pos):
            lo = m.end()
    chunks = _chunks(folded, lo, pos)
    # "Yonhap, citing military sources, said": an incidental clause is not the subject
    while len(chunks) >= 2 and _starts(rules.incidental, folded, chunks[-1][0]):
        chunks.pop()
    if not chunks:
        return None
    lowered = text.lower()
    i = len(chunks) - 1
    s, e = chunks[i]
    joins = 0
    while i >= 1 and joins < 3:
        ls, le = chunks[i]
        ps, pe = chunks[i - 1]
        last, prev = text[ls:le], text[ps:pe]
        if _starts(rules.incidental, folded, ps) or _PARTICIPLE_LEAD.match(prev):
            break
        if rules.clause_words is not None and rules.clause_words.search(lowered, ps, pe):
            break
        if pe - ps > 90:
            break
        determined = _starts(rules.determiners, folded, ls)
        if _RELATIVE.match(last):
            join = True
        elif determined:
            join = bool(_APPOSITION_LEAD.match(last) and _NAME_ONLY.match(prev))
        else:
            join = True
        if not join:
            break
        s = ps
        i -= 1
        joins += 1
    if folded[s:e].count(" ") > 16:
        return None
    return _strip(rules, folded, s, e)


def antecedent(rules: SpanRules, text: str, folded: str, pos: int) -> tuple[int, int] | None:
    """The noun phrase right before a relative ("des chiffres selon lesquels ..."): from the
    last determiner of the subject region."""
    span = subject_before(rules, text, folded, pos)
    if span is None or rules.determiners is None:
        return span
    s, e = span
    last = None
    for m in rules.determiners.finditer(folded, s, e):
        last = m.start()
    return trim(folded, last, e) if last is not None else span


def phrase_after(
    rules: SpanRules, text: str, folded: str, pos: int, *, open_tail: bool
) -> tuple[int, int] | None:
    end = min(len(folded), pos + rules.max_chars)
    cut = rules.cut.search(folded, pos, end)
    if cut:
        end = cut.start()
    start = pos
    if rules.drop_leading is not None:
        m = rules.drop_leading.match(folded, start + (1 if folded[start : start + 1] == " " else 0))
        if m:
            start = m.end()
    if rules.end_words is not None:
        stop = rules.end_words.search(folded, start + 1, end)
        if stop:
            end = stop.start()
    chunks = _chunks(folded, start, end)
    if not chunks:
        return None
    s, e = chunks[0]
    if len(chunks) >= 2:
        ns, ne = chunks[1]
        opens_clause = rules.after_comma_stop is not None and rules.after_comma_stop.match(
            folded, ns
        )
        if not opens_clause and (open_tail or len(chunks) >= 3):
            nxt = text[ns:ne]
            if (
                _NAME_ONLY.match(nxt)
                or _APPOSITION_LEAD.match(nxt)
                or _NAME_ONLY.match(text[s:e])
                or open_tail
            ):
                e = ne
    if folded[s:e].count(" ") > 14:
        return None
    return _strip(rules, folded, s, e)
