"""Structure-aware chunking: sections -> sentences -> token-bounded windows with overlap.

Every chunk is a span of the document text (``text[start:end]``), so citations and
highlights map straight back to the source. Windows never exceed the model's token limit,
counted with the model's own tokenizer, and keep the token ids counted (``Chunk.token_ids``).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from indexer.records import Chunk, LoadedDocument

# Each text's token ids, without the model's special tokens (``Embedder.token_ids``).
Tokenizer = Callable[[Sequence[str]], list[list[int]]]

# A sentence ends at . ! ? (optionally closed by a quote or bracket, which it keeps) followed
# by space and something that can start a sentence; a blank line always ends one.
_SENTENCE_END = re.compile(r"""(?<=[.!?])(["')\]]*)\s+(?=["'(\[£$€0-9A-Z•\-–])|\n\s*\n""")
_LINE = re.compile(r"[^\n]+")
# Between two units whose ids may join lies only whitespace as BERT's tokenizer reads it:
# tab, line breaks and Unicode's space separators. It drops other control characters that
# Python's str.isspace counts (vertical tab, form feed), which would join the two words.
_BREAKS = " \t\n\r"
_HEADING_WORDS = re.compile(r"^[A-Z][\w'’&/(),-]*(?: [\w'’&/(),-]+){0,9}:?$")


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int
    ids: list[int]  # its token ids
    heading: str | None  # set when this unit is a heading line

    @property
    def tokens(self) -> int:
        return len(self.ids)


def guess_headings(text: str) -> list[tuple[int, int]]:
    """Heading lines in plain text: short, capitalised, unpunctuated, before a longer line.

    Council documents are often label/value lines ("Financial implications" then prose);
    the next-line test keeps short values ("All wards") from being taken for headings.
    """
    lines = [(m.start(), m.end(), m.group().strip()) for m in _LINE.finditer(text)]
    found = []
    for (start, end, line), nxt in zip(lines, [*lines[1:], None], strict=True):
        if nxt is None or len(line) > 60 or not _HEADING_WORDS.match(line):
            continue
        following = nxt[2]
        if len(following) >= 60 or following.endswith((".", ":")):
            lead = len(text[start:end]) - len(text[start:end].lstrip())
            found.append((start + lead, start + lead + len(line)))
    return found


def _spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans of text[start:end], whitespace trimmed, none empty."""
    spans, pos = [], start
    for m in _SENTENCE_END.finditer(text, start, end):
        spans.append((pos, m.end(1) if m.group(1) is not None else m.start()))
        pos = m.end()
    spans.append((pos, end))
    out = []
    for a, b in spans:
        seg = text[a:b]
        a2 = a + len(seg) - len(seg.lstrip())
        b2 = b - (len(seg) - len(seg.rstrip()))
        if b2 > a2:
            out.append((a2, b2))
    return out


def _units(doc: LoadedDocument, tokenize: Tokenizer, max_tokens: int) -> list[_Unit]:
    """Headings and sentences in document order, each at most ``max_tokens`` long."""
    text = doc.text
    headings = sorted(set(doc.headings) | set(guess_headings(text)))
    bounds: list[tuple[int, int, bool]] = []
    pos = 0
    for h_start, h_end in headings:
        if h_start < pos:
            continue
        bounds += [(a, b, False) for a, b in _spans(text, pos, h_start)]
        bounds.append((h_start, h_end, True))
        pos = h_end
    bounds += [(a, b, False) for a, b in _spans(text, pos, len(text))]
    tokens = tokenize([text[a:b] for a, b, _ in bounds])
    units: list[_Unit] = []
    for (a, b, is_heading), ids in zip(bounds, tokens, strict=True):
        heading = " ".join(text[a:b].split()).rstrip(":") if is_heading else None
        if len(ids) <= max_tokens:
            units.append(_Unit(a, b, ids, heading))
        else:
            units += _split_long(text, a, b, tokenize, max_tokens)
    return units


def _split_long(text: str, start: int, end: int, tokenize: Tokenizer, limit: int) -> list[_Unit]:
    """Cut an over-long sentence at whitespace into pieces that fit the token limit."""
    pieces, todo = [], [(start, end)]
    while todo:
        a, b = todo.pop()
        ids = tokenize([text[a:b]])[0]
        if len(ids) <= limit:
            pieces.append(_Unit(a, b, ids, None))
            continue
        mid = (a + b) // 2
        cut = text.rfind(" ", a + 1, mid + 1)
        if cut <= a:
            cut = text.find(" ", mid, b - 1)
        if cut <= a:  # no whitespace at all: cut mid-token
            cut = mid
        left_end = cut
        right_start = cut + 1 if text[cut] == " " else cut
        todo += [(right_start, b), (a, left_end)]
    return pieces


def chunk_document(
    doc_id: str,
    doc: LoadedDocument,
    tokenize: Tokenizer,
    max_tokens: int,
    overlap_tokens: int = 32,
    min_section_tokens: int = 48,
) -> list[Chunk]:
    """Pack sentences into windows of at most ``max_tokens`` tokens.

    A heading starts a new window once the current one holds ``min_section_tokens``, so
    short label/value sections share a window instead of becoming tiny chunks. A window cut
    inside a section repeats up to ``overlap_tokens`` of trailing sentences in the next.
    """
    units = _units(doc, tokenize, max_tokens)
    windows: list[list[_Unit]] = []
    current: list[_Unit] = []
    for unit in units:
        size = sum(u.tokens for u in current)
        new_section = unit.heading is not None and size >= min_section_tokens
        if current and (new_section or size + unit.tokens > max_tokens):
            windows.append(current)
            current = (
                [] if new_section else _overlap(current, overlap_tokens, unit.tokens, max_tokens)
            )
        current.append(unit)
    if current:
        windows.append(current)
    return _to_chunks(doc_id, doc, units, windows)


def _overlap(window: list[_Unit], overlap: int, incoming: int, limit: int) -> list[_Unit]:
    kept: list[_Unit] = []
    for unit in reversed(window[1:]):
        total = sum(u.tokens for u in kept) + unit.tokens
        if unit.heading is not None or total > overlap or total + incoming > limit:
            break
        kept.insert(0, unit)
    return kept


def _to_chunks(
    doc_id: str, doc: LoadedDocument, units: list[_Unit], windows: list[list[_Unit]]
) -> list[Chunk]:
    section_at: dict[int, str | None] = {}
    section = None
    for unit in units:
        section = unit.heading if unit.heading is not None else section
        section_at[unit.start] = section
    chunks = []
    for ordinal, window in enumerate(windows):
        start, end = window[0].start, window[-1].end
        chunks.append(
            Chunk(
                doc_id=doc_id,
                ordinal=ordinal,
                start=start,
                end=end,
                text=doc.text[start:end],
                page=doc.page_at(start),
                page_end=doc.page_at(max(start, end - 1)),
                section=section_at[window[0].start],
                token_count=sum(u.tokens for u in window),
                token_ids=_joined_ids(doc.text, window),
            )
        )
    return chunks


def _joined_ids(text: str, window: list[_Unit]) -> np.ndarray | None:
    """The window's units' ids joined, if only whitespace lies between the units; else None
    (a heading the loader found running straight into its text, say). As int32: a tuple of
    Python ints takes about nine times the memory, and a run holds them until embedded."""
    for before, after in itertools.pairwise(window):
        gap = text[before.end : after.start]
        if not gap or not _is_break(gap):
            return None
    ids = np.fromiter(itertools.chain.from_iterable(u.ids for u in window), dtype=np.int32)
    ids.flags.writeable = False  # shared by the chunk's holders
    return ids


def _is_break(gap: str) -> bool:
    """Whether ``gap`` is all whitespace as BERT's tokenizer reads it. The first test is a
    fast path for the common gap, plain spaces and line breaks."""
    return not gap.strip(_BREAKS) or all(
        c in _BREAKS or unicodedata.category(c) in ("Zs", "Zl", "Zp") for c in gap
    )
