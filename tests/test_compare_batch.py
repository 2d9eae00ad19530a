"""Batch tables, comparisons and the precedent finder, end to end on corpus/."""

import csv
import json
import re
import shutil

import httpx
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from api.settings import Settings
from cli import app
from extract.decision import parse_date
from extract.funding import match_streams, stream_key, stream_label
from indexer.errors import InvalidQueryError
from search.batch import Question, expand_councils, read_councils, run_batch, run_manifest
from search.batch_output import ProgressWriter, progress_path
from search.compare import compare
from search.precedents import find_precedents
from search.sides import resolve_side
from tests.server import running_server

runner = CliRunner()
QUESTIONS = (
    "- id: funding\n  question: how was the parent-infant service funded\n"
    "- id: transport\n  question: home to school transport for pupils with special needs\n"
)
COUNCILS = "St Helens\nE10000016   # Kent, by GSS code\nSefton\nKnowsley\nWigan\n"


@pytest.fixture
def inputs(tmp_path):
    (tmp_path / "q.yaml").write_text(QUESTIONS)
    (tmp_path / "c.txt").write_text(COUNCILS)
    return tmp_path


def _batch(inputs, index, out, *extra):
    return runner.invoke(
        app,
        [
            "batch",
            "--questions",
            str(inputs / "q.yaml"),
            "--councils",
            str(inputs / "c.txt"),
            "--out",
            str(out),
            "--index",
            str(index),
            *extra,
        ],
    )


def test_batch_cells_answer_or_say_why_not(inputs, corpus_index, snapshot):
    out = inputs / "cells.json"
    result = _batch(inputs, corpus_index, out)
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    cells = {(c["council"], c["question_id"]): c for c in data["cells"]}
    assert len(cells) == 10
    for council in ("St Helens", "E10000016", "Sefton", "Knowsley"):
        assert cells[(council, "funding")]["status"] == "answered"
        assert cells[(council, "funding")]["citation"]["source"]
        assert cells[(council, "transport")]["status"] == "no evidence"
        assert cells[(council, "transport")]["message"].startswith("no evidence in 1 documents")
    st_helens = cells[("St Helens", "funding")]
    assert any("£140,000" in f["amounts"] for f in st_helens["facts"])
    assert cells[("E10000016", "funding")]["council_name"] == "Kent County Council"
    assert {cells[("Wigan", q)]["message"] for q in ("funding", "transport")} == {
        "no documents for this council"
    }
    manifest = data["manifest"]
    assert manifest["model"] == snapshot.model and manifest["generation"]
    assert len(manifest["question_set_hash"]) == 16


def test_batch_writes_csv_xlsx_and_markdown_with_the_manifest(inputs, corpus_index):
    for name in ("cells.csv", "cells.xlsx", "cells.md"):
        assert _batch(inputs, corpus_index, inputs / name).exit_code == 0
    rows = list(csv.DictReader((inputs / "cells.csv").open()))
    assert len(rows) == 10 and rows[0]["council"] == "St Helens"
    # Funding shows as the streams' labels, as in every other output, not their ids.
    assert "Family Hubs and Start for Life (DfE)" in rows[0]["facts"]
    assert "family_hubs" not in rows[0]["facts"]
    assert json.loads((inputs / "cells.csv.manifest.json").read_text())["questions"] == 2
    book = load_workbook(inputs / "cells.xlsx")
    assert book.sheetnames == ["answers", "cells", "manifest"]
    grid = [[c.value for c in row] for row in book["answers"].iter_rows()]
    assert grid[0][0] == "council" and grid[5][1] == "no documents for this council"
    markdown = (inputs / "cells.md").read_text()
    assert "question_set_hash" in markdown and "| Wigan |" in markdown


