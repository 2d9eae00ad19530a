"""One-shot query start-up: what a researcher waits for before a CLI search can embed.

Each repeat starts a fresh Python process (the operating system's file cache stays warm, as
it would for someone running searches one after another) that loads a model for queries and
embeds one query, timed from before the first import to after the vector:

* light: ``indexer.query_encoder.load_for_queries``, what ``precedent search`` and
  ``precedent evidence`` load (the exported OpenVINO model, its tokenizer, mean pooling);
* full (baseline): ``indexer.embed.load_embedder``, the sentence-transformers model that
  ``precedent search`` loaded before (torch, transformers, optimum and NNCF imported).

The two orders alternate between repeats. Also timed: ``precedent search`` end to end on an
index of the bundled corpus (hybrid, one query), as a process a user starts.

    python bench/query_startup.py [--json] [--repeats N]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness  # noqa: E402
from indexer.embed import load_embedder  # noqa: E402
from indexer.pipeline import index_paths  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
QUERY = "which councils commissioned parent-infant services"
LOADERS = {
    "light": "from indexer.query_encoder import load_for_queries as load",
    "full": "from indexer.embed import load_embedder as load",
}


def one_process(kind: str, model: str) -> float:
    """Seconds from the first import to one query vector, in a fresh interpreter."""
    code = (
        "import time; t = time.perf_counter()\n"
        f"{LOADERS[kind]}\n"
        f"load({model!r}).encode([{QUERY!r}])\n"
        "print(time.perf_counter() - t)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    return float(out.stdout.split()[-1])


def cli_search(index: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from cli import app; app()",
            "search",
            QUERY,
            "--index",
            str(index),
        ],
        cwd=REPO,
        capture_output=True,
        check=True,
    )
    return time.perf_counter() - start


def run(repeats: int, workdir: Path) -> dict:
    embedder = load_embedder()  # makes the export and its recipe if this machine lacks them
    index_paths(workdir / "idx", [REPO / "corpus"], embedder)
    samples: dict[str, list[float]] = {"light": [], "full": [], "cli search": []}
    for n in range(repeats):
        for kind in ("light", "full") if n % 2 == 0 else ("full", "light"):
            samples[kind].append(one_process(kind, embedder.name))
        samples["cli search"].append(cli_search(workdir / "idx"))
    medians = {k: statistics.median(v) for k, v in samples.items()}
    return {
        "model": embedder.name,
        "repeats": repeats,
        "seconds": samples,
        "median_s": medians,
        "speedup": medians["full"] / medians["light"],
    }


def main() -> int:
    args = harness.arguments(__doc__.splitlines()[0])
    with tempfile.TemporaryDirectory(prefix="precedent-startup-") as tmp:
        result = run(max(args.repeats, 1), Path(tmp))
    m = result["median_s"]
    harness.table(
        f"Loading a model and embedding one query in a fresh process (median of {args.repeats})",
        ["full s (baseline)", "light s", "full / light", "precedent search s"],
        [(m["full"], m["light"], result["speedup"], m["cli search"])],
        caption="light: indexer.query_encoder; full: sentence-transformers (load_embedder)",
    )
    if args.json:
        harness.write_json("query_startup", result, args.quick)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
