"""Evaluate fact extraction against the hand-checked gold facts of the seed and dev corpora.

    python bench/eval_extraction.py [--json] [--verbose] [--gazetteer]

Data: ``../shared/seeds`` and ``../shared/corpus-dev`` next to the repository (each a
``manifest.jsonl`` with gold ``facts`` and a ``docs/`` folder). When they are missing the
script says so and exits 0 without measuring anything. ``--gazetteer`` instead checks
``extract/data/gazetteer.csv`` against ``../shared/reference/uk_local_authorities.csv``.

Each document is run twice: from its text alone (``known_organisation=None``) and as the
indexer runs it, with the manifest's ``organisation`` passed as ``known_organisation``.

Changes to the matching rules
-----------------------------
Two changes make the party tuple fairer; the funding tuple rules are unchanged (the amount
rules below only say explicitly what the code already did). Party figures with the
manifest, same extraction, before -> after: 36/41 matched of 51 gold (P 0.878, R 0.706) ->
37/41 of 49 (P 0.902, R 0.755).
- A gold name listing several bodies now also matches each capitalised item of the list,
  not only the bodies the resolver knows (1 gold tuple now matched, 1 extra gone).
- Gold tuples (and extracted ones) that describe the same contract count once (2 gold
  tuples were second statements of a contract already in the gold).

Matching rules
--------------
Names (commissioner, provider): both sides are resolved with ``extract``'s resolver (councils
through the gazetteer, other bodies through the bodies list and the NHS/PCC/VRP patterns)
and compared by canonical name; unresolved names are compared after normalisation (case,
punctuation, a leading "the", parentheticals removed) and match when rapidfuzz ``ratio`` is
at least 90. A gold name that lists several bodies ("Exton Council in partnership with
Exton CCG", "a local partnership and Exton Council", "multi-agency partnership (Exton
Constabulary, Little Acorns, ...)") matches any body it names: the bodies the resolver finds in
it, and each capitalised item of a list separated by commas, semicolons or slashes (also inside
parentheses), so that a provider the resolver does not know is not lost. A gold null matches
only an extracted null.

Funding stream: the gold ``funding_source`` free text is mapped onto the vocabulary with the
same matcher the extractor uses (``extract.funding.classify_funding_text``); text that maps
to nothing becomes ``unmapped:<text>`` and matches nothing. Extracted and gold match when the
extracted stream is one of the gold keys; two ``other:<name>`` keys match when rapidfuzz
``token_set_ratio`` of the names is at least 85. Null matches only null.

Amount: compared as integer pence, so the same figure written differently matches ("£500k",
"£500,000", "£0.5m", "£ 500,000.00" are all 50,000,000 pence). A gold amount string is split
on ";" and the first sum in each part counts ("£20,000 (post); £45,000 (service)" is two
amounts, "£45,000 (increased from £20,000)" is one). A part without "£" is no amount. A null
amount matches only a null amount: a gold fact with a source and no sum says the text states no
sum for it, so an extracted (commissioner, stream, £X) facing a gold (commissioner, stream,
null) counts as one miss and one extra, never as a match (a sum the gold lacks is either
unsupported by the text or a gold omission to fix in the gold, not to absorb in the rule).
``--verbose`` marks such pairs "amount-only disagreement" so they can be checked by hand.

Service: match when at least half of the content words of the shorter description occur in
the other (lower case, crude singular, stop words and generic words such as "service"
removed), or rapidfuzz ``token_set_ratio`` is at least 80. Null matches only null.

Tuples
------
(commissioner, funding stream, amount): one gold tuple per gold fact and amount part, only for
facts that state a funding source or an amount. Extracted: one tuple per record amount, its
stream being the stream the amount is attached to in its sentence, else the record's stream
when the record has exactly one, else null; plus one (commissioner, stream, null) tuple for
each record stream no amount uses.

(commissioner, provider, service): one per gold fact; extracted, one per record that names a
service or a provider.

Duplicates are removed per document, and on both sides a (commissioner, stream, null) tuple is
dropped when the same document also has (commissioner, stream, some amount); a gold fact with
neither a funding source nor a sum gives no funding tuple. Two (commissioner, provider,
service) tuples of one document that describe the same contract are one tuple, on both sides:
same commissioner and the same *named* provider with matching services (by the rule above), or,
with no provider, services identical once parentheticals are removed ("domestic abuse service
(Lot 1 ...)" and "domestic abuse service (two lots)"). So one record for a contract the gold
states twice is not penalised, and a record repeated is counted once. Tuples without a provider
whose services merely overlap ("maternal mental health service (pilot)" and "... scoping and
research") stay separate. Matching is one-to-one within a document. Precision is matched
extracted tuples over all extracted tuples (every figure reported but not in the gold counts
against it: the gold holds the main facts only); recall is matched gold tuples over all gold
tuples.

Invented organisations: an extracted commissioner or provider none of whose name forms (the
name, its gazetteer or bodies-list variants, its area + "CCG"/"ICB" forms) occurs in the
document text. A commissioner equal to the manifest organisation passed in is reported as
"from manifest", not as invented.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from extract import extract_document  # noqa: E402
from extract.facts import CommissioningRecord  # noqa: E402
from extract.funding import classify_funding_text  # noqa: E402
from extract.gazetteer import load_gazetteer  # noqa: E402
from extract.money import find_amounts  # noqa: E402
from extract.names import name_key, normalise_name  # noqa: E402
from extract.organisations import find_organisations, load_bodies, resolve_organisation  # noqa: E402

SHARED = ROOT.parent / "shared"
CORPORA = ("seeds", "corpus-dev")
REGISTER = SHARED / "reference" / "uk_local_authorities.csv"
STOP = frozenset(
    "a an the and or of for to in on at with by from its their our this that service services "
    "contract provision delivery support new current existing".split()
)


# ---------------------------------------------------------------- names


def party_forms(name: str | None, listing: bool = False) -> frozenset[str] | None:
    """Canonical forms a name may stand for; with ``listing`` (gold names), every body a name
    listing several bodies names."""
    if name is None:
        return None
    forms = {normalise_name(name)}
    if org := resolve_organisation(name):
        forms.add(normalise_name(org.name))
    else:
        plain = re.sub(r"\([^)]*\)", " ", name)
        forms |= {normalise_name(o.name) for o in find_organisations(plain) if o.explicit}
        forms |= {normalise_name(o.name) for o in find_organisations(name) if o.explicit}
        if listing:
            forms |= {normalise_name(item) for item in listed(name)}
    return frozenset(f for f in forms if f)


def listed(name: str) -> list[str]:
    """Capitalised items of a list ("Exton Constabulary, NIDAS/Leeway; Little Acorns")."""
    if not re.search(r"[,;/]", name):
        return []
    items = re.split(r"\s*[,;/()]\s*", name)
    return [i for i in items if len(i) >= 3 and i[0].isupper()]


def party_match(gold: frozenset[str] | None, extracted: frozenset[str] | None) -> bool:
    if gold is None or extracted is None:
        return gold is None and extracted is None
    if gold & extracted:
        return True
    return any(fuzz.ratio(g, e) >= 90 for g in gold for e in extracted)


# ---------------------------------------------------------------- funding, amounts, services


def funding_keys(text: str | None) -> frozenset[str] | None:
    if text is None:
        return None
    keys = classify_funding_text(text)
    return frozenset(keys or [f"unmapped:{text}"])


def funding_match(gold: frozenset[str] | None, extracted: str | None) -> bool:
    if gold is None or extracted is None:
        return gold is None and extracted is None
    if extracted in gold:
        return True
    if extracted.startswith("other:"):
        name = extracted[6:]
        return any(
            g.startswith("other:") and fuzz.token_set_ratio(_plain(g[6:]), _plain(name)) >= 85
            for g in gold
        )
    return False


def _plain(name: str) -> str:
    return re.sub(r"['’]s\b", "", name).lower()


def gold_amounts(text: str | None) -> list[int | None]:
    if not text:
        return [None]
    found = []
    for part in text.split(";"):
        amounts = find_amounts(part)
        if amounts:
            found.append(amounts[0].pence)
    return found or [None]


def content_words(text: str) -> set[str]:
    words = re.findall(r"[a-z0-9]+", text.lower().replace("’", "'").replace("'s", ""))
    return {w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words if w not in STOP}


def service_match(gold: str | None, extracted: str | None) -> bool:
    if gold is None or extracted is None:
        return gold is None and extracted is None
    a, b = content_words(gold), content_words(extracted)
    if a and b and len(a & b) / min(len(a), len(b)) >= 0.5:
        return True
    return fuzz.token_set_ratio(gold.lower(), extracted.lower()) >= 80


# ---------------------------------------------------------------- tuples


@dataclass(frozen=True)
class FundingTuple:
    commissioner: frozenset[str] | None
    stream: frozenset[str] | str | None
    pence: int | None


@dataclass(frozen=True)
class PartyTuple:
    commissioner: frozenset[str] | None
    provider: frozenset[str] | None
    service: str | None


def gold_tuples(facts: list[dict]) -> tuple[list[FundingTuple], list[PartyTuple]]:
    funding, parties = [], []
    for f in facts:
        commissioner = party_forms(f.get("commissioner"), listing=True)
        stream = funding_keys(f.get("funding_source"))
        for pence in gold_amounts(f.get("amount")):
            if stream is not None or pence is not None:
                funding.append(FundingTuple(commissioner, stream, pence))
        provider = party_forms(f.get("provider"), listing=True)
        parties.append(PartyTuple(commissioner, provider, f.get("service")))
    return _subsumed(_dedupe(funding)), _same_once(_dedupe(parties))


def record_tuples(records: tuple[CommissioningRecord, ...]) -> tuple[list, list]:
    funding, parties = [], []
    for r in records:
        commissioner = party_forms(r.commissioner)
        used = set()
        for a in r.amounts:
            stream = a.attrs.get("attached_to")
            if stream is None and len(r.funding_streams) == 1:
                stream = r.funding_streams[0]
            used.add(stream)
            funding.append(FundingTuple(commissioner, stream, a.attrs["pence"]))
        funding += [FundingTuple(commissioner, s, None) for s in r.funding_streams if s not in used]
        if r.service or r.provider:
            parties.append(PartyTuple(commissioner, party_forms(r.provider), r.service))
    return _subsumed(_dedupe(funding)), _same_once(_dedupe(parties))


def _dedupe(items: list) -> list:
    return list(dict.fromkeys(items))


def same_contract(a: PartyTuple, b: PartyTuple) -> bool:
    """Same commissioner and named provider with matching services, or no provider and the
    same service text once parentheticals are removed."""
    if not party_match(a.commissioner, b.commissioner) or not party_match(a.provider, b.provider):
        return False
    if a.provider is not None:
        return service_match(a.service, b.service)
    return _bare(a.service) == _bare(b.service)


def _bare(service: str | None) -> str | None:
    if service is None:
        return None
    return " ".join(re.sub(r"\([^)]*\)", " ", service).lower().split())


def _same_once(tuples: list[PartyTuple]) -> list[PartyTuple]:
    """Party tuples describing the same contract, kept once (the first)."""
    kept: list[PartyTuple] = []
    for t in tuples:
        if not any(same_contract(k, t) for k in kept):
            kept.append(t)
    return kept


def _subsumed(tuples: list[FundingTuple]) -> list[FundingTuple]:
    """Drop (commissioner, stream, null) where (commissioner, stream, amount) is also there."""
    with_amount = {(t.commissioner, t.stream) for t in tuples if t.pence is not None}
    return [
        t for t in tuples if t.pence is not None or (t.commissioner, t.stream) not in with_amount
    ]


def funding_tuple_match(g: FundingTuple, e: FundingTuple) -> bool:
    return (
        g.pence == e.pence
        and party_match(g.commissioner, e.commissioner)
        and funding_match(g.stream, e.stream)
    )


def party_tuple_match(g: PartyTuple, e: PartyTuple) -> bool:
    return (
        party_match(g.commissioner, e.commissioner)
        and party_match(g.provider, e.provider)
        and service_match(g.service, e.service)
    )


def amount_only(missed: list[FundingTuple], extra: list[FundingTuple]) -> list[tuple]:
    """(gold, extracted) pairs left unmatched that differ only in the amount, one side null."""
    return [
        (g, e)
        for g in missed
        for e in extra
        if (g.pence is None) != (e.pence is None)
        and party_match(g.commissioner, e.commissioner)
        and funding_match(g.stream, e.stream)
    ]


def pair(gold: list, extracted: list, match) -> tuple[list, list, list]:
    """One-to-one greedy matching: (matched pairs, unmatched gold, unmatched extracted)."""
    free = list(extracted)
    matched, missed = [], []
    for g in gold:
        hit = next((e for e in free if match(g, e)), None)
        if hit is None:
            missed.append(g)
        else:
            free.remove(hit)
            matched.append((g, hit))
    return matched, missed, free


# ---------------------------------------------------------------- invented organisations


def name_forms(name: str) -> set[str]:
    forms = {name}
    council = load_gazetteer().get(name) or load_gazetteer().resolve(name)
    if council is not None:
        forms |= {council.name, *council.variants}
    for body in load_bodies().lookup(name):
        forms |= {v for v, b in load_bodies().variants() if b == body}
    core = re.sub(r"^(?:NHS|Office of the)\s+|\s+(?:CCG|Integrated Care Board|ICB)$", "", name)
    core = re.sub(r"^Police and Crime Commissioner for\s+", "", core)
    forms |= {core, f"{core} CCG", f"{core} Clinical Commissioning Group", f"{core} ICB"}
    return {f for f in forms if f}


def in_text(name: str, text: str) -> bool:
    words = " " + " ".join(name_key(text)) + " "
    return any(f" {' '.join(name_key(f))} " in words for f in name_forms(name) if name_key(f))


# ---------------------------------------------------------------- running


@dataclass
class Tally:
    funding: list[int] = field(default_factory=lambda: [0, 0, 0])  # matched, extracted, gold
    parties: list[int] = field(default_factory=lambda: [0, 0, 0])
    invented: list[str] = field(default_factory=list)
    from_manifest: int = 0
    documents: int = 0
    seconds: float = 0.0
    misses: list[str] = field(default_factory=list)

    def add(self, which: list[int], matched: int, extracted: int, gold: int) -> None:
        which[0] += matched
        which[1] += extracted
        which[2] += gold

    def summary(self) -> dict:
        return {
            "documents": self.documents,
            "funding": _scores(self.funding),
            "parties": _scores(self.parties),
            "invented_organisations": len(self.invented),
            "invented": self.invented,
            "commissioners_from_manifest": self.from_manifest,
            "seconds": round(self.seconds, 3),
        }


def _scores(counts: list[int]) -> dict:
    matched, extracted, gold = counts
    return {
        "matched": matched,
        "extracted": extracted,
        "gold": gold,
        "precision": round(matched / extracted, 3) if extracted else None,
        "recall": round(matched / gold, 3) if gold else None,
    }


def load_documents() -> list[tuple[str, str, dict]]:
    docs = []
    for corpus in CORPORA:
        folder = SHARED / corpus
        for line in (folder / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                entry = json.loads(line)
                text = (folder / "docs" / entry["file"]).read_text(encoding="utf-8")
                docs.append((f"{corpus}/{entry['file']}", text, entry))
    return docs


def evaluate(docs: list[tuple[str, str, dict]], with_manifest: bool) -> Tally:
    tally = Tally()
    for name, text, entry in docs:
        known = entry.get("organisation") if with_manifest else None
        started = time.perf_counter()
        result = extract_document(text, known)
        tally.seconds += time.perf_counter() - started
        tally.documents += 1
        gold_f, gold_p = gold_tuples(entry.get("facts") or [])
        got_f, got_p = record_tuples(result.records)
        for label, gold, got, match, which in (
            ("funding", gold_f, got_f, funding_tuple_match, tally.funding),
            ("parties", gold_p, got_p, party_tuple_match, tally.parties),
        ):
            matched, missed, extra = pair(gold, got, match)
            tally.add(which, len(matched), len(got), len(gold))
            tally.misses += [f"{name} [{label}] missed {_show(g)}" for g in missed]
            tally.misses += [f"{name} [{label}] extra  {_show(e)}" for e in extra]
            if label == "funding":
                tally.misses += [
                    f"{name} [funding] amount-only disagreement: gold {_show(g)} vs {_show(e)}"
                    for g, e in amount_only(missed, extra)
                ]
        _count_invented(tally, name, text, result.records, known)
    return tally


def _count_invented(tally: Tally, doc: str, text: str, records, known: str | None) -> None:
    known_org = resolve_organisation(known) if known else None
    for r in records:
        for role, value in (("commissioner", r.commissioner), ("provider", r.provider)):
            if value is None or in_text(value, text):
                continue
            if role == "commissioner" and known_org is not None and known_org.name == value:
                tally.from_manifest += 1
            else:
                tally.invented.append(f"{doc}: {role} {value}")


def _show(t) -> str:
    def fmt(v):
        if isinstance(v, frozenset):
            return "|".join(sorted(v))
        return v

    return "(" + ", ".join(str(fmt(v)) for v in t.__dict__.values()) + ")"


# ---------------------------------------------------------------- gazetteer check


def gazetteer_coverage(register: Path = REGISTER) -> dict:
    """Compare the gazetteer with the register: every current council present under the same
    GSS code, and every register official name resolving to the council with that code.
    Short place names the gazetteer leaves out on purpose (common words such as "Reading",
    region names of combined authorities) are listed, not counted as failures."""
    gazetteer = load_gazetteer()
    by_code = {c.gss_code: c for c in gazetteer.councils}
    with register.open(encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["gss-code"].strip()]
    current = [r for r in rows if r["current-authority"] == "True"]
    abolished = [r for r in rows if r["current-authority"] != "True"]

    def resolves(name: str, code: str) -> bool:
        council = gazetteer.resolve(re.sub(r"\s+", " ", name).strip())
        return council is not None and council.gss_code == code

    return {
        "register_current": len(current),
        "register_abolished_with_code": len(abolished),
        "gazetteer_current": sum(c.current for c in gazetteer.councils),
        "gazetteer_abolished": sum(not c.current for c in gazetteer.councils),
        "nations": sorted({c.nation for c in gazetteer.councils if c.current}),
        "missing_codes": [r["gss-code"] for r in rows if r["gss-code"].strip() not in by_code],
        "unresolved_official_names": [
            r["official-name"]
            for r in rows
            if not resolves(r["official-name"], r["gss-code"].strip())
        ],
        "short_names_not_variants": [
            r["nice-name"] for r in current if not resolves(r["nice-name"], r["gss-code"].strip())
        ],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--verbose", action="store_true", help="list per-document misses")
    parser.add_argument("--gazetteer", action="store_true", help="check the gazetteer instead")
    args = parser.parse_args(argv)
    if args.gazetteer:
        if not REGISTER.exists():
            print(f"{REGISTER} not found: nothing to check the gazetteer against.")
            return 0
        report = gazetteer_coverage()
        print(json.dumps(report, indent=2))
        return 1 if report["missing_codes"] or report["unresolved_official_names"] else 0
    if not all((SHARED / c / "manifest.jsonl").exists() for c in CORPORA):
        print(f"Gold data not found under {SHARED} (seeds, corpus-dev): nothing measured.")
        return 0
    docs = load_documents()
    runs = {"documents_alone": evaluate(docs, False), "with_manifest": evaluate(docs, True)}
    if args.json:
        print(json.dumps({k: t.summary() for k, t in runs.items()}, indent=2))
    else:
        for label, tally in runs.items():
            _print_summary(label, tally.summary())
    if args.verbose:
        for line in runs["with_manifest"].misses:
            print(line)
    return 0


TUPLE_NAMES = {
    "funding": "(commissioner, stream, amount)",
    "parties": "(commissioner, provider, service)",
}


def _print_summary(label: str, s: dict) -> None:
    print(f"{label}: {s['documents']} documents, {s['seconds']}s")
    for key, name in TUPLE_NAMES.items():
        v = s[key]
        print(
            f"  {name} P={v['precision']} R={v['recall']}"
            f" ({v['matched']} matched, {v['extracted']} extracted, {v['gold']} gold)"
        )
    print(f"  invented organisations: {s['invented_organisations']} {s['invented']}")
    print(f"  commissioners from manifest (not in text): {s['commissioners_from_manifest']}")


if __name__ == "__main__":
    raise SystemExit(main())
