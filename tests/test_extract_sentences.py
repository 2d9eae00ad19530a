"""Sentence spans: offsets into the text, label/value lines, abbreviations and numbers."""

from extract.sentences import SentenceIndex, sentence_spans


def quotes(text: str) -> list[str]:
    return [text[s.start : s.end] for s in sentence_spans(text)]


def test_spans_are_exact_slices_without_surrounding_space():
    text = "  First sentence here.  Second one follows.\n\nThird after a blank line.  "
    assert quotes(text) == [
        "First sentence here.",
        "Second one follows.",
        "Third after a blank line.",
    ]


def test_label_and_value_lines_stand_alone():
    text = "Decision ref\n0042 2024/25\nDecision date\n01/02/2024\nPortfolio\nAdult Care"
    assert quotes(text) == [
        "Decision ref",
        "0042 2024/25",
        "Decision date",
        "01/02/2024",
        "Portfolio",
        "Adult Care",
    ]


def test_hard_wrapped_prose_is_joined():
    text = (
        "The council has commissioned a perinatal support service for families\n"
        "across the borough and will review it after twelve months of delivery.\n"
        "Summary"
    )
    assert quotes(text) == [
        "The council has commissioned a perinatal support service for families\n"
        "across the borough and will review it after twelve months of delivery.",
        "Summary",
    ]


def test_abbreviations_and_amounts_do_not_end_sentences():
    text = (
        "Cllr. Jones met Dr. Patel at St. Anne's Hall. Acme Care Ltd. will get £1.2m. "
        "See para. 4 and No. 7 of the report. The rate rose to 3.5 per cent."
    )
    assert quotes(text) == [
        "Cllr. Jones met Dr. Patel at St. Anne's Hall.",
        "Acme Care Ltd. will get £1.2m.",
        "See para. 4 and No. 7 of the report.",
        "The rate rose to 3.5 per cent.",
    ]


def test_index_finds_the_sentence_holding_an_offset():
    text = "One. Two three. Four."
    index = SentenceIndex(sentence_spans(text))
    found = index.at(text.index("three"))
    assert found is not None and text[found.start : found.end] == "Two three."
    assert index.at(3) is not None and index.at(4) is None
