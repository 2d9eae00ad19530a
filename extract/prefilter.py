"""Literal strings that every match of a regular expression contains, so that texts lacking
all of them can be skipped without running the expression.

Most sentences name no funding stream, yet deciding so with the vocabulary's one union
pattern costs a try of ~50 alternatives at every character (a third of fact extraction's
time). ``family hubs? (?:grant|fund)`` can only match where "family hub" occurs, and a
search for a few plain strings is a fast scan. The strings are read from the pattern's parse
tree, as Python's ``re`` module parses it, so they stay right when the vocabulary changes; a
pattern they cannot be read from (no literal it must contain, or a construct not handled
here) gives ``None``, and the caller then always runs it.

The strings are matched ignoring case, at least as loosely as ``re.IGNORECASE`` matches the
patterns themselves, so a literal that must match case-sensitively is still found. ASCII
strings are searched for in the case-folded text, with the two letters that re.IGNORECASE
equates with "i" and casefold() does not ("ı", "İ") mapped to it first; other strings with
``re.IGNORECASE`` itself, which is slower.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

try:  # re's own parser and node types: private, but stable from 3.11 to 3.13
    from re import _constants as sre
    from re import _parser as sre_parse
except ImportError:  # a Python that moved them: no literals are known, every pattern runs
    sre = sre_parse = None

Literals = frozenset[str]


def required_literals(pattern: str, flags: int = 0) -> Literals | None:
    """Strings (as the pattern writes them) at least one of which every match holds, matched
    ignoring case; None if unknown."""
    if sre_parse is None:
        return None
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
            options.append(frozenset({run}))
            run = ""
        if (need := _item(op, arg)) is not None:
            options.append(need)
    if run:
        options.append(frozenset({run}))
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
        self._ascii = True
        if all(need is not None for need in needs):
            found = set().union(*needs)
            # A text holding "funding" holds "fund": only the innermost strings are tested.
            self.literals = tuple(sorted(s for s in found if not any(_inside(t, s) for t in found)))
            self._ascii = all(s.isascii() for s in self.literals)
            union = "|".join(map(re.escape, self.literals)) or "(?!)"
            self._any = re.compile(
                union.lower() if self._ascii else union, 0 if self._ascii else re.I
            )

    def may_match(self, text: str) -> bool:
        if self._any is None:
            return True
        if self._ascii:  # the fast way, exact for ASCII literals: one lower-cased scan
            text = text.translate(_TO_ASCII_I).casefold()
        return self._any.search(text) is not None


# Under re.IGNORECASE an ASCII letter matches these, which casefold() does not make ASCII
# (it makes the Kelvin sign "k" and the long s "s" already).
_TO_ASCII_I = str.maketrans({"ı": "i", "İ": "i"})


def _inside(inner: str, outer: str) -> bool:
    """Whether any text matching ``outer`` (ignoring case) holds a match of ``inner``: sure
    for ASCII strings; other strings are kept rather than reasoned about."""
    return inner != outer and inner.isascii() and outer.isascii() and inner.lower() in outer.lower()
