"""Funding streams from the vocabulary, negative cues, and amounts attached to streams."""

import pytest

from extract.funding import (
    attach_amounts,
    classify_funding_text,
    find_funding,
    match_streams,
    stream_label,
)
from extract.money import find_amounts
from extract.sentences import SentenceIndex, sentence_spans


def streams(sentence: str) -> list[str]:
    return [m.stream for m in match_streams(sentence)]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("The hubs are paid from the Family Hubs and Start for Life grant.", ["family_hubs"]),
        ("Costs are met from the Public Health Grant.", ["public_health_grant"]),
        ("The Better Care Fund will contribute.", ["better_care_fund"]),
        ("This is part of the Supporting Families programme.", ["supporting_families"]),
        ("It began under the Troubled Families programme.", ["supporting_families"]),
        ("Vouchers come from the Household Support Fund.", ["household_support_fund"]),
        ("The service is funded by the ICB.", ["nhs_commissioning"]),
        ("The Violence Reduction Unit has committed £90,000.", ["violence_reduction"]),
        ("It is funded by the Police and Crime Commissioner.", ["police_crime_commissioner"]),
        ("The project received National Lottery funding.", ["lottery_charitable"]),
        ("The pilot is funded by the county council.", ["council_core"]),
        ("We will draw down from reserves to fund it.", ["council_core"]),
        ("Welsh Government grant funding covers the posts.", ["welsh_government"]),
    ],
)
def test_streams(sentence: str, expected: list[str]):
    assert streams(sentence) == expected


def test_names_without_money_talk_are_not_streams():
    assert streams("The Violence Reduction Unit chaired the meeting.") == []


def test_named_funds_outside_the_vocabulary_are_other():
    (mention,) = match_streams("The Healthy Harbours Innovation Fund paid for the pilot.")
    assert (mention.stream, mention.other) == ("other", "Healthy Harbours Innovation Fund")


def test_generic_government_grant_yields_to_a_specific_stream():
    sentence = "A grant from the DfE supports the Family Hubs programme."
    assert streams(sentence) == ["family_hubs"]
    assert streams("A grant from the DfE supports the new posts.") == ["central_government"]


@pytest.mark.parametrize(
    "sentence",
    [
        "No funding has been identified for this service.",
        "The service is currently unfunded, although the Public Health Grant was considered.",
        "Funding has not yet been secured from the Better Care Fund.",
    ],
)
def test_negative_cues_suppress_funding(sentence: str):
    assert streams(sentence) == []


def test_amount_attaches_to_nearest_stream_in_its_sentence():
    text = (
        "The Family Hubs grant gives £500,000 and the Violence Reduction Partnership has "
        "committed £140,000."
    )
    sentences = sentence_spans(text)
    mentions = find_funding(text, sentences)
    amounts = find_amounts(text)
    attached = attach_amounts(text, amounts, mentions, SentenceIndex(sentences))
    assert [attached[a.start].stream for a in amounts] == ["family_hubs", "violence_reduction"]


def test_figure_on_its_own_line_attaches_to_its_label():
    text = "Allocation table\n\nHousehold Support Fund\n\n£75,000\n"
    sentences = sentence_spans(text)
    amounts = find_amounts(text)
    attached = attach_amounts(
        text, amounts, find_funding(text, sentences), SentenceIndex(sentences)
    )
    assert attached[amounts[0].start].stream == "household_support_fund"


def test_classify_free_text_descriptions():
    assert classify_funding_text("Family Hubs grant (Department for Education)") == ["family_hubs"]
    assert classify_funding_text("Wigan Council") == ["council_core"]
    assert classify_funding_text("Coastal Towns Fund") == ["other:Coastal Towns Fund"]


