"""Shared fixtures: the real bundled model, loaded once per session, and a corpus index."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from indexer.embed import Embedder, load_embedder
from indexer.pipeline import index_paths
from indexer.store import Snapshot, open_snapshot

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's own index or model settings."""
    monkeypatch.delenv("PRECEDENT_INDEX", raising=False)
    monkeypatch.delenv("PRECEDENT_MODEL", raising=False)


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return load_embedder()


@pytest.fixture(scope="session")
def corpus_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of corpus/ so tests can never touch the shipped files."""
    target = tmp_path_factory.mktemp("corpus") / "corpus"
    shutil.copytree(CORPUS, target)
    return target


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory: pytest.TempPathFactory, corpus_copy: Path, embedder) -> Path:
    root = tmp_path_factory.mktemp("index") / "idx"
    report = index_paths(root, [corpus_copy], embedder)
    assert not report.failed
    return root


@pytest.fixture
def snapshot(corpus_index: Path) -> Snapshot:
    snap = open_snapshot(corpus_index)
    yield snap
    snap.close()
