"""Terminal rendering with rich: progress, result tables, documents, statistics."""

from __future__ import annotations

import re
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from indexer.pipeline import IndexReport
from search.compare import Comparison
from search.evidence import NOT_STATED, EvidenceAnswer, EvidenceRow, Quote
from search.results import Passage, SearchResponse
from search.serialize import amount_text
from search.sides import Passage as SidePassage

EXCERPT_CHARS = 360


class ProgressReporter:
    """A rich progress bar per indexing stage; ``verbose`` also logs each stage as a line."""

    def __init__(self, console: Console, verbose: bool = False) -> None:
        self.console, self.verbose = console, verbose
        self.progress = Progress(
            TextColumn("{task.description:<22}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.task = None

    def __enter__(self) -> ProgressReporter:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def stage(self, name: str, total: int | None = None) -> None:
        if self.verbose:
            self.console.print(f"stage: {name}", highlight=False)
            self.console.file.flush()
        if self.task is not None:
            self.progress.remove_task(self.task)
        self.task = self.progress.add_task(name, total=total)

    def advance(self, n: int = 1) -> None:
        if self.task is not None:
            self.progress.advance(self.task, n)


def _embedding_detail(report: IndexReport) -> str:
    parts = []
    if report.chunks_embedded_aside:
        parts.append(f"{report.chunks_embedded_aside} while loading")
    parts.append(f"{report.chunks_cached} from cache")
    if report.vectors_reused:
        parts.append(f"{report.vectors_reused} vectors kept")
    return ", ".join(parts)


def print_index_report(console: Console, report: IndexReport, root: Path) -> None:
    for failure in report.failed:
        console.print(
            f"[red]failed[/red] {escape(str(failure.path))}: {escape(failure.reason)}",
            highlight=False,
        )
    for source, other in report.duplicates:
        console.print(
            f"[yellow]skipped[/yellow] {escape(source)}: same text as {escape(other)}",
            highlight=False,
        )
    for source, pages in report.empty_pages.items():
        listed = ", ".join(map(str, pages))
        console.print(
            f"[yellow]note[/yellow] {escape(source)}: {len(pages)} page(s) with no text"
            f" (scanned?): {listed}",
            highlight=False,
        )
    console.print(
        f"indexed {len(report.added)} new, {len(report.updated)} changed, "
        f"{report.unchanged} unchanged, {len(report.removed)} removed, "
        f"{len(report.failed)} failed; embedded {report.chunks_embedded} chunks "
        f"({_embedding_detail(report)}) -> {root}"
        + (f" ({report.generation})" if report.generation else " (no changes)"),
        highlight=False,
    )


def excerpt(passage: Passage, width: int = EXCERPT_CHARS) -> Text:
    """The window of the passage with the most distinct highlighted words, those in bold."""
    text, spans = passage.text, passage.highlights
    start = _best_window(text, spans, width)
    end = min(len(text), start + width)
    out = Text("…" if start else "")
    pos = start
    for a, b in spans:
        if a < pos or b > end:
            continue
        out.append(_flat(text[pos:a]))
        out.append(text[a:b], style="bold yellow")
        pos = b
    out.append(_flat(text[pos:end]))
    if end < len(text):
        out.append("…")
    return out


def _best_window(text: str, spans: list[tuple[int, int]], width: int) -> int:
    best, best_start = -1, 0
    for a, _ in spans:
        start = max(0, min(a - width // 4, len(text) - width))
        words = {text[x:y].lower() for x, y in spans if x >= start and y <= start + width}
        if len(words) > best:
            best, best_start = len(words), start
    return best_start


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def clip(text: str, limit: int) -> str:
    """``text`` on one line, cut to about ``limit`` characters at a word, with "…" when
    cut: a shortened quote must look shortened (its citation spans all of it)."""
    flat = _flat(text).strip()
    if len(flat) <= limit:
        return flat
    cut = flat.rfind(" ", 0, limit)
    return flat[: cut if cut > limit // 2 else limit].rstrip(" ,;:") + "…"


def print_response(console: Console, response: SearchResponse) -> None:
    if not response.results:
        console.print(
            f"No results for {response.query!r} ({response.mode}) "
            f"in {response.total_documents} documents."
        )
        return
    table = Table(title=f"{response.query!r} — {response.mode}", show_lines=True, expand=True)
    table.add_column("#", justify="right", width=3)
    table.add_column("Document", ratio=1)
    table.add_column("Evidence", ratio=3)
    for rank, hit in enumerate(response.results, 1):
        doc = Text(hit.title or "(untitled)", style="bold")
        doc.append(f"\n{hit.organisation or 'organisation not stated'}")
        doc.append(f"\n{hit.date or 'date not stated'} · {hit.doc_type or 'type not stated'}")
        doc.append(f"\nid {hit.doc_id}", style="dim")
        evidence = Text()
        for i, passage in enumerate(hit.passages):
            if i:
                evidence.append("\n\n")
            evidence.append_text(excerpt(passage))
            c = passage.citation
            page = f"p. {c.page}" if c.page == c.page_end else f"pp. {c.page}-{c.page_end}"
            where = f"{Path(c.source).name}, {page}, chars {c.start}-{c.end}"
            if c.section:
                where += f", “{c.section}”"
            evidence.append(f"\n[{where}]", style="dim")
        table.add_row(str(rank), doc, evidence)
    console.print(table)


def print_document(console: Console, doc: dict, with_text: bool = True) -> None:
    table = Table(show_header=False, box=None)
    for key in (
        "id",
        "title",
        "organisation",
        "doc_type",
        "date",
        "decision_ref",
        "source",
        "source_url",
        "format",
        "page_count",
        "empty_pages",
        "chunks",
        "indexed_at",
    ):
        value = doc.get(key)
        table.add_row(key, "not stated" if value in (None, "", []) else str(value))
    console.print(table)
    if with_text:
        console.rule()
        console.print(doc["text"], highlight=False, markup=False)


def print_stats(console: Console, data: dict) -> None:
    table = Table(show_header=False, box=None)
    for key in (
        "index",
        "generation",
        "documents",
        "chunks",
        "model",
        "dimension",
        "vector_index",
        "empty_pages",
        "schema_version",
        "created",
    ):
        table.add_row(key, str(data[key]))
    table.add_row("size", f"{data['size_bytes'] / 1e6:.1f} MB")
    table.add_row("organisations", f"{len(data['organisations'])}")
    console.print(table)
    orgs = Table("organisation", "documents")
    for org, n in data["organisations"].items():
        orgs.add_row(org, str(n))
    console.print(orgs)


def print_evidence(console: Console, answer: EvidenceAnswer) -> None:
    """The grouped answer as a table; every cell backed by the quotes in the last column."""
    table = Table(title=answer.question, show_lines=True, expand=True)
    for name, ratio in (
        ("Organisation", 2),
        ("Service / provider", 3),
        ("Funding", 3),
        ("How / when", 2),
        ("Evidence", 6),
    ):
        table.add_column(name, ratio=ratio)
    for row in answer.rows:
        org = Text(row.organisation or NOT_STATED, style="bold" if row.organisation else "italic")
        if row.gss_code:
            org.append(f"\n{row.gss_code}", style="dim")
        service = f"{row.service or NOT_STATED}\nfrom {row.provider or NOT_STATED}"
        funding = "\n".join(s["label"] for s in row.funding_streams) or "no funding stated"
        if row.amounts:
            funding += "\n" + "\n".join(amount_text(a) for a in row.amounts)
        how = "\n".join(x or NOT_STATED for x in (row.mechanism, row.duration, row.decision_date))
        quotes = Text()
        for i, q in enumerate(_money_first(row)[:3]):
            quotes.append(("\n" if i else "") + "“" + clip(q.quote, 300) + "”")
            quotes.append(
                f"\n  {Path(q.source).name}, p. {q.page}, chars {q.start}-{q.end}", style="dim"
            )
        table.add_row(org, service, funding, how, quotes)
    console.print(table)
    console.print(f"{answer.matched_documents} matching documents; {len(answer.rows)} rows.")
    for note in answer.notes:
        console.print(f"[yellow]note[/yellow] {escape(note)}", highlight=False)


def _money_first(row: EvidenceRow) -> list[Quote]:
    """Quotes that state an amount or a funding stream lead: they back the funding cells."""
    money = {a["evidence"]["start"] for a in row.amounts}
    funded = re.compile(r"£|fund|grant|commission", re.I)
    return sorted(row.evidence, key=lambda q: (q.start not in money, not funded.search(q.quote)))


def print_batch_summary(console: Console, cells: list, written: list[Path]) -> None:
    counts: dict[str, int] = {}
    for cell in cells:
        counts[cell.status] = counts.get(cell.status, 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    paths = ", ".join(str(p) for p in written)
    console.print(f"{len(cells)} cells ({summary}) -> {paths}", highlight=False)


def print_comparison(console: Console, comparison: Comparison) -> None:
    facets = Table(title="Facets", show_lines=True, expand=True)
    facets.add_column("facet")
    for side in comparison.sides:
        facets.add_column(side, ratio=1)
    for facet, by_side in comparison.facets.items():
        cells = []
        for side in comparison.sides:
            values = by_side[side]
            cell = Text()
            for v in values:
                cell.append(v.value + "\n", style="bold")
                if v.quote:
                    cell.append("“" + clip(v.quote, 200) + "”\n", style="dim")
            cells.append(cell if values else Text(NOT_STATED, style="italic"))
        facets.add_row(facet, *cells)
    console.print(facets)
    for pair in comparison.pairs:
        table = Table(title=f"{pair.left} ↔ {pair.right}", show_lines=True, expand=True)
        table.add_column("score", width=7)
        table.add_column(pair.left, ratio=1)
        table.add_column(pair.right, ratio=1)
        for a in pair.aligned:
            table.add_row(f"{a.score:.2f}", _passage_text(a.left), _passage_text(a.right))
        console.print(table)
        for label, passages in ((pair.left, pair.only_left), (pair.right, pair.only_right)):
            sections = ", ".join(p.section or "(untitled)" for p in passages) or "none"
            console.print(
                f"Only in {label}: {len(passages)} passage(s): {sections}", highlight=False
            )


def _passage_text(p: SidePassage) -> Text:
    text = Text(clip(p.text, 400))
    where = f"\n{Path(p.source).name}, p. {p.page}, chars {p.start}-{p.end}"
    text.append(where + (f", “{p.section}”" if p.section else ""), style="dim")
    return text


def print_precedents(console: Console, found: list) -> None:
    if not found:
        console.print("No decisions from other organisations are similar enough.")
        return
    table = Table(title="Precedents", show_lines=True, expand=True)
    for name, ratio in (("#", 0), ("Decision", 3), ("Why", 3), ("Closest passage", 5)):
        table.add_column(name, ratio=ratio or None, width=3 if not ratio else None)
    for rank, p in enumerate(found, 1):
        doc = Text(p.title or "(untitled)", style="bold")
        doc.append(f"\n{p.organisation or NOT_STATED} · {p.date or 'date not stated'}")
        doc.append(
            f"\nscore {p.score:.2f} (similarity {p.similarity:.2f})\nid {p.doc_id}", style="dim"
        )
        why = "\n".join(p.reasons) or "similar wording only"
        closest = _passage_text(p.passages[0].right) if p.passages else Text("")
        table.add_row(str(rank), doc, why, closest)
    console.print(table)


def print_evaluation(console: Console, result: dict) -> None:
    """A BEIR evaluation (``search.evaluate.evaluate_beir``): one row per mode, then peers."""
    title = (
        f"{result['collection']} ({result['split']}): {result['queries']} queries, "
        f"{result['documents']} documents"
    )
    table = Table(title=title)
    for name in ("system", "nDCG@10", "Recall@100", "MRR@10", "seconds", "median ms/query"):
        table.add_column(name, justify="left" if name == "system" else "right")
    for row in result["results"]:
        name = row["mode"] if row["kind"] == "precedent" else f"peer: {row['mode']}"
        table.add_row(
            name,
            f"{row['ndcg@10']:.4f}",
            f"{row['recall@100']:.4f}",
            f"{row['mrr@10']:.4f}",
            f"{row['seconds']:.1f}",
            f"{row['median_ms']:.1f}",
        )
    console.print(table)
