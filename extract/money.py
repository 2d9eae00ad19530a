"""Sums of money in text: "£140,000", "£1.2m", "£50k", "£1, 002,318", "£10-20k", normalised to
integer pence, with the period ("per annum", "over 3 years") and any qualifier ("up to").

Figures followed by "or more" / "and above" are thresholds (key-decision rules, eligibility),
not sums anyone committed, and are marked as such; so is the starting figure of a change
("from £20,000 to £45,000") or a figure given for comparison ("up from £40k", "last year's
£40k").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

_NUMBER = r"\d{1,3}(?:,[ \t]?\d{3})+(?!\d)|\d+"
_UNIT = r"(?:[ \t]?(?:million|billion|bn|m|k)\b)"
AMOUNT = re.compile(
    rf"(?:£|GBP[ \t]?)[ \t]?(?P<num>{_NUMBER})(?:\.(?P<dec>\d+))?(?P<unit>{_UNIT})?"
    rf"(?:[ \t]?[-–—][ \t]?£?(?P<num2>{_NUMBER})(?:\.(?P<dec2>\d+))?(?P<unit2>{_UNIT})?)?",
    re.I,
)
MULTIPLIER = {"k": 1_000, "m": 1_000_000, "million": 1_000_000, "bn": 10**9, "billion": 10**9}
_NUM_WORD = r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve)"
PERIOD = re.compile(
    r"^[\s,]*(?P<period>per[ \t]+annum|per[ \t]+year|a[ \t]+year|each[ \t]+year|annually|p\.a\."
    r"|per[ \t]+month|a[ \t]+month|per[ \t]+week|per[ \t]+child|per[ \t]+head|per[ \t]+family"
    rf"|over[ \t]+(?:the[ \t]+)?(?:next[ \t]+)?(?:a[ \t]+period[ \t]+of[ \t]+)?{_NUM_WORD}"
    r"[ \t]+(?:financial[ \t]+)?years?"
    rf"|for[ \t]+(?:a[ \t]+period[ \t]+of[ \t]+)?{_NUM_WORD}[ \t]+years?"
    r"|(?:over|for)[ \t]+the[ \t]+(?:life|lifetime)[ \t]+of[ \t]+the[ \t]+\w+)",
    re.I,
)
QUALIFIER = re.compile(
    r"(?P<q>in excess of|more than|over|up to|a maximum(?: value)? of|maximum(?: value)? of"
    r"|around|approximately|approx\.?|about|circa|c\.|at least|less than|under|nearly|almost)"
    r"\s*$",
    re.I,
)
THRESHOLD = re.compile(r"^\s*(?:or|and)\s+(?:more|above|over|greater)\b", re.I)
# "increased ... from £20,000 to £45,000": the first figure is what it used to be; so is one
# introduced as a past or comparison figure ("up from £40k", "compared with £40k", "last
# year's £40k", "previously £40k").
PREVIOUS_BEFORE = re.compile(r"\bfrom\s*$", re.I)
PREVIOUS_AFTER = re.compile(r"^\s*to\s+£", re.I)
PREVIOUS_CUE = re.compile(
    r"\b(?:(?:up|down)\s+from|compared\s+(?:with|to)|previously(?:\s+(?:at|of))?"
    r"|(?:last|previous|prior)\s+year['’]?s?)\s*$",
    re.I,
)
BETWEEN = re.compile(r"between\s+$", re.I)


@dataclass(frozen=True)
class Amount:
    start: int
    end: int
    text: str
    pence: int
    pence_max: int | None = None  # upper end of a range
    period: str | None = None
    qualifier: str | None = None
    threshold: bool = False
    previous: bool = False  # the figure a change starts from

    @property
    def pounds(self) -> str:
        return f"{Decimal(self.pence) / 100:.2f}"


def to_pence(number: str, decimals: str | None, unit: str | None) -> int:
    """'1, 002,318' -> 100231800; ('1', '2', 'm') -> 120000000."""
    digits = re.sub(r"[,\s]", "", number)
    value = Decimal(f"{digits}.{decimals}" if decimals else digits)
    multiplier = MULTIPLIER.get((unit or "").strip().lower(), 1)
    return int(value * multiplier * 100)


def _amount(text: str, m: re.Match) -> Amount:
    unit2 = m.group("unit2")
    unit = m.group("unit") or (unit2 if m.group("num2") else None)
    pence = to_pence(m.group("num"), m.group("dec"), unit)
    high = to_pence(m.group("num2"), m.group("dec2"), unit2 or unit) if m.group("num2") else None
    after = text[m.end() : m.end() + 60]
    period = PERIOD.match(after)
    qualifier = QUALIFIER.search(text[max(0, m.start() - 30) : m.start()])
    return Amount(
        start=m.start(),
        end=m.end(),
        text=m.group(0),
        pence=pence,
        pence_max=high,
        period=re.sub(r"\s+", " ", period.group("period")).lower() if period else None,
        qualifier=qualifier.group("q").lower() if qualifier else None,
        threshold=bool(THRESHOLD.match(after)),
        previous=bool(
            PREVIOUS_BEFORE.search(text[max(0, m.start() - 10) : m.start()])
            and PREVIOUS_AFTER.match(after)
            or PREVIOUS_CUE.search(text[max(0, m.start() - 30) : m.start()])
        ),
    )


def _merge_between(text: str, amounts: list[Amount]) -> list[Amount]:
    """'between £10,000 and £20,000' is one range."""
    merged: list[Amount] = []
    for a in amounts:
        prev = merged[-1] if merged else None
        if (
            prev
            and re.fullmatch(r"\s+and\s+", text[prev.end : a.start])
            and BETWEEN.search(text[max(0, prev.start - 10) : prev.start])
        ):
            merged[-1] = Amount(
                prev.start, a.end, text[prev.start : a.end], prev.pence, a.pence, a.period
            )
        else:
            merged.append(a)
    return merged


def find_amounts(text: str, start: int = 0, end: int | None = None) -> list[Amount]:
    """Sums of money in ``text[start:end]``, with offsets into ``text``."""
    end = len(text) if end is None else end
    found = [_amount(text, m) for m in AMOUNT.finditer(text, start, end)]
    return _merge_between(text, found)
