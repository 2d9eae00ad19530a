"""Tests for indexer.load: real files made in tmp_path, real parsers, no mocks."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import docx
import pytest
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

from indexer.load import SUPPORTED_SUFFIXES, discover, load_document
from indexer.records import LoadedDocument, LoadError


def assert_loaded(doc: LoadedDocument, headings: list[str] | None = None) -> None:
    """Every successful load has text, and its heading spans cut out the heading texts."""
    assert doc.text.strip()
    assert all(0 <= start < end <= len(doc.text) for start, end in doc.headings)
    if headings is not None:
        assert [doc.text[start:end] for start, end in doc.headings] == headings


def load_error(path: Path) -> LoadError:
    with pytest.raises(LoadError) as caught:
        load_document(path)
    assert caught.value.path == path
    return caught.value


# ----------------------------------------------------------------------------- PDF


def make_pdf(pages: list[str], **encryption: str) -> bytes:
    pdf = FPDF()
    pdf.set_title("Cabinet report")
    pdf.set_font("Helvetica", size=12)
    if encryption:
        pdf.set_encryption(**encryption)
    for text in pages:
        pdf.add_page()
        if text:
            pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def test_pdf_pages_offsets_and_blank_page(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(
        make_pdf(["Page one talks about family hubs.\nSecond line.", "", "Budget of 140 pounds."])
    )
    doc = load_document(path)
    assert_loaded(doc)
    assert doc.format == "pdf"
    assert doc.page_count == 3
    assert doc.empty_pages == (2,)
    assert doc.title == "Cabinet report"
    assert doc.page_at(doc.text.index("family hubs")) == 1
    assert doc.page_at(doc.text.index("Second line")) == 1
    assert doc.page_at(doc.text.index("Budget of 140")) == 3
    # Each page's text starts exactly at its recorded offset.
    assert doc.text[doc.page_starts[0] :].startswith("Page one")
    assert doc.text[doc.page_starts[2] :].startswith("Budget")


def test_pdf_with_user_password_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "locked.pdf"
    path.write_bytes(make_pdf(["Secret text."], owner_password="owner", user_password="secret"))
    assert "encrypted" in load_error(path).reason


def test_pdf_with_empty_user_password_loads(tmp_path: Path) -> None:
    path = tmp_path / "owner-only.pdf"
    path.write_bytes(make_pdf(["Open to read."], owner_password="owner", user_password=""))
    assert PdfReader(path).is_encrypted
    doc = load_document(path)
    assert_loaded(doc)
    assert "Open to read." in doc.text


def test_pdf_encrypted_by_pypdf_with_empty_password_loads(tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=io.BytesIO(make_pdf(["Cloned page text."])))
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    path = tmp_path / "rc4.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    assert "Cloned page text." in load_document(path).text


@pytest.mark.parametrize("junk", [b"%PDF-1.4 garbage", b"hello, not a pdf at all"])
def test_corrupt_pdf(tmp_path: Path, junk: bytes) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(junk)
    assert load_error(path).reason.startswith("corrupt PDF: ")


def test_pdf_without_any_text(tmp_path: Path) -> None:
    path = tmp_path / "scanned.pdf"
    path.write_bytes(make_pdf(["", ""]))
    assert load_error(path).reason == "no extractable text in 2 pages (scanned PDF?)"


# ----------------------------------------------------------------------------- DOCX


def make_docx(path: Path, core_title: str = "") -> None:
    document = docx.Document()
    document.core_properties.title = core_title
    document.add_heading("Decision summary", 0)  # the "Title" style
    document.add_heading("Background", 1)
    document.add_paragraph("The council agreed the family hubs budget.")
    document.add_paragraph("A second paragraph of reasons.")
    table = document.add_table(rows=2, cols=3)
    for cell, value in zip(table.rows[0].cells, ["Option", "Cost", "Risk"], strict=True):
        cell.text = value
    table.cell(1, 0).text = "Direct award"
    table.cell(1, 1).merge(table.cell(1, 2)).text = "£140,000"
    document.add_heading("Options", 2)
    document.add_paragraph("After the table.")
    document.save(path)


def test_docx_paragraphs_headings_and_table(tmp_path: Path) -> None:
    path = tmp_path / "decision.docx"
    make_docx(path)
    doc = load_document(path)
    assert_loaded(doc, ["Decision summary", "Background", "Options"])
    assert doc.format == "docx"
    assert doc.title == "Decision summary"
    assert "The council agreed the family hubs budget.\nA second paragraph" in doc.text
    assert "Option | Cost | Risk\nDirect award | £140,000\n" in doc.text  # merged cell once
    # Document order: the table sits between the paragraphs before and after it.
    order = [doc.text.index(s) for s in ("Background", "Option | Cost", "After the table.")]
    assert order == sorted(order)


def test_docx_title_from_core_properties(tmp_path: Path) -> None:
    path = tmp_path / "titled.docx"
    make_docx(path, core_title="Family hubs decision")
    assert load_document(path).title == "Family hubs decision"


def test_corrupt_docx(tmp_path: Path) -> None:
    not_zip = tmp_path / "not-zip.docx"
    not_zip.write_bytes(b"this is not a zip archive")
    assert load_error(not_zip).reason == "corrupt DOCX: not a ZIP archive"

    wrong_zip = tmp_path / "wrong-zip.docx"
    with zipfile.ZipFile(wrong_zip, "w") as archive:
        archive.writestr("hello.txt", "not a word document")
    assert load_error(wrong_zip).reason.startswith("corrupt DOCX: ")


# ----------------------------------------------------------------------------- HTML

PARAGRAPH = (
    "<p>The council's cabinet considered the proposal for family hubs in detail and agreed"
    " a budget of £140,000 for the first year, subject to review by the scrutiny panel.</p>"
)

ARTICLE_PAGE = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Family hubs decision | Example Council</title></head>
<body>
<header><a href="/">Home</a> <a href="/services">Council services menu</a></header>
<nav><ul><li><a href="/a">Bins and recycling</a></li><li><a href="/b">Parking permits</a></li>
</ul></nav>
<div class="cookie-banner">We use cookies to improve this site. Accept all cookies?</div>
<article>
<h1>Family hubs decision</h1>
{PARAGRAPH * 3}
<h2>Background to the decision</h2>
{PARAGRAPH * 3}
<h2>Options considered</h2>
{PARAGRAPH * 3}
<table><tr><th>Option</th><th>Cost</th></tr><tr><td>Direct award</td><td>£140,000</td></tr></table>
</article>
<footer>Copyright Example Council. Accessibility statement.</footer>
</body></html>
"""


