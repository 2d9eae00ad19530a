"""Funding streams named in a text, from the controlled vocabulary in
``extract/data/funding_streams.yaml``, and the sums of money that go with them.

Within one sentence the first stream (in vocabulary order) to match a span wins it; a
sentence holding a negative cue ("No funding has been identified") yields no stream. A
capitalised "... Fund/Funding/Grant" name that no stream matches is reported as ``other``
with its text. An amount is attached to the nearest stream of its own sentence, or, when the
sentence is only the figure (a table cell or "label\\nvalue" line), to the line before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import yaml
from rapidfuzz import fuzz

from extract.gazetteer import data_path, load_gazetteer
from extract.money import Amount
from extract.sentences import Sentence, SentenceIndex

OTHER = "other"
SAME_FUND = 85  # rapidfuzz token_set_ratio above which two fund names are the same fund
_OTHER_NAME = re.compile(
    r"\b[A-Z][\w’'\-]*(?:[ \t]+(?:[A-Z][\w’'\-]*|and|&|of|for|to)){0,8}?"
    r"[ \t]+(?:Fund|Funding|Grant)\b"
)
_LEADING_NOUN = re.compile(r"^(?:The |This |(?:[A-Z]\w*(?:tion|ment)|Use) of )")


@dataclass(frozen=True)
class Stream:
    id: str
    label: str
    patterns: tuple[re.Pattern, ...]
    with_cue: tuple[re.Pattern, ...]
    generic: bool = False


@dataclass(frozen=True)
class Vocabulary:
    streams: tuple[Stream, ...]
    money_cue: re.Pattern
    negative: tuple[re.Pattern, ...]

    def label(self, stream_id: str) -> str:
        return next((s.label for s in self.streams if s.id == stream_id), "Other")


@dataclass(frozen=True)
class FundingMention:
    stream: str
    start: int
    end: int
    text: str
    other: str | None = None  # the fund's own name when ``stream == "other"``


def _compile(patterns: list[str] | None) -> tuple[re.Pattern, ...]:
    return tuple(re.compile(p, re.I) for p in patterns or ())


@lru_cache(maxsize=1)
def load_vocabulary() -> Vocabulary:
    """The bundled funding vocabulary, read once per process."""
    raw = yaml.safe_load(data_path("funding_streams.yaml").read_text(encoding="utf-8"))
    streams = tuple(
        Stream(
            s["id"],
            s["label"],
            _compile(s.get("patterns")),
            _compile(s.get("with_cue")),
            bool(s.get("generic")),
        )
        for s in raw["streams"]
    )
    return Vocabulary(streams, re.compile(raw["money_cues"], re.I), _compile(raw["negative_cues"]))


def is_negative(sentence: str, vocab: Vocabulary | None = None) -> bool:
    vocab = vocab or load_vocabulary()
    return any(p.search(sentence) for p in vocab.negative)


def _free(taken: list[tuple[int, int]], start: int, end: int) -> bool:
    return all(end <= s or start >= e for s, e in taken)


def _other_name(surface: str) -> str:
    name = re.sub(r"\s+", " ", surface)
    while (trimmed := _LEADING_NOUN.sub("", name)) != name:
        name = trimmed
    return re.sub(r"['’]s\b", "", name)


def match_streams(
    text: str, start: int = 0, end: int | None = None, assume_cue: bool = False
) -> list[FundingMention]:
    """Stream mentions in one sentence ``text[start:end]`` (offsets into ``text``)."""
    vocab = load_vocabulary()
    end = len(text) if end is None else end
    sentence = text[start:end]
    if is_negative(sentence, vocab):
        return []
    cue = assume_cue or bool(vocab.money_cue.search(sentence))
    taken: list[tuple[int, int]] = []
    found: list[FundingMention] = []
    for stream in vocab.streams:
        for pattern in stream.patterns + (stream.with_cue if cue else ()):
            for m in pattern.finditer(sentence):
                if m.end() > m.start() and _free(taken, m.start(), m.end()):
                    taken.append((m.start(), m.end()))
                    found.append(
                        FundingMention(stream.id, start + m.start(), start + m.end(), m.group())
                    )
    for m in _OTHER_NAME.finditer(sentence):
        name = _other_name(m.group())
        if cue and _free(taken, m.start(), m.end()) and len(name.split()) >= 2:
            found.append(FundingMention(OTHER, start + m.start(), start + m.end(), m.group(), name))
    generic = {s.id for s in vocab.streams if s.generic}
    if any(f.stream not in generic for f in found):
        found = [f for f in found if f.stream not in generic]
    return sorted(found, key=lambda f: f.start)


def find_funding(text: str, sentences: tuple[Sentence, ...]) -> list[FundingMention]:
    """Every funding-stream mention in the document, sentence by sentence."""
    return [f for s in sentences for f in match_streams(text, s.start, s.end)]


def stream_key(mention: FundingMention) -> str:
    """A stream id, or ``other:<name>`` for funds outside the vocabulary."""
    return f"{OTHER}:{mention.other}" if mention.stream == OTHER else mention.stream


def same_funds(keys: list[str]) -> list[str]:
    """Keys with near-identical ``other:`` names merged ("... Dev Fund" and "...
    Development Fund"), keeping the first."""
    kept: list[str] = []
    for key in keys:
        if key.startswith(f"{OTHER}:") and any(
            k.startswith(f"{OTHER}:") and fuzz.token_set_ratio(k, key) >= SAME_FUND for k in kept
        ):
            continue
        kept.append(key)
    return kept


def classify_funding_text(description: str) -> list[str]:
    """Stream keys for a free-text funding description (e.g. a gold label), same matcher."""
    plain = re.sub(r"\([^)]*\)", " ", description).strip()
    keys = [stream_key(m) for m in match_streams(plain, assume_cue=True)]
    if not keys:
        keys = [stream_key(m) for m in match_streams(description, assume_cue=True)]
    if not keys and load_gazetteer().resolve(plain):
        keys = ["council_core"]
    return list(dict.fromkeys(keys))


def _nearest(mentions: list[FundingMention], amount: Amount) -> FundingMention:
    return min(mentions, key=lambda f: min(abs(f.start - amount.end), abs(amount.start - f.end)))


def attach_amounts(
    text: str, amounts: list[Amount], mentions: list[FundingMention], index: SentenceIndex
) -> dict[int, FundingMention]:
    """For each amount (by start offset), the funding mention it belongs to, if any: the
    nearest stream of its own sentence; for a figure standing alone (table cell, value line)
    the stream of the line before; otherwise a stream of one of the two sentences before it
    in the same paragraph ("The plan went to the Scottish Government. It raises the
    allocation to £20,000.")."""
    by_sentence: dict[int, list[FundingMention]] = {}
    for f in mentions:
        if (s := index.at(f.start)) is not None:
            by_sentence.setdefault(s.start, []).append(f)
    attached: dict[int, FundingMention] = {}
    for a in amounts:
        sentence = index.at(a.start)
        if sentence is None:
            continue
        if own := by_sentence.get(sentence.start):
            attached[a.start] = _nearest(own, a)
            continue
        for prev in _before(text, index, sentence, 1 if _only_figure(text, sentence, a) else 2):
            if before := by_sentence.get(prev.start):
                attached[a.start] = _nearest(before, a)
                break
    return attached


def _only_figure(text: str, sentence: Sentence, amount: Amount) -> bool:
    rest = text[sentence.start : amount.start] + text[amount.end : sentence.end]
    return len(re.sub(r"[\W_]", "", rest)) <= 3


def _before(text: str, index: SentenceIndex, sentence: Sentence, count: int) -> list[Sentence]:
    """Up to ``count`` sentences before ``sentence``, nearest first; a lone figure may look
    across a blank line to its label, other sentences stay within their paragraph."""
    i = index.position(sentence)
    found: list[Sentence] = []
    later = sentence
    for prev in reversed(index.sentences[max(0, i - count) : i]):
        if count > 1 and re.search(r"\n\s*\n", text[prev.end : later.start]):
            break
        found.append(prev)
        later = prev
    return found
