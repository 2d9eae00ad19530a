"""Organisations named in a text: councils, NHS bodies, police and crime commissioners,
violence reduction partnerships, government funders and providers, with their spans.

Three sources, merged so that the longest name wins where spans overlap:
- the gazetteer of councils (``extract/gazetteer.py``);
- the list of other bodies in ``extract/data/nhs_and_other_bodies.csv``;
- patterns for names that follow a fixed shape ("... NHS Foundation Trust", "X ICB",
  "Police and Crime Commissioner for X", "... Ltd").
A bare "the CCG" or "the Violence Reduction Partnership" is read as the one body of that kind
the document names; with none named, a bare PCC or VRP keeps its generic name.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import lru_cache

from extract.gazetteer import data_path, load_gazetteer
from extract.names import NameIndex, Token, normalise_name, tokens

COMMISSIONER_KINDS = frozenset(
    {"council", "icb", "ccg", "ics", "pcc", "vru", "health_board", "planning_partnership"}
)
PROVIDER_KINDS = frozenset({"nhs_trust", "health_board", "charity", "company"})
FUNDER_KINDS = frozenset({"government", "funder", "nhs_national"})

# A capitalised word that is not itself an organisation-type word, so that "Knowsley CCG and
# Norfolk and Suffolk NHS Foundation Trust" is two names, not one.
_WORD = r"\b(?!(?:CCG|ICB|Council|Trust|Board|Group|Authority|Ltd|Limited|NHS|The)\b)[A-Z][\w'’\-]*"
_CONN = r"(?:and|&|of|upon|on|the|for|with)"
# Names are bounded (at most nine words) so a long run of capitalised words costs linear time.
NAME = rf"{_WORD}(?:[ \t]+(?:{_CONN}[ \t]+)?{_WORD}){{0,8}}"
_AREA_PLAIN = rf"{_WORD}(?:[ \t]+(?:(?:and|&|of|upon|on|the|with)[ \t]+)?{_WORD}){{0,6}}"
# "Avon, Wye and Severn": commas only inside a list that ends in "and".
_AREA = rf"(?:{_WORD}(?:,[ \t]+{_WORD}){{1,4}},?[ \t]+(?:and|&)[ \t]+{_AREA_PLAIN}|{_AREA_PLAIN})"


@dataclass(frozen=True)
class Organisation:
    name: str
    kind: str
    start: int
    end: int
    text: str
    code: str | None = None
    explicit: bool = True  # False for a council named only by its place ("Sefton")


@dataclass(frozen=True)
class Body:
    name: str
    kind: str
    successor: str


@lru_cache(maxsize=1)
def load_bodies() -> NameIndex[Body]:
    """The bundled list of non-council bodies, read once per process."""
    with data_path("nhs_and_other_bodies.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    pairs = []
    for row in rows:
        body = Body(row["name"], row["kind"], row["successor"])
        for variant in (row["name"], *row["variants"].split(";")):
            if variant:
                pairs.append((variant, body))
    return NameIndex(pairs)


def _clean(name: str) -> str:
    name = re.sub(r"\s+", " ", name).strip(" ,")
    name = re.sub(r"['’]s$", "", name)
    return re.sub(r"^(?:The|the) ", "", name)


def _known(name: str, kind: str) -> str:
    """The listed canonical name for a pattern-found name, else the name as written."""
    for body in load_bodies().lookup(name):
        if body.kind == kind or kind == "company":
            return body.name
    return name


def _trust(m: re.Match) -> tuple[str, str]:
    return _known(_clean(m.group(0)), "nhs_trust"), "nhs_trust"


def _ccg(m: re.Match) -> tuple[str, str]:
    area = _clean(re.sub(r"^NHS\s+", "", m.group("area") or ""))
    return (f"NHS {area} CCG" if area else "CCG"), "ccg"


def _icb(m: re.Match) -> tuple[str, str]:
    area = _clean(re.sub(r"^NHS\s+", "", m.group("area") or ""))
    if not area:
        return "ICB", "icb"
    return _known(f"NHS {area} ICB", "icb").replace(" ICB", " Integrated Care Board"), "icb"


def _ics(m: re.Match) -> tuple[str, str]:
    return _clean(m.group(0)), "ics"


def _pcc(m: re.Match) -> tuple[str, str]:
    area = _clean(m.group("area") or m.group("area2") or "")
    office = "Office of the " if m.group("office") else ""
    base = f"{office}Police and Crime Commissioner"
    return (f"{base} for {area}" if area else base), "pcc"


def _vru(m: re.Match) -> tuple[str, str]:
    area, unit = _clean(m.group("area") or ""), m.group("unit").title()
    name = f"{area} Violence Reduction {unit}".strip()
    return _known(name, "vru"), "vru"


def _planning(m: re.Match) -> tuple[str, str]:
    """Scottish planning partnerships, read as the plural body ("CPPs")."""
    head = re.match(r"(.*?)[ \t]+Planning", m.group(0))
    if head is None:  # an acronym: read as the partnership the document names, see GENERIC
        return m.group(0).rstrip("s"), "planning_partnership"
    return f"{head.group(1).replace('’', chr(39))} Planning Partnerships", "planning_partnership"


def _named(kind: str) -> Callable[[re.Match], tuple[str, str]]:
    return lambda m: (_known(_clean(m.group(0)), kind), kind)


PATTERNS: tuple[tuple[re.Pattern, re.Pattern, Callable[[re.Match], tuple[str, str]]], ...] = (
    (
        re.compile(r"Trust"),
        re.compile(rf"(?:The[ \t]+)?{NAME}[ \t]+NHS[ \t]+(?:Foundation[ \t]+)?Trust\b"),
        _trust,
    ),
    (
        re.compile(r"Trust"),
        re.compile(rf"{NAME}[ \t]+Health[ \t]+and[ \t]+Social[ \t]+Care[ \t]+Trust\b"),
        _trust,
    ),
    (
        re.compile(r"Commissioning[ \t]+Group|CCG"),
        re.compile(
            rf"(?:(?P<area>(?:NHS[ \t]+)?{_AREA})[ \t]+)?"
            r"(?:Clinical[ \t]+Commissioning[ \t]+Group|CCG)s?\b"
        ),
        _ccg,
    ),
    (
        re.compile(r"Integrated[ \t]+Care[ \t]+Board|ICB"),
        re.compile(
            rf"(?:(?P<area>(?:NHS[ \t]+)?{_AREA})[ \t]+)?"
            r"(?:Integrated[ \t]+Care[ \t]+Board|ICB)s?\b"
        ),
        _icb,
    ),
    (
        re.compile(r"Care[ \t]+(?:System|Partnership)"),
        re.compile(
            rf"{_AREA}[ \t]+(?:Integrated[ \t]+Care[ \t]+(?:System|Partnership)|"
            r"Health[ \t]+and[ \t]+Care[ \t]+Partnership)\b"
        ),
        _ics,
    ),
    (
        re.compile(r"Crime[ \t]+Commissioner"),
        re.compile(
            r"(?P<office>Office[ \t]+of[ \t]+(?:the[ \t]+)?)?"
            rf"(?:(?P<area2>{NAME})['’]?s?[ \t]+)?"
            r"Police[ \t]+(?:and|&)[ \t]+Crime[ \t]+Commissioner(?:['’]s[ \t]+Office)?"
            rf"(?:[ \t]+for[ \t]+(?:the[ \t]+)?(?P<area>{NAME}))?"
        ),
        _pcc,
    ),
    (
        re.compile(r"Violence[ \t]+Reduction"),
        re.compile(
            rf"(?:(?P<area>{NAME})['’]?s?[ \t]+)?"
            r"Violence[ \t]+Reduction[ \t]+(?P<unit>Partnership|Unit|Network)\b"
        ),
        _vru,
    ),
    (
        re.compile(r"Planning[ \t]+Partnership|PP"),
        re.compile(
            r"(?:Children['’]?s?[ \t]+Services?|Community)[ \t]+Planning[ \t]+Partnerships?\b"
            r"(?:[ \t]*\((?:CS|C)PPs?\))?|\b(?:CS|C)PPs?\b"
        ),
        _planning,
    ),
    (
        re.compile(r"Constabulary|Police"),
        re.compile(rf"{NAME}[ \t]+(?:Constabulary|Police)\b"),
        _named("police"),
    ),
    (
        re.compile(r"Ltd|Limited|CIC|LLP|[Pp][Ll][Cc]"),
        re.compile(rf"{NAME}[ \t]+(?:Ltd\b\.?|Limited\b|CIC\b|LLP\b|[Pp][Ll][Cc]\b)"),
        _named("company"),
    ),
    (
        re.compile(r"Aid"),
        re.compile(rf"{NAME}[ \t]+Women['’]s[ \t]+Aid\b"),
        _named("charity"),
    ),
)


def _pattern_orgs(text: str) -> Iterator[Organisation]:
    # The needles are written by hand and match case: extract.prefilter reads literals from
    # a pattern but compares ignoring case, and "health" or "police" in lower case pass it in
    # most texts (extraction 2.3 -> 3.4 ms per document when it was tried).
    for needle, pattern, canonical in PATTERNS:
        if not needle.search(text):  # the word every match holds: most texts lack most
            continue
        for m in pattern.finditer(text):
            name, kind = canonical(m)
            yield Organisation(name, kind, m.start(), m.end(), m.group(0))


def _listed_orgs(text: str, toks: list[Token]) -> Iterator[Organisation]:
    for hit in load_bodies().find(text, toks):
        yield Organisation(
            hit.entry.name, hit.entry.kind, hit.start, hit.end, text[hit.start : hit.end]
        )


def _council_orgs(text: str, toks: list[Token]) -> Iterator[Organisation]:
    for m in load_gazetteer().find(text, toks):
        yield Organisation(
            m.council.name, "council", m.start, m.end, m.text, m.council.gss_code, m.explicit
        )


def _non_overlapping(candidates: list[Organisation]) -> list[Organisation]:
    ranked = sorted(candidates, key=lambda o: (-(o.end - o.start), not o.explicit, o.start))
    kept: list[Organisation] = []
    for org in ranked:
        if all(org.end <= k.start or org.start >= k.end for k in kept):
            kept.append(org)
    return sorted(kept, key=lambda o: o.start)


# Bare names read as the one body of their kind the document names; the value is the name
# kept when the document names none (None: drop the mention).
GENERIC = {
    "CCG": None,
    "ICB": None,
    "Police and Crime Commissioner": "Police and Crime Commissioner",
    "CPP": "Community Planning Partnerships",
    "CSPP": "Children's Services Planning Partnerships",
}


def _resolve_generic(orgs: list[Organisation]) -> list[Organisation]:
    """Read a bare "the CCG" as the one CCG the document names; drop it when there is none."""
    named: dict[str, set[str]] = {}
    for o in orgs:
        if not _is_generic(o):
            named.setdefault(o.kind, set()).add(o.name)
    resolved = []
    for o in orgs:
        if _is_generic(o):
            names = named.get(o.kind, set())
            fallback = GENERIC.get(o.name, o.name)
            if len(names) == 1:
                o = replace(o, name=next(iter(names)))
            elif names or fallback is None:
                continue
            else:
                o = replace(o, name=fallback)
        resolved.append(o)
    return resolved


def _is_generic(org: Organisation) -> bool:
    return org.name in GENERIC or org.name.startswith("Violence Reduction ")


def find_organisations(text: str) -> list[Organisation]:
    """Every organisation mention in ``text`` in order, canonicalised where known."""
    toks = tokens(text)
    candidates = [*_pattern_orgs(text), *_listed_orgs(text, toks), *_council_orgs(text, toks)]
    return _resolve_generic(_non_overlapping(candidates))


def resolve_organisation(name: str) -> Organisation | None:
    """The organisation a whole name refers to (a council, a listed body or a pattern)."""
    council = load_gazetteer().resolve(name)
    if council is not None:
        return Organisation(council.name, "council", 0, len(name), name, council.gss_code)
    found = [o for o in find_organisations(name) if o.explicit]
    if found and normalise_name(found[0].text) == normalise_name(name):
        return found[0]
    return None
