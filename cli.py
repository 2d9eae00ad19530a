"""Command-line interface: parses arguments, calls indexer/ and search/, renders results.

Named errors become one-line messages with exit status 2; files that fail to index make the
`index` command exit 1 after indexing everything else.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from indexer.errors import PrecedentError
from indexer.records import LoadError
from indexer.store import default_index_dir
from search import render, serialize

if TYPE_CHECKING:  # the model's stack is imported only by the commands that load it
    from indexer.embed import Embedder

app = typer.Typer(
    help="Precedent: evidence search over public-sector decisions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True, soft_wrap=True)


@app.callback()
def _quiet_parsers() -> None:
    # pypdf logs its parser's complaints about a broken file ("invalid pdf header") as
    # warnings; the file is reported once, as one line naming it and why.
    logging.getLogger("pypdf").setLevel(logging.ERROR)


IndexDir = Annotated[
    Path | None,
    typer.Option(
        "--index",
        help="Index directory [default: $PRECEDENT_INDEX, else ./.precedent]",
        show_default=False,
    ),
]
Model = Annotated[
    str | None,
    typer.Option(
        "--model",
        help="sentence-transformers model name or path [default: $PRECEDENT_MODEL, else the "
        "bundled all-MiniLM-L6-v2; queries default to the index's model]",
        show_default=False,
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
Organisation = Annotated[
    str | None,
    typer.Option("--org", "--organisation", help="Organisation (issuer or commissioner)."),
]
DateFrom = Annotated[str | None, typer.Option("--from", help="On or after YYYY-MM-DD.")]
DateTo = Annotated[str | None, typer.Option("--to", help="On or before YYYY-MM-DD.")]


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the library's named errors into one line on stderr and exit status 2; a file
    that cannot be read (a draft given to compare or precedents) names itself and why."""
    try:
        yield
    except (PrecedentError, LoadError) as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None


def _embedder_for_drafts(items: list[str], model: str) -> Embedder | None:
    """The model, only when an item is a file: an indexed document or council is compared
    from the index's own vectors, so most comparisons never load it (about 4 s)."""
    from indexer.embed import load_embedder

    return load_embedder(model) if any(Path(item).is_file() for item in items) else None


def _root(index: Path | None) -> Path:
    return index or default_index_dir()


def _print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


@app.command()
def index(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to index.")],
    index: IndexDir = None,
    model: Model = None,
    prune: Annotated[
        bool, typer.Option("--prune", help="Remove indexed files under PATHS that are gone.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each stage.")] = False,
    as_json: Json = False,
) -> None:
    """Index documents (txt, md, html, pdf, docx): load, chunk, embed, store."""
    from indexer.embed import load_embedder
    from indexer.pipeline import index_paths
    from indexer.store import indexed_model, refuse_other_model

    root = _root(index)
    with user_errors():
        # An existing index keeps the model it was built with; --model naming another is
        # refused before it is loaded.
        if model:
            refuse_other_model(root, model)
        embedder = load_embedder(model or indexed_model(root))
        with render.ProgressReporter(err, verbose=verbose) as reporter:
            report = index_paths(root, paths, embedder, prune=prune, reporter=reporter)
    if as_json:
        _print_json(serialize.index_report_dict(report))
    else:
        render.print_index_report(err, report, root)
    if report.failed:
        raise typer.Exit(1)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for, in plain words.")],
    index: IndexDir = None,
    model: Model = None,
    k: Annotated[int, typer.Option("-k", help="Number of documents to return.")] = 10,
    mode: Annotated[str, typer.Option(help="hybrid, bm25 or dense.")] = "hybrid",
    organisation: Organisation = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    doc_type: Annotated[
        str | None, typer.Option("--type", help="Document type (decision, minutes, news...).")
    ] = None,
    passages: Annotated[int, typer.Option(help="Passages shown per document.")] = 3,
    as_json: Json = False,
) -> None:
    """Search the index: hybrid BM25 + dense retrieval, results grouped by document."""
    from indexer.query_encoder import load_for_queries
    from indexer.store import open_snapshot
    from search.engine import search as run_search
    from search.query import make_request

    with user_errors():
        request = make_request(query, mode, k, organisation, date_from, date_to, doc_type, passages)
        snapshot = open_snapshot(_root(index))
        if model:
            snapshot.check_model(model)
        embedder = None if mode == "bm25" else load_for_queries(snapshot.model)
        response = run_search(snapshot, request, embedder)
    if as_json:
        _print_json(serialize.response_dict(response))
    else:
        render.print_response(out, response)