def test_html_main_content_without_chrome(tmp_path: Path) -> None:
    path = tmp_path / "decision.html"
    path.write_text(ARTICLE_PAGE, encoding="utf-8")
    doc = load_document(path)
    assert_loaded(doc, ["Family hubs decision", "Background to the decision", "Options considered"])
    assert doc.format == "html"
    assert doc.title == "Family hubs decision"
    assert "a budget of £140,000 for the first year" in doc.text
    assert "Option | Cost\nDirect award | £140,000" in doc.text
    for chrome in ("Bins and recycling", "Council services menu", "Copyright", "cookies"):
        assert chrome not in doc.text
    assert "#" not in doc.text and "**" not in doc.text  # no markdown markers


def test_tiny_html_page_uses_visible_text(tmp_path: Path) -> None:
    path = tmp_path / "notice.htm"
    path.write_text(
        "<html><head><title>Notice</title><script>var tracking = 1;</script></head><body>"
        "<nav>Main menu</nav><div id='cookie-consent'>Accept cookies</div>"
        "<h1>Public notice</h1><p>Short <b>decision</b> text.<br>Second line.</p>"
        "<footer>Site footer</footer></body></html>",
        encoding="utf-8",
    )
    doc = load_document(path)
    assert_loaded(doc, ["Public notice"])
    assert doc.title == "Public notice"  # trafilatura prefers a lone <h1> to <title>
    assert "Short decision text." in doc.text and "Second line." in doc.text
    for chrome in ("Main menu", "Accept cookies", "Site footer", "tracking"):
        assert chrome not in doc.text


def test_html_legacy_charset(tmp_path: Path) -> None:
    path = tmp_path / "legacy.html"
    page = "<html><head><meta charset='iso-8859-1'></head><body><p>Café £140 – agreed</p>"
    path.write_bytes(page.encode("cp1252"))
    assert "Café £140 – agreed" in load_document(path).text


def test_html_without_text(tmp_path: Path) -> None:
    path = tmp_path / "empty.html"
    path.write_text("<html><body><script>var x = 1;</script></body></html>", encoding="utf-8")
    assert load_error(path).reason == "no text found"


# ----------------------------------------------------------------------------- text