def test_a_stream_is_shown_by_its_label_and_another_fund_by_its_own_name():
    assert stream_label("family_hubs") == "Family Hubs and Start for Life (DfE)"
    assert stream_label("other:Coastal Towns Fund") == "Coastal Towns Fund"
    assert stream_label("no_such_stream") == "no_such_stream"


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("The Greater London Authority has committed £40,000.", ["mayoral"]),
        ("The Council bid to the Mayor's budget for youth work and received £20,000.", ["mayoral"]),
        ("The project is match funded by NHS England.", ["nhs_commissioning"]),
        ("Costs are met from a Scottish Government grant.", ["scottish_government"]),
        ("The Welsh Government has increased its allocation to the Council.", ["welsh_government"]),
        # the body passes on a fund named right after it: that fund is the stream
        (
            "The Violence Reduction Unit is allocating Mayoral approved funding to youth work.",
            ["mayoral"],
        ),
        # recipient or actor, not source
        (
            "Funding for the pilot has been secured by the Office of the Police and Crime "
            "Commissioner for Exshire.",
            [],
        ),
        ("Final decisions on awards are delegated to the Director of the VRU.", []),
        ("The plan was sent to the Welsh Government, which will confirm the funding.", []),
    ],
)
def test_bodies_are_streams_only_where_they_pay(sentence: str, expected: list[str]):
    assert streams(sentence) == expected


def test_gold_style_labels_naming_a_body_still_classify():
    assert classify_funding_text("Police & Crime Commissioner") == ["police_crime_commissioner"]
    assert classify_funding_text("Mayoral approved funding") == ["mayoral"]


def test_amount_referring_back_to_an_allocation_takes_its_stream():
    text = (
        "The Welsh Government has increased its allocation to the Council to £90,000.\n\n"
        "A delivery plan was agreed by members.\n\n"
        "The proposal is to raise the allocation to the advocacy service to £60,000.\n\n"
        "A separate line of £5,000 covers room hire.\n"
    )
    sentences = sentence_spans(text)
    amounts = find_amounts(text)
    attached = attach_amounts(
        text, amounts, find_funding(text, sentences), SentenceIndex(sentences)
    )
    assert [attached[a.start].stream if a.start in attached else None for a in amounts] == [
        "welsh_government",
        "welsh_government",
        None,
    ]


def test_a_fund_named_after_its_owner_is_the_fund():
    sentence = "The Scottish Government's Whole Family Wellbeing Fund will pay for the posts."
    (mention,) = match_streams(sentence)
    assert (mention.stream, mention.other) == ("other", "Whole Family Wellbeing Fund")
    assert streams("It is 100% funded by a Welsh Government Specific Grant.") == [
        "welsh_government"
    ]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Famıly hubs grant.", ["family_hubs"]),  # dotless i: re.I matches it to "i"
        ("We receive the PUBLİC HEALTH GRANT.", ["public_health_grant"]),
    ],
)
def test_streams_spelt_with_turkish_i_forms_pass_the_prefilter(sentence, expected):
    assert streams(sentence) == expected


def test_the_stream_prefilter_agrees_with_each_pattern_on_the_corpus():
    from pathlib import Path

    from extract.funding import load_vocabulary
    from extract.sentences import sentence_spans

    vocab = load_vocabulary()
    corpus = Path(__file__).resolve().parent.parent / "corpus"
    checked = skipped = 0
    for path in corpus.glob("*.txt"):
        text = path.read_text(encoding="utf-8")
        for span in sentence_spans(text):
            sentence = text[span.start : span.end]
            each = any(p.search(sentence) for s in vocab.streams for p in s.all_patterns)
            assert bool(vocab.any_stream.search(sentence)) == each, sentence
            # The literal test before it may pass a sentence no pattern matches, never the
            # reverse; in upper case too, as the patterns ignore case.
            assert vocab.stream_literals.may_match(sentence) or not each, sentence
            assert vocab.stream_literals.may_match(sentence.upper()) or not each, sentence
            checked += each
            skipped += not vocab.stream_literals.may_match(sentence)
    assert checked >= 5  # sentences that name a stream were among those compared
    assert skipped >= checked  # and the literal test rules out many sentences by itself