@app.command()
def evidence(
    question: Annotated[str, typer.Argument(help="A question, e.g. who funded what.")],
    index: IndexDir = None,
    model: Model = None,
    organisation: Organisation = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    funding: Annotated[
        str | None, typer.Option(help="Funding stream id or label, e.g. family_hubs.")
    ] = None,
    doc_type: Annotated[
        str | None, typer.Option("--type", help="Document type (decision, minutes, news...).")
    ] = None,
    depth: Annotated[
        int, typer.Option(min=1, max=200, help="Documents retrieved before grouping.")
    ] = 20,
    as_json: Json = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV.")] = False,
) -> None:
    """Answer table: organisation x service with provider, funding and quoted evidence."""
    from indexer.errors import InvalidQueryError
    from indexer.query_encoder import load_for_queries
    from indexer.store import open_snapshot
    from search.evidence import answer
    from search.query import make_request

    with user_errors():
        if as_json and as_csv:
            raise InvalidQueryError("--json and --csv: choose one output format")
        request = make_request(
            question, "hybrid", depth, organisation, date_from, date_to, doc_type
        )
        snapshot = open_snapshot(_root(index))
        if model:
            snapshot.check_model(model)
        embedder = load_for_queries(snapshot.model)
        result = answer(snapshot, request.query, embedder, request.filters, funding, depth)
    if as_json:
        _print_json(serialize.evidence_dict(result))
    elif as_csv:
        sys.stdout.write(serialize.evidence_csv(result))
    else:
        render.print_evidence(out, result)


@app.command()
def batch(
    questions: Annotated[
        Path,
        typer.Option("--questions", help="Questions: YAML list or CSV with a question column."),
    ],
    councils: Annotated[
        str, typer.Option("--councils", help='File of council names or GSS codes, or "all".')
    ],
    out: Annotated[Path, typer.Option("--out", help="Output: .csv, .json, .xlsx or .md")],
    index: IndexDir = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue an interrupted run into the same --out.")
    ] = False,
) -> None:
    """Councils x questions -> a table of cells, each with its best evidence and citation."""
    from indexer.query_encoder import load_for_queries
    from indexer.store import open_snapshot
    from search.batch import read_councils, read_questions, run_batch, run_manifest
    from search.batch_output import ProgressWriter, check_output, load_progress, write_results

    with user_errors():
        check_output(out)
        question_list = read_questions(questions)
        snapshot = open_snapshot(_root(index))
        council_list = read_councils(councils, snapshot.conn)
        manifest = run_manifest(snapshot, question_list, council_list)
        done = load_progress(out, manifest) if resume else []
        embedder = load_for_queries(snapshot.model)
        writer = ProgressWriter(out, manifest, resume)
        total = len(question_list) * len(council_list)
        with render.ProgressReporter(err) as reporter:
            reporter.stage("cells", total=total)
            reporter.advance(len(done))
            skip = {(c.council, c.question_id) for c in done}
            for cell in run_batch(snapshot, embedder, question_list, council_list, skip):
                writer.write(cell)
                done.append(cell)
                reporter.advance()
        writer.close()
        order = {
            (c, q.id): n
            for n, (c, q) in enumerate((c, q) for c in council_list for q in question_list)
        }
        done.sort(key=lambda c: order[(c.council, c.question_id)])
        written = write_results(out, manifest, done)
    render.print_batch_summary(err, done, written)


@app.command()
def compare(
    items: Annotated[
        list[str], typer.Argument(help="Two or more: document ids, file paths or councils.")
    ],
    index: IndexDir = None,
    top: Annotated[
        int, typer.Option(min=1, max=50, help="Aligned passage pairs shown per pair.")
    ] = 10,
    as_json: Json = False,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write a standalone HTML page here.")
    ] = None,
) -> None:
    """Side by side: facets (service, provider, funding...) and aligned passages."""
    from indexer.errors import InvalidQueryError
    from indexer.store import open_snapshot
    from search.compare import compare as run_compare
    from search.compare_html import comparison_html
    from search.sides import resolve_side

    with user_errors():
        if len(items) < 2:
            raise InvalidQueryError("compare needs at least two documents or councils")
        snapshot = open_snapshot(_root(index))
        embedder = _embedder_for_drafts(items, snapshot.model)
        sides = [resolve_side(snapshot, item, embedder) for item in items]
        result = run_compare(snapshot, sides, top)
    if html:
        html.write_text(comparison_html(result), encoding="utf-8")
        err.print(f"wrote {html}", highlight=False)
    if as_json:
        _print_json(serialize.comparison_dict(result))
    else:
        render.print_comparison(out, result)


