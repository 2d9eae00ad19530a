"""A killed or concurrent `precedent index` never leaves a broken index (real processes)."""

import os
import signal
import subprocess
import sys

import pytest

from bench.corpus import write_corpus
from indexer.pipeline import index_paths
from indexer.store import open_snapshot
from search.engine import search
from search.query import make_request
from tests.conftest import REPO


def _index_cmd(docs, root) -> list[str]:
    return [sys.executable, str(REPO / "cli.py"), "index", str(docs), "--index", str(root), "-v"]


def _assert_readable(root, embedder, allowed_counts: set[int]) -> int:
    snap = open_snapshot(root)
    try:
        count = snap.manifest["documents"]
        assert count in allowed_counts
        chunks = snap.conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
        assert chunks == snap.vectors.ntotal == snap.manifest["chunks"]
        assert search(snap, make_request("parent infant service funding"), embedder).results
        return count
    finally:
        snap.close()


@pytest.fixture
def grown_corpus(tmp_path, embedder, corpus_copy):
    """An index of the 5 corpus files, and a folder holding them plus 45 new documents."""
    docs = tmp_path / "docs"
    docs.mkdir()
    for path in corpus_copy.glob("*.txt"):
        (docs / path.name).write_text(path.read_text())
    root = tmp_path / "idx"
    index_paths(root, [docs], embedder)
    write_corpus(docs / "generated", 45)
    return docs, root


@pytest.mark.parametrize(
    "stage", ["scanning", "loading", "embedding", "building vector index", "publishing"]
)
def test_sigkill_at_any_stage_leaves_the_previous_or_the_new_index(grown_corpus, embedder, stage):
    docs, root = grown_corpus
    proc = subprocess.Popen(_index_cmd(docs, root), stderr=subprocess.PIPE, text=True, cwd=REPO)
    seen = []
    for line in proc.stderr:
        seen.append(line.strip())
        if line.strip() == f"stage: {stage}":
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert f"stage: {stage}" in seen, seen
    assert proc.returncode == -signal.SIGKILL
    _assert_readable(root, embedder, {5, 50})
    # The next run finishes the job from whatever the killed one left.
    report = index_paths(root, [docs], embedder)
    assert not report.failed
    assert _assert_readable(root, embedder, {50}) == 50


def test_two_concurrent_index_runs_do_not_corrupt_the_index(grown_corpus, embedder):
    docs, root = grown_corpus
    procs = [
        subprocess.Popen(_index_cmd(docs, root), stderr=subprocess.PIPE, text=True, cwd=REPO)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=240)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert _assert_readable(root, embedder, {50}) == 50
    # One run did the work; the other waited for the lock and found nothing left to do.
    assert sum("(no changes)" in out for out in outputs) == 1, outputs
