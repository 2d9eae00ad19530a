"""Plain records passed between the pure indexing steps: load -> chunk -> embed -> store."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


class LoadError(Exception):
    """A file could not be turned into text. The message names the file and the reason."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}")


@dataclass(frozen=True)
class LoadedDocument:
    """The text of one file, with where its pages and headings sit in that text.

    ``page_starts[i]`` is the character offset where page ``i + 1`` begins; unpaged formats
    have one page starting at 0. ``headings`` are (start, end) spans of heading lines that the
    format marks as such (HTML h1-h6, DOCX heading styles, Markdown ``#``); the chunker adds
    its own guesses for plain text.
    """

    source: Path
    format: str
    text: str
    page_starts: tuple[int, ...] = (0,)
    empty_pages: tuple[int, ...] = ()
    title: str | None = None
    headings: tuple[tuple[int, int], ...] = ()

    @property
    def page_count(self) -> int:
        return len(self.page_starts)

    def page_at(self, offset: int) -> int:
        """1-based page number holding character ``offset``."""
        return max(1, bisect.bisect_right(self.page_starts, offset))


@dataclass(frozen=True)
class Chunk:
    """A window of a document's text: ``text == document_text[start:end]`` always."""

    doc_id: str
    ordinal: int
    start: int
    end: int
    text: str
    page: int
    page_end: int
    section: str | None
    token_count: int
    # Its sentences' token ids, joined, where only whitespace lies between them (else None):
    # the ids of ``text`` itself for a tokenizer that splits at whitespace first
    # (``Embedder.reuses_token_ids``), so the embedder need not tokenise it again.
    token_ids: np.ndarray | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class DocumentMeta:
    """Metadata for one document: from the corpus manifest, else from the file itself."""

    title: str | None = None
    organisation: str | None = None
    doc_type: str | None = None
    date: str | None = None
    decision_ref: str | None = None
    source_url: str | None = None
    extra: dict = field(default_factory=dict)