@app.command()
def precedents(
    item: Annotated[str, typer.Argument(help="A draft file, or an indexed document id.")],
    index: IndexDir = None,
    k: Annotated[int, typer.Option("-k", min=1, max=50, help="Number of precedents.")] = 10,
    as_json: Json = False,
) -> None:
    """Decisions by other organisations most like a draft report or an indexed decision."""
    from indexer.store import open_snapshot
    from search.precedents import find_precedents
    from search.sides import resolve_side

    with user_errors():
        snapshot = open_snapshot(_root(index))
        source = resolve_side(snapshot, item, _embedder_for_drafts([item], snapshot.model))
        found = find_precedents(snapshot, source, k)
    if as_json:
        _print_json(serialize.precedents_dict(source.label, found))
    else:
        render.print_precedents(out, found)


@app.command()
def show(
    doc_id: Annotated[str, typer.Argument(help="Document id (or a unique prefix of one).")],
    index: IndexDir = None,
    as_json: Json = False,
    text: Annotated[bool, typer.Option("--text/--no-text", help="Include the full text.")] = True,
) -> None:
    """Show a document's metadata and text."""
    from indexer.store import open_snapshot
    from search.documents import get_document

    with user_errors():
        snapshot = open_snapshot(_root(index))
        document = get_document(snapshot.conn, doc_id, with_text=text)
    if as_json:
        _print_json(document)
    else:
        render.print_document(out, document, with_text=text)


@app.command()
def stats(index: IndexDir = None, as_json: Json = False) -> None:
    """Documents, chunks, organisations, model and size of the index."""
    from indexer.store import open_snapshot
    from search.documents import index_stats

    with user_errors():
        snapshot = open_snapshot(_root(index))
        data = index_stats(snapshot)
    if as_json:
        _print_json(data)
    else:
        render.print_stats(out, data)


@app.command("eval")
def evaluate(
    beir_dir: Annotated[
        Path, typer.Argument(help="BEIR folder: corpus.jsonl, queries.jsonl, qrels/SPLIT.tsv.")
    ],
    split: Annotated[str, typer.Option(help="Which qrels/SPLIT.tsv to score.")] = "test",
    workdir: Annotated[
        Path | None,
        typer.Option(
            help="Where documents and index are kept (re-used by later runs); by default a"
            " folder per collection and model in the temporary directory."
        ),
    ] = None,
    model: Model = None,
    peers: Annotated[
        bool, typer.Option("--peers/--no-peers", help="Also score bm25s, FAISS and their RRF.")
    ] = True,
    as_json: Json = False,
) -> None:
    """Score bm25, dense and hybrid on a BEIR collection: nDCG@10, Recall@100, MRR@10."""
    from indexer.embed import load_embedder
    from search.evaluate import default_workdir, evaluate_beir

    with user_errors():
        embedder = load_embedder(model)
        work = workdir or default_workdir(beir_dir, embedder.name)
        result = evaluate_beir(beir_dir, split, embedder, work, peers=peers)
    if as_json:
        _print_json(result)
    else:
        render.print_evaluation(out, result)


@app.command()
def serve(
    index: IndexDir = None,
    model: Model = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key",
            envvar="PRECEDENT_API_KEY",
            help="Key for the write endpoints (X-API-Key); without one, writes are off.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the HTTP API and the web page (uvicorn)."""
    import uvicorn

    from api.main import create_app
    from api.settings import Settings

    given = {"index": _root(index), "model": model, "api_key": api_key}
    settings = Settings(**{k: v for k, v in given.items() if v is not None})
    with user_errors():
        uvicorn.run(create_app(settings), host=host, port=port)


if __name__ == "__main__":
    app()
