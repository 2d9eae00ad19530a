"""The grouped evidence answer on the shipped corpus, from the documents alone."""

import csv
import io
import json
import shutil

import httpx
import pytest
from typer.testing import CliRunner

from api.settings import Settings
from cli import app
from search.evidence import answer
from search.query import Filters
from search.render import clip
from search.serialize import evidence_dict
from tests.server import running_server

QUESTION = "which councils commissioned parent-infant services and how were they funded"


@pytest.fixture(scope="module")
def rows(corpus_index, embedder):
    from indexer.store import open_snapshot

    result = answer(open_snapshot(corpus_index), QUESTION, embedder)
    return {row.organisation or "not stated": row for row in result.rows}


def _streams(row) -> set[str]:
    return {s["id"] for s in row.funding_streams}


def test_st_helens_babs_direct_award_with_family_hubs_and_vrp_money(rows):
    row = rows["St Helens Borough Council"]
    assert row.gss_code == "E08000013"
    assert "Bonds" in row.service and row.provider == "Mersey Care NHS Foundation Trust"
    assert row.mechanism == "direct award" and "2 year" in row.duration
    assert {"family_hubs", "violence_reduction"} <= _streams(row)
    [vrp] = [a for a in row.amounts if a["text"] == "£140,000"]
    assert vrp["attrs"]["attached_to"] == "violence_reduction"
    assert "Violence Reduction Partnership has committed £140,000" in vrp["evidence"]["quote"]


def test_sefton_babs_pilot_funded_by_the_council(rows):
    row = rows["Sefton Council"]
    assert "BABS" in row.service and "12" in row.duration and row.mechanism == "pilot"
    assert "council_core" in _streams(row)


def test_knowsley_building_bonds_commissioned_by_the_ccg(rows):
    [name] = [n for n in rows if "Knowsley" in n]
    assert "CCG" in name
    row = rows[name]
    assert "Building Bonds" in row.service and "nhs_commissioning" in _streams(row)


def test_kent_perinatal_interventions_from_the_family_hubs_grant(rows):
    row = rows["Kent County Council"]
    assert "Perinatal" in row.service and "family_hubs" in _streams(row)
    assert [a["text"] for a in row.amounts] == ["£3,051,809"]
    assert int(float(rows["Kent County Council"].amounts[0]["value"])) == 3_051_809


def test_the_repeat_removals_tender_has_its_council_not_stated(rows):
    row = rows["not stated"]
    assert "advocacy" in row.service.lower() and row.mechanism == "open tender"
    assert row.organisation is None and row.gss_code is None


def test_every_stored_quote_is_the_exact_document_text(snapshot):
    texts = dict(snapshot.conn.execute("SELECT id, text FROM documents"))
    facts = snapshot.conn.execute("SELECT doc_id, start, end, quote FROM facts").fetchall()
    assert len(facts) > 50
    for doc_id, start, end, quote in facts:
        assert texts[doc_id][start:end] == quote
    for doc_id, evidence, amounts in snapshot.conn.execute(
        "SELECT doc_id, evidence, amounts FROM records"
    ):
        quotes = json.loads(evidence) + [a["evidence"] for a in json.loads(amounts)]
        for q in quotes:
            assert texts[doc_id][q["start"] : q["end"]] == q["quote"]


def test_not_found_is_said_plainly(snapshot, embedder):
    none = answer(snapshot, QUESTION, embedder, Filters(organisation="Wigan"))
    assert none.rows == [] and none.notes == ["no documents for this council: Wigan"]
    kent = answer(snapshot, QUESTION, embedder, Filters(organisation="KCC"), funding="household")
    assert kent.rows == [] and kent.matched_documents == 1
    assert kent.notes == ["no 'household' funding stated in 1 matching documents"]
    # Filtering rows away must not turn into "no commissioning facts stated".
    bogus = answer(snapshot, QUESTION, embedder, funding="bogus")
    assert bogus.rows == [] and bogus.matched_documents == 5
    assert len(bogus.notes) == 1, bogus.notes
    assert bogus.notes[0].startswith("no 'bogus' funding stated in 5 matching documents;")
    assert "is none of the listed streams (family_hubs, " in bogus.notes[0]
    assert evidence_dict(answer(snapshot, QUESTION, embedder))["rows"][0]["organisation"]


