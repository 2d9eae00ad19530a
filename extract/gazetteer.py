"""UK local authorities: resolve a name to the council and its GSS code, find councils in text.

Data: ``extract/data/gazetteer.csv`` (see ``extract/data/README.md``). A variant naming the
body itself ("Sefton Council", "KCC", "London Borough of Brent") is *explicit*; a bare place
name ("Sefton") is a *place* mention, weaker evidence that the council is meant. When a
variant is shared, a current council wins over an abolished one; a variant shared by two
current councils is dropped as ambiguous.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process

from extract.names import NameIndex, Token, is_acronym, name_key, normalise_name

FUZZY_THRESHOLD = 92  # rapidfuzz ratio on normalised names; near misses only ("Counci")
_BODY_WORDS = re.compile(
    r"\b(council|borough of|corporation|authority|comhairle|cyngor|city of \w+)\b", re.I
)

_NEAR_BODY = re.compile(r"\b(counc\w*|borough|county)\b", re.I)


@dataclass(frozen=True)
class Council:
    name: str
    gss_code: str
    type: str
    nation: str
    variants: tuple[str, ...]
    successor: tuple[str, ...]

    @property
    def current(self) -> bool:
        return not self.successor


@dataclass(frozen=True)
class CouncilMention:
    council: Council
    start: int
    end: int
    text: str
    explicit: bool


def is_explicit(variant: str) -> bool:
    """Whether a variant names the authority itself rather than the place."""
    return bool(_BODY_WORDS.search(variant)) or is_acronym(variant)


class Gazetteer:
    def __init__(self, councils: tuple[Council, ...]) -> None:
        self.councils = councils
        self._by_name = {c.name: c for c in councils}
        pairs = [(v, c) for c in councils for v in (c.name, *c.variants)]
        self._index = NameIndex(_unambiguous(pairs))
        self._choices = {normalise_name(v): c for v, c in self._index.variants()}

    def get(self, name: str) -> Council | None:
        """The council whose canonical name is exactly ``name``."""
        return self._by_name.get(name)

    def resolve(self, mention: str) -> Council | None:
        """Exact variant match first, then a strict fuzzy match on explicit names."""
        found = self._index.lookup(mention)
        if not found:
            found = self._index.lookup(normalise_name(mention))
        if found:
            return found[0]
        return self._fuzzy(mention)

    def _fuzzy(self, mention: str) -> Council | None:
        query = normalise_name(mention)
        if len(query) < 6 or not (is_explicit(mention) or _NEAR_BODY.search(mention)):
            return None
        best = process.extractOne(
            query, self._choices.keys(), scorer=fuzz.ratio, score_cutoff=FUZZY_THRESHOLD
        )
        return self._choices[best[0]] if best else None

    def find(self, text: str, toks: list[Token] | None = None) -> list[CouncilMention]:
        """Council mentions in ``text``, longest match first, with their spans (``toks``:
        the text's tokens, when the caller has them)."""
        return [
            CouncilMention(h.entry, h.start, h.end, text[h.start : h.end], is_explicit(h.variant))
            for h in self._index.find(text, toks)
        ]

    def successors(self, council: Council) -> tuple[Council, ...]:
        return tuple(c for name in council.successor if (c := self.get(name)))


def _unambiguous(pairs: list[tuple[str, Council]]) -> list[tuple[str, Council]]:
    by_key: dict[tuple[str, ...], list[tuple[str, Council]]] = {}
    for variant, council in pairs:
        by_key.setdefault(name_key(variant), []).append((variant, council))
    kept = []
    for group in by_key.values():
        councils = {c.name: c for _, c in group}
        current = [c for c in councils.values() if c.current]
        if len(councils) == 1 or len(current) == 1:
            winner = current[0] if current else next(iter(councils.values()))
            kept += [(v, c) for v, c in group if c is winner]
    return kept


def read_councils(path: Path) -> tuple[Council, ...]:
    with path.open(encoding="utf-8", newline="") as f:
        return tuple(
            Council(
                name=row["name"],
                gss_code=row["gss_code"],
                type=row["type"],
                nation=row["nation"],
                variants=tuple(v for v in row["variants"].split(";") if v),
                successor=tuple(s for s in row["successor"].split(";") if s),
            )
            for row in csv.DictReader(f)
        )


def data_path(name: str) -> Path:
    """A file bundled under ``extract/data`` (package data)."""
    return Path(__file__).parent / "data" / name


@lru_cache(maxsize=1)
def load_gazetteer() -> Gazetteer:
    """The bundled gazetteer, read once per process."""
    return Gazetteer(read_councils(data_path("gazetteer.csv")))
