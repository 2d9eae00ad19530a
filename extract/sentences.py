"""Sentence spans over a document's text, with offsets into that exact text.

Public-sector pages mix prose, hard-wrapped prose and "label\\nvalue" lines without full stops.
A block is a run of lines that belong together: a line joins the next one when it does not end
a sentence and either the next line starts in lower case or both lines are long (hard-wrapped
prose). Short lines without punctuation (labels, values, headings) stand alone. Blocks are then
split at sentence-final punctuation, except after abbreviations, initials and inside numbers.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass

ABBREVIATIONS = frozenset(
    [
        "st",
        "ltd",
        "no",
        "nos",
        "dr",
        "mr",
        "mrs",
        "ms",
        "mx",
        "cllr",
        "prof",
        "co",
        "inc",
        "plc",
        "e.g",
        "eg",
        "i.e",
        "ie",
        "approx",
        "para",
        "paras",
        "ref",
        "vs",
        "v",
        "dept",
        "govt",
        "est",
        "fig",
        "vol",
        "pp",
        "cf",
        "al",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "rev",
        "hon",
        "capt",
        "sgt",
        "lt",
        "col",
        "gen",
        "ave",
        "rd",
    ]
)
TERMINAL = ".!?;:"
WRAP_LENGTH = 55  # a line at least this long without final punctuation is hard-wrapped prose
_BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+[\"'“‘(£•\-–]?[A-Z0-9])")


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int


def _lines(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each line with surrounding whitespace trimmed; (-1, -1) for blank lines."""
    offset = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            start = offset + len(line) - len(line.lstrip())
            yield (start, start + len(stripped))
        else:
            yield (-1, -1)
        offset += len(line) + 1


def _joins(text: str, prev: tuple[int, int], nxt: tuple[int, int]) -> bool:
    last = text[prev[1] - 1]
    if last in TERMINAL:
        return False
    first = text[nxt[0]]
    if first.islower():
        return True
    return prev[1] - prev[0] >= WRAP_LENGTH and nxt[1] - nxt[0] >= WRAP_LENGTH // 2


def _blocks(text: str) -> Iterator[tuple[int, int]]:
    current: tuple[int, int] | None = None
    last_line: tuple[int, int] | None = None
    for line in _lines(text):
        if line[0] < 0:
            if current:
                yield current
            current = last_line = None
            continue
        if current and last_line and _joins(text, last_line, line):
            current = (current[0], line[1])
        else:
            if current:
                yield current
            current = line
        last_line = line
    if current:
        yield current


def _is_abbreviation(text: str, dot: int) -> bool:
    """True when the full stop at ``dot`` ends an abbreviation or an initial."""
    match = re.search(r"([A-Za-z][A-Za-z.]*)$", text[max(0, dot - 12) : dot])
    if not match:
        return False
    word = match.group(1)
    return word.lower().rstrip(".") in ABBREVIATIONS or (len(word) == 1 and word.isupper())


def _split_block(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    block = text[start:end]
    cursor = 0
    for match in _BOUNDARY.finditer(block):
        if _is_abbreviation(block, match.start()):
            continue
        yield (start + cursor, start + match.end())
        cursor = match.end()
        while cursor < len(block) and block[cursor].isspace():
            cursor += 1
    if cursor < len(block):
        yield (start + cursor, end)


def sentence_spans(text: str) -> tuple[Sentence, ...]:
    """All sentences of ``text`` in order; ``text[s.start:s.end]`` is the sentence, trimmed."""
    spans = []
    for block_start, block_end in _blocks(text):
        for start, end in _split_block(text, block_start, block_end):
            if text[start:end].strip():
                spans.append(Sentence(start, end))
    return tuple(spans)


class SentenceIndex:
    """Finds the sentence holding an offset (binary search over sentence starts)."""

    def __init__(self, sentences: tuple[Sentence, ...]) -> None:
        self.sentences = sentences
        self._starts = [s.start for s in sentences]

    def at(self, offset: int) -> Sentence | None:
        i = bisect.bisect_right(self._starts, offset) - 1
        if i >= 0 and self.sentences[i].start <= offset < self.sentences[i].end:
            return self.sentences[i]
        return None

    def position(self, sentence: Sentence) -> int:
        return bisect.bisect_left(self._starts, sentence.start)