@pytest.mark.parametrize(
    ("questions", "out", "message"),
    [
        ("a: 1\n", "cells.csv", "must hold a list of questions"),
        ("- [unclosed\n", "cells.csv", "questions: cannot read"),
        (QUESTIONS, "missing/cells.csv", "is not a folder"),
    ],
)
def test_batch_refuses_bad_input_in_one_line_before_answering(
    inputs, corpus_index, questions, out, message
):
    (inputs / "q.yaml").write_text(questions)
    result = _batch(inputs, corpus_index, inputs / out)
    assert result.exit_code == 2, result.output
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not list(inputs.glob("cells*"))


def test_councils_all_is_every_council_that_issued_or_commissioned_a_document(snapshot):
    every = read_councils("all", snapshot.conn)
    assert every == ["Kent County Council", "Sefton Council", "St Helens Borough Council"]
    assert expand_councils(["all"], snapshot.conn) == every
    assert expand_councils([" ALL "], snapshot.conn) == every
    assert expand_councils(["Sefton", "Kent"], snapshot.conn) == ["Sefton", "Kent"]
    with pytest.raises(InvalidQueryError, match='"all" stands alone'):
        expand_councils(["Sefton", "all"], snapshot.conn)


def test_resume_keeps_finished_cells_and_does_the_rest(inputs, corpus_index, snapshot, embedder):
    questions = [
        Question("funding", "how was the parent-infant service funded"),
        Question("transport", "home to school transport for pupils with special needs"),
    ]
    councils = ["St Helens", "E10000016", "Sefton", "Knowsley", "Wigan"]
    out = inputs / "cells.json"
    writer = ProgressWriter(out, run_manifest(snapshot, questions, councils), resume=False)
    for n, cell in enumerate(run_batch(snapshot, embedder, questions, councils)):
        if n == 3:
            break  # interrupted after three cells
        cell.message = "kept from the first run"
        writer.write(cell)
    writer.close()
    result = _batch(inputs, corpus_index, out, "--resume")
    assert result.exit_code == 0, result.output
    cells = json.loads(out.read_text())["cells"]
    assert len(cells) == 10
    assert sum(c["message"] == "kept from the first run" for c in cells) == 3
    assert not progress_path(out).exists()


def test_resume_refuses_another_question_set(inputs, corpus_index, snapshot):
    out = inputs / "cells.json"
    progress_path(out).write_text(
        json.dumps(
            {
                "generation": snapshot.generation,
                "model": snapshot.model,
                "question_set_hash": "0" * 16,
            }
        )
        + "\n"
    )
    result = _batch(inputs, corpus_index, out, "--resume")
    assert result.exit_code == 2 and "question set hash" in result.stderr


def test_compare_st_helens_and_kent_shows_both_funding_streams_with_quotes(
    tmp_path, snapshot, embedder, corpus_index
):
    sides = [resolve_side(snapshot, s, embedder) for s in ("St Helens", "KCC")]
    result = compare(snapshot, sides)
    funding = result.facets["funding"]
    st_helens = {v.value: v for v in funding["St Helens Borough Council"]}
    kent = {v.value: v for v in funding["Kent County Council"]}
    assert "Family Hubs and Start for Life (DfE)" in st_helens
    assert any("Violence Reduction" in name for name in st_helens)
    assert "Family Hubs and Start for Life (DfE)" in kent
    assert all(v.quote for v in [*st_helens.values(), *kent.values()])
    amounts = result.facets["amounts"]
    assert [v.value for v in amounts["Kent County Council"]] == ["£3,051,809"]
    assert "£140,000" in amounts["St Helens Borough Council"][0].quote
    pair = result.pairs[0]
    assert pair.aligned and all(a.score >= 0.55 for a in pair.aligned)
    assert pair.only_left and pair.only_right
    page = tmp_path / "cmp.html"
    cli = runner.invoke(
        app,
        [
            "compare",
            "St Helens",
            "KCC",
            "--index",
            str(corpus_index),
            "--html",
            str(page),
            "--json",
        ],
    )
    assert cli.exit_code == 0, cli.output
    assert json.loads(cli.stdout)["sides"] == ["St Helens Borough Council", "Kent County Council"]
    html = page.read_text()
    assert "£3,051,809" in html and "<script" not in html


