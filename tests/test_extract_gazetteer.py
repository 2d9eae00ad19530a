"""The gazetteer: variants, resolution, mentions in text, and coverage of the register."""

import importlib.util
import re
import sys
from pathlib import Path

import pytest

from extract.gazetteer import load_gazetteer
from extract.names import Token, fold, tokens

ROOT = Path(__file__).resolve().parents[1]
REGISTER = ROOT.parent / "shared" / "reference" / "uk_local_authorities.csv"


@pytest.mark.parametrize(
    ("mention", "name", "code"),
    [
        ("St Helens", "St Helens Borough Council", "E08000013"),
        ("St. Helens Borough Council", "St Helens Borough Council", "E08000013"),
        ("KCC", "Kent County Council", "E10000016"),
        ("LBHF", "London Borough of Hammersmith & Fulham", "E09000013"),
        ("Hammersmith and Fulham Council", "London Borough of Hammersmith & Fulham", "E09000013"),
        ("RBKC", "Royal Borough of Kensington and Chelsea", "E09000020"),
        ("BCP", "BCP Council", "E06000058"),
        ("London Borough of Brent", "London Borough of Brent", "E09000005"),
        ("Brent London Borough Council", "London Borough of Brent", "E09000005"),
        ("Wolverhampton City Council", "City of Wolverhampton Council", "E08000031"),
        ("City of York Council", "City of York Council", "E06000014"),
        ("Cyngor Sir Gâr", "Carmarthenshire County Council", "W06000010"),
        ("Bro Morgannwg", "Vale of Glamorgan Council", "W06000014"),
        ("The Highland Council", "The Highland Council", "S12000017"),
        ("Belfast City Council", "Belfast City Council", "N09000003"),
    ],
)
def test_resolves_variants(mention: str, name: str, code: str):
    council = load_gazetteer().resolve(mention)
    assert council is not None
    assert (council.name, council.gss_code) == (name, code)


def test_fuzzy_match_only_for_near_misses_of_body_names():
    gazetteer = load_gazetteer()
    assert gazetteer.resolve("Herefordshire Counci").name == "Herefordshire Council"
    assert gazetteer.resolve("Building Bonds (Knowsley)") is None
    assert gazetteer.resolve("Merseyside Partnership") is None


def test_abolished_councils_keep_code_and_point_to_successor():
    gazetteer = load_gazetteer()
    allerdale = gazetteer.resolve("Allerdale Borough Council")
    assert allerdale.gss_code == "E07000026" and not allerdale.current
    assert [c.name for c in gazetteer.successors(allerdale)] == ["Cumberland Council"]
    assert gazetteer.resolve("Somerset").name == "Somerset Council"
    assert gazetteer.resolve("Somerset County Council").successor == ("Somerset Council",)


def test_finds_mentions_with_spans_and_strength():
    text = "St. Helens Borough Council and KCC met officers from St Helens and Reading."
    found = load_gazetteer().find(text)
    got = [(m.text, m.council.name, m.explicit) for m in found]
    assert got == [
        ("St. Helens Borough Council", "St Helens Borough Council", True),
        ("KCC", "Kent County Council", True),
        ("St Helens", "St Helens Borough Council", False),
    ]
    for m in found:
        assert text[m.start : m.end] == m.text


def test_lower_case_words_and_regions_are_not_councils():
    found = load_gazetteer().find("We will kent the plan for Greater Manchester and kcc.")
    assert [m.council.name for m in found] == ["Greater Manchester Combined Authority"]


def _coverage() -> dict:
    spec = importlib.util.spec_from_file_location(
        "eval_extraction", ROOT / "bench" / "eval_extraction.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("eval_extraction", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module.gazetteer_coverage(REGISTER)


def test_gazetteer_covers_all_current_councils():
    councils = load_gazetteer().councils
    current = [c for c in councils if c.current]
    assert len(current) >= 390
    assert {c.nation for c in current} == {"England", "Wales", "Scotland", "Northern Ireland"}
    assert len({c.gss_code for c in councils}) == len(councils)
    if REGISTER.exists():  # the register is shared data outside the repo
        report = _coverage()
        assert report["missing_codes"] == []
        assert report["unresolved_official_names"] == []
        assert report["gazetteer_current"] == report["register_current"]


@pytest.mark.parametrize(
    "text",
    [
        "St. Helens Council & NHS Cheshire and Merseyside ICB agreed the award on 3 March.",
        "  Leading spaces, trailing punctuation... and_underscores_split  ",
        "",
        "Café Ⅻ naïve — Zoë's ΣΑΣ",  # the per-word path: folded one word at a time
    ],
)
def test_tokens_hold_each_word_folded_with_its_exact_span(text: str):
    """The ASCII fast path and the per-word path give the same tokens: every word's
    folded form and the span it has in the text."""
    words = re.finditer(r"[^\W_]+|&", text)
    assert tokens(text) == [Token(fold(m.group()), m.start(), m.end()) for m in words]
