"""Commissioning facts: mechanism, duration, and the records that tie commissioner, service,
provider, funding and amounts together.

A *clause* is one commissioning sentence (it talks about contracts, awards, tenders, pilots,
grants or funding) with what it names. Records are built from clauses: the first clause that
names a service opens the main record; a later clause opens its own record only when it names
a different service *and* its own provider or amount, or when it says another
commissioner-type body pays for the service it names ("a support service funded by the PCC":
that body's own record); every other clause adds to the record it is about (same service) or
to the main record. The commissioner is chosen once for the document (``choose_commissioner``)
and is None when the document names none.

Records hold the main facts; every figure stays an amount fact. A record takes a sum only when
its sentence ties it to the commissioned service, a contract or a funding stream
(``record_amounts``), never from a sentence stating an absence of funding or one that breaks a
budget into three or more sums (``breakdown``), and a rate per child or head only when the
record has no total.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from extract.facts import CommissioningRecord, Fact, evidence_for
from extract.funding import (
    FundingMention,
    is_negative,
    load_vocabulary,
    same_funds,
    stream_key,
)
from extract.gazetteer import load_gazetteer
from extract.money import Amount
from extract.organisations import COMMISSIONER_KINDS, Organisation, resolve_organisation
from extract.roles import commissioner_strength, funds_part, is_provider, unlisted_providers
from extract.sentences import Sentence
from extract.services import ServiceMention, best_service, similar

MECHANISMS: tuple[tuple[str, re.Pattern], ...] = tuple(
    (name, re.compile(pattern, re.I))
    for name, pattern in (
        (
            "direct award",
            r"\bdirect(?:ly)?\s+(?:contract\s+)?award|\bawarded?\s+(?:a\s+)?direct\b"
            r"|\bdirectly\s+award|\bwithout\s+competition|\bdirect\s+contract",
        ),
        ("framework call-off", r"\bcall[- ]off\b|\bframework\s+(?:agreement|contract)\b"),
        ("extension", r"\bextensions?\b|\bextend(?:ed|ing)?\s+(?:the\s+)?(?:current\s+)?contract"),
        ("variation", r"\bcontract\s+variation|\bvar(?:y|iation\s+of)\s+(?:the\s+)?contract"),
        ("waiver", r"\bwaiver\b|\bexemption\s+(?:to|from)\b[^.]{0,60}\bcontract\s+procedure"),
        (
            "open tender",
            r"\bopen\s+tender|\bcompetitive\s+(?:tender|procurement)|\binvitation\s+to\s+tender"
            r"|\btender\s+process|\bre-?procure\w*|\bprocurement\s+process",
        ),
        ("grant", r"\baward\s+(?:a\s+)?grant|\bgrant\s+(?:agreement|award)|\bsmall\s+grants?\b"),
        ("decommission", r"\bdecommission"),
        ("pilot", r"\bpilot\b"),
    )
)
_COUNT = r"\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|eighteen"
NUMBERS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve".split()
    )
}
NUMBERS["eighteen"] = 18
_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
)
_DAY_DATE = rf"(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?)?{_MONTH}\s+\d{{4}}"
DURATIONS = (
    re.compile(
        rf"(?<![\d\-–])(?<!aged )\b(?P<n>{_COUNT})[- ](?P<unit>year|month|week|yr)s?\b(?:['’])?"
        r"(?:[- ](?P<pilot>pilot))?",
        re.I,
    ),
    re.compile(
        rf"\bfrom\s+(?:the\s+)?(?P<from>{_DAY_DATE})\s+(?:to|until|-|–)\s+(?P<to>{_DAY_DATE})"
    ),
    re.compile(rf"\b(?:until|to|till)\s+(?:the\s+end\s+of\s+)?(?P<until>{_DAY_DATE})"),
    re.compile(
        r"\b(?:for|over)\s+the\s+(?P<life>life(?:time)?\s+of\s+the\s+(?:programme|contract))", re.I
    ),
)
CLAUSE_CUE = re.compile(
    r"\b(?:commission\w*|contracts?|award\w*|tender\w*|procure\w*|extension|extend|pilot"
    r"|grants?|fund(?:s|ed|ing)?|allocat\w*|provider|delivered\s+by|provided\s+by|purchased"
    r"|budget|decommission\w*|secured|framework|call-off|waiver|provision\s+of|delivery\s+of"
    r"|invit\w*\s+(?:applications|bids|proposals|expressions\s+of\s+interest))\b|£",
    re.I,
)
STRATEGIC = frozenset({"combined authority", "strategic authority"})
NHS_AND_PARTNERSHIPS = frozenset({"icb", "ccg", "ics", "planning_partnership"})
PAST = re.compile(r"(?:Previously|Historically|In the past|Last year|In previous years)\b")
COUNCIL_REFERENCE = re.compile(
    r"\b(?:the|this|our)\s+(?:Council|Local\s+Authority|Authority)\b|\bLA['’]?s?\b|\bCouncil['’]s\b"
)


# "an optional 2 year extension", "future extensions": terms of a contract, not its route.
HYPOTHETICAL = re.compile(
    r"\b(?:optional|potential|possible|further|future|option)\b[\w\s-]{0,20}$", re.I
)


def mechanisms(text: str, sentence: Sentence) -> list[Fact]:
    """Procurement routes a sentence names, in the order of ``MECHANISMS``."""
    chunk = text[sentence.start : sentence.end]
    evidence = evidence_for(text, sentence.start, sentence.end)
    found = []
    for name, pattern in MECHANISMS:
        for m in pattern.finditer(chunk):
            if name == "extension" and HYPOTHETICAL.search(
                chunk[max(0, m.start() - 30) : m.start()]
            ):
                continue
            found.append(Fact("mechanism", name, m.group(), {}, evidence))
            break
    return found


def _duration_value(m: re.Match) -> tuple[str, dict]:
    groups = m.groupdict()
    if groups.get("n"):
        n = int(groups["n"]) if groups["n"].isdigit() else NUMBERS[groups["n"].lower()]
        unit = {"yr": "year"}.get(groups["unit"].lower(), groups["unit"].lower())
        value = f"{n} {unit}{'s' if n != 1 else ''}"
        months = n * 12 if unit == "year" else n if unit == "month" else None
        attrs = {"months": months, "pilot": bool(groups.get("pilot"))}
        return (f"{value} (pilot)" if attrs["pilot"] else value), attrs
    if groups.get("from"):
        return f"{groups['from']} to {groups['to']}", {"from": groups["from"], "to": groups["to"]}
    if groups.get("until"):
        return f"until {groups['until']}", {"to": groups["until"]}
    return groups["life"], {}


def durations(text: str, sentence: Sentence) -> list[Fact]:
    """Durations stated in a sentence, in reading order."""
    evidence = evidence_for(text, sentence.start, sentence.end)
    found: list[tuple[int, int, Fact]] = []
    for pattern in DURATIONS:
        for m in pattern.finditer(text, sentence.start, sentence.end):
            if any(s <= m.start() < e for s, e, _ in found):  # "to 31 March" in "from ... to"
                continue
            value, attrs = _duration_value(m)
            found.append((m.start(), m.end(), Fact("duration", value, m.group(), attrs, evidence)))
    return [fact for _, _, fact in sorted(found, key=lambda item: item[0])]


@dataclass
class Clause:
    sentence: Sentence
    service: ServiceMention | None
    service_strength: int  # see services.best_service
    providers: list[Organisation]
    commissioners: list[tuple[Organisation, int]]  # (organisation, cue strength)
    mechanisms: list[Fact]
    durations: list[Fact]
    streams: list[FundingMention]
    amounts: list[Amount]
    funders: list[Organisation] = field(default_factory=list)  # see roles.funds_part


def is_commissioning(text: str, sentence: Sentence) -> bool:
    return bool(CLAUSE_CUE.search(text, sentence.start, sentence.end))


def build_clause(
    text: str,
    sentence: Sentence,
    orgs: list[Organisation],
    streams: list[FundingMention],
    amounts: list[Amount],
    attached: dict[int, FundingMention] | None = None,
) -> Clause:
    """``attached`` maps amounts (by start) to their funding mention; an amount counts for
    the clause only when ``record_amounts`` admits it."""
    s, e = sentence.start, sentence.end
    inside = [o for o in orgs if s <= o.start < e]
    providers = [o for o in inside if is_provider(text, s, e, o)]
    providers += unlisted_providers(text, s, e, inside)
    commissioners = [(o, n) for o in inside if (n := commissioner_strength(text, s, e, o))]
    service = best_service(text, s, e)
    return Clause(
        sentence=sentence,
        service=service[0] if service else None,
        service_strength=service[1] if service else -1,
        providers=sorted(providers, key=lambda o: o.start),
        commissioners=commissioners,
        mechanisms=mechanisms(text, sentence),
        durations=durations(text, sentence),
        streams=[]
        if breakdown(text, sentence, amounts)
        else [f for f in streams if s <= f.start < e],
        amounts=record_amounts(text, sentence, amounts, attached or {}, service is not None),
        funders=[o for o in inside if funds_part(text, s, e, o)],
    )


# Words that tie a sum to a contract, to money given for the thing the sentence is about, or
# back to the service ("the pilot", "this project"; lower case, so "The Programme for the
# Council", a name, is no reference).
TIED = re.compile(
    r"\b(?:contracts?|extension|extend\w*|variation|award\w*|tender\w*|procure\w*|price"
    r"|value[ds]?|worth|costs?|costing|uplift\w*|total\w*|budget\w*|grants?|spend"
    r"|fund(?:s|ed|ing)?|invest\w*|made\s+available"
    r"|(?:the|this|that)\s+(?-i:service|project|pilot|programme|scheme|initiative|work))\b",
    re.I,
)
BREAKDOWN = 3  # a sentence stating this many sums or more is a breakdown (budget lines)


def breakdown(text: str, sentence: Sentence, amounts: list[Amount]) -> bool:
    """A sentence that splits money into three or more sums ("Income of £10.9m included
    reserves £3.8m, grants £4.5m and contributions £2.6m"): its sums and streams are detail
    of a budget, kept as facts, not the record's own figures."""
    own = {a.pence for a in amounts if sentence.start <= a.start < sentence.end and not a.previous}
    return len(own) >= BREAKDOWN


def record_amounts(
    text: str,
    sentence: Sentence,
    amounts: list[Amount],
    attached: dict[int, FundingMention],
    names_service: bool,
) -> list[Amount]:
    """The sums of a sentence that a commissioning record takes: not thresholds, starting
    figures ("from £X to £Y") or past figures; none from a sentence that states an absence of
    funding or that breaks a budget into three or more sums (those stay amount facts); and
    only sums tied to something: a funding stream (``attached``), a service the sentence
    names, or a contract, price, value, budget or grant the sentence speaks of. "The plan
    commits £3m a year to prevention" names none of these and is background."""
    s, e = sentence.start, sentence.end
    chunk = text[s:e]
    if PAST.match(chunk) or is_negative(chunk):
        return []
    if breakdown(text, sentence, amounts):
        return []
    own = [a for a in amounts if s <= a.start < e and not (a.threshold or a.previous)]
    tied = names_service or bool(TIED.search(chunk))
    return [a for a in own if tied or a.start in attached]


def _local(org: Organisation) -> bool:
    """A current local council (not a combined or strategic authority, not abolished)."""
    council = load_gazetteer().get(org.name)
    return council is not None and council.current and council.type not in STRATEGIC


def _most_named(orgs: list[Organisation]) -> Organisation | None:
    """The organisation named most often; on a tie, the one named first."""
    if not orgs:
        return None
    counts = Counter(o.name for o in orgs)
    top = max(counts.values())
    return next(o for o in orgs if counts[o.name] == top)


def choose_commissioner(
    text: str, orgs: list[Organisation], clauses: list[Clause], known: str | None
) -> Organisation | None:
    """The document's commissioner, in order of evidence strength:
    1. the issuing body passed in, when it is a commissioner-type body;
    2. a body cast as commissioner by a strong cue ("commissioned by X", "X has awarded");
    3. a council named as such ("Kent County Council", "KCC");
    4. a current council named by place, when the text refers to "the Council" / "the LA";
    5. a named ICB, CCG, ICS or (Scottish) planning partnership, and
    6. a commissioner-type body cast as funder ("funded by X"), both only when the text
       does not speak of "the Council".
    """
    if known and (org := resolve_organisation(known)) and org.kind in COMMISSIONER_KINDS:
        return org
    cued = [(o, n) for c in clauses for o, n in c.commissioners]
    # A text that speaks of "the Council" as the actor is a council's: without the council's
    # name, no other body is put in its place.
    council_text = bool(COUNCIL_REFERENCE.search(text))
    steps = (
        [o for o, n in cued if n == 2],
        [o for o in orgs if o.kind == "council" and o.explicit],
        _place_councils(text, orgs) if council_text else [],
        [] if council_text else [o for o in orgs if o.kind in NHS_AND_PARTNERSHIPS],
        [] if council_text else [o for o, n in cued if n == 1],
    )
    for candidates in steps:
        if chosen := _most_named(candidates):
            return chosen
    return None


def _place_councils(text: str, orgs: list[Organisation]) -> list[Organisation]:
    places = [o for o in orgs if o.kind == "council" and not o.explicit and _local(o)]
    counts = Counter(o.name for o in places).most_common(2)
    if not counts or counts[0][1] < 2 or (len(counts) > 1 and counts[1][1] == counts[0][1]):
        return []
    return [o for o in places if o.name == counts[0][0]]


@dataclass
class Draft:
    """A record being assembled from clauses."""

    service: ServiceMention | None
    strength: int
    commissioner: Organisation | None
    clauses: list[Clause] = field(default_factory=list)

    def provider(self, commissioner: Organisation | None) -> Organisation | None:
        for clause in self.clauses:
            for p in clause.providers:
                if commissioner is None or p.name != commissioner.name:
                    return p
        return None

    def offer(self, clause: Clause) -> None:
        """Take the clause's service if it names this record's service more surely."""
        if clause.service and clause.service_strength > self.strength:
            self.service, self.strength = clause.service, clause.service_strength


def group_clauses(
    clauses: list[Clause], commissioner: Organisation | None, aliases: dict[str, str]
) -> list[Draft]:
    """Clauses into drafts; ``aliases`` expands acronyms ("ABC") so they meet their service."""
    drafts: list[Draft] = []
    for clause in clauses:
        funder = _part_funder(drafts, clause, commissioner)
        target = _owned(drafts, funder) if funder else _target(drafts, clause, aliases)
        if target is None and funder is not None:
            target = Draft(clause.service, clause.service_strength, funder)
            drafts.append(target)
        elif target is None:
            owner = _override(clause, commissioner) or commissioner
            target = Draft(clause.service, clause.service_strength, owner)
            drafts.append(target)
        target.clauses.append(clause)
    return drafts


def _part_funder(
    drafts: list[Draft], clause: Clause, commissioner: Organisation | None
) -> Organisation | None:
    """Another commissioner-type body that pays for a service this later clause names ("a
    support service funded by the PCC" in a council's report): that part is the body's own
    record, not the main one. The first clause always opens the main record."""
    if not drafts or commissioner is None or clause.service is None:
        return None
    return next((o for o in clause.funders if o.name != commissioner.name), None)


def _owned(drafts: list[Draft], owner: Organisation) -> Draft | None:
    return next((d for d in drafts if d.commissioner and d.commissioner.name == owner.name), None)


def _override(clause: Clause, commissioner: Organisation | None) -> Organisation | None:
    """A different body this clause itself casts as commissioner with a strong cue."""
    for org, strength in clause.commissioners:
        if strength == 2 and (commissioner is None or org.name != commissioner.name):
            return org
    return None


def _target(drafts: list[Draft], clause: Clause, aliases: dict[str, str]) -> Draft | None:
    """The draft a clause belongs to; None when it opens a record of its own."""
    if not drafts:
        return None
    if clause.service is not None:
        value = aliases.get(clause.service.value, clause.service.value)
        for draft in drafts:
            if draft.service is not None and similar(draft.service.value, value):
                draft.offer(clause)
                return draft
        distinct = clause.service_strength > 0 and bool(clause.providers or clause.amounts)
        if distinct and any(d.service is not None and d.strength > 0 for d in drafts):
            return None
        drafts[0].offer(clause)
    return drafts[-1]


def to_record(
    text: str,
    draft: Draft,
    attached: dict[int, FundingMention],
    decision_date: str | None,
    fallback: ServiceMention | None = None,
    default_streams: tuple[str, ...] = (),
) -> CommissioningRecord:
    """``fallback`` is the document's own name for its service ("Building Bonds is a ...
    Service", or the service its title names), used when the record's own service is only a
    bare service term or missing. ``default_streams`` fund a record that names none itself
    (the main record's single stream, for the document's other records)."""
    clauses = draft.clauses
    commissioner = draft.commissioner
    provider = draft.provider(commissioner)
    mechanism = _first_mechanism(clauses)
    service = fallback if fallback is not None and draft.strength <= 0 else draft.service
    duration = _duration(clauses)
    streams = _record_streams(clauses) or default_streams
    amounts = tuple(
        amount_fact(text, a, attached.get(a.start), c.sentence, _service_of(c))
        for c, a in _main_sums(clauses)
    )
    evidence = tuple(evidence_for(text, c.sentence.start, c.sentence.end) for c in clauses)
    return CommissioningRecord(
        commissioner=commissioner.name if commissioner else None,
        commissioner_code=commissioner.code if commissioner else None,
        service=service.value if service else None,
        provider=provider.name if provider else None,
        mechanism=mechanism,
        duration=duration.value if duration else None,
        funding_streams=streams,
        amounts=amounts,
        decision_date=decision_date,
        evidence=evidence,
    )


UNIT_RATES = frozenset({"per child", "per head", "per family"})


def _main_sums(clauses: list[Clause]) -> list[tuple[Clause, Amount]]:
    """The record's sums; a rate per child, head or family only when the record states no
    other sum (a total or yearly value says more; the rate stays an amount fact)."""
    sums = [(c, a) for c in clauses for a in c.amounts]
    totals = [(c, a) for c, a in sums if a.period not in UNIT_RATES]
    return totals or sums


def _service_of(clause: Clause) -> str | None:
    return clause.service.value if clause.service and clause.service_strength > 0 else None


def _record_streams(clauses: list[Clause]) -> tuple[str, ...]:
    """Stream keys of the record; a generic stream only when no specific one is named."""
    generic = {s.id for s in load_vocabulary().streams if s.generic}
    keys = same_funds(list(dict.fromkeys(stream_key(f) for c in clauses for f in c.streams)))
    specific = [k for k in keys if k not in generic]
    return tuple(specific or keys)


def _duration(clauses: list[Clause]) -> Fact | None:
    """A counted duration ("2 years") from a clause about money or parties, else any."""
    ranked = sorted(
        (d for c in clauses for d in c.durations),
        key=lambda d: ("months" not in d.attrs, not _weighty(clauses, d)),
    )
    return ranked[0] if ranked else None


def _weighty(clauses: list[Clause], duration: Fact) -> bool:
    clause = next(c for c in clauses if duration in c.durations)
    return bool(clause.streams or clause.amounts or clause.providers or clause.commissioners)


def _first_mechanism(clauses: list[Clause]) -> str | None:
    order = [name for name, _ in MECHANISMS]
    found = {m.value for c in clauses for m in c.mechanisms}
    return next((name for name in order if name in found), None)


def amount_fact(
    text: str,
    amount: Amount,
    stream: FundingMention | None,
    sentence: Sentence,
    service: str | None = None,
) -> Fact:
    """An amount fact: value in pounds, pence and period in attrs, and what it is attached
    to: the funding stream (``attached_to``) and the service its sentence names."""
    attrs: dict = {"pence": amount.pence, "period": amount.period, "qualifier": amount.qualifier}
    if amount.pence_max is not None:
        attrs["pence_max"] = amount.pence_max
    if amount.threshold:
        attrs["threshold"] = True
    if amount.previous:
        attrs["previous"] = True
    if stream is not None:
        attrs["attached_to"] = stream_key(stream)
    if service is not None:
        attrs["service"] = service
    return Fact(
        "amount",
        amount.pounds,
        amount.text,
        attrs,
        evidence_for(text, sentence.start, sentence.end),
    )
