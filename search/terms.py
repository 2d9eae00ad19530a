"""Query terms: what the highlighter marks and what batch answers count as shared words."""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+", re.UNICODE)
STOPWORDS = frozenset(
    """a about above after again all also an and any are as at be been before being below
    between both but by can could did do does doing down during each few for from further
    had has have having he her here hers him his how i if in into is it its itself just me
    more most my no nor not now of off on once only or other our ours out over own same she
    should so some such than that the their theirs them then there these they this those
    through to too under until up very was we were what when where which while who whom why
    will with would you your yours""".split()
)


def query_terms(query: str) -> list[str]:
    """Lower-cased words of the query, stopwords dropped, in order, without repeats."""
    words = [w.lower() for w in _WORD.findall(query)]
    return list(dict.fromkeys(w for w in words if w not in STOPWORDS))


def highlight_spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Spans of words in ``text`` that match a term or share its stem-like prefix."""
    if not terms:
        return []
    alternatives = sorted((_prefix(t) for t in terms), key=len, reverse=True)
    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, alternatives)) + r")\w*", re.I)
    return [m.span() for m in pattern.finditer(text)]


def _prefix(term: str) -> str:
    # "commissioning" should light up "commissioned": keep all but a short suffix.
    return term[: max(4, len(term) - 3)] if len(term) > 5 else term
