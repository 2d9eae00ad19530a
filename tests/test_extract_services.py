"""Service phrases from sentences written for these tests."""

import pytest

from extract.services import best_service


def service(sentence: str) -> str | None:
    found = best_service(sentence, 0, len(sentence))
    return found[0].value if found else None


def test_the_name_of_an_act_is_no_service():
    assert service("This meets our duties under the Domestic Abuse Act 2021.") is None
    assert (
        service(
            "It supports the response to the Violence against Women, Domestic Abuse and Sexual "
            "Violence (Wales) Act 2015."
        )
        is None
    )
    assert service("Our domestic abuse services meet the Domestic Abuse Act.") == (
        "domestic abuse services"
    )


def test_providers_of_a_service_name_it():
    assert service("A contract will be agreed with the providers of IDVA services.") == (
        "IDVA services"
    )
    assert service("The Council remains the provider of choice.") is None


def test_inviting_applications_for_a_service():
    assert service("The Council is inviting applications for parent befriending schemes.") == (
        "parent befriending schemes"
    )


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # A head noun two plain words after the term, and a title's capitals.
        (
            "Wigan Council agreed to award a contract to the NSPCC for a parent-infant "
            "relationship service.",
            "parent-infant relationship service",
        ),
        ("Decision: Parent Infant Service in Wigan", "Parent Infant Service"),
        # Never across a connecting word, and a fund's name is no service.
        ("Advocacy for families service users is to continue.", "Advocacy"),
        ("Returns on the Early Years Change Fund were summarised.", "Early Years"),
        ("Advocacy is a service that helps.", "Advocacy"),
        ("Parent-infant support was a service the council funded.", "Parent-infant support"),
        ("It offers advocacy at its centres.", "advocacy"),
        ("Advocacy ACROSS ALL SERVICES was reviewed.", "Advocacy"),
        # A verb before the term is no part of its name.
        ("It offers advocacy to birth mothers.", "advocacy"),
        (
            "The council commissions perinatal mental health support.",
            "perinatal mental health support",
        ),
        (
            "0-19 children's public health nursing is commissioned.",
            "0-19 children's public health nursing",
        ),
    ],
)
def test_a_service_term_runs_to_its_head_noun(sentence: str, expected: str):
    assert service(sentence) == expected
