"""Councils asked about (names or GSS codes) and the indexed documents that are theirs.

A document belongs to a council when its issuer or an extracted commissioner resolves to
that council in the gazetteer, or names its place ("NHS Knowsley CCG" is Knowsley's).
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from functools import lru_cache

from extract.gazetteer import Council, is_explicit, load_gazetteer

# Bodies over several councils: their names hold their councils' places ("Cambridgeshire and
# Peterborough"), so a mention of one hides none of those councils.
GROUPS = frozenset({"combined authority", "strategic authority"})


@dataclass(frozen=True)
class CouncilRef:
    asked: str
    name: str
    gss_code: str | None
    places: tuple[str, ...]
    successors: tuple[str, ...] = ()  # the councils that replaced an abolished one

    def matches(self, organisation: str | None) -> bool:
        """Whether ``organisation`` is this council's (or, for a name the gazetteer does
        not know, holds it as words).

        Two councils are compared by GSS code or succession, so "Hull" is not Solihull and
        "Brent" not Brentwood. Any other body is the council's when it names the council's
        place ("NHS Knowsley CCG"), unless that place is only part of another council's
        longer one ("West Lancashire CCG" is not Lancashire's)."""
        if not organisation:
            return False
        names = tuple(n for n in (self.asked, *self.places) if n)
        if self.gss_code is not None:
            council = _council_of(organisation)
            if council is not None and council.type not in GROUPS:
                return self.same_area(council)
            mentions = _mentions_in(organisation)
            if any(self.same_area(c) for c, _ in mentions):
                return True
            if any(
                c.type not in GROUPS and any(_word(n).search(text) for n in names)
                for c, text in mentions
            ):
                return False
        return any(_word(name).search(organisation) for name in names)

    def same_area(self, council: Council) -> bool:
        """This council, the one that replaced it, or one it replaced."""
        return (
            council.gss_code == self.gss_code
            or council.name in self.successors
            or self.name in council.successor
        )


@lru_cache(maxsize=65536)
def _council_of(organisation: str) -> Council | None:
    """The council an organisation name resolves to: asked for each indexed name on every
    filtered search (search/filters.py), so remembered."""
    return load_gazetteer().resolve(organisation)


@lru_cache(maxsize=65536)
def _mentions_in(organisation: str) -> tuple[tuple[Council, str], ...]:
    """The councils whose names or places ``organisation`` holds, each mention the longest
    one there, as extraction reads them."""
    return tuple((m.council, m.text) for m in load_gazetteer().find(organisation))


@lru_cache(maxsize=4096)
def _word(place: str) -> re.Pattern[str]:
    """``place`` as whole words: no letter or digit just before or after it (not ``\b``,
    which needs a word character at each end: "Building Bonds (Knowsley)" ends in ")")."""
    return re.compile(rf"(?<!\w){re.escape(place)}(?!\w)", re.I)


@lru_cache(maxsize=4096)
def resolve_council(asked: str) -> CouncilRef:
    """A council by GSS code or any name variant; unknown names match as written."""
    asked = asked.strip()
    gazetteer = load_gazetteer()
    council = next((c for c in gazetteer.councils if c.gss_code == asked.upper()), None)
    council = council or gazetteer.resolve(asked)
    if council is None:
        return CouncilRef(asked, asked, None, (asked,))
    places = tuple(v for v in council.variants if not is_explicit(v))
    return CouncilRef(asked, council.name, council.gss_code, places, council.successor)


def same_organisation(name: str, wanted: str) -> bool:
    return resolve_council(wanted).matches(name)


def organisations_by_document(conn: sqlite3.Connection) -> dict[str, set[str]]:
    """Each document's issuer and extracted commissioners."""
    names: dict[str, set[str]] = {}
    for doc_id, org in conn.execute("SELECT id, organisation FROM documents"):
        names[doc_id] = {org} if org else set()
    for doc_id, commissioner in conn.execute("SELECT doc_id, commissioner FROM records"):
        if commissioner:
            names[doc_id].add(commissioner)
    return names


def council_documents(ref: CouncilRef, names: dict[str, set[str]]) -> list[str]:
    return [doc_id for doc_id, orgs in names.items() if any(ref.matches(o) for o in orgs)]


def councils_in_index(names: dict[str, set[str]]) -> list[str]:
    """Canonical names of every council that issued or commissioned an indexed document."""
    gazetteer = load_gazetteer()
    found = {c.name for orgs in names.values() for o in orgs if (c := gazetteer.resolve(o))}
    return sorted(found)
