"""Funding streams named in a text, from the controlled vocabulary in
``extract/data/funding_streams.yaml``, and the sums of money that go with them.

Within one sentence the first stream (in vocabulary order) to match a span wins it; a
sentence holding a negative cue ("No funding has been identified") yields no stream. A body
named as a funder ("funded by the VRU", "the VRU has committed £90,000") is a stream; the same
body as recipient or actor ("secured by the OPCC", "the Director of the VRU", "the VRU is
allocating Mayoral funding") is not. A capitalised "... Fund/Funding/Grant" name that no stream
matches is reported as ``other`` with its text. An amount is attached to the nearest stream of
its own sentence, or, when the sentence is only the figure (a table cell or "label\\nvalue"
line), to the line before it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import yaml
from rapidfuzz import fuzz

from extract.gazetteer import data_path, load_gazetteer
from extract.money import Amount
from extract.prefilter import Prefilter
from extract.sentences import Sentence, SentenceIndex

OTHER = "other"
SAME_FUND = 85  # rapidfuzz token_set_ratio above which two fund names are the same fund
_OTHER_NAME = re.compile(
    r"\b[A-Z][\w’'\-]*(?:[ \t]+(?:[A-Z][\w’'\-]*|and|&|of|for|to)){0,8}?"
    r"[ \t]+(?:Fund|Funding|Grant)\b"
)
_FUND_WORD = re.compile(r"[ \t](?:Fund|Funding|Grant)\b")  # every _OTHER_NAME match holds one
_LEADING_NOUN = re.compile(r"^(?:The |This |(?:[A-Z]\w*(?:tion|ment)|Use) of )")


@dataclass(frozen=True)
class Stream:
    id: str
    label: str
    patterns: tuple[re.Pattern, ...]
    with_cue: tuple[re.Pattern, ...]
    generic: bool = False
    as_funder: tuple[re.Pattern, ...] = ()

    @property
    def all_patterns(self) -> tuple[re.Pattern, ...]:
        return self.patterns + self.with_cue + self.as_funder


@dataclass(frozen=True)
class Vocabulary:
    streams: tuple[Stream, ...]
    money_cue: re.Pattern
    negative: re.Pattern  # any negative cue (one pattern: it runs on every sentence)
    funder_before: re.Pattern
    funder_after: re.Pattern
    conduit_after: re.Pattern
    # Matches wherever any stream's pattern could: most sentences name no stream, and one
    # search rules that out where ~50 separate ones would.
    any_stream: re.Pattern
    # Substrings a sentence must hold for ``any_stream`` to match: a cheaper test first.
    stream_literals: Prefilter

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
            _compile(s.get("as_funder")),
        )
        for s in raw["streams"]
    )
    patterns = [p for s in streams for p in s.all_patterns]
    return Vocabulary(
        streams,
        re.compile(raw["money_cues"], re.I),
        _union(_compile(raw["negative_cues"])),
        *(re.compile(raw[k], re.I) for k in ("funder_before", "funder_after", "conduit_after")),
        _union(patterns),
        Prefilter(patterns),
    )


def _union(patterns: list[re.Pattern] | tuple[re.Pattern, ...]) -> re.Pattern:
    """One case-insensitive pattern matching wherever any of ``patterns`` would. Groups
    would be renumbered and global flags refused inside it, so the vocabulary has neither."""
    for p in patterns:
        if p.groups or re.match(r"\(\?[aiLmsux]+\)", p.pattern):
            raise ValueError(f"funding pattern {p.pattern!r}: no groups or inline flags")
    return re.compile("|".join(f"(?:{p.pattern})" for p in patterns) or "(?!)", re.I)


def is_negative(sentence: str, vocab: Vocabulary | None = None) -> bool:
    vocab = vocab or load_vocabulary()
    return bool(vocab.negative.search(sentence))


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
    named = vocab.stream_literals.may_match(sentence) and vocab.any_stream.search(sentence)
    # Most sentences name no stream and no fund: the cue and negation scans are skipped.
    if not named and not _FUND_WORD.search(sentence):
        return []
    if is_negative(sentence, vocab):
        return []
    cue = assume_cue or bool(vocab.money_cue.search(sentence))
    taken: list[tuple[int, int]] = []
    found: list[FundingMention] = []
    bodies: list[FundingMention] = []
    streams = vocab.streams if named else ()
    for stream in streams:
        for pattern in stream.patterns + (stream.with_cue if cue else ()) + stream.as_funder:
            for m in pattern.finditer(sentence):
                if m.end() > m.start() and _free(taken, m.start(), m.end()):
                    taken.append((m.start(), m.end()))
                    mention = FundingMention(
                        stream.id, start + m.start(), start + m.end(), m.group()
                    )
                    found.append(mention)
                    if pattern in stream.as_funder:
                        bodies.append(mention)
    for m in _other_names(sentence, taken) if cue else ():
        name = _other_name(m.group())
        if len(name.split()) >= 2:
            found.append(FundingMention(OTHER, start + m.start(), start + m.end(), m.group(), name))
    if not assume_cue:
        found = [f for f in found if f not in bodies or _pays(text, start, end, f, found, vocab)]
    generic = {s.id for s in vocab.streams if s.generic}
    if any(f.stream not in generic for f in found):
        found = [f for f in found if f.stream not in generic]
    return sorted(found, key=lambda f: f.start)


def _other_names(sentence: str, taken: list[tuple[int, int]]) -> Iterator[re.Match]:
    """Capitalised fund names clear of the spans streams took; a name that runs on from a
    stream's span through a possessive is read again after it ("The Scottish Government's
    Whole Family Wellbeing Fund" gives "Whole Family Wellbeing Fund"; "a Welsh Government
    Specific Grant" stays the Welsh Government's)."""
    pos = 0
    while m := _OTHER_NAME.search(sentence, pos):
        clash = max((e for s, e in taken if not (m.end() <= s or m.start() >= e)), default=None)
        if clash is None:
            yield m
            pos = m.end()
        elif clash < m.end() and re.match(r"['’]s\s", sentence[clash:]):
            pos = clash + 2
        else:
            pos = m.end()


