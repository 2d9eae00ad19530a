from pathlib import Path

from indexer.chunk import chunk_document, guess_headings
from indexer.records import LoadedDocument
from tests.conftest import CORPUS


def _doc(text: str, **kw) -> LoadedDocument:
    return LoadedDocument(source=Path("x.txt"), format="txt", text=text, **kw)


def test_every_chunk_is_an_exact_span_within_the_token_limit(embedder):
    for path in sorted(CORPUS.glob("*.txt")):
        doc = _doc(path.read_text())
        chunks = chunk_document("d", doc, embedder.count_tokens, embedder.max_tokens)
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
    chunks = chunk_document("d", _doc(text), embedder.count_tokens, 120, overlap_tokens=30)
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
    chunks = chunk_document("d", doc, embedder.count_tokens, 64, min_section_tokens=1)
    assert chunks[-1].section == "Costs"
    assert chunks[0].section == "Intro"  # guessed: a short line before a full sentence


def test_page_numbers_come_from_page_starts(embedder):
    text = "First page text about budgets.\n\n" + "Second page text about providers. " * 30
    second = text.index("Second")
    doc = _doc(text, page_starts=(0, second))
    chunks = chunk_document("d", doc, embedder.count_tokens, 64)
    assert chunks[0].page == 1
    assert chunks[-1].page == 2


def test_a_sentence_longer_than_the_limit_is_split(embedder):
    text = " ".join(f"word{i}" for i in range(2000))
    chunks = chunk_document("d", _doc(text), embedder.count_tokens, 100)
    assert len(chunks) > 5
    assert all(embedder.count_tokens([c.text])[0] <= 100 for c in chunks)
