"""Extraction over the bundled corpus: evidence offsets and the expected seed records."""

import dataclasses
import json
from pathlib import Path

import pytest

from extract import DocumentFacts, extract_document

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
FILES = sorted(CORPUS.glob("*.txt"))


def extract(name: str) -> DocumentFacts:
    return extract_document((CORPUS / name).read_text(encoding="utf-8"))


def test_corpus_is_present():
    assert len(FILES) == 5


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_quote_is_the_exact_slice(path: Path):
    text = path.read_text(encoding="utf-8")
    result = extract_document(text)
    evidence = [f.evidence for f in result.facts] + [e for r in result.records for e in r.evidence]
    assert evidence
    for e in evidence:
        assert text[e.start : e.end] == e.quote
    json.dumps(dataclasses.asdict(result))  # JSON-serialisable as the indexer stores it


def test_st_helens_direct_award():
    (record,) = extract("st-helens-0017-2023-24-babs-direct-award.txt").records
    assert (record.commissioner, record.commissioner_code) == (
        "St Helens Borough Council",
        "E08000013",
    )
    assert "Building Attachments and Bonds Service" in record.service
    assert record.provider == "Mersey Care NHS Foundation Trust"
    assert record.mechanism == "direct award"
    assert record.duration == "2 years (pilot)"
    assert set(record.funding_streams) == {"family_hubs", "violence_reduction"}
    (amount,) = record.amounts
    assert (amount.value, amount.attrs["attached_to"]) == ("140000.00", "violence_reduction")
    assert record.decision_date == "2023-07-13"


def test_sefton_pilot_from_the_provider_news_release():
    (record,) = extract("mersey-care-babs-sefton-pilot-2022.txt").records
    assert record.commissioner == "Sefton Council"
    assert record.provider == "Mersey Care NHS Foundation Trust"
    assert record.service == "Building Attachments and Bonds Service (BABS)"
    assert record.duration == "12 months (pilot)"
    assert record.funding_streams == ("council_core",)


def test_knowsley_building_bonds_commissioned_by_the_ccg():
    (record,) = extract("knowsley-building-bonds-evaluation.txt").records
    assert record.commissioner in {"NHS Knowsley CCG", "Knowsley CCG"}
    assert record.service == "Building Bonds"
    assert record.provider == "North West Boroughs Healthcare NHS Foundation Trust"
    assert record.funding_streams == ("nhs_commissioning",)
    assert record.duration == "3 years"


def test_kent_family_hubs_grant():
    (record,) = extract("kent-23-00075-family-hubs-perinatal.txt").records
    assert (record.commissioner, record.commissioner_code) == ("Kent County Council", "E10000016")
    assert record.service == "Perinatal Mental Health and Parent Infant Relationship Interventions"
    assert record.funding_streams == ("family_hubs",)
    (amount,) = record.amounts
    assert (amount.text, amount.attrs["pence"]) == ("£3,051,809", 305_180_900)
    assert record.duration == "until March 2025"


def test_cabinet_minute_names_no_council():
    result = extract("cabinet-119-2021-repeat-removals-advocacy.txt")
    (record,) = result.records
    assert record.commissioner is None and record.commissioner_code is None
    assert record.mechanism == "open tender"
    assert "advocacy" in record.service.lower()
    assert not [f for f in result.facts if f.kind == "council"]
    refs = [f.value for f in result.facts if f.kind == "decision_ref"]
    assert refs == ["119/2021"]