def _pays(
    text: str,
    start: int,
    end: int,
    body: FundingMention,
    found: list[FundingMention],
    vocab: Vocabulary,
) -> bool:
    """Whether the words around a body's name cast it as paying, not as passing on another
    stream named right after it ("X is allocating Mayoral approved funding")."""
    before = text[max(start, body.start - 60) : body.start]
    after = text[body.end : min(end, body.end + 80)]
    conduit = vocab.conduit_after.match(after)
    if conduit and any(f is not body and f.start == body.end + conduit.end() for f in found):
        return False
    return bool(vocab.funder_before.search(before) or vocab.funder_after.match(after))


def find_funding(text: str, sentences: tuple[Sentence, ...]) -> list[FundingMention]:
    """Every funding-stream mention in the document, sentence by sentence."""
    return [f for s in sentences for f in match_streams(text, s.start, s.end)]


def stream_key(mention: FundingMention) -> str:
    """A stream id, or ``other:<name>`` for funds outside the vocabulary."""
    return f"{OTHER}:{mention.other}" if mention.stream == OTHER else mention.stream


def stream_label(key: str) -> str:
    """What to show for a stream key: its label, or an ``other:`` fund's own name."""
    if key.startswith(f"{OTHER}:"):
        return key.removeprefix(f"{OTHER}:")
    return next((s.label for s in load_vocabulary().streams if s.id == key), key)


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
    allocation to £20,000."); otherwise, when its sentence refers back to a fund ("the
    allocation", "this funding"), the last stream named in the few sentences before."""
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
        alone = _only_figure(text, sentence, a)
        for prev in _before(text, index, sentence, 1 if alone else 2):
            if before := by_sentence.get(prev.start):
                attached[a.start] = _nearest(before, a)
                break
        else:
            refers = not alone and REFERENCE.search(text, sentence.start, sentence.end)
            if refers and (earlier := _last_named(index, sentence, by_sentence)):
                attached[a.start] = earlier
    return attached


# "the allocation", "this funding", "our £50m investment": a fund named before.
REFERENCE = re.compile(
    r"\b(?:the|this|that|these|its|our|their|such)\s+(?:[\w£.,]+\s+)?"
    r"(?:allocations?|funding|grant|investment|monies|money)\b",
    re.I,
)
REFERENCE_REACH = 6  # sentences


def _last_named(
    index: SentenceIndex, sentence: Sentence, by_sentence: dict[int, list[FundingMention]]
) -> FundingMention | None:
    i = index.position(sentence)
    for prev in reversed(index.sentences[max(0, i - REFERENCE_REACH) : i]):
        if named := by_sentence.get(prev.start):
            return named[-1]
    return None


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
