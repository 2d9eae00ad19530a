"""Retrieval quality on a BEIR collection: Precedent's modes beside reference retrievers.

    python bench/beir_eval.py [BEIR_DIR] [--split test] [--json] [--workdir DIR] [--no-peers]

BEIR_DIR defaults to ../shared/benchmarks/scifact. The collection is indexed through the real
indexer into WORKDIR/index (default: a folder under the system temp dir named after the
collection); later runs re-use it and embed nothing. Prints nDCG@10, Recall@100, MRR@10,
total and median per-query time for bm25, dense and hybrid, then for the peers in
``bench/peers.py`` measured on the same data in the same run. ``--json`` prints the result
object of ``search.evaluate.evaluate_beir`` instead of the table.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run as a script: make ``bench`` and the packages importable

from rich.console import Console  # noqa: E402

from search.render import print_evaluation  # noqa: E402

DEFAULT_DIR = REPO.parent / "shared" / "benchmarks" / "scifact"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("beir_dir", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--split", default="test", help="qrels/SPLIT.tsv to score (test)")
    parser.add_argument("--json", action="store_true", help="print the result object as JSON")
    parser.add_argument("--workdir", type=Path, help="where documents and index are kept")
    parser.add_argument("--no-peers", action="store_true", help="only Precedent's own modes")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console(stderr=args.json)
    beir_dir = args.beir_dir.resolve()
    if not (beir_dir / "corpus.jsonl").is_file():
        console.print(
            f"[yellow]no BEIR collection at {beir_dir} (corpus.jsonl is missing):"
            " nothing to evaluate[/yellow]"
        )
        return 0
    from indexer.embed import load_embedder
    from search.evaluate import BeirError, default_workdir, evaluate_beir

    embedder = load_embedder()
    workdir = args.workdir or default_workdir(beir_dir, embedder.name)
    console.print(f"indexing {beir_dir} into {workdir} (re-used when already there)")
    try:
        result = evaluate_beir(beir_dir, args.split, embedder, workdir, peers=not args.no_peers)
    except BeirError as exc:
        console.print(f"[red]{exc}[/red]")
        return 2
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_evaluation(console, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
