"""The light query encoder: the same vectors as the full Embedder, without its imports."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import numpy as np
import pytest

from indexer.embed import QUERY_RECIPE, export_dir, split_name
from indexer.query_encoder import QueryEncoder, load_query_encoder
from search.engine import search
from search.query import make_request
from tests.conftest import REPO

TEXTS = [
    "which councils commissioned parent-infant services, from whom, and how funded?",
    "Violence Reduction Partnership £140,000",
    "x",
    "",
    "Ümlaut café naïve – Ärzte ‘quoted’ text",
    "Family Hubs grant Kent " * 80,  # beyond the model's 256 tokens: truncated alike
]


@pytest.fixture(scope="module")
def light(embedder) -> QueryEncoder:
    encoder = load_query_encoder(embedder.name)  # the full load wrote its recipe
    assert encoder is not None, "loading the full model should make the light one possible"
    return encoder


def test_the_light_encoder_gives_the_full_models_vectors(embedder, light):
    assert light.name == embedder.name
    for text in TEXTS:
        ours, full = light.encode([text])[0], embedder.encode([text])[0]
        assert ours.shape == full.shape and ours.dtype == np.float32
        assert np.abs(ours - full).max() < 1e-6, text[:40]
        assert np.linalg.norm(ours) == pytest.approx(1.0, abs=1e-6)


def test_search_ranks_alike_with_either_encoder(snapshot, embedder, light):
    for query in ("parent infant mental health funding", "direct award to an NHS trust"):
        request = make_request(query, "hybrid", k=5)
        full = search(snapshot, request, embedder).results
        ours = search(snapshot, request, light).results
        assert [r.doc_id for r in ours] == [r.doc_id for r in full]
        assert [r.score for r in ours] == pytest.approx([r.score for r in full], abs=1e-6)


def test_only_what_was_recorded_is_followed(embedder, tmp_path):
    spec, backend = split_name(embedder.name)
    assert load_query_encoder(spec) is None  # a plain name may be torch's vectors
    assert load_query_encoder(embedder.name, cache_dir=tmp_path) is None  # no export there


def test_the_recipe_is_what_the_full_model_ran(embedder):
    from indexer.embed import calibration_key, default_cache_dir, resolve_model_path

    spec, backend = split_name(embedder.name)
    folder = export_dir(resolve_model_path(spec), backend, default_cache_dir(), calibration_key())
    recipe = json.loads((folder / QUERY_RECIPE).read_text())
    assert recipe["max_seq_length"] == embedder.model.max_seq_length == embedder.max_tokens + 2
    assert recipe["pooling"] == "mean"
    assert recipe["ov_config"] == dict(embedder.model[0].auto_model.ov_config)


def test_a_query_from_the_command_line_loads_no_torch(embedder):
    """The point of the light encoder, in a real process: what a search imports."""
    code = (
        "import sys\n"
        "from indexer.query_encoder import load_for_queries\n"
        f"encoder = load_for_queries({embedder.name!r})\n"
        "encoder.encode(['parent infant service'])\n"
        "print(type(encoder).__name__, sorted(m for m in ('torch', 'transformers',"
        " 'sentence_transformers', 'optimum', 'nncf') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["QueryEncoder", "[]"], out.stdout + out.stderr


def test_the_recipe_is_kept_in_step_and_a_cache_it_cannot_write_costs_nothing(
    embedder, tmp_path, caplog
):
    from indexer.embed import _record_recipe

    caplog.set_level(logging.WARNING, logger="indexer.embed")
    _record_recipe(embedder.model, tmp_path)
    written = json.loads((tmp_path / QUERY_RECIPE).read_text())
    (tmp_path / QUERY_RECIPE).write_text(json.dumps({**written, "max_seq_length": 128}))
    _record_recipe(embedder.model, tmp_path)  # a stale recipe is rewritten
    assert json.loads((tmp_path / QUERY_RECIPE).read_text()) == written
    blocked = tmp_path / "blocked"
    (blocked / QUERY_RECIPE).mkdir(parents=True)  # cannot be written as a file
    _record_recipe(embedder.model, blocked)  # no error: the model still loads
    assert "query recipe not written" in caplog.text
