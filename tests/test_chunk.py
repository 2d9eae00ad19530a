from pathlib import Path

from indexer.chunk import chunk_document, guess_headings
from indexer.records import LoadedDocument
from tests.conftest import CORPUS


def _doc(text: str, **kw) -> LoadedDocument:
    return LoadedDocument(source=Path("x.txt"), format="txt", text=text, **kw)


def test_every_chunk_is_an_exact_span_within_the_token_limit(embedder):
    for path in sorted(CORPUS.glob("*.txt")):
        doc = _doc(path.read_text())
        chunks = chunk_document("d", doc, embedder.token_ids, embedder.max_tokens)
        assert chunks, path
        for chunk in chunks:
            assert chunk.text == doc.text[chunk.start : chunk.end]
            assert embedder.count_tokens([chunk.text])[0] <= embedder.max_tokens
        covered = set()
        for c in chunks:
            covered.update(range(c.start, c.end))
        words = [i for i, ch in enumerate(doc.text) if not ch.isspace()]
        assert all(i in covered for i in words), f"{path.name}: text left out of every chunk"


def test_windows_overlap_inside_a_long_section(embedder):
    sentence = "The council commissioned a parent infant service from a local provider. "
    text = "Background\n" + sentence * 60
    chunks = chunk_document("d", _doc(text), embedder.token_ids, 120, overlap_tokens=30)
    assert len(chunks) > 3
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert b.start < a.end, "consecutive windows should share trailing sentences"
        assert b.section == "Background"


def test_sections_follow_headings():
    text = (
        "Financial implications\n"
        "The Violence Reduction Partnership has committed £140,000 for the life of the programme.\n"
        "\nReasons for the decision\n"
        "There is no alternative provider able to deliver this specialist service at present.\n"
    )
    assert [text[a:b] for a, b in guess_headings(text)] == [
        "Financial implications",
        "Reasons for the decision",
    ]


def test_heading_spans_from_the_loader_name_sections(embedder):
    text = "Intro\n\nSome opening words here.\n\nCosts\n\n" + "Funding is from the grant. " * 40
    costs = text.index("Costs")
    doc = _doc(text, headings=((costs, costs + 5),))
    chunks = chunk_document("d", doc, embedder.token_ids, 64, min_section_tokens=1)
    assert chunks[-1].section == "Costs"
    assert chunks[0].section == "Intro"  # guessed: a short line before a full sentence


def test_page_numbers_come_from_page_starts(embedder):
    text = "First page text about budgets.\n\n" + "Second page text about providers. " * 30
    second = text.index("Second")
    doc = _doc(text, page_starts=(0, second))
    chunks = chunk_document("d", doc, embedder.token_ids, 64)
    assert chunks[0].page == 1
    assert chunks[-1].page == 2


def test_a_sentence_longer_than_the_limit_is_split(embedder):
    text = " ".join(f"word{i}" for i in range(2000))
    chunks = chunk_document("d", _doc(text), embedder.token_ids, 100)
    assert len(chunks) > 5
    assert all(embedder.count_tokens([c.text])[0] <= 100 for c in chunks)


def test_chunks_keep_the_token_ids_of_their_text(embedder):
    """A chunk's sentences' ids, joined, are its text's ids (for the bundled model's BERT
    tokenizer), so the embedder can run them without tokenising the chunk again."""
    kept = total = 0
    for path in sorted(CORPUS.glob("*.txt")):
        chunks = chunk_document("d", _doc(path.read_text()), embedder.token_ids, 120)
        for chunk in chunks:
            total += 1
            if chunk.token_ids is not None:
                kept += 1
                assert list(chunk.token_ids) == embedder.token_ids([chunk.text])[0]
                assert len(chunk.token_ids) == chunk.token_count
    assert total > 20 and kept / total > 0.9


def test_a_sentence_keeps_its_closing_quote(embedder):
    """A quote or bracket closing a sentence is part of it, so it is counted: when it lay
    between two sentences, in neither, chunks of quoted sentences ran past the limit."""
    text = 'Item {} was "approved by the board today." '
    doc = _doc("".join(text.format(i) for i in range(200)))
    chunks = chunk_document("d", doc, embedder.token_ids, embedder.max_tokens)
    counted = embedder.count_tokens([c.text for c in chunks])
    assert len(chunks) > 5 and counted == [c.token_count for c in chunks]
    assert max(counted) <= embedder.max_tokens
    assert all(c.text.endswith('today."') and c.token_ids is not None for c in chunks)


def test_a_chunk_keeps_ids_only_where_whitespace_parts_its_sentences(embedder):
    # A heading the loader found, then its text: no-break and em spaces part them as spaces
    # do (the tokenizer splits at them). A vertical tab does not (the tokenizer drops it, so
    # "Background" and "The" would be one word), nor does nothing at all.
    for gap, joins in [(" ", True), ("\u00a0\n\u2003", True), ("\x0b", False), ("", False)]:
        doc = _doc(f"Background{gap}The council agreed.", headings=((0, 10),))
        (chunk,) = chunk_document("d", doc, embedder.token_ids, 100)
        assert chunk.section == "Background"
        assert (chunk.token_ids is not None) == joins, repr(gap)
        if joins:
            assert list(chunk.token_ids) == embedder.token_ids([doc.text])[0]
    # Text with no whitespace is cut inside a word: each piece's ids are still its own.
    chunks = chunk_document("d", _doc("ab." * 400), embedder.token_ids, 100)
    assert len(chunks) > 1
    assert [list(c.token_ids) for c in chunks] == embedder.token_ids([c.text for c in chunks])
