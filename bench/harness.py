"""Shared plumbing for the benchmark scripts: arguments, timing statistics, memory, output.

Every script is ``python bench/NAME.py [--quick] [--json]``: a rich table on stdout and, with
``--json``, the same figures in ``bench/results/NAME.json`` (git-ignored). Timings on a shared
machine are noisy, so a figure is the median over repeats and each one is reported beside a
baseline measured in the same run: ratios are the numbers to compare between runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
# Piped output (make, CI logs) gets wide tables rather than rich's 80-column default.
console = Console(width=None if sys.stdout.isatty() else 180)


def arguments(description: str, setup: Callable[[argparse.ArgumentParser], None] | None = None):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="small sizes (minutes, not hours)")
    parser.add_argument("--json", action="store_true", help="also write bench/results/NAME.json")
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats per figure")
    if setup:
        setup(parser)
    return parser.parse_args()


# -- statistics ------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) with linear interpolation, as numpy's default."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def latency_ms(samples_s: Sequence[float]) -> dict[str, float]:
    """p50 / p95 / max in milliseconds of per-call times given in seconds."""
    ms = [s * 1000 for s in samples_s]
    return {"p50": percentile(ms, 50), "p95": percentile(ms, 95), "max": max(ms)}


def median_stats(passes: Iterable[dict[str, float]]) -> dict[str, float]:
    """Key-wise median over repeated passes (each a dict of the same keys)."""
    passes = list(passes)
    return {key: statistics.median(p[key] for p in passes) for key in passes[0]}


def time_calls(fn: Callable[[object], object], inputs: Sequence[object]) -> list[float]:
    """Wall time in seconds of ``fn(x)`` for each input, one call at a time."""
    out = []
    for item in inputs:
        start = time.perf_counter()
        fn(item)
        out.append(time.perf_counter() - start)
    return out


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


# -- memory ----------------------------------------------------------------------------------


def rss_bytes() -> int:
    """Resident set size of this process now (Linux /proc)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss_bytes() -> int:
    """Peak resident set size of this process so far (getrusage ru_maxrss, KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def mib(n: float) -> float:
    return n / 2**20


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# -- output ----------------------------------------------------------------------------------


def environment() -> dict:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        commit = ""
    import faiss
    import numpy

    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "faiss": faiss.__version__,
        "faiss_threads": faiss.omp_get_max_threads(),
        "numpy": numpy.__version__,
        "load_average": os.getloadavg(),
    }


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[object]], caption: str = ""):
    out = Table(title=title, caption=caption or None, caption_justify="left")
    for i, name in enumerate(columns):
        out.add_column(name, justify="left" if i == 0 else "right")
    for row in rows:
        out.add_row(*(fmt(v) for v in row))
    console.print(out)


def fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value == 0:
            return "0"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        if abs(value) >= 0.01:
            return f"{value:.3f}" if abs(value) < 1 else f"{value:.2f}"
        return f"{value:.2g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def write_json(name: str, payload: dict, quick: bool) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}{'-quick' if quick else ''}.json"
    body = {"benchmark": name, "quick": quick, "environment": environment(), **payload}
    path.write_text(json.dumps(body, indent=2, default=_jsonable) + "\n")
    console.print(f"[dim]wrote {path.relative_to(REPO)}[/dim]")
    return path


def _jsonable(value: object) -> object:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
