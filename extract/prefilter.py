"""Literal strings that every match of a regular expression contains, so that texts lacking
all of them can be skipped without running the expression.

Most sentences name no funding stream, yet deciding so with the vocabulary's one union
pattern costs a try of ~50 alternatives at every character (a third of fact extraction's
time). ``family hubs? (?:grant|fund)`` can only match where "family hub" occurs, and a
substring test is a fast scan. The strings are read from the pattern's parse tree, as
Python's ``re`` module parses it, so they stay right when the vocabulary changes; a pattern
they cannot be read from (no literal it must contain, or a construct not handled here)
gives ``None``, and the caller then always runs it.

Comparison is on ``str.casefold()`` of both sides, which is at least as loose as
``re.IGNORECASE`` ("K" and the Kelvin sign, "s" and the long s fold alike), so a literal
that must match case-sensitively is still found.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from re import _constants as sre  # the parser's node types; stable across 3.11 to 3.13
from re import _parser as sre_parse

Literals = frozenset[str]


def required_literals(pattern: str, flags: int = 0) -> Literals | None:
    """Case-folded strings at least one of which is in every match, or None if unknown."""
    try:
        tree = sre_parse.parse(pattern, flags)
    except (re.error, RecursionError):
        return None
    return _sequence(tree.data)


def _sequence(items: Iterable[tuple]) -> Literals | None:
    """Every item of a sequence must match, so any one item's requirement holds for the
    whole: keep the one whose shortest string is longest (the most selective)."""
    options: list[Literals] = []
    run = ""
    for op, arg in items:
        if op is sre.LITERAL:
            run += chr(arg)
            continue
        if run:
            options.append(frozenset({run.casefold()}))
            run = ""
        if (need := _item(op, arg)) is not None:
            options.append(need)
    if run:
        options.append(frozenset({run.casefold()}))
    return max(options, key=lambda need: min(map(len, need)), default=None)


def _item(op: object, arg: object) -> Literals | None:
    if op is sre.SUBPATTERN:  # (group, add_flags, del_flags, pattern)
        return _sequence(arg[-1].data)
    if op is sre.BRANCH:  # one alternative must match: any of their requirements
        needs = [_sequence(alternative.data) for alternative in arg[1]]
        if any(need is None for need in needs):
            return None
        return frozenset().union(*needs)
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        low, _high, body = arg
        return _sequence(body.data) if low >= 1 else None
    return None  # classes, anchors, lookarounds, backreferences: nothing required


class Prefilter:
    """Whether a text could match any of ``patterns``: False only when it certainly cannot."""

    def __init__(self, patterns: Iterable[re.Pattern]) -> None:
        needs = [required_literals(p.pattern, p.flags) for p in patterns]
        self.literals: tuple[str, ...] | None = None
        self._any: re.Pattern | None = None
        if all(need is not None for need in needs):
            found = set().union(*needs)
            # A text holding "funding" holds "fund": only the innermost strings are tested.
            self.literals = tuple(
                sorted(s for s in found if not any(t != s and t in s for t in found))
            )
            self._any = re.compile("|".join(map(re.escape, self.literals)) or "(?!)")

    def may_match(self, text: str) -> bool:
        return self._any is None or self._any.search(text.casefold()) is not None
