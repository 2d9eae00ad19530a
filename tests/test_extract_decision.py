"""Decision metadata from labelled lines and headings."""

from extract.decision import best_decision_date, decision_facts, parse_date


def kinds(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for fact in decision_facts(text):
        assert text[fact.evidence.start : fact.evidence.end] == fact.evidence.quote
        found.setdefault(fact.kind, []).append(fact.value)
    return found


def test_label_value_lines():
    text = (
        "Decision ref\n0101 2024/25\nDecision date\n05/03/2024\n"
        "Decision Maker: Cabinet Member for Children\nIs Key decision?: Yes\n"
    )
    assert kinds(text) == {
        "decision_date": ["2024-03-05"],
        "decision_ref": ["0101 2024/25"],
        "decision_maker": ["Cabinet Member for Children"],
        "key_decision": ["yes"],
    }


def test_value_a_few_lines_below_its_label():
    text = "Decision number:\n\nDecision:\n\n77/2022\nThe Cabinet agreed."
    facts = [f for f in decision_facts(text) if f.kind == "decision_ref"]
    assert [f.value for f in facts] == ["77/2022"]
    assert facts[0].evidence.quote == "Decision number:\n\nDecision:\n\n77/2022"


def test_minutes_meeting_line_and_heading_forms():
    text = (
        "Meeting: 02/11/2022 - Cabinet (Item 9)\n\n"
        "22/00410 - Early Help Review\n\n"
        "Decision type: Non-key\n"
    )
    found = kinds(text)
    assert found["decision_date"] == ["2022-11-02"]
    assert found["decision_maker"] == ["Cabinet"]
    assert found["decision_ref"] == ["22/00410"]
    assert found["key_decision"] == ["no"]


def test_publication_date_is_not_the_decision_date():
    facts = decision_facts("Date published: 3 March 2021\n\nNews text.")
    assert [f.value for f in facts] == ["2021-03-03"]
    assert best_decision_date(facts) is None


def test_parse_date_forms():
    assert parse_date("13/07/2023") == "2023-07-13"
    assert parse_date("19 October 2021") == "2021-10-19"
    assert parse_date("22nd Sep 2023") == "2023-09-22"
    assert parse_date("not a date") is None
