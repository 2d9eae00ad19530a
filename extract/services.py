"""The service a sentence is about: "for the delivery of the Building Attachments and Bonds
Service (BABS)", "a contract for the health visiting service", "to commission Speech and
Language Therapy services".

A cue phrase ("for the provision of", "contract for", "to commission", "pilot of") is followed
by the service. A Title Case run is taken whole, with a trailing head noun ("services"); a
lower-case phrase runs to a stop word ("for a period", "with", "which") or punctuation. A
phrase of generic words only ("a new contract service") is no service. Without a cue, a known
service term ("health visiting", "children's centre") with its modifiers is the fallback.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

STRONG_CUES = tuple(
    re.compile(p, re.I)
    for p in (
        r"\bcontracts?\s*\(\s*for\s+",
        r"\b(?:for|of)\s+the\s+(?:provision|delivery|commissioning)\s+of\s+(?:an?\s+|the\s+)?",
        r"\bcontracts?\s+for\s+(?:the\s+)?(?:provision\s+of\s+)?(?:an?\s+|the\s+)?",
        r"\b(?:pilot|roll[- ]?out|expansion)\s+of\s+(?:the\s+)?",
        r"\b(?-i:re-?commission|commission|re-?procure|procure)\s+(?:(?:through|via)\s+(?:an?\s+)?"
        r"(?:open\s+|competitive\s+)?(?:tender|procurement)(?:\s+process)?\s+)?(?:an?\s+|the\s+)?",
        r"\b(?:procurement|tender)\s+(?:process\s+)?for\s+(?:the\s+)?",
        r"\ballocat\w*\s+£[\d,.]+\w*\s+to\s+(?:the\s+)?",
        r"\binvit\w*\s+(?:applications|bids|proposals|expressions\s+of\s+interest)\s+for\s+"
        r"(?:an?\s+|the\s+)?",
        # "the providers of VAWDASV services": a head noun must follow within a few words
        r"\bproviders?\s+of\s+(?:the\s+)?(?=(?:[\w'’\-]+\s+){1,6}?(?:services?|support"
        r"|provision|programmes?|interventions?)\b)",
    )
)
WEAK_CUES = tuple(
    re.compile(p, re.I)
    for p in (
        r"\bto\s+(?:provide|deliver|develop|launch|run)\s+(?:an?\s+|the\s+)?",
        r"\b(?:funding|grant|money)\s+(?:from\s+[^.;]{0,60}?\s+)?for\s+(?:an?\s+|the\s+)?"
        r"(?:\d+[- ](?:month|year)\s+)?(?:pilot\s+of\s+(?:the\s+)?)?",
        r"\bfocus(?:ing|ed)?\s+on\s+(?:the\s+)?",
    )
)
DEFINITION = re.compile(
    r"(?P<name>[A-Z][\w'’\-]*(?:\s+[A-Z][\w'’\-]*){0,4})\s+is\s+an?\s+[^.;]{0,120}?"
    r"(?P<kind>\b[A-Z][\w\- ]{2,60}\b(?:Service|Programme))\b"
)
TERMS = re.compile(
    r"health visit\w*|school nurs\w*|public health nursing|family nurse partnership"
    r"|healthy child programme|children['’]?s?\s+cent(?:re|er)s?|family hubs?"
    r"|speech and language\w*(?:\s+therapy)?|domestic abuse|refuges?|infant feeding|breastfeeding"
    r"|peer support|perinatal mental health|maternal mental health|parent[- ]infant\w*"
    r"|early help|advocacy|substance (?:mis)?use|drug and alcohol|flying start|early years"
    r"|early learning and childcare|parenting|violence against women|idva|family support"
    r"|family wellbeing|home visiting",
    re.I,
)
HEADS = (
    r"services?|interventions?|programmes?|support|provision|workstream|fund|therapy|nursing"
    r"|visiting|pathway|hubs?|centres?|project"
)
GENERIC = frozenset(
    "a an the new current existing service services contract contracts provision delivery "
    "support programme programmes project work of for and to in on with its their our this "
    "that two three range number additional further year years month months week weeks yrs "
    "next total period lifetime pilot update".split()
)
_CONNECT = r"(?:and|&|of|for|to|the|in|with|on)"
_TITLE_WORD = r"(?:[A-Z][\w'’\-]*|\d+[\-–]\d+[\w\-]*|‘[^’\n]{1,40}’|\(\s*[^()]{1,60}?\s*\))"
TITLE_RUN = re.compile(
    rf"{_TITLE_WORD}(?:\s+(?:{_CONNECT}\s+){{0,2}}{_TITLE_WORD}){{0,12}}(?:\s+(?:{HEADS})\b)?"
)
STOP = re.compile(
    r"\s(?:for\s+(?:an?|\d+|up\s+to|the\s+(?:period|duration|term|life|lifetime))\b"
    r"|from\s+(?:the\s+)?\d"
    r"|at\s+an?\b|to\s+an?\s+maximum|with\b|which\b|that\b|who\b|whose\b|due\b|commencing\b"
    r"|starting\b|valued\b|worth\b|in\s+line\b|as\s+part\b|in\s+order\b|so\s+that\b|aimed\b"
    r"|across\b|by\b|be\b|is\b|are\b|was\b|were\b|will\b|has\b|have\b|using\b|under\b"
    r"|following\b|through\b|provides?\b|funded\b|financed\b|paid\s+for\b"
    r"|to\s+(?!\d)\w+|in\s+the\s+region\b"
    r"|in\s+(?:\d{4}|the\s+(?:financial\s+)?year)|for\s+(?:the\s+)?financial\s+year)|[;:.!?\n]\s|\n(?=[A-Z])",
    re.I,
)
MAX_WORDS = 16


@dataclass(frozen=True)
class ServiceMention:
    start: int
    end: int
    text: str

    @property
    def value(self) -> str:
        value = re.sub(r"\s+", " ", self.text).strip()
        return re.sub(r"\(\s+", "(", re.sub(r"\s+\)", ")", value))


def content_words(phrase: str) -> set[str]:
    """Lower-case words of a service phrase minus generic words, crudely singularised."""
    words = re.findall(r"[a-z0-9]+", phrase.lower().replace("’", "'").replace("'s", ""))
    return {w.rstrip("s") if len(w) > 3 else w for w in words if w not in GENERIC}


def _lower_phrase(text: str, start: int, limit: int) -> int:
    """End of a lower-case service phrase starting at ``start``: after a head noun ("services")
    only a preposition or another head noun may follow."""
    end, words, after_head = start, 0, False
    for m in re.finditer(r"\S+", text[start:limit]):
        word = m.group()
        bare = word.lower().strip(",;:.")
        if words and (
            STOP.match(text, start + m.start() - 1) or _ends_after_head(after_head, bare)
        ):
            break
        if word.startswith("(") and not re.match(r"\([A-Z][\w&'’ ]{0,12}\)", word):
            break
        end, words = start + m.end(), words + 1
        after_head = bool(re.fullmatch(rf"(?:{HEADS})|centres?", bare))
        if word.endswith((",", ";", ".", ":")) and (after_head or word[-1] != ","):
            end -= 1
            break
        if words >= MAX_WORDS:
            break
    return end


def _ends_after_head(after_head: bool, word: str) -> bool:
    return after_head and not re.fullmatch(rf"for|of|in|and|to|across|{HEADS}", word)


def _phrase_end(text: str, start: int, limit: int) -> int:
    if start < limit and (text[start].isupper() or text[start].isdigit()):
        m = TITLE_RUN.match(text, start, limit)
        if m:
            return m.end()
    return _lower_phrase(text, start, limit)


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    phrase = text[start:end]
    phrase = re.sub(r"[\s,;:.\-–]+$", "", phrase)
    phrase = re.sub(rf"(?:\s+{_CONNECT})+$", "", phrase)
    return start, start + len(phrase)


def _acceptable(phrase: str, strong: bool) -> bool:
    words = content_words(phrase)
    if not words or all(w.isdigit() for w in words) or re.match(r"(?:and|or|£|\d+\b)", phrase):
        return False
    return strong or bool(TERMS.search(phrase) or TITLE_RUN.fullmatch(phrase))


def cued_services(text: str, start: int, end: int) -> Iterator[ServiceMention]:
    """Service phrases that follow a cue within ``text[start:end]``."""
    for cues, strong in ((STRONG_CUES, True), (WEAK_CUES, False)):
        for cue in cues:
            for m in cue.finditer(text, start, end):
                lead = re.match(
                    r"(?:(?:of|the|their|our|its|an?|(?:provision|delivery)\s+of)\s+)*",
                    text[m.end() : end],
                )
                begin = m.end() + len(lead.group())
                limit = text.find(")", begin, end) if "(" in m.group() else end
                s, e = _trimmed(text, begin, _phrase_end(text, begin, limit if limit > 0 else end))
                if e > s and _acceptable(text[s:e], strong):
                    yield ServiceMention(s, e, text[s:e])


def named_service(text: str, start: int, end: int) -> ServiceMention | None:
    """The subject of a definition sentence: "Building Bonds is a ... Service"."""
    m = DEFINITION.match(text, start, end)
    if m and not m.group("name").lower().startswith(("this", "the", "it", "there")):
        return ServiceMention(m.start("name"), m.end("name"), m.group("name"))
    return None


NOT_MODIFIERS = frozenset(
    "much many more most some any all such other each every both also very and or to of in "
    "for on at by with from as is are was were be been if not no including include includes "
    "such via within across "
    # verbs that put a service in a sentence, not words of its name ("offers advocacy")
    "will would can could should may must has have had "
    "offer offers offered provide provides provided deliver delivers delivered fund funds "
    "funded commission commissions commissioned run runs continue continues "
    "procure procures procured award awards awarded".split()
)


def _modifiers(text: str, start: int, term_start: int) -> int:
    """Start of up to three lower-case modifiers right before a service term ("0-19
    children's" before "public health nursing")."""
    begin = term_start
    for _ in range(3):
        m = re.search(r"([\w'’\-]+)\s+$", text[max(start, begin - 30) : begin])
        word = m.group(1) if m else ""
        if not word or word.lower() in NOT_MODIFIERS or word.lower() in GENERIC:
            break
        if not (word[0].islower() or word[0].isdigit()):
            break
        begin -= len(m.group(0))
    return begin


# The rest of a Title Case name that ends in "Act" (legislation, not a service).
IN_ACT = re.compile(r"(?:,?\s+(?:[A-Z][\w'’\-]*|and|of|against|for|the|\(\w+\)))*\s+Act\b")


# After a service term: head nouns and -ing words ("... nursing service"), in any case (a
# title's "Parent Infant Service"), and up to two plain words before a head noun other than
# a fund ("parent-infant relationship service", not "Early Years Change Fund"), never a
# connecting word ("advocacy for families").
_SERVICE_HEADS = "|".join(h for h in HEADS.split("|") if h != "fund")
_NOT_NAME = rf"(?:{_CONNECT}|a|an|is|are|was|were|be|been|as|at|by|from|its|their|this|that)"
_PLAIN = rf"(?!{_NOT_NAME}\b)(?-i:[a-z]+)"  # a lower-case word, never "is a"
TERM_TAIL = re.compile(
    rf"(?:[\s\-]+(?:{HEADS})\b|(?:[\s\-]+{_PLAIN}){{1,2}}[\s\-]+(?:{_SERVICE_HEADS})\b"
    rf"|[\s\-]+[a-z]+ing\b)*",
    re.I,
)


def term_services(text: str, start: int, end: int) -> Iterator[ServiceMention]:
    """Known service terms with their modifiers and a head noun after; not inside the name of
    a fund ("Family Support Innovation Funding") or of an Act ("the Domestic Abuse Act 2021",
    "the Violence against Women, Domestic Abuse and Sexual Violence Act 2015")."""
    for m in TERMS.finditer(text, start, end):
        if re.match(r"\s+(?:fund|funding|grant)\b", text[m.end() : end], re.I):
            continue
        if m.group()[0].isupper() and IN_ACT.match(text, m.end(), end):
            continue
        s = _modifiers(text, start, m.start())
        tail = TERM_TAIL.match(text, m.end(), end)
        yield ServiceMention(s, tail.end(), text[s : tail.end()])


def _strength(mention: ServiceMention) -> int:
    if re.search(rf"\b(?:{HEADS})\b", mention.text, re.I):
        return 3
    return 2 if TERMS.search(mention.text) else 1


def best_service(text: str, start: int, end: int) -> tuple[ServiceMention, int] | None:
    """The service a sentence names and how sure we are: 3 for a cued phrase with a head noun
    ("... service"), 2 for one with a service term, 1 for another cued phrase, 0 for a bare
    service term."""
    cued = sorted(cued_services(text, start, end), key=lambda s: (-_strength(s), s.start))
    if cued:
        return cued[0], _strength(cued[0])
    term = next(term_services(text, start, end), None)
    return (term, 0) if term else None


# A service area whose budget or grant a line names ("Public Health Budget 2024-27", "Use of
# public health grant allocation"): what a budget report's money is for.
AREA_BUDGET = re.compile(
    r"\b(?P<area>public health|early help|children['’]?s services|adult social care"
    r"|social care|youth services?)\s+(?:ring[- ]?fenced\s+)?(?:budgets?|grants?|allocations?)\b",
    re.I,
)


def budget_area(text: str, start: int, end: int) -> ServiceMention | None:
    """The service area whose budget or grant ``text[start:end]`` names, if any."""
    m = AREA_BUDGET.search(text, start, end)
    return ServiceMention(m.start("area"), m.end("area"), m.group("area")) if m else None


def acronyms(text: str) -> dict[str, str]:
    """Acronyms the text defines: "infant feeding peer support (IFPS)" -> {"IFPS": ...}."""
    found = {}
    for m in re.finditer(r"\((?P<acr>[A-Z][A-Za-z]{1,7})\)", text):
        letters = [c.lower() for c in m.group("acr") if c.isupper()]
        words = re.findall(r"[\w'’\-]+", text[max(0, m.start() - 120) : m.start()])
        picked: list[str] = []
        for word in reversed(words):
            if not letters:
                break
            if word[0].lower() == letters[-1]:
                letters.pop()
                picked.insert(0, word)
            elif word.lower() in GENERIC and picked:
                picked.insert(0, word)
            else:
                break
        if not letters and picked:
            found[m.group("acr")] = " ".join(picked)
    return found


def similar(a: str, b: str) -> bool:
    """Same service: most content words of the shorter phrase appear in the longer."""
    wa, wb = content_words(a), content_words(b)
    if not wa or not wb:
        return False
    shorter = min(wa, wb, key=len)
    return len(wa & wb) / len(shorter) >= 0.6
