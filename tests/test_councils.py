"""Which organisations are a council's: what --org, the evidence table and batch rely on."""

import pytest

from search.councils import resolve_council


@pytest.mark.parametrize(
    ("asked", "organisation", "theirs"),
    [
        ("Kent", "Kent County Council", True),
        ("KCC", "Kent County Council", True),
        ("E08000013", "NHS St Helens CCG", True),
        ("Knowsley", "NHS Knowsley CCG", True),
        ("Knowsley", "Building Bonds (Knowsley)", True),
        ("Mersey Care", "Mersey Care NHS Foundation Trust", True),
        ("St Helens", "Mersey Care NHS Foundation Trust", False),
        # Never inside another council's name.
        ("Hull", "Solihull Metropolitan Borough Council", False),
        ("Brent", "Brentwood Borough Council", False),
        ("Derby", "Derbyshire County Council", False),
        ("York", "North Yorkshire Council", False),
        ("Hull", "NHS Hull Clinical Commissioning Group", True),
        # A body named for a longer place belongs to that place's council...
        ("Lancashire", "West Lancashire CCG", False),
        ("West Lancashire", "West Lancashire CCG", True),
        ("Lancashire", "NHS Lancashire and South Cumbria ICB", True),
        # ... but a combined authority's name hides none of its councils.
        ("Cambridgeshire", "NHS Cambridgeshire and Peterborough ICB", True),
        ("Peterborough", "Cambridgeshire and Peterborough NHS Foundation Trust", True),
        ("York", "York and North Yorkshire Combined Authority", True),
        ("Liverpool", "Liverpool City Region LEP", True),
        # An abolished council and the one that replaced it share their area.
        ("Somerset County Council", "NHS Somerset CCG", True),
        ("North Yorkshire County Council", "North Yorkshire CCG", True),
        ("North Yorkshire Council", "North Yorkshire County Council", True),
    ],
)
def test_an_organisation_is_a_councils_or_not(asked: str, organisation: str, theirs: bool):
    assert resolve_council(asked).matches(organisation) is theirs
