"""Embedding a few queries without loading the library stack.

Loading the full ``Embedder`` imports torch, transformers, sentence-transformers, optimum
and NNCF: about five of the six seconds a one-shot ``precedent search`` took. A query only
needs the OpenVINO model its index was built with, that model's tokenizer, mean pooling and
normalising, which load in well under a second. ``load_embedder`` writes down how it ran a
model (``QUERY_RECIPE`` beside the export: sequence length, pooling, compile settings), and
this module only ever follows that record, so its vectors are the full path's
(tests/test_query_encoder.py compares them). Whatever it cannot follow (torch, another
pooling, an export not made yet) is left to the full ``Embedder``.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from indexer import openvino_run
from indexer.embed import (
    OPENVINO_INT8,
    OV_FILE,
    QUERY_RECIPE,
    TextEncoder,
    backend_setting,
    calibration_key,
    default_cache_dir,
    export_dir,
    load_embedder,
    model_spec,
    recorded_name,
    resolve_model_path,
    split_name,
)
from indexer.errors import ModelLoadError

log = logging.getLogger(__name__)


@dataclass
class QueryEncoder:
    """An exported OpenVINO model, run as ``load_embedder`` recorded running it."""

    name: str
    compiled: object  # openvino.CompiledModel
    tokenizer: object  # tokenizers.Tokenizer, truncating at the recorded length
    inputs: tuple[str, ...]
    # One inference request at a time, as ``Embedder`` does for OpenVINO.
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors, one row per text. One text per inference: a batch pads its
        shorter texts, which moves int8 vectors by about 1e-3 (README)."""
        return np.vstack([self._one(text) for text in texts]).astype(np.float32)

    def _one(self, text: str) -> np.ndarray:
        feed = openvino_run.tokenize(self.tokenizer, [text])
        with self._lock:  # the model only: another query may tokenise meanwhile
            return openvino_run.infer(self.compiled, self.inputs, feed)[0]


def load_query_encoder(requested: str | None, cache_dir: Path | None = None) -> QueryEncoder | None:
    """The light encoder for ``requested`` (a name an index recorded), or None when only
    the full ``Embedder`` can embed as that index did."""
    spec, backend = split_name(model_spec(requested))
    backend_setting(None)  # a typo in $PRECEDENT_BACKEND is an error here too
    if backend is None:  # a plain name may be torch's vectors: not followed here
        return None
    try:
        calibration = calibration_key() if backend == OPENVINO_INT8 else []
        path = resolve_model_path(spec)
        folder = export_dir(path, backend, Path(cache_dir or default_cache_dir()), calibration)
    except (ModelLoadError, ImportError):  # no corpus/ or no openvino: the full path says so
        return None
    recipe_file = folder / QUERY_RECIPE
    if not (folder / OV_FILE).is_file() or not recipe_file.is_file():
        return None
    try:
        import openvino
        from tokenizers import Tokenizer

        recipe = json.loads(recipe_file.read_text(encoding="utf-8"))
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        tokenizer.enable_truncation(recipe["max_seq_length"])
        tokenizer.no_padding()
        config = recipe["ov_config"]
        compiled = openvino.Core().compile_model(str(folder / OV_FILE), "CPU", config)
    except Exception as exc:  # the full path loads the same files and names what is wrong
        log.warning("query encoder: %s; loading the full model instead", exc)
        return None
    inputs = openvino_run.input_names(compiled)
    if inputs is None:  # an input this encoder does not make: the full path does
        return None
    return QueryEncoder(recorded_name(spec, backend), compiled, tokenizer, inputs)


def load_for_queries(requested: str | None) -> TextEncoder:
    """For a command that embeds one query: the light encoder where the record allows it,
    else the full ``Embedder`` (whose load writes the record, so the next run is light)."""
    return load_query_encoder(requested) or load_embedder(requested)