def test_an_organisations_documents_are_ranked_among_its_own(snapshot, embedder):
    # The index's single best document for the question is not Kent's...
    best = answer(snapshot, QUESTION, embedder, depth=1)
    assert best.matched_documents == 1
    assert all("Kent" not in (row.organisation or "") for row in best.rows)
    # ...yet at depth 1 Kent's question finds Kent's: the filter ranks within its documents.
    kent = answer(snapshot, QUESTION, embedder, Filters(organisation="Kent"), depth=1)
    assert kent.matched_documents == 1 and kent.notes == []
    assert {row.organisation for row in kent.rows} == {"Kent County Council"}


def test_a_shortened_quote_looks_shortened():
    assert clip("Funded by  the\nFamily Hubs grant.", 300) == "Funded by the Family Hubs grant."
    long = "The council will fund the service, " * 20
    shown = clip(long, 100)
    assert shown.endswith("…") and len(shown) <= 101
    assert long.startswith(shown[:-1]) and not shown[:-1].endswith((" ", ","))
    assert clip("x" * 500, 100) == "x" * 100 + "…"  # no space to cut at


def test_the_table_marks_quotes_it_shortens(corpus_index):
    result = CliRunner().invoke(
        app, ["evidence", QUESTION, "--index", str(corpus_index)], env={"COLUMNS": "400"}
    )
    assert result.exit_code == 0, result.output
    # Kent's funding sentence (chars 788-1284) is longer than the 300 characters shown:
    # the quote printed just before its citation ends in an ellipsis.
    before = result.stdout.split("chars 788-1284")[0]
    assert "…”" in before.rsplit("chars ", 1)[-1], before[-800:]


def test_cli_csv_and_json(corpus_index):
    runner = CliRunner()
    result = runner.invoke(app, ["evidence", QUESTION, "--index", str(corpus_index), "--csv"])
    assert result.exit_code == 0, result.output
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(table) == 5
    kent = next(r for r in table if r["organisation"] == "Kent County Council")
    assert "£3,051,809" in kent["amounts"] and "kent-23-00075" in kent["evidence"]
    result = runner.invoke(
        app, ["evidence", QUESTION, "--index", str(corpus_index), "--json", "--org", "St Helens"]
    )
    data = json.loads(result.stdout)
    assert [r["organisation"] for r in data["rows"]] == ["St Helens Borough Council"]
    args = ["evidence", QUESTION, "--index", str(corpus_index), "--json", "--type", "news"]
    news = json.loads(CliRunner().invoke(app, args).stdout)
    assert {d["doc_type"] for r in news["rows"] for d in r["documents"]} == {"news"}


def test_api_evidence_and_document_facts(tmp_path, corpus_index, embedder):
    root = tmp_path / "idx"
    shutil.copytree(corpus_index, root)
    with running_server(Settings(index=root), embedder) as url:
        data = httpx.get(f"{url}/evidence", params={"q": QUESTION}, timeout=60).json()
        assert len(data["rows"]) == 5
        news = httpx.get(f"{url}/evidence", params={"q": QUESTION, "type": "news"}).json()
        types = {d["doc_type"] for r in news["rows"] for d in r["documents"]}
        assert types == {"news"}, types
        doc_id = next(
            r["documents"][0]["id"] for r in data["rows"] if r["organisation"].startswith("Kent")
        )
        facts = httpx.get(f"{url}/documents/{doc_id}/facts").json()
        assert any(f["kind"] == "amount" and f["surface"] == "£3,051,809" for f in facts["facts"])
        assert facts["records"][0]["commissioner"] == "Kent County Council"
