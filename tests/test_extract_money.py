"""Sums of money: forms seen in council papers, normalised to pence."""

import pytest

from extract.money import find_amounts, to_pence


@pytest.mark.parametrize(
    ("sentence", "surface", "pence"),
    [
        ("The grant is £140,000 in total.", "£140,000", 14_000_000),
        ("A budget of £3,051,809 was set.", "£3,051,809", 305_180_900),
        ("The pilot costs £1.2m over two years.", "£1.2m", 120_000_000),
        ("Funding of £1.2 million was agreed.", "£1.2 million", 120_000_000),
        ("A small grant of £50k is available.", "£50k", 5_000_000),
        ("The uplift is £1, 002,318 this year.", "£1, 002,318", 100_231_800),
        ("The value is £625,623.00 exactly.", "£625,623.00", 62_562_300),
        ("We hold £2bn in reserves.", "£2bn", 200_000_000_000),
    ],
)
def test_amount_forms(sentence: str, surface: str, pence: int):
    (amount,) = find_amounts(sentence)
    assert amount.text == surface
    assert amount.pence == pence
    assert sentence[amount.start : amount.end] == surface


def test_pounds_value_has_two_decimals():
    (amount,) = find_amounts("It costs £1.2m.")
    assert amount.pounds == "1200000.00"


@pytest.mark.parametrize(
    ("sentence", "period"),
    [
        ("The contract is worth £250,000 per annum.", "per annum"),
        ("It pays £40,000 per year to each hub.", "per year"),
        ("A total of £900,000 over 3 years was agreed.", "over 3 years"),
        (
            "The partner committed £80,000 for the life of the programme.",
            "for the life of the programme",
        ),
        ("The rate is £1,800 per child.", "per child"),
    ],
)
def test_periods(sentence: str, period: str):
    (amount,) = find_amounts(sentence)
    assert amount.period == period


def test_ranges():
    (a,) = find_amounts("Bids between £10,000 and £20,000 are welcome.")
    assert (a.pence, a.pence_max) == (1_000_000, 2_000_000)
    (b,) = find_amounts("Grants of £10-20k each.")
    assert (b.pence, b.pence_max) == (1_000_000, 2_000_000)


def test_qualifiers_thresholds_and_previous_figures():
    (up_to,) = find_amounts("A contract up to a maximum value of £362k was let.")
    assert up_to.qualifier == "a maximum value of"
    (threshold,) = find_amounts("Key decision: expenditure of £500k or more.")
    assert threshold.threshold
    before, after = find_amounts("The allocation rose from £20,000 to £45,000 this year.")
    assert before.previous and not after.previous


def test_no_amount_in_table_header_or_plain_numbers():
    assert find_amounts("Budget (£'000) for 2023/24 was 11,164.") == []


def test_to_pence_handles_odd_spacing_and_units():
    assert to_pence("1, 002,318", None, None) == 100_231_800
    assert to_pence("3", "5", "k") == 350_000


def test_comparison_figures_are_previous():
    now, then = find_amounts("The grant is £60,000, up from £45,000.")
    assert not now.previous and then.previous
    (last,) = find_amounts("This compares with last year's £45,000.")
    assert last.previous
    (was,) = find_amounts("The contract was previously £30k a year.")
    assert was.previous
