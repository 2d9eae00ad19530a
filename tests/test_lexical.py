"""The bm25s lexical index on a real SQLite chunks table, saved and reopened from disk."""

import json
import shutil
import sqlite3

import numpy as np
import pytest

from indexer import lexical, schema
from indexer.errors import IndexNotFoundError
from indexer.pipeline import index_paths
from indexer.store import open_snapshot, outdated

TEXTS = {
    3: "The council commissioned a parent-infant service from Mersey Care.",
    7: "Commissioning of domestic abuse refuges across the borough.",
    8: "Road resurfacing schedule for the winter months.",
    12: "Parent infant relationship work funded by the Family Hubs grant.",
}


@pytest.fixture
def saved(tmp_path):
    conn = sqlite3.connect(":memory:")
    schema.migrate(conn)
    conn.execute(
        "INSERT INTO documents (id, source, file_hash, format, page_starts, empty_pages, text,"
        " indexed_at) VALUES ('d', 's', 'h', 'txt', '[0]', '[]', '', 'now')"
    )
    for chunk_id, text in TEXTS.items():
        conn.execute(
            "INSERT INTO chunks (id, doc_id, ordinal, start, end, page, page_end, section, text,"
            " text_hash, token_count) VALUES (?, 'd', ?, 0, 0, 1, 1, NULL, ?, '', 0)",
            (chunk_id, chunk_id, text),
        )
    lexical.save(lexical.build(conn), tmp_path / "lexical")
    return lexical.load(tmp_path / "lexical")


def test_stemming_matches_word_forms_and_ranks_by_bm25(saved):
    hits = saved.search("commissioning", 10)
    assert {c for c, _ in hits} == {3, 7}
    scores = [s for _, s in hits]
    assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)
    assert saved.search("parent infant", 10)[0][0] in (3, 12)


def test_only_matching_chunks_come_back_and_limit_holds(saved):
    assert saved.search("refuges", 10) == [(7, pytest.approx(saved.search("refuges", 1)[0][1]))]
    assert len(saved.search("parent infant commissioned", 1)) == 1
    assert saved.search("the of and", 10) == []  # stopwords only
    assert saved.search("zzqqxx", 10) == []  # no term in the vocabulary


def test_every_chunks_score_is_read_by_id(saved):
    scores = saved.scores("commissioning")
    hits = dict(saved.search("commissioning", 10))
    ids = np.array([3, 7, 8, 12, 2, 99], dtype=np.int64)  # 2 and 99 are not indexed
    assert saved.scores_at(scores, ids).tolist() == pytest.approx(
        [hits[3], hits[7], 0.0, 0.0, 0.0, 0.0]
    )
    assert saved.scores_at(scores, np.array([], dtype=np.int64)).tolist() == []
    assert not saved.scores("zzqqxx").any()


def test_allowed_ids_restrict_the_result(saved):
    hits = saved.search("parent infant", 10, allowed=np.array([12, 99], dtype=np.int64))
    assert [c for c, _ in hits] == [12]
    assert saved.search("parent infant", 10, allowed=np.array([], dtype=np.int64)) == []


def test_an_empty_index_saves_loads_and_finds_nothing(tmp_path):
    conn = sqlite3.connect(":memory:")
    schema.migrate(conn)
    lexical.save(lexical.build(conn), tmp_path / "empty")
    assert lexical.load(tmp_path / "empty").search("anything", 5) == []


def test_chunks_without_an_indexable_word_index_and_find_nothing(tmp_path, embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "quote.txt").write_text("To be or not to be.\n")
    report = index_paths(tmp_path / "idx", [docs], embedder)
    assert report.added and not report.failed
    snap = open_snapshot(tmp_path / "idx")
    assert len(snap.lexical.chunk_ids) == 1 and snap.lexical.model is None
    assert snap.lexical.search("be", 5) == []


def test_an_index_from_an_older_schema_asks_for_a_reindex_which_upgrades_it(
    corpus_index, corpus_copy, embedder, tmp_path
):
    root = tmp_path / "old"
    shutil.copytree(corpus_index, root)
    gen = root / "generations" / open_snapshot(root).generation
    # Make it a real schema-3 index again: FTS5 table and triggers back, version 3.
    conn = sqlite3.connect(gen / "index.sqlite")
    schema.m002_chunks_fts(conn)
    conn.execute("INSERT INTO chunks_fts(chunks_fts) VALUES('rebuild')")
    conn.execute("PRAGMA user_version = 3")
    conn.commit()
    conn.close()
    size_v3 = (gen / "index.sqlite").stat().st_size
    shutil.rmtree(gen / "lexical")
    data = json.loads((gen / "manifest.json").read_text())
    (gen / "manifest.json").write_text(json.dumps({**data, "schema_version": 3}))
    with pytest.raises(IndexNotFoundError, match="older version.*precedent index"):
        open_snapshot(root)
    report = index_paths(root, [corpus_copy], embedder)
    assert report.generation and not report.added and report.chunks_embedded == 0
    snap = open_snapshot(root)
    assert snap.lexical.search("Mersey Care", 5)
    tables = {r[0] for r in snap.conn.execute("SELECT name FROM sqlite_master")}
    assert "chunks_fts" not in tables and "chunks_ai" not in tables
    # The dropped FTS5 index's pages are given back, not copied into every later generation.
    assert snap.conn.execute("PRAGMA freelist_count").fetchone()[0] == 0
    new_gen = root / "generations" / snap.generation
    assert (new_gen / "index.sqlite").stat().st_size < 0.9 * size_v3


def test_other_bm25_settings_rebuild_the_lexical_index_without_embedding(
    corpus_index, corpus_copy, embedder, tmp_path, monkeypatch
):
    root = tmp_path / "idx"
    shutil.copytree(corpus_index, root)
    assert not outdated(root)
    before = open_snapshot(root).lexical.search("Mersey Care parent infant", 3)
    monkeypatch.setattr(lexical, "B", 0.9)
    assert outdated(root)
    report = index_paths(root, [corpus_copy], embedder)
    assert report.generation and report.chunks_embedded == 0 and not outdated(root)
    after = open_snapshot(root).lexical
    assert after.model.b == 0.9
    assert after.search("Mersey Care parent infant", 3) != before  # scores moved with b


def test_publishing_rebuilds_a_bm25_index_written_before_the_last_change(tmp_path):
    """The indexer writes the BM25 index before embedding the rest of a run; a chunk written
    after it must still be found once the generation is published."""
    from indexer import vectors
    from indexer.store import LEXICAL_NAME, GenerationBuilder

    builder = GenerationBuilder(tmp_path, "model", 4)
    insert = (
        "INSERT INTO chunks (id, doc_id, ordinal, start, end, page, page_end, section, text,"
        " text_hash, token_count) VALUES (?, 'd', ?, 0, 0, 1, 1, NULL, ?, '', 0)"
    )
    builder.conn.execute(
        "INSERT INTO documents (id, source, file_hash, format, page_starts, empty_pages, text,"
        " indexed_at) VALUES ('d', 's', 'h', 'txt', '[0]', '[]', '', 'now')"
    )
    builder.conn.execute(insert, (3, 3, TEXTS[3]))
    builder.write_lexical()
    builder.conn.execute(insert, (7, 7, TEXTS[7]))
    ids = np.array([3, 7], dtype=np.int64)
    builder.publish(vectors.build(ids, np.eye(2, 4, dtype=np.float32)), {})
    index = lexical.load(builder.path / LEXICAL_NAME)
    assert [c for c, _ in index.search("refuges", 10)] == [7]
    assert [c for c, _ in index.search("parent infant", 10)] == [3]
