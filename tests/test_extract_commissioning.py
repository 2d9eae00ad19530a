"""Commissioning records from sentences written for these tests."""

from extract import extract_document


def only_record(text: str, known: str | None = None):
    (record,) = extract_document(text, known).records
    return record


def test_direct_award_record():
    text = (
        "Decision date\n02/05/2024\n"
        "Summary\n"
        "Approval is sought for a direct award to Riverside Community Health NHS Foundation Trust "
        "for the delivery of the Infant Feeding Peer Support Service.\n"
        "The contract will run as a 2 year pilot.\n"
        "Wigan Council will fund the pilot from the Family Hubs and Start for Life grant, "
        "and the Violence Reduction Unit has committed £60,000.\n"
    )
    record = only_record(text)
    assert record.commissioner == "Wigan Council"
    assert record.commissioner_code == "E08000010"
    assert record.provider == "Riverside Community Health NHS Foundation Trust"
    assert record.service == "Infant Feeding Peer Support Service"
    assert record.mechanism == "direct award"
    assert record.duration == "2 years (pilot)"
    assert record.funding_streams == ("family_hubs", "violence_reduction")
    assert [(a.value, a.attrs["attached_to"]) for a in record.amounts] == [
        ("60000.00", "violence_reduction")
    ]
    assert record.decision_date == "2024-05-02"
    for e in record.evidence:
        assert text[e.start : e.end] == e.quote


def test_commissioner_none_when_no_body_is_named():
    text = (
        "The Cabinet approved the commencement of procurement to procure through an open "
        "tender an advocacy service for parents. The Council will fund it."
    )
    record = only_record(text)
    assert record.commissioner is None
    assert record.mechanism == "open tender"
    assert record.service == "advocacy service for parents"


def test_known_organisation_only_counts_when_it_is_a_commissioner():
    text = "The contract for the delivery of the school nursing service was extended by 12 months."
    assert only_record(text, "Rutland County Council").commissioner == "Rutland County Council"
    assert only_record(text, "Bright Steps Ltd").commissioner is None


def test_provider_news_release_names_its_funder_as_commissioner():
    text = (
        "Harbour Health NHS Trust has secured funding from Torbay Council for a 12-month "
        "pilot of the Early Bonds Service."
    )
    record = only_record(text, "Harbour Health NHS Trust")
    assert (record.commissioner, record.provider) == ("Torbay Council", "Harbour Health NHS Trust")
    assert record.funding_streams == ("council_core",)
    assert record.duration == "12 months (pilot)"
    assert record.mechanism == "pilot"


def test_separate_services_with_their_own_amounts_make_separate_records():
    text = (
        "Members approved two awards. First, Oakfield Health NHS Trust will receive a contract "
        "for the speech therapy service worth £300,000.\n\n"
        "Second, Oakfield Health NHS Trust will receive a contract for the infant feeding "
        "service worth £90k.\n"
    )
    records = extract_document(text, "Bolton Metropolitan Borough Council").records
    assert [(r.service, [a.value for a in r.amounts]) for r in records] == [
        ("speech therapy service", ["300000.00"]),
        ("infant feeding service", ["90000.00"]),
    ]
    assert {r.provider for r in records} == {"Oakfield Health NHS Trust"}
    assert {r.commissioner for r in records} == {"Bolton Metropolitan Borough Council"}


def test_no_funding_fact_from_a_negative_sentence():
    text = "The pilot of the Baby Steps service is welcome. No funding has been identified yet."
    facts = extract_document(text).facts
    assert [f for f in facts if f.kind == "funding_stream"] == []


def test_framework_call_off_with_funding_and_waiver():
    text = (
        "Decision date: 4 June 2024\n"
        "NHS Cheshire and Merseyside ICB and Wirral Council have agreed a framework call-off "
        "with Home-Start Wirral Ltd for the provision of perinatal peer support for 18 months.\n"
        "The service will be funded from the Better Care Fund (£120,000) and the Public Health "
        "Grant (£80,000 per annum).\n"
        "A waiver of Contract Procedure Rules was approved.\n"
    )
    record = only_record(text)
    assert record.commissioner == "Wirral Council"
    assert record.provider == "Home-Start Wirral Ltd"
    assert record.service == "perinatal peer support"
    assert record.mechanism == "framework call-off"
    assert record.duration == "18 months"
    assert record.funding_streams == ("better_care_fund", "public_health_grant")
    assert [
        (a.attrs["pence"], a.attrs["attached_to"], a.attrs["period"]) for a in record.amounts
    ] == [
        (12_000_000, "better_care_fund", None),
        (8_000_000, "public_health_grant", "per annum"),
    ]
    assert record.decision_date == "2024-06-04"


def test_amount_facts_say_what_they_are_attached_to():
    text = "The contract for the delivery of the health visiting service is worth £2.5m per year."
    (amount,) = [f for f in extract_document(text, "Wigan Council").facts if f.kind == "amount"]
    assert amount.value == "2500000.00"
    assert amount.attrs["period"] == "per year"
    assert amount.attrs["service"] == "health visiting service"
    assert amount.evidence.quote == text


