"""Batch throughput: 50 councils x 20 questions, batched versus one search per cell.

    python bench/batch_throughput.py [--quick] [--json] [--repeats N]

On a generated corpus (bench/corpus.py; full: 10 documents per council, quick: 3) indexed
with the real model. The batch path embeds each of the 20 questions once, runs one BM25 query per
question and one matrix product per council (search/batch.py). The baseline answers each
cell as a user would with `precedent search --org COUNCIL -k 1`: one hybrid search per cell,
query embedding included. Figures are medians over repeats; the ratio is what to compare.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import write_corpus  # noqa: E402
from bench.harness import arguments, table, timed, write_json  # noqa: E402
from extract.gazetteer import load_gazetteer  # noqa: E402
from indexer.embed import load_embedder  # noqa: E402
from indexer.pipeline import index_paths  # noqa: E402
from indexer.store import open_snapshot  # noqa: E402
from search.batch import ANSWERED, Question, run_batch  # noqa: E402
from search.engine import search  # noqa: E402
from search.query import make_request  # noqa: E402

QUESTIONS = [
    "how was the parent-infant mental health service funded",
    "which provider delivers the health visiting service",
    "how much does the speech and language therapy contract cost per annum",
    "was the contract a direct award or an open tender",
    "what is the Better Care Fund used for",
    "who provides domestic abuse support",
    "how long is the contract for the family hub outreach",
    "did the council use the Household Support Fund",
    "what equality impact did the assessment find",
    "how will performance of the service be monitored",
    "is the Violence Reduction Partnership contributing money",
    "which services are funded by the Public Health Grant",
    "what risks were recorded for the service",
    "who was consulted before the decision",
    "how does the council support infant feeding",
    "what does the school nursing service cost",
    "is there a perinatal mental health service",
    "does the Integrated Care Board fund early help",
    "what was decided about substance misuse recovery",
    "how will data protection obligations be met",
]


def councils(n: int) -> list[str]:
    """The first ``n`` current English councils of our gazetteer, by name (deterministic)."""
    names = sorted(c.name for c in load_gazetteer().councils if c.current and c.nation == "England")
    return names[:n]


def one_search_per_cell(snapshot, embedder, questions, names) -> list[str | None]:
    tops = []
    for council in names:
        for q in questions:
            request = make_request(q.text, "hybrid", 1, organisation=council)
            hits = search(snapshot, request, embedder).results
            tops.append(hits[0].doc_id if hits else None)
    return tops


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    per_council = 3 if args.quick else 10
    names = councils(50)
    questions = [Question(f"q{n}", text) for n, text in enumerate(QUESTIONS, 1)]
    embedder = load_embedder()
    with tempfile.TemporaryDirectory() as tmp:
        docs, root = Path(tmp) / "docs", Path(tmp) / "idx"
        write_corpus(docs, per_council * len(names), seed=11, councils=names)
        index_paths(root, [docs], embedder)
        snapshot = open_snapshot(root)
        batch_s, naive_s, cells = [], [], []
        for _ in range(args.repeats):
            seconds, cells = timed(lambda: list(run_batch(snapshot, embedder, questions, names)))
            batch_s.append(seconds)
        for _ in range(max(1, args.repeats if args.quick else 1)):
            seconds, tops = timed(lambda: one_search_per_cell(snapshot, embedder, questions, names))
            naive_s.append(seconds)
        chunks = snapshot.manifest["chunks"]
    n = len(cells)
    batch, naive = sorted(batch_s)[len(batch_s) // 2], sorted(naive_s)[len(naive_s) // 2]
    cited = [c.citation["doc_id"] if c.citation else None for c in cells]
    answered = [i for i, c in enumerate(cells) if c.status == ANSWERED]
    same_top = sum(cited[i] == tops[i] for i in answered) / max(1, len(answered))
    rows = [
        ["batch (search/batch.py)", n, f"{batch:.2f}", f"{n / batch:.1f}", "1.00"],
        [
            "one hybrid search per cell",
            n,
            f"{naive:.2f}",
            f"{n / naive:.1f}",
            f"{naive / batch:.2f}",
        ],
    ]
    table(
        f"Batch throughput: {len(names)} councils x {len(questions)} questions, "
        f"{per_council * len(names)} documents, {chunks} chunks",
        ["method", "cells", "median s", "cells/s", "batch speed-up"],
        rows,
        caption=f"{len(answered)} cells answered; the batch cites the same document as the "
        f"per-cell search in {same_top:.0%} of them. Repeats: batch {len(batch_s)}, "
        f"per-cell {len(naive_s)}.",
    )
    if args.json:
        write_json(
            "batch_throughput",
            {
                "cells": n,
                "documents": per_council * len(names),
                "chunks": chunks,
                "batch_seconds": batch_s,
                "per_cell_seconds": naive_s,
                "speedup": naive / batch,
                "answered": len(answered),
                "same_top_document": same_top,
            },
            args.quick,
        )


if __name__ == "__main__":
    main()
