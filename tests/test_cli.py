"""The CLI as a user runs it: exit codes, messages, JSON shape, help text and docs."""

import json
import os
import re
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from cli import app
from tests.conftest import REPO

runner = CliRunner()


def _run(*args: str):
    return runner.invoke(app, list(args))


def test_search_json_names_source_and_citation(corpus_index):
    result = _run(
        "search",
        "Violence Reduction Partnership £140,000",
        "--index",
        str(corpus_index),
        "--json",
        "-k",
        "2",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert len(data["results"]) == 2
    top = data["results"][0]
    assert top["source"].endswith("st-helens-0017-2023-24-babs-direct-award.txt")
    for key in ("title", "organisation", "date", "page", "start", "end", "source"):
        assert key in top["citation"]
    assert "£140,000" in top["passages"][0]["text"]


def test_search_table_shows_the_citation(corpus_index):
    result = _run("search", "Family Hubs grant Kent", "--index", str(corpus_index), "-k", "1")
    assert result.exit_code == 0
    assert "kent-23-00075-family-hubs-perinatal.txt" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search", "   "], "query is empty"),
        (["search", "x", "--from", "2023-02-30"], "is not a date"),
        (["search", "x", "--mode", "fuzzy"], "mode"),
        (["show", "zzzz"], "not a document id"),
        (["show", "ffffffff"], "no document"),
        (["compare", "St Helens", "KCC", "--top", "-1"], "'--top': -1 is not in the range"),
        (["precedents", "St Helens", "-k", "0"], "'-k': 0 is not in the range"),
        (["evidence", "funding", "--depth", "0"], "'--depth': 0 is not in the range"),
        (["evidence", "funding", "--json", "--csv"], "--json and --csv: choose one"),
    ],
)
def test_bad_input_is_a_clear_message_and_exit_2(corpus_index, args, message):
    result = _run(*args, "--index", str(corpus_index))
    assert result.exit_code == 2
    assert message in result.stderr


@pytest.mark.parametrize("command", ["precedents", "compare"])
def test_a_draft_that_cannot_be_read_is_one_line_naming_it(corpus_index, tmp_path, command):
    """In a real process: pypdf's own warnings about the file would reach stderr there."""
    broken = tmp_path / "draft.pdf"
    broken.write_bytes(bytes(range(255, -1, -1)))  # no PDF header: pypdf warns, then fails
    args = [str(broken)] + (["St Helens"] if command == "compare" else [])
    result = subprocess.run(
        [sys.executable, "-c", "from cli import app; app()", command, *args],
        env={**os.environ, "PRECEDENT_INDEX": str(corpus_index)},
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {broken}: "), result.stderr


@pytest.mark.parametrize("command", [["search", "funding"], ["stats"], ["show", "abcd"]])
def test_a_missing_index_is_exit_2(tmp_path, command):
    result = _run(*command, "--index", str(tmp_path / "nowhere"))
    assert result.exit_code == 2
    assert "no index at" in result.stderr


def test_the_index_defaults_to_the_environment_variable(corpus_index, embedder, monkeypatch):
    monkeypatch.setenv("PRECEDENT_INDEX", str(corpus_index))
    result = _run("stats", "--json")
    assert result.exit_code == 0
    stats = json.loads(result.stdout)
    assert stats["documents"] == 5 and stats["model"] == embedder.name
    assert stats["organisations"]["(not stated)"] == 1


def test_show_prints_metadata_and_text(corpus_index, snapshot):
    doc_id = snapshot.conn.execute(
        "SELECT id FROM documents WHERE source LIKE '%kent%'"
    ).fetchone()[0]
    result = _run("show", doc_id[:8], "--index", str(corpus_index), "--json")
    doc = json.loads(result.stdout)
    assert doc["id"] == doc_id and doc["organisation"] == "Kent County Council"
    assert "3,051,809" in doc["text"]
    bare = json.loads(
        _run("show", doc_id[:8], "--index", str(corpus_index), "--json", "--no-text").stdout
    )
    assert "text" not in bare and bare["id"] == doc_id


def test_index_exits_1_when_a_file_fails_and_still_indexes_the_rest(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "ok.txt").write_text("The council funds a breastfeeding peer support group.\n")
    (docs / "bad.pdf").write_bytes(b"not a pdf")
    result = _run("index", str(docs), "--index", str(tmp_path / "idx"))
    assert result.exit_code == 1
    assert re.search(r"failed .*bad\.pdf: corrupt PDF", result.stderr)
    assert "indexed 1 new" in result.stderr and "1 failed" in result.stderr


def test_every_command_has_help_and_is_documented():
    readme = (REPO / "README.md").read_text()
    for command in app.registered_commands:
        name = command.name or command.callback.__name__
        assert command.callback.__doc__, f"{name} has no help text"
        assert f"precedent {name}" in readme, f"README does not document `precedent {name}`"
        assert _run(name, "--help").exit_code == 0


def test_index_updates_keep_the_model_the_index_was_built_with(tmp_path):
    from indexer.embed import load_embedder
    from indexer.pipeline import index_paths
    from indexer.store import indexed_model

    torch_embedder = load_embedder(backend="torch")  # the plain name, as older indexes hold
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("The council funds a parent-infant service.\n")
    index_paths(tmp_path / "idx", [docs], torch_embedder)
    (docs / "b.txt").write_text("The trust delivers a health visiting service.\n")
    result = _run("index", str(docs), "--index", str(tmp_path / "idx"))
    assert result.exit_code == 0, result.output
    assert indexed_model(tmp_path / "idx") == torch_embedder.name
    assert indexed_model(tmp_path / "nowhere") is None


def test_another_model_for_an_index_is_refused_before_it_is_loaded(corpus_index, tmp_path):
    elsewhere = tmp_path / "no-such-model"  # loading it would fail with another message
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("The council funds a parent-infant service.\n")
    result = _run("index", str(docs), "--index", str(corpus_index), "--model", str(elsewhere))
    assert result.exit_code == 2, result.output
    assert "was built with model" in result.stderr and "cannot load" not in result.stderr