@pytest.mark.parametrize("suffix", sorted(SUPPORTED_SUFFIXES))
def test_zero_byte_file(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"empty{suffix}"
    path.touch()
    assert load_error(path).reason == "empty file (0 bytes)"


def test_whitespace_only_text(tmp_path: Path) -> None:
    path = tmp_path / "blank.txt"
    path.write_text("  \n\t\r\n  ", encoding="utf-8")
    assert load_error(path).reason == "no text found"


@pytest.mark.parametrize(
    "junk",
    [
        bytes(range(256)) * 4,  # has NUL bytes
        bytes(range(1, 32)) * 20 + b"some words",  # no NUL, but mostly control characters
    ],
)
def test_binary_junk_named_txt(tmp_path: Path, junk: bytes) -> None:
    path = tmp_path / "junk.txt"
    path.write_bytes(junk)
    assert load_error(path).reason == "binary content, not text"


def test_cp1252_text(tmp_path: Path) -> None:
    path = tmp_path / "legacy.txt"
    path.write_bytes("café £140\r\nNaïve “quotes” – dash\r\n".encode("cp1252"))
    doc = load_document(path)
    assert_loaded(doc, [])
    assert doc.text == "café £140\nNaïve “quotes” – dash\n"
    assert doc.title is None
    assert doc.page_starts == (0,)


def test_utf8_bom_and_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "bom.TXT"  # suffixes are case-insensitive
    path.write_bytes("\ufeffFirst line\r\nSecond line\rThird £5\n".encode())
    doc = load_document(path)
    assert doc.format == "txt"
    assert doc.text == "First line\nSecond line\nThird £5\n"


def test_markdown_headings(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    source = (
        "# Cabinet decision\r\n"
        "Intro with a #hashtag and C# code.\r\n"
        "\r\n"
        "## Background ##\r\n"
        "```python\r\n"
        "# a comment in code, not a heading\r\n"
        "```\r\n"
        "   ### Next steps  \r\n"
        "####### seven hashes is not a heading\r\n"
    )
    path.write_bytes(source.encode())
    doc = load_document(path)
    assert_loaded(doc, ["Cabinet decision", "Background", "Next steps"])
    assert doc.format == "md"
    assert doc.title == "Cabinet decision"
    assert doc.text == source.replace("\r\n", "\n")  # text kept as in the file


def test_load_document_errors(tmp_path: Path) -> None:
    assert load_error(tmp_path / "missing.txt").reason == "no such file or directory"
    other = tmp_path / "data.xyz"
    other.write_text("x", encoding="utf-8")
    assert load_error(other).reason.startswith("unsupported file type '.xyz'")


# ----------------------------------------------------------------------------- discover


def test_discover_walks_sorted_and_skips_hidden_and_manifest(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / ".git").mkdir()
    for name in ("b.txt", "a.md", "README.md", "manifest.jsonl", ".hidden.txt", "notes.xyz"):
        (root / name).write_text("text", encoding="utf-8")
    (root / "sub" / "c.pdf").write_bytes(b"%PDF")
    (root / "sub" / "deeper" / "d.DOCX").write_bytes(b"PK")
    (root / ".git" / "e.txt").write_text("hidden", encoding="utf-8")
    (root / "sub" / "link-to-b.txt").symlink_to(root / "b.txt")  # same file twice

    files, errors = discover([root, root / "b.txt", tmp_path / "missing"])

    assert files == [
        root / "README.md",
        root / "a.md",
        root / "b.txt",
        root / "sub" / "c.pdf",
        root / "sub" / "deeper" / "d.DOCX",
    ]
    assert all(path.is_absolute() for path in files)
    reasons = {error.path.name: error.reason for error in errors}
    assert reasons == {
        "notes.xyz": "unsupported file type '.xyz' "
        "(supported: .docx, .htm, .html, .md, .pdf, .txt)",
        "missing": "no such file or directory",
    }
    again = discover([root, root / "b.txt", tmp_path / "missing"])  # deterministic
    assert again[0] == files and [str(e) for e in again[1]] == [str(e) for e in errors]


def test_discover_symlink_loop_terminates(tmp_path: Path) -> None:
    root = tmp_path / "loop"
    root.mkdir()
    (root / "doc.txt").write_text("text", encoding="utf-8")
    (root / "back").symlink_to(root)  # loop/back -> loop
    (root / "self.txt").symlink_to(root / "self.txt")  # a link to itself

    files, errors = discover([root])

    assert files == [root / "doc.txt"]
    assert {(error.path.name, error.reason) for error in errors} == {
        ("back", "symlink loop"),
        ("self.txt", "symlink loop"),
    }


def test_discover_unreadable_directory(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    locked = root / "locked"
    locked.mkdir(parents=True)
    (root / "open.txt").write_text("text", encoding="utf-8")
    (locked / "inside.txt").write_text("text", encoding="utf-8")
    locked.chmod(0)
    try:
        files, errors = discover([root])
        if os.access(locked, os.R_OK):  # root ignores permissions: the walk just goes on
            assert files == [locked / "inside.txt", root / "open.txt"]
            assert errors == []
        else:
            assert files == [root / "open.txt"]
            assert [(error.path, error.reason) for error in errors] == [
                (locked, "permission denied")
            ]
    finally:
        locked.chmod(0o755)  # so tmp_path can be cleaned up
