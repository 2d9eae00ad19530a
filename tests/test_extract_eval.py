"""The extraction evaluation's matching rules (bench/eval_extraction.py), on names and sums
written for these tests."""

from bench.eval_extraction import (
    FundingTuple,
    PartyTuple,
    amount_only,
    funding_tuple_match,
    gold_amounts,
    listed,
    party_forms,
    party_match,
    record_tuples,
    same_contract,
)


def test_the_same_figure_written_differently_is_the_same_amount():
    pence = {gold_amounts(text)[0] for text in ("£500k", "£500,000", "£0.5m", "£ 500,000.00")}
    assert pence == {50_000_000}
    assert gold_amounts("£34,000 (post); £78,750 (service)") == [3_400_000, 7_875_000]
    assert gold_amounts("reduced by 14%") == [None]


def test_a_null_amount_matches_only_a_null_amount():
    council = party_forms("Wigan Council")
    gold = FundingTuple(council, frozenset({"public_health_grant"}), None)
    extracted = FundingTuple(council, "public_health_grant", 5_000_000)
    assert not funding_tuple_match(gold, extracted)
    assert funding_tuple_match(gold, FundingTuple(council, "public_health_grant", None))
    assert amount_only([gold], [extracted]) == [(gold, extracted)]


def test_a_gold_list_of_bodies_matches_each_named_body():
    gold = party_forms(
        "multi-agency partnership (Exton Youth Service, NIDAS/Leeway, Little Acorns)", True
    )
    assert party_match(gold, party_forms("Little Acorns"))
    assert party_match(gold, party_forms("Leeway"))
    assert not party_match(gold, party_forms("Bright Steps Ltd"))
    assert listed("voluntary, community and not for profit organisations") == []


def test_two_statements_of_one_contract_are_one_party_tuple():
    council, trust = party_forms("Wigan Council"), party_forms("Oakfield Health NHS Trust")
    lots = PartyTuple(council, None, "domestic abuse service (Lot 1 refuge; Lot 2 outreach)")
    assert same_contract(lots, PartyTuple(council, None, "domestic abuse service (two lots)"))
    award = PartyTuple(council, trust, "Family Hubs expansion across the borough")
    assert same_contract(award, PartyTuple(council, trust, "Family Hubs direct award"))
    # without a provider, services that merely overlap stay two facts
    pilot = PartyTuple(council, None, "maternal mental health service (pilot)")
    assert not same_contract(pilot, PartyTuple(council, None, "maternal mental health research"))


def test_records_repeating_a_contract_count_once():
    from dataclasses import replace

    from extract.facts import CommissioningRecord

    record = CommissioningRecord(
        commissioner="Wigan Council",
        commissioner_code=None,
        service="school nursing service",
        provider="Oakfield Health NHS Trust",
        mechanism=None,
        duration=None,
        funding_streams=(),
        amounts=(),
        decision_date=None,
        evidence=(),
    )
    again = replace(record, service="the school nursing services contract")
    _, parties = record_tuples((record, again))
    assert len(parties) == 1