def test_every_facet_quote_states_its_value(snapshot, embedder, tmp_path):
    """A facet's quote is the sentence stating that value, at its offsets: never another
    sentence of the same record (the decision's title once stood behind its funding)."""
    draft = tmp_path / "draft.md"
    draft.write_text(
        "# Draft decision\n\nDecision date: 4 March 2024.\n\nWe propose a direct award to "
        "Mersey Care NHS Foundation Trust to run a parent-infant mental health service.\n\n"
        "It is funded by the Family Hubs and Start for Life programme grant of £90,000.\n\n"
        "The Liverpool City Region Wellbeing Fund will pay for the evaluation.\n"
    )
    specs = ("St Helens", "Sefton", "KCC", "Knowsley", str(draft))
    sides = [resolve_side(snapshot, s, embedder) for s in specs]
    facets = compare(snapshot, sides).facets
    texts = {doc_id: _text(snapshot, doc_id) for side in sides[:-1] for doc_id in side.doc_ids}
    texts[sides[-1].doc_ids[0]] = draft.read_text()
    quoted = 0
    for facet, by_side in facets.items():
        for value in (v for values in by_side.values() for v in values if v.quote):
            quoted += 1
            assert texts[value.doc_id][value.start : value.end] == value.quote, value
            if facet == "funding":
                mentions = match_streams(value.quote, assume_cue=True)
                assert value.value in {stream_label(stream_key(m)) for m in mentions}, value
            if facet == "dates":
                dates = {parse_date(d) for d in re.findall(DATE, value.quote)}
                assert value.value in dates, value
    funding = {v.value: v for v in facets["funding"][sides[-1].label]}
    assert "Family Hubs" in funding["Family Hubs and Start for Life (DfE)"].quote
    assert "Wellbeing Fund will pay" in funding["Liverpool City Region Wellbeing Fund"].quote
    assert quoted >= 20


DATE = r"\d{1,2}/\d{1,2}/\d{4}|\d{1,2}(?:st|nd|rd|th)? [A-Z][a-z]+ \d{4}|\d{4}-\d{2}-\d{2}"


def _text(snapshot, doc_id: str) -> str:
    row = snapshot.conn.execute("SELECT text FROM documents WHERE id = ?", (doc_id,)).fetchone()
    return row[0]


def test_stock_sections_are_down_weighted(snapshot, embedder):
    sides = [resolve_side(snapshot, s, embedder) for s in ("KCC", "St Helens")]
    pair = compare(snapshot, sides).pairs[0]
    for a in pair.aligned:
        assert "Data Protection" not in (a.left.section or "")


def test_precedents_rank_the_babs_decisions_together(snapshot, embedder):
    st_helens = resolve_side(snapshot, "St Helens", embedder)
    found = find_precedents(snapshot, st_helens)
    titles = [p.title for p in found]
    assert "Sefton" in titles[0] and "Building Bonds" in titles[1]
    assert all(p.organisation != "St Helens Borough Council" for p in found)
    assert any("Mersey Care" in r for r in found[0].reasons)


def test_a_draft_direct_award_to_an_nhs_trust_finds_st_helens_first(tmp_path, corpus_index):
    draft = tmp_path / "draft.md"
    draft.write_text(
        "# Direct award: parent-infant mental health service\n\n"
        "We propose a direct award of a two-year contract to an NHS foundation trust to run a "
        "specialist parent-infant mental health service that helps parents build secure "
        "attachment with their babies. It is funded from the Family Hubs and Start for Life "
        "programme.\n"
    )
    result = runner.invoke(app, ["precedents", str(draft), "--index", str(corpus_index), "--json"])
    assert result.exit_code == 0, result.output
    top = json.loads(result.stdout)["precedents"][0]
    assert top["organisation"] == "St Helens Borough Council"
    assert "same mechanism: direct award" in top["reasons"]


