"""Decision metadata from the labelled lines of decision records, minutes and notices:
decision date, reference, decision maker and the key-decision flag.

Labels are read as "Label: value" on one line or "Label" with the value on one of the next few
non-empty lines (the value must look like its kind: a date, a reference). Evidence spans the
label and the value. Minutes and "Issue - decisions" pages put the date or reference at the
start of a heading line ("14/04/2020 - Continuity of ...", "23/00075 - Family Hubs ...").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache

import dateparser

from extract.facts import Fact, evidence_for

_DATE = (
    r"\d{1,2}/\d{1,2}/\d{2,4}"
    r"|\d{1,2}(?:st|nd|rd|th)?\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?,?\s+\d{4}"
    r"|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}"
)
DATE = re.compile(_DATE, re.I)
REF = re.compile(r"^(?:[A-Z]{1,5}[ \-]?)?\d[\dA-Za-z/\-. ]{0,24}$")
DATE_LABELS = {
    "decision date": "decision",
    "date of decision": "decision",
    "decision made": "decision",
    "date decision made": "decision",
    "meeting": "meeting",
    "date of meeting": "meeting",
    "date published": "published",
    "published": "published",
}
REF_LABELS = r"decision ref(?:erence)?|decision number|decision no\.?|reference code|reference"
MAKER_LABELS = r"decision maker|decision by|decision taken by|decided by"
KEY_LABELS = r"is key decision\??|key decision\??|decision type"
MEETING_BODY = re.compile(r"^\s*[-–]\s*(?P<body>[A-Z][\w ,&']+?)\s*(?:\(|$)")
TITLE_PREFIX = re.compile(
    r"(?m)^[ \t]*(?P<value>[A-Z]{0,5}[\-]?\d[\d/\-A-Z]{2,14}\d)[ \t]+[-–][ \t]+\S"
)
RESOLVED_BY = re.compile(
    r"\bRESOLVED\s+that\s+(?:the\s+)?"
    r"(?P<body>Mayor and Cabinet|Cabinet|Council|[A-Z][\w ]+ Committee)"
)
MAX_VALUE_LINES = 3


def _label_re(labels: str) -> re.Pattern:
    return re.compile(rf"(?im)^[ \t]*(?P<label>{labels})[ \t]*[:?]*[ \t]*(?P<rest>[^\n]*)")


def _labelled(
    text: str, labels: str, valid: Callable[[str], bool]
) -> Iterator[tuple[int, int, int, str]]:
    """(label_start, value_start, value_end, label) for each label with a valid value."""
    for m in _label_re(labels).finditer(text):
        rest = m.group("rest").strip()
        if rest and valid(rest):
            start = m.start("rest") + m.group("rest").index(rest)
            yield m.start("label"), start, start + len(rest), m.group("label")
            continue
        if rest:
            continue
        yield from _value_below(text, m, valid)


def _value_below(text: str, m: re.Match, valid: Callable[[str], bool]):
    pos, seen = m.end(), 0
    while seen < MAX_VALUE_LINES and pos < len(text):
        nl = text.find("\n", pos + 1)
        line_end = len(text) if nl < 0 else nl
        line = text[pos:line_end].strip()
        if line:
            seen += 1
            if valid(line):
                start = text.index(line, pos)
                yield m.start("label"), start, start + len(line), m.group("label")
                return
        pos = line_end
        if nl < 0:
            return


@lru_cache(maxsize=256)
def parse_date(value: str) -> str | None:
    """ISO date for '13/07/2023', '19 October 2021', '22nd Sep 2023'; None if not a date."""
    parsed = dateparser.parse(
        value,
        languages=["en"],
        settings={"DATE_ORDER": "DMY", "REQUIRE_PARTS": ["day", "month", "year"]},
    )
    return parsed.date().isoformat() if parsed else None


def _fact(text: str, kind: str, value: str, start: int, end: int, surface: str, **attrs) -> Fact:
    return Fact(kind, value, surface, dict(attrs), evidence_for(text, start, end))


def decision_dates(text: str) -> list[Fact]:
    labels = "|".join(re.escape(k) for k in DATE_LABELS)
    facts = []
    for label_start, start, end, label in _labelled(text, labels, lambda v: bool(DATE.match(v))):
        m = DATE.match(text, start)
        iso = parse_date(m.group()) if m else None
        if iso:
            source = DATE_LABELS[label.lower()]
            facts.append(
                _fact(text, "decision_date", iso, label_start, end, m.group(), source=source)
            )
    for m in re.finditer(r"(?m)^[ \t]*(?P<d>\d{1,2}/\d{1,2}/\d{4})[ \t]+[-–][ \t]+\S[^\n]*", text):
        if iso := parse_date(m.group("d")):
            facts.append(
                _fact(
                    text,
                    "decision_date",
                    iso,
                    m.start("d"),
                    m.end(),
                    m.group("d"),
                    source="heading",
                )
            )
    return facts


def decision_refs(text: str) -> list[Fact]:
    facts = [
        _fact(text, "decision_ref", text[s:e], ls, e, text[s:e], source="label")
        for ls, s, e, _ in _labelled(
            text, REF_LABELS, lambda v: bool(REF.match(v)) and not DATE.fullmatch(v)
        )
    ]
    for m in TITLE_PREFIX.finditer(text):
        value = m.group("value")
        if not DATE.fullmatch(value) and re.search(r"[/\-]|[A-Z]", value):
            line_end = text.find("\n", m.start())
            end = len(text) if line_end < 0 else line_end
            facts.append(
                _fact(text, "decision_ref", value, m.start("value"), end, value, source="heading")
            )
    return facts


def decision_makers(text: str) -> list[Fact]:
    facts = [
        _fact(text, "decision_maker", text[s:e].rstrip(" ."), ls, e, text[s:e])
        for ls, s, e, _ in _labelled(text, MAKER_LABELS, lambda v: v[:1].isupper())
    ]
    for m in re.finditer(rf"(?m)^[ \t]*Meeting:[ \t]*(?:{_DATE})(?P<rest>[^\n]*)", text):
        if body := MEETING_BODY.match(m.group("rest")):
            value = body.group("body").strip()
            facts.append(_fact(text, "decision_maker", value, m.start(), m.end(), value))
    for m in RESOLVED_BY.finditer(text):
        line_end = text.find("\n", m.end())
        end = len(text) if line_end < 0 else line_end
        facts.append(
            _fact(text, "decision_maker", m.group("body"), m.start(), end, m.group("body"))
        )
    return facts


def key_decisions(text: str) -> list[Fact]:
    facts = []
    for ls, s, e, _ in _labelled(
        text, KEY_LABELS, lambda v: bool(re.match(r"(yes|no|key|non)", v, re.I))
    ):
        value = text[s:e].strip().lower()
        flag = "no" if value.startswith(("no", "non")) else "yes"
        facts.append(_fact(text, "key_decision", flag, ls, e, text[s:e]))
    for m in re.finditer(r"(?im)^[^\n]*[-–][ \t]*(?P<flag>key decision)[ \t]*$", text):
        facts.append(_fact(text, "key_decision", "yes", m.start(), m.end(), m.group("flag")))
    return facts


def decision_facts(text: str) -> list[Fact]:
    """All decision metadata facts of a document."""
    return [
        *decision_dates(text),
        *decision_refs(text),
        *decision_makers(text),
        *key_decisions(text),
    ]


def best_decision_date(facts: list[Fact]) -> str | None:
    """The date the decision was taken: a labelled decision date, else meeting, else heading."""
    order = {"decision": 0, "meeting": 1, "heading": 2}
    dated = [f for f in facts if f.kind == "decision_date" and f.attrs.get("source") in order]
    dated.sort(key=lambda f: order[f.attrs["source"]])
    return dated[0].value if dated else None
