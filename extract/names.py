"""Name normalisation and a token index that finds known names (with all variants) in text.

Names are compared as token sequences: lower case, accents folded, "&" read as "and", and
punctuation (the "." of "St.", hyphens, apostrophes, commas) ignored, so "St. Helens",
"St Helens" and "ST HELENS" are the same key. Matching in text is exact on those keys, longest
first; the first token must be capitalised in the text, and acronyms must match their case.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, NamedTuple, TypeVar

T = TypeVar("T")

_TOKEN = re.compile(r"[^\W_]+|&")
_SPLIT = re.compile(r"([^\W_]+|&)")  # ``_TOKEN``, kept by re.split between the gaps
_GAP = re.compile(r"[\s.,'’\-–]*")
MAX_GAP = 4  # characters between tokens of one name ("St. " or ",\n")


class Token(NamedTuple):  # a tuple: a document has thousands, made in one pass
    norm: str
    start: int
    end: int


def fold(word: str) -> str:
    """Lower case without accents; "&" becomes "and"."""
    if word == "&":
        return "and"
    if word.isascii():  # nearly every word: nothing to fold but case
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def tokens(text: str) -> list[Token]:
    lower = text.lower()
    if len(lower) != len(text):  # a letter that lower-cases to two ("İ"): offsets would move
        return [Token(fold(m.group()), *m.span()) for m in _TOKEN.finditer(text)]
    # Split once, with no Python step per token: the gaps' and tokens' lengths give offsets.
    pieces = _SPLIT.split(lower)  # gap, token, gap, token, ..., gap
    offsets = list(itertools.accumulate(map(len, pieces), initial=0))
    norms, starts, ends = pieces[1::2], offsets[1:-1:2], offsets[2::2]
    if "&" in text or not text.isascii():
        # Lower-casing the text once is what ``fold`` does to an ASCII word; the rest
        # (accented words and "&") are folded one by one from the text as written, since
        # lower-casing a whole text can choose another letter than a word alone would
        # (Greek final sigma).
        norms = [
            w if w.isascii() and w != "&" else fold(text[a:b])
            for w, a, b in zip(norms, starts, ends, strict=True)
        ]
    rows = zip(norms, starts, ends, strict=True)
    return list(map(tuple.__new__, itertools.repeat(Token), rows))  # Token(*row), in C


def name_key(name: str) -> tuple[str, ...]:
    return tuple(t.norm for t in tokens(name))


def normalise_name(name: str) -> str:
    """A comparable form: no leading "the", no parenthetical, folded tokens joined by spaces."""
    name = re.sub(r"\([^)]*\)", " ", name)
    key = name_key(name)
    if key and key[0] == "the":
        key = key[1:]
    return " ".join(key)


def is_acronym(variant: str) -> bool:
    letters = re.sub(r"[^A-Za-z]", "", variant)
    return 2 <= len(letters) <= 6 and sum(c.isupper() for c in letters) >= len(letters) - 1


@dataclass(frozen=True)
class NameHit(Generic[T]):
    entry: T
    start: int
    end: int
    variant: str


class NameIndex(Generic[T]):
    """Maps every variant's token key to its entries; finds the longest known names in text."""

    def __init__(self, pairs: Iterable[tuple[str, T]]) -> None:
        self._keys: dict[tuple[str, ...], list[tuple[str, T]]] = {}
        for variant, entry in pairs:
            key = name_key(variant)
            if key:
                self._keys.setdefault(key, []).append((variant, entry))
        # Every proper prefix of a key: the scan in ``_longest_at`` stops growing a window as
        # soon as no name starts with it, instead of trying every length at every token.
        self._prefixes = {key[:n] for key in self._keys for n in range(1, len(key))}
        # First tokens of names that may start in lower case (an acronym such as "iCB"): any
        # other name needs a capital or digit where it starts (``_case_ok``).
        self._lower_starts = {
            key[0]
            for key, pairs in self._keys.items()
            if any(is_acronym(v) and not _opens_upper(v) for v, _ in pairs)
        }

    def lookup(self, name: str) -> list[T]:
        return [entry for _, entry in self._keys.get(name_key(name), [])]

    def variants(self) -> Iterator[tuple[str, T]]:
        for pairs in self._keys.values():
            yield from pairs

    def find(self, text: str, toks: list[Token] | None = None) -> list[NameHit[T]]:
        """The longest known names in ``text``; ``toks`` are its tokens when the caller has
        them already (one text is searched for councils and for other bodies)."""
        toks = tokens(text) if toks is None else toks
        hits: list[NameHit[T]] = []
        lower_starts = self._lower_starts
        # A token that starts with a lower-case letter, as most do, starts no name.
        starts = [
            i
            for i, (norm, start, _) in enumerate(toks)
            if not text[start].islower() or norm in lower_starts
        ]
        free = 0  # the first token not inside a name already found
        for i in starts:
            if i >= free and (hit := self._longest_at(text, toks, i)) is not None:
                hits.append(hit[0])
                free = i + hit[1]
        return hits

    def _longest_at(self, text: str, toks: list[Token], i: int) -> tuple[NameHit[T], int] | None:
        lengths: list[int] = []  # window lengths at i that spell a known key
        key: tuple[str, ...] = ()
        for tok in toks[i:]:
            key += (tok.norm,)
            if key in self._keys:
                lengths.append(len(key))
            if key not in self._prefixes:
                break
        for length in reversed(lengths):  # longest first
            window = toks[i : i + length]
            if not _contiguous(text, window):
                continue
            surface = text[window[0].start : window[-1].end]
            for variant, entry in self._keys[tuple(t.norm for t in window)]:
                if _case_ok(variant, surface):
                    return NameHit(entry, window[0].start, window[-1].end, variant), length
        return None


def _contiguous(text: str, window: list[Token]) -> bool:
    for left, right in zip(window, window[1:], strict=False):
        gap = text[left.end : right.start]
        if len(gap) > MAX_GAP or gap.count("\n") > 1 or not _GAP.fullmatch(gap):
            return False
    return True


def _opens_upper(variant: str) -> bool:
    letters = re.sub(r"\W", "", variant)
    return bool(letters) and (letters[0].isupper() or letters[0].isdigit())


def _case_ok(variant: str, surface: str) -> bool:
    if is_acronym(variant):
        return re.sub(r"\W", "", surface) == re.sub(r"\W", "", variant)
    return surface[0].isupper() or surface[0].isdigit()
