"""One document's text in, its facts and commissioning records out."""

from __future__ import annotations

from collections import Counter

from extract.commissioning import (
    Clause,
    amount_fact,
    build_clause,
    choose_commissioner,
    group_clauses,
    is_commissioning,
    to_record,
)
from extract.decision import best_decision_date, decision_facts
from extract.facts import CommissioningRecord, DocumentFacts, Fact, evidence_for
from extract.funding import FundingMention, attach_amounts, find_funding, load_vocabulary
from extract.gazetteer import load_gazetteer
from extract.money import Amount, find_amounts
from extract.organisations import Organisation, find_organisations
from extract.sentences import Sentence, SentenceIndex, sentence_spans
from extract.services import (
    ServiceMention,
    acronyms,
    best_service,
    budget_area,
    named_service,
)


def extract_document(text: str, known_organisation: str | None = None) -> DocumentFacts:
    """Facts and commissioning records stated by ``text``; every fact carries its evidence.

    ``known_organisation`` (the issuing body from a manifest) becomes the commissioner only
    when it resolves to a council, an NHS commissioner, a PCC or a VRU.
    """
    sentences = sentence_spans(text)
    index = SentenceIndex(sentences)
    orgs = find_organisations(text)
    streams = find_funding(text, sentences)
    amounts = find_amounts(text)
    attached = attach_amounts(text, amounts, streams, index)
    meta = decision_facts(text)
    clauses = _clauses(text, index, orgs, streams, amounts, attached)
    commissioner = choose_commissioner(text, orgs, clauses, known_organisation)
    records = _records(text, sentences, clauses, commissioner, attached, best_decision_date(meta))
    facts = [
        *_organisation_facts(text, orgs, index),
        *_clause_facts(text, clauses),
        *_amount_facts(text, amounts, attached, index, clauses),
        *_funding_facts(text, streams, index),
        *meta,
    ]
    return DocumentFacts(tuple(_unique(facts)), records)


def _clauses(
    text: str,
    index: SentenceIndex,
    orgs: list[Organisation],
    streams: list[FundingMention],
    amounts: list[Amount],
    attached: dict[int, FundingMention],
) -> list[Clause]:
    """Commissioning sentences (and figures tied to a stream) that state something."""
    with_figure = {index.at(start) for start in attached}
    return [
        clause
        for s in index.sentences
        if is_commissioning(text, s) or s in with_figure
        if _says_something(clause := build_clause(text, s, orgs, streams, amounts, attached))
    ]


def _records(
    text: str,
    sentences: tuple[Sentence, ...],
    clauses: list[Clause],
    commissioner: Organisation | None,
    attached: dict[int, FundingMention],
    date: str | None,
) -> tuple[CommissioningRecord, ...]:
    """Records from the clauses; the first is the main record, whose single stream (if it has
    one) funds the others that name none."""
    drafts = [
        d
        for d in group_clauses(clauses, commissioner, acronyms(text))
        if d.service or any(c.providers or c.streams or c.amounts for c in d.clauses)
    ]
    records: list[CommissioningRecord] = []
    for draft in drafts:
        main = records[0] if records else None
        if main is None:
            fallback, inherited = _own_service_name(text, sentences), ()
        else:
            fallback = None
            inherited = main.funding_streams if len(main.funding_streams) == 1 else ()
        records.append(to_record(text, draft, attached, date, fallback, inherited))
    return tuple(records)


TITLE_LINES = 5


def _own_service_name(text: str, sentences: tuple[Sentence, ...]) -> ServiceMention | None:
    """The service the document names for itself: the subject of "X is a ... Service"
    sentences (the most often defined), else a service named in its first lines (title),
    else the service area whose budget or grant they name (a budget report's subject)."""
    named = [m for s in sentences if (m := named_service(text, s.start, s.end))]
    if named:
        counts = Counter(m.value for m in named)
        return max(named, key=lambda m: counts[m.value])
    for s in sentences[:TITLE_LINES]:
        if found := best_service(text, s.start, s.end):
            return found[0]
    return next(
        (a for s in sentences[:TITLE_LINES] if (a := budget_area(text, s.start, s.end))), None
    )


def _amount_facts(
    text: str,
    amounts: list[Amount],
    attached: dict[int, FundingMention],
    index: SentenceIndex,
    clauses: list[Clause],
) -> list[Fact]:
    services = {c.sentence.start: c.service.value for c in clauses if c.service_strength > 0}
    return [
        amount_fact(text, a, attached.get(a.start), s, services.get(s.start))
        for a in amounts
        if (s := index.at(a.start)) is not None
    ]


def _says_something(clause: Clause) -> bool:
    return bool(
        clause.service
        or clause.providers
        or clause.amounts
        or clause.streams
        or clause.mechanisms
        or clause.commissioners
    )


def _organisation_facts(text: str, orgs: list[Organisation], index: SentenceIndex) -> list[Fact]:
    gazetteer = load_gazetteer()
    facts = []
    for org in orgs:
        sentence = index.at(org.start)
        if sentence is None:
            continue
        if org.kind == "council":
            council = gazetteer.get(org.name)
            attrs = {"gss_code": org.code, "explicit": org.explicit}
            if council is not None:
                attrs |= {"type": council.type, "nation": council.nation}
                if council.successor:
                    attrs["successor"] = list(council.successor)
            facts.append(_fact(text, "council", org.name, org.text, attrs, sentence))
        else:
            facts.append(
                _fact(text, "organisation", org.name, org.text, {"kind": org.kind}, sentence)
            )
    return facts


def _clause_facts(text: str, clauses: list[Clause]) -> list[Fact]:
    facts = []
    for c in clauses:
        s = c.sentence
        for p in c.providers:
            facts.append(_fact(text, "provider", p.name, p.text, {"kind": p.kind}, s))
        if c.service and c.service_strength > 0:  # a bare term is no statement of a service
            facts.append(_fact(text, "service", c.service.value, c.service.text, {}, s))
        facts += c.mechanisms + c.durations
    return facts


def _funding_facts(text: str, streams: list[FundingMention], index: SentenceIndex) -> list[Fact]:
    vocab = load_vocabulary()
    facts = []
    for f in streams:
        attrs = {"label": vocab.label(f.stream)}
        if f.other:
            attrs["name"] = f.other
        facts.append(_fact(text, "funding_stream", f.stream, f.text, attrs, index.at(f.start)))
    return facts


def _fact(text: str, kind: str, value: str, surface: str, attrs: dict, s: Sentence) -> Fact:
    return Fact(kind, value, surface, attrs, evidence_for(text, s.start, s.end))


def _unique(facts: list[Fact]) -> list[Fact]:
    seen, kept = set(), []
    for f in facts:
        key = (f.kind, f.value, f.text, f.evidence.start)
        if key not in seen:
            seen.add(key)
            kept.append(f)
    return kept
