"""Organisations in text: NHS bodies, PCCs, VRPs, providers, councils; longest name wins."""

from extract.organisations import find_organisations, resolve_organisation


def named(text: str) -> list[tuple[str, str]]:
    return [(o.name, o.kind) for o in find_organisations(text)]


def test_nhs_trusts_by_list_and_by_pattern():
    text = (
        "The contract goes to Mersey Care NHS Trust. Riverside Community Health NHS "
        "Foundation Trust will also take part."
    )
    assert named(text) == [
        ("Mersey Care NHS Foundation Trust", "nhs_trust"),
        ("Riverside Community Health NHS Foundation Trust", "nhs_trust"),
    ]


def test_icbs_ccgs_and_a_bare_ccg_read_as_the_named_one():
    text = (
        "NHS Lakeside Integrated Care Board agreed. Earlier, Townville CCG funded the pilot "
        "and the CCG later commissioned it."
    )
    assert named(text) == [
        ("NHS Lakeside Integrated Care Board", "icb"),
        ("NHS Townville CCG", "ccg"),
        ("NHS Townville CCG", "ccg"),
    ]


def test_bare_ccg_without_a_named_one_is_dropped():
    assert named("The CCG will decide.") == []


def test_police_and_crime_commissioners_and_violence_reduction():
    text = (
        "The Office of the Police and Crime Commissioner for Avonshire bid. Avonshire's "
        "Police and Crime Commissioner welcomed it, as did the Avonshire Violence Reduction "
        "Unit. The Violence Reduction Unit will report."
    )
    assert named(text) == [
        ("Office of the Police and Crime Commissioner for Avonshire", "pcc"),
        ("Police and Crime Commissioner for Avonshire", "pcc"),
        ("Avonshire Violence Reduction Unit", "vru"),
        ("Avonshire Violence Reduction Unit", "vru"),
    ]


def test_providers_by_company_suffix_and_list():
    text = "Bright Steps Ltd and Action for Children (AfC) run hubs with Kent Women's Aid."
    assert named(text) == [
        ("Bright Steps Ltd", "company"),
        ("Action for Children", "charity"),
        ("Action for Children", "charity"),
        ("Kent Women's Aid", "charity"),
    ]


def test_organisation_names_win_over_council_place_names():
    text = "Knowsley CCG and Norfolk and Suffolk NHS Foundation Trust met Sefton Council."
    assert named(text) == [
        ("NHS Knowsley CCG", "ccg"),
        ("Norfolk and Suffolk NHS Foundation Trust", "nhs_trust"),
        ("Sefton Council", "council"),
    ]


def test_resolve_whole_names():
    assert resolve_organisation("Police & Crime Commissioner").kind == "pcc"
    assert resolve_organisation("Surrey Heartlands Integrated Care System").kind == "ics"
    council = resolve_organisation("St Helens")
    assert (council.name, council.code) == ("St Helens Borough Council", "E08000013")
    assert resolve_organisation("Building Bonds (Knowsley)") is None
