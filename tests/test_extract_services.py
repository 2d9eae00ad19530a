"""Service phrases from sentences written for these tests."""

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
