"""Embedding backends with the real bundled model: torch, OpenVINO fp32 and OpenVINO int8.

The OpenVINO backends need the openvino extra, which `make install` (and so CI) installs: a
test here fails, never skips, where it is missing. The choice logic is also tested with
availability passed in. Exports go to a temporary cache folder, made once per session.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from indexer import openvino_run
from indexer.embed import (
    AUTO,
    BACKEND_ENV,
    BACKENDS,
    DEFAULT_MODEL,
    OPENVINO,
    OPENVINO_INT8,
    OV_FILE,
    PREFERRED,
    PREFERRED_SAME_VECTORS,
    TORCH,
    Embedder,
    backend_setting,
    choose_backend,
    load_embedder,
    split_name,
)
from indexer.errors import ModelLoadError

QUERY = "Which council funded a parent-infant mental health service?"
SENTENCES = [
    "The council agreed to fund a parent-infant mental health service for new parents.",
    "The bus timetable changes on Sunday because of roadworks on the high street.",
    "Quarterly figures for recycling collections rose slightly in the autumn.",
]


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(scope="session")
def backends(model_cache: Path) -> dict[str, Embedder]:
    """Every backend, each loaded once (an error here means the openvino extra is missing)."""
    return {name: load_embedder(backend=name, cache_dir=model_cache) for name in BACKENDS}


@pytest.mark.parametrize("name", BACKENDS)
def test_each_backend_gives_unit_vectors_and_ranks_the_relevant_sentence_first(backends, name):
    embedder = backends[name]
    assert embedder.backend == name
    vectors = embedder.encode(SENTENCES)
    assert vectors.shape == (3, embedder.dimension) == (3, 384)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    scores = vectors @ embedder.encode([QUERY])[0]
    assert int(np.argmax(scores)) == 0
    assert embedder.max_tokens == 254
    assert embedder.count_tokens(["two words"]) == [2]


def test_openvino_fp32_matches_torch_and_shares_its_name(backends):
    torch, fp32 = backends[TORCH], backends[OPENVINO]
    assert fp32.name == torch.name == DEFAULT_MODEL
    diff = np.abs(fp32.encode(SENTENCES + [QUERY]) - torch.encode(SENTENCES + [QUERY]))
    assert diff.max() < 1e-5


def test_int8_records_its_own_name_and_that_name_reloads_int8(backends, model_cache):
    int8 = backends[OPENVINO_INT8]
    assert int8.name != backends[TORCH].name
    assert split_name(int8.name) == (DEFAULT_MODEL, OPENVINO_INT8)
    # A query names the model its index recorded: that wins over any backend asked for.
    again = load_embedder(int8.name, backend=TORCH, cache_dir=model_cache)
    assert again.backend == OPENVINO_INT8 and again.name == int8.name
    assert np.allclose(again.encode(SENTENCES), int8.encode(SENTENCES), atol=1e-6)


def test_exports_are_made_once_and_reused(backends, model_cache):
    files = sorted(model_cache.glob(f"*/{OV_FILE}"))
    assert len(files) == 2  # fp32 and int8
    before = [f.stat().st_mtime_ns for f in files]
    load_embedder(backend=OPENVINO_INT8, cache_dir=model_cache)
    assert sorted(model_cache.glob(f"*/{OV_FILE}")) == files
    assert [f.stat().st_mtime_ns for f in files] == before
    assert not list(model_cache.glob("*.tmp-*"))


def test_unknown_backend_is_an_error_naming_the_parameter(monkeypatch):
    with pytest.raises(ModelLoadError, match=r"unknown embedding backend 'onnx' \(backend"):
        load_embedder(backend="onnx")
    monkeypatch.setenv(BACKEND_ENV, "cuda")
    with pytest.raises(ModelLoadError, match=rf"'cuda'.*\${BACKEND_ENV}"):
        backend_setting()


def test_backend_setting_comes_from_argument_then_environment_then_auto(monkeypatch):
    monkeypatch.delenv(BACKEND_ENV, raising=False)
    assert backend_setting() == AUTO
    monkeypatch.setenv(BACKEND_ENV, OPENVINO)
    assert backend_setting() == OPENVINO
    assert backend_setting(TORCH) == TORCH


ALL = frozenset(BACKENDS)
TORCH_ONLY = frozenset({TORCH})


def test_auto_falls_back_to_torch_when_openvino_does_not_import():
    assert choose_backend(AUTO, TORCH_ONLY) == TORCH
    assert choose_backend(AUTO, TORCH_ONLY, named=True) == TORCH
    assert choose_backend(TORCH, TORCH_ONLY) == TORCH


def test_auto_keeps_torch_vectors_for_a_named_model_and_prefers_the_fastest_otherwise():
    assert choose_backend(AUTO, ALL) == PREFERRED
    assert choose_backend(AUTO, ALL, named=True) == PREFERRED_SAME_VECTORS
    assert PREFERRED_SAME_VECTORS in (TORCH, OPENVINO)  # the backends sharing torch's name
    # Without corpus/ to calibrate int8 on, auto takes the fp32 OpenVINO backend.
    assert choose_backend(AUTO, frozenset({TORCH, OPENVINO})) == PREFERRED_SAME_VECTORS


@pytest.mark.parametrize("name", [OPENVINO, OPENVINO_INT8])
def test_an_explicit_openvino_backend_that_cannot_load_is_a_clear_error(name):
    with pytest.raises(ModelLoadError, match=rf"backend '{name}' cannot load here.*openvino extra"):
        choose_backend(name, TORCH_ONLY)


def test_encode_batches_longest_first_and_returns_rows_in_input_order(backends):
    """Batches are cut from the texts sorted by length (less padding), yet row i is text i."""
    embedder = backends[TORCH]
    texts = ["short", SENTENCES[0] * 6, "a little longer text", SENTENCES[1] * 3, QUERY]
    sizes: list[int] = []
    together = embedder.encode(texts, batch_size=2, on_batch=sizes.append)
    alone = np.stack([embedder.encode([t])[0] for t in texts])
    assert np.abs(together - alone).max() < 1e-5
    assert sizes == [2, 2, 1]


@pytest.mark.parametrize("name", [TORCH, OPENVINO_INT8])
def test_counting_tokens_while_another_thread_encodes(backends, name):
    """The API indexes an upload (counting tokens, untruncated) while searches embed
    (truncated to the model's limit). On one shared tokenizer the two flip its truncation
    state under each other: "Already borrowed" errors, or counts cut at the limit."""
    embedder = backends[name]
    long_text = " ".join(SENTENCES * 40)  # far over the model's 256-token limit
    expected = embedder.count_tokens([long_text])[0]
    assert expected > embedder.max_tokens + 2
    errors: list[BaseException] = []
    counts: list[int] = []

    def encode() -> None:
        try:
            for _ in range(15):
                embedder.encode([long_text] * 4)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    worker = threading.Thread(target=encode)
    worker.start()
    try:
        while worker.is_alive():
            counts += embedder.count_tokens([long_text] * 8)
    except BaseException as exc:  # noqa: BLE001
        errors.append(exc)
    worker.join()
    assert not errors
    assert counts and set(counts) == {expected}


def _corpus_paragraphs() -> list[str]:
    """Real text of every length: the bundled corpus's paragraphs, a whole document (over
    the model's limit), and words the tokenizer folds (accents, a dotted capital I, emoji)."""
    corpus = Path(__file__).resolve().parent.parent / "corpus"
    docs = [p.read_text(encoding="utf-8") for p in sorted(corpus.glob("*.txt"))]
    paragraphs = [p for doc in docs for p in doc.split("\n\n") if p.strip()][:60]
    return [*paragraphs, docs[0], "Café İstanbul naïve résumé 👶 — “quoted”", "x"]


@pytest.mark.parametrize("name", [OPENVINO, OPENVINO_INT8])
def test_openvino_models_run_directly_with_sentence_transformers_vectors(
    backends, name, monkeypatch
):
    """``encode`` runs tokenizer, model and mean pooling itself (indexer/openvino_run.py),
    not through sentence-transformers, and gives its vectors for the same batch."""
    embedder = backends[name]
    texts = _corpus_paragraphs()
    library = np.vstack(
        [
            embedder.model.encode(texts[i : i + 16], normalize_embeddings=True)
            for i in range(0, len(texts), 16)
        ]
    )

    def refuse(*args, **kwargs):
        raise AssertionError("sentence-transformers' encode was called")

    monkeypatch.setattr(embedder.model, "encode", refuse)
    # The same groups of 16 (padding depends on the batch): ``lengths`` keeps input order,
    # so one call cuts the batches above, tokenising each ahead while the model runs.
    direct = embedder.encode(texts, batch_size=16, lengths=range(len(texts), 0, -1))
    assert np.abs(direct - library).max() < 1e-6
    assert np.allclose(np.linalg.norm(direct, axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("name", [TORCH, OPENVINO_INT8])
def test_counting_tokens_agrees_with_the_model_tokenizer(backends, name):
    """The counter calls the fast tokenizer itself: the counts transformers' call gives."""
    embedder = backends[name]
    texts = _corpus_paragraphs()
    expected = embedder.model.tokenizer(texts, add_special_tokens=False, verbose=False)
    assert embedder.count_tokens(texts) == [len(ids) for ids in expected["input_ids"]]
    assert max(embedder.count_tokens(texts)) > embedder.max_tokens  # the whole document


def test_encode_batches_by_the_token_counts_it_is_given(backends, monkeypatch):
    """The pipeline passes each text's token count, which orders batches better than
    characters do; rows still come back in input order."""
    embedder = backends[OPENVINO_INT8]
    a, c = "Parent-infant service.", "Early help."
    b, d = SENTENCES[0] * 4, SENTENCES[1] * 3
    texts = [a, b, c, d]
    batches: list[list[str]] = []
    tokenize = openvino_run.tokenize

    def recording(tokenizer, batch):
        batches.append(batch)
        return tokenize(tokenizer, batch)

    monkeypatch.setattr(openvino_run, "tokenize", recording)
    by_counts = embedder.encode(texts, batch_size=2, lengths=[4, 3, 2, 1])
    assert batches == [[a, b], [c, d]]
    batches.clear()
    by_characters = embedder.encode(texts, batch_size=2)
    assert batches == [[b, d], [a, c]]
    # Each row is its own text's vector (another text's is far off), whichever the batches.
    assert np.abs(by_counts - embedder.encode(texts, batch_size=1)).max() < 0.01
    assert np.abs(by_counts - by_characters).max() < 0.01


def test_a_failing_caller_stops_the_tokenising_thread(backends):
    """``on_batch`` raising ends the call: the thread that tokenises ahead is gone after
    it, not left waiting for the garbage collector."""
    embedder = backends[OPENVINO_INT8]

    def fail(n: int) -> None:
        raise RuntimeError("progress bar broke")

    with pytest.raises(RuntimeError, match="progress bar broke") as raised:
        embedder.encode(SENTENCES * 4, batch_size=2, on_batch=fail)
    # ``raised`` holds the traceback, so the call's frames (and anything they hold) live on.
    assert not [t for t in threading.enumerate() if t.name.startswith("tokenize")]
    assert raised.traceback
    with pytest.raises(ValueError, match="lengths: 1 entries for 3 texts"):
        embedder.encode(SENTENCES, lengths=[1])
    with pytest.raises(ValueError, match="token_ids: 2 entries for 3 texts"):
        embedder.encode(SENTENCES, token_ids=[None, None])


@pytest.mark.parametrize("name", BACKENDS)
def test_encode_runs_the_token_ids_it_is_given_without_tokenising(backends, name, monkeypatch):
    """A model run directly with a BERT tokenizer takes texts' ids (``Chunk.token_ids``)
    instead of tokenising them: the same model input, so the same vectors. Torch, run by
    sentence-transformers, tokenises the texts and gives its vectors as before."""
    embedder = backends[name]
    texts = _corpus_paragraphs()  # one over the model's limit: it is cut as tokenising cuts
    ids = embedder.token_ids(texts)
    assert embedder.reuses_token_ids == (name != TORCH)
    expected = embedder.encode(texts, batch_size=16)
    if embedder.reuses_token_ids:
        aside = embedder.encode_aside(texts[:4])
        tokenizer, _ = embedder._direct
        for i in range(0, len(texts), 16):
            want = openvino_run.tokenize(tokenizer, texts[i : i + 16])
            got = openvino_run.feed_from_ids(embedder._wrap, ids[i : i + 16])
            assert all(np.array_equal(want[k], got[k]) for k in want)

        def refuse(*args, **kwargs):
            raise AssertionError("tokenised again")

        monkeypatch.setattr(openvino_run, "tokenize", refuse)
        assert np.array_equal(embedder.encode(texts, batch_size=16, token_ids=ids), expected)
        assert np.array_equal(embedder.encode_aside(texts[:4], ids[:4]), aside)
        monkeypatch.undo()
    given = embedder.encode(texts, batch_size=16, token_ids=[*ids[:-1], None])
    assert np.abs(given - expected).max() < 1e-6  # a batch missing an id is tokenised
