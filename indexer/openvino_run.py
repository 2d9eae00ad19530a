"""Running an exported OpenVINO model directly: tokenizer, model, mean pooling, normalising.

``SentenceTransformer.encode`` wraps the same three steps in transformers' tokenizer call and
torch tensors, which costs about a twentieth of indexing's embedding time on this machine
(bench/indexing.py measures both). For a model that is only a transformer, mean pooling
and normalising (``followable``), running the steps directly gives the same vectors for the
same batch (within 2e-7; tests/test_embed_backends.py), so the indexer's ``Embedder`` and the light
query encoder (indexer/query_encoder.py) both run it this way. Anything else goes through
sentence-transformers.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np

FED = frozenset({"input_ids", "attention_mask", "token_type_ids"})  # what ``tokenize`` makes


def followable(model: object) -> bool:
    """Whether the sentence-transformers ``model`` is an OpenVINO transformer, mean pooling
    and normalising, with no default prompt: all that ``tokenize`` and ``infer`` do."""
    modules = [type(m).__name__ for m in model]
    return (
        modules == ["Transformer", "Pooling", "Normalize"]
        and getattr(model[1], "pooling_mode", None) == "mean"
        and getattr(model[0].auto_model, "ov_config", None) is not None
        and not getattr(model, "default_prompt_name", None)
        # Text handling sentence-transformers does itself, outside the tokenizer.
        and not getattr(model[0], "do_lower_case", False)
        and not getattr(model[0], "processing_kwargs", None)
    )


def batch_tokenizer(model: object) -> object:
    """A copy of ``model``'s fast tokenizer that truncates at its sequence length and pads
    each batch to its longest text, as ``encode`` asks of it. A copy: nothing else may
    change its settings while it runs (that raises "Already borrowed")."""
    hf = model.tokenizer
    tokenizer = copy.deepcopy(hf.backend_tokenizer)
    tokenizer.enable_truncation(int(model.max_seq_length), direction=hf.truncation_side)
    tokenizer.enable_padding(
        direction=hf.padding_side,
        pad_id=hf.pad_token_id,
        pad_type_id=hf.pad_token_type_id,
        pad_token=hf.pad_token,
    )
    return tokenizer


def input_names(compiled: object) -> tuple[str, ...] | None:
    """The compiled model's inputs, or None if it wants one that ``tokenize`` does not make."""
    names = tuple(p.get_any_name() for p in compiled.inputs)
    return names if set(names) <= FED else None


def tokenize(tokenizer: object, texts: Sequence[str]) -> dict[str, np.ndarray]:
    """The model's input for ``texts`` as one batch. The tokenizer lets go of the GIL, so
    this can run on another thread while the model runs the batch before."""
    encodings = tokenizer.encode_batch_fast(list(texts))  # no character offsets: not needed
    return {
        "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
        "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
        "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
    }


def infer(compiled: object, inputs: Sequence[str], feed: dict[str, np.ndarray]) -> np.ndarray:
    """Unit vectors of one tokenised batch (``tokenize``)."""
    hidden = compiled({name: feed[name] for name in inputs})[0]  # (texts, tokens, dimension)
    return mean_pooled(hidden, feed["attention_mask"])


def mean_pooled(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Each text's token vectors averaged over its attended tokens, then scaled to unit
    length, as sentence-transformers' Pooling (mean) and Normalize modules do."""
    weights = mask[..., None].astype(np.float32)
    pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
