"""HTTP load on loopback: GET /search through the real server at 1, 4 and 16 clients, beside
the same queries in-process.

    python bench/http_load.py [--quick] [--json] [--repeats N] [--requests N]
        [--max-seconds S] [--threads N] [--workdir DIR] [--rebuild]

The index (full: 100k chunks, quick: 10k) is bench/bigindex.py's, built and cached exactly as
bench/query_latency.py builds it (the two share ``--workdir``): real documents, chunks and
BM25 index from generated text (bench/corpus.py), SYNTHETIC vectors in the vector leg
(bench/synthetic.py). The server is ``precedent serve`` in its own process on a free
127.0.0.1 port; it loads the real model the index names (all-MiniLM-L6-v2, 384 dimensions,
as the synthetic vectors), so every request embeds its query for real in hybrid mode (the
endpoint's default) and searches the synthetic vectors with it: the timings are real, dense
relevance is meaningless.

Each concurrency level sends a fixed ``--requests`` (the same queries, in the same order)
shared among the clients (threads, each with its own keep-alive httpx client) and stops early
at ``--max-seconds``. Per level: requests done, errors (non-200 or transport failures),
throughput, and p50/p95/p99 of each request's time as the client sees it (send to body read).
The baseline runs the same queries through ``search.engine.search`` in this process, one at a
time, with the same model and thread settings (and once more with the JSON encoding the
endpoint adds). HTTP p50 at 1 client / in-process p50 is what HTTP costs a lone user:
routing, validation, JSON, uvicorn and the loopback round trip. Figures are medians over
``--repeats`` passes, levels interleaved. Clients and server share the machine's cores.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from bench import harness  # noqa: E402
from bench.query_latency import QUERIES, WORKDIR, build, make_queries  # noqa: E402
from indexer.store import open_snapshot  # noqa: E402
from search import engine  # noqa: E402
from search.query import make_request  # noqa: E402
from search.serialize import response_dict  # noqa: E402

FULL_CHUNKS = 100_000
QUICK_CHUNKS = 10_000
CLIENTS = (1, 4, 16)
FULL_REQUESTS = 400  # per level and per pass
QUICK_REQUESTS = 100
FULL_MAX_SECONDS = 120.0
QUICK_MAX_SECONDS = 30.0
K = 10  # the endpoint's default per_page
WARM_UP = 10
READY_TIMEOUT_S = 180.0
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")

Sender = Callable[[int], bool]


# -- pure helpers ----------------------------------------------------------------------------


def summarise(latencies_s: Sequence[float], errors: int, wall_s: float) -> dict:
    """One level's figures: requests done, errors, successful requests per second, and
    p50/p95/p99 in ms of the successful ones (None when there were none)."""
    ms = [s * 1000 for s in latencies_s]
    have = bool(ms)
    return {
        "requests": len(ms) + errors,
        "errors": errors,
        "throughput": len(ms) / wall_s if wall_s > 0 else 0.0,
        "p50": harness.percentile(ms, 50) if have else None,
        "p95": harness.percentile(ms, 95) if have else None,
        "p99": harness.percentile(ms, 99) if have else None,
        "wall_s": wall_s,
    }


def drive(
    session: Callable[[], AbstractContextManager[Sender]],
    total: int,
    clients: int,
    max_seconds: float,
) -> dict:
    """Calls ``send(0)`` .. ``send(total - 1)``, each once, shared among ``clients`` threads,
    each with its own ``session()`` (a context manager giving its ``send``); no new call starts
    after ``max_seconds``. ``send`` returns True on success; False or an exception is an error.
    """
    lock = threading.Lock()
    next_item = iter(range(total))
    deadline = time.perf_counter() + max_seconds

    def take() -> int | None:
        if time.perf_counter() >= deadline:
            return None
        with lock:
            return next(next_item, None)

    def client() -> tuple[list[float], int]:
        latencies, errors = [], 0
        with session() as send:
            while (item := take()) is not None:
                start = time.perf_counter()
                try:
                    ok = send(item)
                except Exception:  # a failed request is a figure here, not a crash
                    ok = False
                if ok:
                    latencies.append(time.perf_counter() - start)
                else:
                    errors += 1
        return latencies, errors

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        done = list(pool.map(lambda _: client(), range(clients)))
    wall = time.perf_counter() - started
    return summarise([s for lat, _ in done for s in lat], sum(e for _, e in done), wall)


def median_passes(passes: Sequence[dict]) -> dict:
    """Key-wise median over passes, the request and error counts summed instead."""
    merged = harness.median_stats(
        [{k: v for k, v in p.items() if k not in ("requests", "errors")} for p in passes]
    )
    return {
        "requests": sum(p["requests"] for p in passes),
        "errors": sum(p["errors"] for p in passes),
        **merged,
    }


# -- the server ------------------------------------------------------------------------------


def thread_env(threads: int) -> dict[str, str]:
    return {**dict.fromkeys(THREAD_VARIABLES, str(threads)), "TOKENIZERS_PARALLELISM": "false"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(root: Path, threads: int, log: Path) -> Iterator[tuple[str, int]]:
    """``precedent serve`` on a free loopback port until the block ends; yields (URL, pid)."""
    port = _free_port()
    command = [sys.executable, "-m", "cli", "serve", "--index", str(root)]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    env = {k: v for k, v in os.environ.items() if k not in ("PRECEDENT_MODEL", "PRECEDENT_INDEX")}
    env.update(thread_env(threads))
    with log.open("w") as out:  # a file, not a pipe: the access log must never block the server
        proc = subprocess.Popen(
            command, cwd=harness.REPO, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, proc, log)
        yield base, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_ready(base: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode}):\n{_tail(log)}")
        try:
            if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server not ready after {READY_TIMEOUT_S:.0f} s:\n{_tail(log)}")


def _tail(log: Path, chars: int = 4000) -> str:
    return log.read_text(errors="replace")[-chars:]


def _rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def http_session(base: str, queries: Sequence[str]) -> Callable[[], AbstractContextManager]:
    """A factory of keep-alive clients; each ``send(i)`` asks /search for query ``i``."""

    @contextmanager
    def session() -> Iterator[Sender]:
        with httpx.Client(base_url=base, timeout=60) as client:

            def send(i: int) -> bool:
                response = client.get("/search", params={"q": queries[i % len(queries)]})
                return response.status_code == 200 and bool(response.content)

            yield send

    return session


# -- the run ---------------------------------------------------------------------------------


def in_process(snapshot, embedder, queries: Sequence[str], total: int, encode: bool) -> dict:
    """The same queries through ``engine.search`` one at a time (``encode``: plus the JSON the
    endpoint sends)."""
    reqs = [make_request(queries[i % len(queries)], "hybrid", K) for i in range(total)]
    if encode:
        samples = harness.time_calls(
            lambda r: json.dumps(response_dict(engine.search(snapshot, r, embedder))), reqs
        )
    else:
        samples = harness.time_calls(lambda r: engine.search(snapshot, r, embedder), reqs)
    return summarise(samples, 0, sum(samples))


def measure(root: Path, queries: list[str], args, log: Path) -> dict:
    import faiss
    import torch

    from indexer.embed import load_embedder

    torch.set_num_threads(args.threads)
    faiss.omp_set_num_threads(args.threads)
    snapshot = open_snapshot(root)
    embedder = load_embedder(snapshot.model)
    for q in queries[:WARM_UP]:
        engine.search(snapshot, make_request(q, "hybrid", K), embedder)
    names = ["in-process", "in-process + JSON", *(f"http x{c}" for c in CLIENTS)]
    passes: dict[str, list[dict]] = {name: [] for name in names}
    with serving(root, args.threads, log) as (base, pid):
        session = http_session(base, queries)
        drive(session, WARM_UP, 1, args.max_seconds)
        for n in range(args.repeats):
            passes["in-process"].append(
                in_process(snapshot, embedder, queries, args.requests, False)
            )
            passes["in-process + JSON"].append(
                in_process(snapshot, embedder, queries, args.requests, True)
            )
            for clients in CLIENTS:
                level = drive(session, args.requests, clients, args.max_seconds)
                if level["p50"] is None:
                    raise RuntimeError(f"no request succeeded at {clients} clients:\n{_tail(log)}")
                passes[f"http x{clients}"].append(level)
            harness.console.print(f"  pass {n + 1}/{args.repeats} done")
        server_rss = _rss_bytes(pid)
    snapshot.close()
    rows = {name: median_passes(p) for name, p in passes.items()}
    return {
        "rows": rows,
        "passes": passes,
        "ratio_p50": rows["http x1"]["p50"] / rows["in-process"]["p50"],
        "server_rss_bytes": server_rss,
        "server_threads": {"torch": args.threads, "faiss": args.threads},
    }


def report(result: dict, built, args) -> None:
    base = result["rows"]["in-process"]["p50"]
    harness.table(
        f"GET /search on loopback, hybrid, k={K}, {built.chunks:,} chunks "
        f"({built.documents:,} documents, {built.vector_index} vectors, SYNTHETIC); "
        f"ms, medians of {args.repeats} passes of {args.requests} requests",
        ["run", "requests", "errors", "req/s", "p50", "p95", "p99", "p50 / in-process p50"],
        [
            (name, r["requests"], r["errors"], r["throughput"], r["p50"], r["p95"], r["p99"])
            + (r["p50"] / base,)
            for name, r in result["rows"].items()
        ],
        caption=(
            f"HTTP overhead (http x1 p50 / in-process p50): {result['ratio_p50']:.2f}x. "
            f"Server: `precedent serve`, real model for the query embedding, {args.threads} "
            f"torch/FAISS thread(s) per request, RSS "
            f"{harness.mib(result['server_rss_bytes']):,.0f} MiB. Clients: threads with "
            f"keep-alive httpx clients, in the benchmark process, on the same "
            f"{os.cpu_count()} CPUs; load average at the end {os.getloadavg()[0]:.2f}. "
            "requests and errors are summed over passes."
        ),
    )


def main() -> None:
    def options(parser) -> None:
        parser.add_argument("--requests", type=int, help="requests per level and pass")
        parser.add_argument("--max-seconds", type=float, help="time cap per level and pass")
        parser.add_argument(
            "--threads", type=int, default=1, help="torch/FAISS threads per computation (1)"
        )
        parser.add_argument("--workdir", type=Path, default=WORKDIR)
        parser.add_argument("--rebuild", action="store_true")

    args = harness.arguments(__doc__.splitlines()[0], options)
    args.requests = args.requests or (QUICK_REQUESTS if args.quick else FULL_REQUESTS)
    args.max_seconds = args.max_seconds or (QUICK_MAX_SECONDS if args.quick else FULL_MAX_SECONDS)
    chunks = QUICK_CHUNKS if args.quick else FULL_CHUNKS
    root = args.workdir / f"chunks-{chunks}"
    built = build(root, chunks, args.rebuild)
    harness.console.print(
        f"  {chunks:,} chunks: index {'reused' if built.reused else 'built'} at {root} "
        f"({built.documents:,} documents, {built.vector_index} vectors); measuring..."
    )
    queries = [q.text for q in make_queries(built.facts, QUERIES)]
    log = args.workdir / f"http_load-server-{chunks}.log"
    result = measure(root, queries, args, log)
    report(result, built, args)
    if args.json:
        payload = {
            "vectors": "synthetic (bench/synthetic.py Mixture defaults); query embedding real",
            "chunks": built.chunks,
            "documents": built.documents,
            "vector_index": built.vector_index,
            "mode": "hybrid",
            "k": K,
            "clients": list(CLIENTS),
            "requests_per_level": args.requests,
            "max_seconds_per_level": args.max_seconds,
            "repeats": args.repeats,
            "threads": args.threads,
            "server": "precedent serve (uvicorn, access log to a file)",
            **result,
        }
        harness.write_json("http_load", payload, args.quick)


if __name__ == "__main__":
    main()
