"""How close are bench/synthetic.py's vectors to real all-MiniLM-L6-v2 embeddings?

Embeds a BEIR-format collection (default: SciFact, title + text, as BEIR does) and its queries
with the project's model, draws the same number of synthetic passages and queries, and prints
the neighbour statistics of both side by side. Not part of ``make bench``: it embeds ~5,000
abstracts (minutes on two cores) and needs the collection on disk.

    python bench/synthetic_calibration.py [--collection DIR] [--json]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness  # noqa: E402
from bench.synthetic import Mixture, neighbour_profile  # noqa: E402

DEFAULT_COLLECTION = Path("/work/shared/benchmarks/scifact")


def read_jsonl(path: Path) -> list[dict]:
    with path.open() as fh:
        return [json.loads(line) for line in fh if line.strip()]


def main() -> None:
    args = harness.arguments(
        __doc__.splitlines()[0],
        lambda p: p.add_argument("--collection", type=Path, default=DEFAULT_COLLECTION),
    )
    from indexer.embed import load_embedder

    docs = read_jsonl(args.collection / "corpus.jsonl")
    queries = read_jsonl(args.collection / "queries.jsonl")
    embedder = load_embedder()
    real_p = embedder.encode([f"{d.get('title', '')} {d['text']}".strip() for d in docs])
    real_q = embedder.encode([q["text"] for q in queries])
    mixture = Mixture()
    real = neighbour_profile(real_p, real_q)
    synthetic = neighbour_profile(mixture.sample(len(real_p)), mixture.queries(len(real_q)))
    harness.table(
        f"Neighbour statistics: {args.collection.name} ({len(docs):,} passages, "
        f"{len(queries):,} queries) vs synthetic at the same size",
        ["statistic", "real", "synthetic"],
        [(key, real[key], synthetic[key]) for key in real],
    )
    if args.json:
        payload = {"collection": str(args.collection), "real": real, "synthetic": synthetic}
        harness.write_json("synthetic_calibration", payload, args.quick)


if __name__ == "__main__":
    main()