def test_api_compare_precedents_and_batch_downloads(tmp_path, corpus_index, embedder, snapshot):
    root = tmp_path / "idx"
    shutil.copytree(corpus_index, root)
    doc_id = snapshot.conn.execute(
        "SELECT id FROM documents WHERE organisation = 'St Helens Borough Council'"
    ).fetchone()[0]
    with (
        running_server(Settings(index=root), embedder) as url,
        httpx.Client(base_url=url, timeout=60) as c,
    ):
        cmp = c.post("/compare", json={"items": ["St Helens", "Kent"]}).json()
        assert cmp["facets"]["funding"]["Kent County Council"][0]["quote"]
        refused = c.post("/compare", json={"items": ["/etc/passwd", "Kent"]})
        assert refused.status_code == 404
        assert "is not a document id (no file paths here)" in refused.json()["detail"]
        found = c.get(f"/precedents/{doc_id}").json()["precedents"]
        assert "Sefton" in found[0]["title"]
        body = {"questions": ["how was the service funded"], "councils": ["Sefton", "Wigan"]}
        as_json = c.post("/batch", json=body).json()
        assert [x["status"] for x in as_json["cells"]] == ["answered", "no documents"]
        mixed = c.post("/batch", json={**body, "councils": ["all", "Kent"]})
        assert mixed.status_code == 422 and '"all" stands alone' in mixed.json()["detail"]
        every = c.post("/batch", json={**body, "councils": ["All"]}).json()
        councils = {x["council"] for x in every["cells"]}
        assert "Sefton Council" in councils and "all" not in councils, councils
        assert every["manifest"]["councils"] == len(councils)
        as_csv = c.post("/batch", json=body, headers={"Accept": "text/csv"})
        assert as_csv.headers["content-type"].startswith("text/csv")
        assert as_csv.text.splitlines()[0].startswith("council,")
        xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        as_xlsx = c.post("/batch", json=body, headers={"Accept": xlsx})
        assert as_xlsx.content[:2] == b"PK"


def test_comparing_indexed_sides_never_loads_the_model(corpus_index):
    """Councils and indexed documents are compared from the index's own vectors; in a real
    process, the model's stack (torch and the rest) is never imported."""
    import subprocess
    import sys

    from tests.conftest import REPO

    for args in (["compare", "St Helens", "KCC"], ["precedents", "St Helens"]):
        code = (
            "import sys\n"
            "from cli import app\n"
            "try:\n"
            f"    app({[*args, '--index', str(corpus_index), '--json']!r})\n"
            "except SystemExit as exit:\n"
            "    assert not exit.code, exit.code\n"
            "print(sorted(m for m in ('torch', 'sentence_transformers') if m in sys.modules),"
            " file=sys.stderr)\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
        )
        assert json.loads(out.stdout), args
        assert out.stderr.strip().splitlines()[-1] == "[]", out.stderr


def test_each_answered_cell_cites_what_the_same_search_finds_first(
    inputs, corpus_index, snapshot, embedder
):
    from search.engine import search
    from search.query import make_request

    out = inputs / "cells.json"
    assert _batch(inputs, corpus_index, out).exit_code == 0
    answered = [c for c in json.loads(out.read_text())["cells"] if c["status"] == "answered"]
    assert len(answered) >= 4
    for cell in answered:
        request = make_request(cell["question"], "hybrid", k=1, organisation=cell["council"])
        top = search(snapshot, request, embedder).results[0]
        assert cell["citation"]["doc_id"] == top.doc_id, cell["council"]


def test_two_documents_titled_alike_compare_under_distinct_labels(snapshot, embedder, tmp_path):
    drafts = []
    for n, body in enumerate(("A direct award to a charity.", "An open tender for advocacy.")):
        draft = tmp_path / f"record-{n}.md"
        draft.write_text(f"# Record of Decision\n\n{body} It is funded by the council.\n")
        drafts.append(resolve_side(snapshot, str(draft), embedder))
    result = compare(snapshot, drafts)
    assert len(set(result.sides)) == 2 and all("Record of Decision (" in s for s in result.sides)
    assert set(result.facets["service"]) == set(result.sides)
    with pytest.raises(InvalidQueryError, match="the same document or council twice"):
        compare(snapshot, [drafts[0], drafts[0]])