def test_mechanisms_and_durations_of_a_sentence():
    from extract.commissioning import durations, mechanisms
    from extract.sentences import Sentence

    def mech(text: str) -> list[str]:
        return [f.value for f in mechanisms(text, Sentence(0, len(text)))]

    assert mech(
        "The contract was let after an open tender, with an optional 2 year extension."
    ) == ["open tender"]
    assert mech("Cabinet agreed a 6 month extension of the contract.") == ["extension"]
    assert mech("A waiver of contract procedure rules allows a direct award.") == [
        "direct award",
        "waiver",
    ]
    text = (
        "The service runs from 1 April 2024 to 31 March 2026 as a two-year pilot, aged 0-5 years."
    )
    assert [f.value for f in durations(text, Sentence(0, len(text)))] == [
        "1 April 2024 to 31 March 2026",
        "2 years (pilot)",
    ]


def test_a_budget_breakdown_stays_out_of_the_record():
    text = (
        "Bolton Council awarded the contract for the family support service to Bright Steps Ltd "
        "at £400,000.\n"
        "Income of £1.2m included reserves £300,000, government grants £500,000 and Better Care "
        "Fund contributions of £400,000.\n"
    )
    result = extract_document(text)
    (record,) = result.records
    assert [a.text for a in record.amounts] == ["£400,000"]
    assert record.funding_streams == ()
    # the figures are still reported as facts, with their evidence
    assert len([f for f in result.facts if f.kind == "amount"]) == 5


def test_a_sum_tied_to_nothing_is_background():
    text = (
        "The Corporate Plan commits £3m each year to prevention across the borough.\n"
        "The Council agreed to award a contract for the health visiting service to Oakfield "
        "Health NHS Trust worth £2m.\n"
    )
    record = only_record(text, "Wigan Council")
    assert [a.text for a in record.amounts] == ["£2m"]


def test_a_sentence_stating_no_funding_gives_the_record_no_money():
    text = (
        "The contract for the school nursing service was awarded to Oakfield Health NHS Trust.\n"
        "No funding has been identified for the £50,000 expansion.\n"
    )
    record = only_record(text, "Wigan Council")
    assert record.provider == "Oakfield Health NHS Trust"
    assert record.amounts == () and record.funding_streams == ()


def test_a_rate_per_child_yields_to_a_total():
    rate = "Flying Start childcare is paid for from a Welsh Government grant of £2,200 per child.\n"
    total = "The contract for the Flying Start childcare service is worth £1.1m.\n"
    record = only_record(rate + total, "Conwy County Borough Council")
    assert [a.text for a in record.amounts] == ["£1.1m"]
    alone = only_record(rate, "Conwy County Borough Council")
    assert [(a.text, a.attrs["period"]) for a in alone.amounts] == [("£2,200", "per child")]


def test_allocations_of_a_fund_passed_on_by_a_unit():
    text = (
        "The Violence Reduction Unit is allocating Mayoral approved funding to three "
        "programmes.\n\n"
        "Allocate £400,000 to the Youth Mentoring programme for 2024-25.\n\n"
        "Allocate £250,000 to the Parent Champions programme for 2024-25.\n\n"
        "Decisions on awards are delegated to the Director of the VRU.\n"
    )
    records = extract_document(text, "Mayor's Office for Policing and Crime").records
    assert [(r.service, r.funding_streams, [a.text for a in r.amounts]) for r in records] == [
        ("Youth Mentoring programme", ("mayoral",), ["£400,000"]),
        ("Parent Champions programme", ("mayoral",), ["£250,000"]),
    ]


def test_inviting_applications_names_the_service():
    text = (
        "Rutland County Council is inviting applications for community befriending schemes "
        "for new parents, funded by the Public Health Grant."
    )
    record = only_record(text)
    assert record.service == "community befriending schemes for new parents"
    assert record.funding_streams == ("public_health_grant",)


def test_a_service_another_body_funds_is_that_body_s_record():
    text = (
        "Rutland County Council awarded a contract to Brightpath Ltd for the delivery of the "
        "family support service.\n"
        "The current advocacy service for parents is funded by the Police and Crime "
        "Commissioner for Leicestershire.\n"
    )
    records = extract_document(text).records
    assert [(r.commissioner, r.service, r.funding_streams) for r in records] == [
        ("Rutland County Council", "family support service", ()),
        (
            "Police and Crime Commissioner for Leicestershire",
            "advocacy service",
            ("police_crime_commissioner",),
        ),
    ]


def test_the_commissioner_funding_a_service_keeps_it_in_its_record():
    text = (
        "Rutland County Council awarded a contract to Brightpath Ltd for the delivery of the "
        "family support service.\n"
        "The current advocacy service for parents is funded by Rutland County Council.\n"
    )
    records = extract_document(text).records
    assert {r.commissioner for r in records} == {"Rutland County Council"}


def test_a_funder_without_a_service_of_its_own_joins_the_main_record():
    text = (
        "Rutland County Council awarded a contract to Brightpath Ltd for the delivery of the "
        "family support service.\n"
        "It is part funded by the Police and Crime Commissioner for Leicestershire.\n"
    )
    record = only_record(text)
    assert record.commissioner == "Rutland County Council"
    assert record.funding_streams == ("police_crime_commissioner",)


def test_a_budget_report_is_about_the_service_area_its_title_names():
    text = (
        "Public Health Budget 2025-28\n\n"
        "The gross budget of Leeds City Council for 2024/25 was £12.5m, funded through the "
        "ring-fenced grant.\n"
    )
    record = only_record(text)
    assert (record.commissioner, record.service) == ("Leeds City Council", "Public Health")


def test_a_title_naming_no_service_area_gives_no_service():
    text = (
        "Budget Monitoring Report 2025-28\n\n"
        "The gross budget of Leeds City Council for 2024/25 was £12.5m, funded through the "
        "ring-fenced grant.\n"
    )
    assert only_record(text).service is None
