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
from dataclasses import dataclass

import numpy as np

FED = frozenset({"input_ids", "attention_mask", "token_type_ids"})  # what ``tokenize`` makes
# The tokenizer parts that make a text's ids its words' ids joined: BERT's, which split at
# whitespace and punctuation before anything else and map each word alone.
BERT_PARTS = ("BertNormalizer", "BertPreTokenizer", "WordPiece")


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


@dataclass(frozen=True)
class Wrapping:
    """What a batch tokenizer does to one text's ids: keeps the first ``room``, puts
    ``prefix`` and ``suffix`` around them ([CLS] and [SEP]), and pads with ``pad_id`` after
    them to the batch's longest, every token of type 0."""

    prefix: tuple[int, ...]
    suffix: tuple[int, ...]
    room: int
    pad_id: int


def wrapping(tokenizer: object) -> Wrapping | None:
    """How ``tokenizer`` (a ``batch_tokenizer``) wraps a text's ids, read off a probe, for a
    tokenizer that splits at whitespace first (so ids from elsewhere can be joined), cuts
    and pads on the right and gives every token type 0; else None."""
    parts = (tokenizer.normalizer, tokenizer.pre_tokenizer, tokenizer.model)
    cut, pad = tokenizer.truncation, tokenizer.padding
    if (
        tuple(type(p).__name__ for p in parts) != BERT_PARTS
        or cut is None
        or pad is None
        or (cut["direction"], pad["direction"], pad["pad_type_id"]) != ("right", "right", 0)
        or pad["length"] is not None
        or pad["pad_to_multiple_of"] is not None
    ):
        return None
    whole = tokenizer.encode("probe")
    bare = tokenizer.encode("probe", add_special_tokens=False).ids
    starts = [i for i in range(len(whole.ids)) if whole.ids[i : i + len(bare)] == bare]
    if not bare or not starts or any(whole.type_ids):
        return None
    prefix, suffix = whole.ids[: starts[0]], whole.ids[starts[0] + len(bare) :]
    room = cut["max_length"] - len(prefix) - len(suffix)
    return Wrapping(tuple(prefix), tuple(suffix), room, pad["pad_id"])


def feed_from_ids(wrap: Wrapping, texts_ids: Sequence[Sequence[int]]) -> dict[str, np.ndarray]:
    """The model's input for texts already tokenised (their ids without special tokens):
    what ``tokenize`` makes of their texts, without tokenising them again."""
    head, tail = len(wrap.prefix), len(wrap.suffix)
    kept = [min(len(ids), wrap.room) for ids in texts_ids]
    width = head + max(kept) + tail
    input_ids = np.full((len(kept), width), wrap.pad_id, dtype=np.int64)
    mask = np.zeros((len(kept), width), dtype=np.int64)
    for row, (ids, n) in enumerate(zip(texts_ids, kept, strict=True)):
        input_ids[row, :head] = wrap.prefix
        input_ids[row, head : head + n] = ids[:n]
        input_ids[row, head + n : head + n + tail] = wrap.suffix
        mask[row, : head + n + tail] = 1
    return {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": np.zeros_like(mask)}


def infer(compiled: object, inputs: Sequence[str], feed: dict[str, np.ndarray]) -> np.ndarray:
    """Unit vectors of one tokenised batch (``tokenize`` or ``feed_from_ids``)."""
    hidden = compiled({name: feed[name] for name in inputs})[0]  # (texts, tokens, dimension)
    return mean_pooled(hidden, feed["attention_mask"])


def mean_pooled(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Each text's token vectors averaged over its attended tokens, then scaled to unit
    length, as sentence-transformers' Pooling (mean) and Normalize modules do."""
    weights = mask[..., None].astype(np.float32)
    pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
