"""The literals a pattern's every match must contain, read from its parse tree."""

import re

import pytest

from extract.names import NameIndex, Token, fold, tokens
from extract.prefilter import Prefilter, required_literals


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"family hubs? (?:grant|fund)", {"family hub"}),
        (r"(?:grant|fund(?:s|ed|ing)?\b)", {"grant", "fund"}),
        (r"(?-i:\bBCF\b)", {"BCF"}),
        (r"\bcouncil(?:'s)? (?:budget|funding)\b", {"council"}),  # the longer requirement
        (r"(?:ab){2,3}x", {"ab"}),
        (r"NHS England|(?-i:\bNHSE\b)", {"NHS England", "NHSE"}),
    ],
)
def test_required_literals(pattern: str, expected: set[str]):
    assert required_literals(pattern, re.I) == expected


@pytest.mark.parametrize(
    "pattern",
    [r"[^.;]{0,40}", r"(?:grant)?", r"grant|[bc]", r"(?<=x)y?", r"\w+", "(unclosed"],
)
def test_patterns_with_no_required_literal_give_none(pattern: str):
    assert required_literals(pattern) is None


def test_prefilter_never_rules_out_a_matching_text():
    patterns = [re.compile(p, re.I) for p in (r"family hubs? grant", r"(?-i:\bVRU\b)")]
    gate = Prefilter(patterns)
    texts = ["FAMILY HUB GRANT", "Family Hubs grant", "funded by the VRU"]
    # re.IGNORECASE matches "ı" and "İ" to "i", which str.casefold() would not.
    texts += ["Famıly hubs grant", "FAMİLY HUB GRANT"]
    for text in texts:
        assert any(p.search(text) for p in patterns) and gate.may_match(text), text
    assert gate.may_match("a vru")  # looser than the case-sensitive pattern, never stricter
    assert not gate.may_match("The council agreed the contract.")


def test_literals_outside_ascii_are_matched_as_re_ignorecase_does():
    gate = Prefilter([re.compile("straße|µg", re.I)])
    assert gate.may_match("STRAẞE") and gate.may_match("5 μg")  # capital sharp s; Greek mu
    assert not gate.may_match("strasse")  # re.I does not equate ß with "ss" either
    assert not re.search("straße", "strasse", re.I)


def test_a_pattern_without_literals_makes_the_prefilter_pass_everything():
    gate = Prefilter([re.compile(r"fund"), re.compile(r"[A-Z]\w+")])
    assert gate.literals is None
    assert gate.may_match("nothing to see")


@pytest.mark.parametrize(
    "text",
    [
        "St. Helens & Knowsley",
        "Café Ölçer £140,000",
        "İstanbul Council",
        "ﬁnance STRASSE",
        "ΑΣ.Β x",  # lower-casing the whole text would end this sigma as "ς"
        "A.Σ xϹy",
    ],
)
def test_tokens_fold_each_word_and_keep_its_offsets(text: str):
    expected = [Token(fold(m.group()), *m.span()) for m in re.finditer(r"[^\W_]+|&", text)]
    assert tokens(text) == expected


def test_a_name_that_starts_with_an_ampersand_is_still_found():
    index = NameIndex([("&CO", "company"), ("Kent County Council", "kent")])
    hits = index.find("Smith &CO Ltd and kent county council and Kent County Council")
    assert [(h.entry, h.variant) for h in hits] == [
        ("company", "&CO"),
        ("kent", "Kent County Council"),
    ]
