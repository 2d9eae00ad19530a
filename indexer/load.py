"""Find document files and turn each into text, with pages, headings and a title.

Every failure is a ``LoadError`` naming the file and a short reason, so one bad file never
stops an indexing run. Texts are kept as close to the source as the format allows (no
reflowing), because later steps store character offsets into them.
"""

from __future__ import annotations

import codecs
import errno
import io
import os
import re
import stat
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from indexer.records import LoadedDocument, LoadError

if TYPE_CHECKING:  # the parsers are imported lazily: each costs start-up time
    from docx.document import Document as DocxDocument
    from docx.table import _Row
    from docx.text.paragraph import Paragraph
    from lxml.etree import _Element
    from pypdf import PageObject, PdfReader

SUPPORTED_SUFFIXES: frozenset[str] = frozenset({".txt", ".md", ".html", ".htm", ".pdf", ".docx"})

# The corpus manifest sits beside the documents but is metadata, not a document.
_MANIFEST_NAME = "manifest.jsonl"

Span = tuple[int, int]


# --------------------------------------------------------------------------- discovery


@dataclass
class _Walk:
    """State of one ``discover`` call: what was found, what went wrong, what was seen."""

    files: list[Path] = field(default_factory=list)
    errors: list[LoadError] = field(default_factory=list)
    seen_files: set[Path] = field(default_factory=set)
    # (st_dev, st_ino) of every directory walked, so symlinked copies are walked once.
    seen_dirs: set[tuple[int, int]] = field(default_factory=set)


def discover(paths: list[Path]) -> tuple[list[Path], list[LoadError]]:
    """Expand files and directories into the document files to load, plus the problems met.

    Directories are walked recursively in sorted order (symlinks followed, loops detected);
    hidden entries and the corpus manifest are skipped. Files come back as resolved absolute
    paths, each once, in walk order.
    """
    walk = _Walk()
    for path in paths:
        _visit(Path(path), walk, ancestors=frozenset())
    return walk.files, walk.errors


def _visit(path: Path, walk: _Walk, ancestors: frozenset[tuple[int, int]]) -> None:
    if path.name == _MANIFEST_NAME:
        return
    try:
        st = path.stat()  # follows symlinks, so a link to a directory is walked
    except OSError as exc:
        walk.errors.append(LoadError(path, _os_reason(exc, path)))
        return
    if stat.S_ISDIR(st.st_mode):
        _visit_dir(path, (st.st_dev, st.st_ino), walk, ancestors)
    elif stat.S_ISREG(st.st_mode):
        _add_file(path, walk)
    else:
        walk.errors.append(LoadError(path, "not a regular file"))


def _visit_dir(
    path: Path, key: tuple[int, int], walk: _Walk, ancestors: frozenset[tuple[int, int]]
) -> None:
    if key in ancestors:  # a symlink pointing back up the tree: following it never ends
        walk.errors.append(LoadError(path, "symlink loop"))
        return
    if key in walk.seen_dirs:  # the same directory reached again through another link
        return
    walk.seen_dirs.add(key)
    try:
        with os.scandir(path) as entries:
            names = sorted(entry.name for entry in entries)
    except OSError as exc:
        walk.errors.append(LoadError(path, _os_reason(exc, path)))
        return
    for name in names:
        if not name.startswith("."):
            _visit(path / name, walk, ancestors | {key})


def _add_file(path: Path, walk: _Walk) -> None:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        walk.errors.append(LoadError(path, _unsupported_reason(suffix)))
        return
    resolved = path.resolve()
    if resolved not in walk.seen_files:
        walk.seen_files.add(resolved)
        walk.files.append(resolved)


def _unsupported_reason(suffix: str) -> str:
    supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
    what = f"'{suffix}'" if suffix else "(no extension)"
    return f"unsupported file type {what} (supported: {supported})"


def _os_reason(exc: OSError, path: Path) -> str:
    """A short human reason for an OS error, without repeating the path."""
    if isinstance(exc, PermissionError):
        return "permission denied"
    if exc.errno == errno.ELOOP:
        return "symlink loop"
    if isinstance(exc, FileNotFoundError):
        return "broken symlink" if path.is_symlink() else "no such file or directory"
    if isinstance(exc, IsADirectoryError):
        return "is a directory"
    return (exc.strerror or str(exc)).lower()


# --------------------------------------------------------------------------- loading


def load_document(path: Path) -> LoadedDocument:
    """Read one file into a ``LoadedDocument``; raise ``LoadError`` on any failure."""
    path = Path(path)
    suffix = path.suffix.lower()
    loader = _LOADERS.get(suffix)
    if loader is None:
        raise LoadError(path, _unsupported_reason(suffix))
    data = _read_bytes(path)
    if not data:
        raise LoadError(path, "empty file (0 bytes)")
    try:
        doc = loader(path, data)
    except LoadError:
        raise
    except Exception as exc:  # a parser bug on odd input (RecursionError, ...): still a LoadError
        raise LoadError(path, f"cannot read {suffix} file: {type(exc).__name__}: {exc}") from exc
    if not doc.text.strip():
        raise LoadError(path, "no text found")
    return doc


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise LoadError(path, _os_reason(exc, path)) from exc


# ---- plain text and Markdown

# Bytes that do not occur in text files (all C0 controls but \t \n \f \r, plus DEL).
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20), 0x7F])
_MAX_CONTROL_RATIO = 0.10
_UNICODE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16: its BOM starts with the UTF-16 LE one
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _load_txt(path: Path, data: bytes) -> LoadedDocument:
    text = _normalise_newlines(_decode_text(path, data))
    return LoadedDocument(source=path, format="txt", text=text)


def _load_md(path: Path, data: bytes) -> LoadedDocument:
    text = _normalise_newlines(_decode_text(path, data))
    headings = _markdown_headings(text)
    title = _title_from_headings(text, headings)
    return LoadedDocument(source=path, format="md", text=text, title=title, headings=headings)


def _decode_text(path: Path, data: bytes) -> str:
    """Decode a text file: BOM, else UTF-8, else legacy encodings; reject binary junk."""
    for bom, encoding in _UNICODE_BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise LoadError(path, f"cannot decode text ({encoding}): {exc.reason}") from exc
    controls = len(data) - len(data.translate(None, _CONTROL_BYTES))
    if b"\x00" in data or controls > _MAX_CONTROL_RATIO * len(data):
        raise LoadError(path, "binary content, not text")
    return _decode_unmarked(data)


def _decode_unmarked(data: bytes) -> str:
    """Decode bytes with no BOM: UTF-8, else Windows-1252, else a guess.

    Windows-1252 goes before charset-normalizer because UK public-sector files in a legacy
    encoding are nearly always Windows-1252, and the detector misreads short ones (it takes
    "café £140" for cp1006 or cp1250).
    """
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            pass
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # optional: only comes with requests
        from_bytes = None
    if from_bytes is not None:
        best = from_bytes(data).best()
        if best is not None:
            return str(best)
    return data.decode("latin-1")  # maps every byte, so never fails


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# ATX heading: up to 3 spaces, 1-6 '#', whitespace, text, optional closing '#'s.
_MD_HEADING = re.compile(r" {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*")
_MD_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")


def _markdown_headings(text: str) -> tuple[Span, ...]:
    """Spans of the text of '#' heading lines, skipping fenced code (where '#' is a comment)."""
    headings: list[Span] = []
    fence: str | None = None
    offset = 0
    for line in text.split("\n"):
        if fence_match := _MD_FENCE.match(line):
            marker = fence_match.group(1)
            if fence is None:
                fence = marker[0] * 3
            elif marker.startswith(fence):
                fence = None
        elif fence is None and (m := _MD_HEADING.fullmatch(line)) and m.group(1):
            headings.append((offset + m.start(1), offset + m.end(1)))
        offset += len(line) + 1
    return tuple(headings)


# ---- blocks: shared by HTML and DOCX, which are rebuilt from paragraph-like pieces


@dataclass(frozen=True)
class _Block:
    text: str
    heading: bool = False


def _join_blocks(blocks: Iterable[_Block], sep: str) -> tuple[str, tuple[Span, ...]]:
    """Join block texts with ``sep``; return the text and the spans of heading blocks."""
    parts: list[str] = []
    headings: list[Span] = []
    offset = 0
    for block in blocks:
        if parts:
            offset += len(sep)
        if block.heading and (span := _trimmed_span(block.text, offset)):
            headings.append(span)
        parts.append(block.text)
        offset += len(block.text)
    return sep.join(parts), tuple(headings)


def _trimmed_span(line: str, offset: int) -> Span | None:
    """Span of ``line`` without its surrounding whitespace; None when it is blank."""
    stripped = line.strip()
    if not stripped:
        return None
    start = offset + len(line) - len(line.lstrip())
    return start, start + len(stripped)


def _title_from_headings(text: str, headings: tuple[Span, ...]) -> str | None:
    return text[headings[0][0] : headings[0][1]] if headings else None


# ---- HTML

_TRAFILATURA_OPTIONS = {
    "include_tables": True,
    "include_comments": False,
    "include_formatting": False,  # no ** / * markers in the text
    "favor_recall": True,
    "with_metadata": True,
}
# Site chrome that trafilatura's recall mode keeps on short pages; an <article>'s own
# <header> usually holds its title, so keep that one.
_PRUNE_XPATH = ["//nav", "//footer", "//header[not(ancestor::article or ancestor::main)]"]
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.-]+)""", re.I)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_HTML_HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_HTML_SKIP_TAGS = frozenset(
    {"script", "style", "noscript", "template", "nav", "header", "footer", "head", "svg"}
)
_HTML_BLOCK_TAGS = frozenset(
    {
        *_HTML_HEADING_TAGS,
        *("p", "div", "section", "article", "main", "aside", "blockquote", "pre", "br", "hr"),
        *("ul", "ol", "li", "dl", "dt", "dd", "table", "tr", "caption", "figure", "figcaption"),
        *("form", "fieldset", "address", "details", "summary", "body"),
    }
)
# Below this many characters of main text, trafilatura has fallen back to its baseline
# (its own MIN_EXTRACTED_SIZE default).
_MIN_MAIN_TEXT = 250
# Cookie and consent banners, recognised by class or id on the fallback path.
_HTML_CHROME = re.compile(r"cookie|consent", re.I)
# Private-use characters bracketing heading text while flattening the fallback HTML.
_H_OPEN, _H_CLOSE = "\ue000", "\ue001"


def _load_html(path: Path, data: bytes) -> LoadedDocument:
    html = _XML_DECLARATION.sub("", _decode_html(data))  # lxml refuses str with one
    blocks, title = _trafilatura_blocks(html)
    if sum(len(block.text) for block in blocks) < _MIN_MAIN_TEXT:
        # Short pages: trafilatura's baseline then flattens everything into one paragraph
        # (headings lost), so the page's own visible text is the more faithful reading.
        fallback_blocks, fallback_title = _visible_html_blocks(path, html)
        blocks = fallback_blocks or blocks
        title = title or fallback_title
    text, headings = _join_blocks(blocks, "\n\n")
    return LoadedDocument(source=path, format="html", text=text, title=title, headings=headings)


def _decode_html(data: bytes) -> str:
    """Decode by BOM, else the page's declared charset when it works, else like a text file."""
    for bom, encoding in _UNICODE_BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    if match := _META_CHARSET.search(data[:4096]):
        encoding = match.group(1).decode("ascii").lower()
        # Browsers read these labels as Windows-1252 (WHATWG encoding standard).
        if encoding in {"iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"}:
            encoding = "cp1252"
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            pass
    return _decode_unmarked(data)


def _trafilatura_blocks(html: str) -> tuple[list[_Block], str | None]:
    """Main content via trafilatura, as blocks; ([], None) if it finds none or fails."""
    import trafilatura  # slow import: only pay for it when there is HTML

    try:
        doc = trafilatura.bare_extraction(html, prune_xpath=_PRUNE_XPATH, **_TRAFILATURA_OPTIONS)
    except Exception:  # a parser crash on odd markup: use the fallback
        return [], None
    if doc is None or doc.body is None:
        return [], None
    blocks = [block for block in _tei_blocks(doc.body) if block.text]
    return blocks, _clean(doc.title)


def _tei_blocks(element: _Element) -> Iterator[_Block]:
    """Blocks of trafilatura's XML body (head, p, list/item, table/row/cell, lb, ...)."""
    for child in element:
        tag = child.tag
        if tag == "head":
            yield _Block(_one_line(_tei_text(child)), heading=True)
        elif tag == "list":
            items = (_tei_text(item) for item in child.iterchildren("item"))
            yield _Block("\n".join(f"- {item}" for item in items if item))
        elif tag == "table":
            yield _Block("\n".join(_tei_row(row) for row in child.iterchildren("row")))
        elif any(grandchild.tag in {"head", "p", "list", "table"} for grandchild in child):
            if lead := _tidy_lines(child.text or ""):  # a container such as <div>
                yield _Block(lead)
            yield from _tei_blocks(child)
        else:
            yield _Block(_tei_text(child))


def _tei_row(row: _Element) -> str:
    return " | ".join(_one_line(_tei_text(cell)) for cell in row.iterchildren("cell"))


def _tei_text(element: _Element) -> str:
    """Text of an element with <lb/> as a line break, whitespace tidied per line."""
    parts: list[str] = []
    _flatten_tei(element, parts)
    return _tidy_lines("".join(parts))


def _flatten_tei(element: _Element, parts: list[str]) -> None:
    parts.append("\n" if element.tag == "lb" else (element.text or ""))
    for child in element:
        _flatten_tei(child, parts)
        parts.append(child.tail or "")


def _visible_html_blocks(path: Path, html: str) -> tuple[list[_Block], str | None]:
    """Fallback: the visible text of <body>, less scripts and site chrome."""
    import lxml.html

    try:
        root = lxml.html.document_fromstring(html)
    except Exception as exc:  # lxml raises several types for bad markup
        raise LoadError(path, f"cannot parse HTML: {exc}") from exc
    title = _clean(root.findtext(".//title"))
    body = root.find("body")
    if body is None:
        return [], title
    parts: list[str] = []
    _flatten_html(body, parts)
    blocks = []
    for line in _tidy_lines("".join(parts)).split("\n"):
        heading = line.startswith(_H_OPEN) and line.endswith(_H_CLOSE)
        blocks.append(_Block(line.replace(_H_OPEN, "").replace(_H_CLOSE, ""), heading))
    return blocks, title


def _flatten_html(node: _Element, parts: list[str]) -> None:
    """Append the text under ``node`` to ``parts``, with newlines around block elements."""
    tag = node.tag if isinstance(node.tag, str) else None  # None: comment or PI
    if tag is not None and tag not in _HTML_SKIP_TAGS and not _is_chrome(node):
        block = tag in _HTML_BLOCK_TAGS
        heading = tag in _HTML_HEADING_TAGS
        parts.append("\n" if block else "")
        parts.append(_H_OPEN if heading else "")
        parts.append(node.text or "")
        for child in node:
            _flatten_html(child, parts)
        parts.append(_H_CLOSE if heading else "")
        parts.append("\n" if block else " " if tag in {"td", "th"} else "")
    parts.append(node.tail or "")


def _is_chrome(node: _Element) -> bool:
    if node.tag == "body":  # sites mark consent state on <body> itself; never drop it all
        return False
    return bool(_HTML_CHROME.search(f"{node.get('class', '')} {node.get('id', '')}"))


def _tidy_lines(text: str) -> str:
    """Collapse HTML whitespace within lines and drop blank lines."""
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _clean(value: object) -> str | None:
    text = _one_line(str(value)) if value is not None else ""
    return text or None


# ---- PDF


def _load_pdf(path: Path, data: bytes) -> LoadedDocument:
    reader = _open_pdf(path, data)
    try:
        pages = list(reader.pages)
    except Exception as exc:  # pypdf raises many types on broken files
        raise LoadError(path, f"corrupt PDF: {exc}") from exc
    if not pages:
        raise LoadError(path, "PDF has no pages")
    texts = [_pdf_page_text(page) for page in pages]
    empty = tuple(number for number, text in enumerate(texts, start=1) if not text)
    if len(empty) == len(texts):
        raise LoadError(path, f"no extractable text in {len(texts)} pages (scanned PDF?)")
    page_starts: list[int] = []
    offset = 0
    for text in texts:
        page_starts.append(offset)
        offset += len(text) + 2  # the "\n\n" between pages
    return LoadedDocument(
        source=path,
        format="pdf",
        text="\n\n".join(texts),
        page_starts=tuple(page_starts),
        empty_pages=empty,
        title=_pdf_title(reader),
    )


def _open_pdf(path: Path, data: bytes) -> PdfReader:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    try:
        reader = PdfReader(io.BytesIO(data))
    except Exception as exc:  # PdfReadError, PdfStreamError, ValueError, ...
        raise LoadError(path, f"corrupt PDF: {exc}") from exc
    if not reader.is_encrypted:
        return reader
    try:
        # Many PDFs are encrypted only against editing, with an empty user password.
        decrypted = reader.decrypt("")
    except DependencyError as exc:  # AES needs the optional 'cryptography' package
        raise LoadError(path, f"encrypted PDF (cannot decrypt: {exc})") from exc
    except Exception as exc:
        raise LoadError(path, f"encrypted PDF (cannot decrypt: {exc})") from exc
    if not decrypted:
        raise LoadError(path, "encrypted PDF (password required)")
    return reader


def _pdf_page_text(page: PageObject) -> str:
    """A page's text, or "" when it has none (a scanned image) or its content is broken."""
    try:
        text = page.extract_text() or ""
    except Exception:  # one bad content stream should not lose the document
        return ""
    text = _normalise_newlines(text)
    return text if text.strip() else ""


def _pdf_title(reader: PdfReader) -> str | None:
    try:
        metadata = reader.metadata
        return _clean(metadata.title) if metadata is not None else None
    except Exception:  # a broken info dictionary just means no title
        return None


# ---- DOCX


def _load_docx(path: Path, data: bytes) -> LoadedDocument:
    document = _open_docx(path, data)
    try:
        blocks = list(_docx_blocks(document))
        core_title = _clean(document.core_properties.title)
    except Exception as exc:  # malformed XML inside a valid zip
        raise LoadError(path, f"corrupt DOCX: {exc}") from exc
    text, headings = _join_blocks(blocks, "\n")
    title = core_title or _title_from_headings(text, headings)
    return LoadedDocument(source=path, format="docx", text=text, title=title, headings=headings)


def _open_docx(path: Path, data: bytes) -> DocxDocument:
    import docx

    buffer = io.BytesIO(data)
    if not zipfile.is_zipfile(buffer):
        raise LoadError(path, "corrupt DOCX: not a ZIP archive")
    try:
        return docx.Document(buffer)
    except Exception as exc:  # BadZipFile, KeyError, XML errors, ...
        raise LoadError(path, f"corrupt DOCX: {exc}") from exc


def _docx_blocks(document: DocxDocument) -> Iterator[_Block]:
    """Paragraphs (one line each) and table rows, in document order."""
    from docx.table import Table

    for item in document.iter_inner_content():
        if isinstance(item, Table):
            for row in item.rows:
                yield _Block(_docx_row(row))
        else:
            yield _Block(item.text, heading=_is_docx_heading(item))


def _docx_row(row: _Row) -> str:
    """Cells joined with " | "; a merged cell repeats in ``row.cells``, so keep it once."""
    cells: list[str] = []
    previous = None
    for cell in row.cells:
        if cell._tc is not previous:  # the only handle on merged cells
            cells.append(_one_line(cell.text))
        previous = cell._tc
    return " | ".join(cells)


def _is_docx_heading(paragraph: Paragraph) -> bool:
    try:
        name = paragraph.style.name or ""
    except Exception:  # a style id missing from styles.xml
        return False
    return name.startswith(("Heading", "Title"))


_LOADERS: dict[str, Callable[[Path, bytes], LoadedDocument]] = {
    ".txt": _load_txt,
    ".md": _load_md,
    ".html": _load_html,
    ".htm": _load_html,
    ".pdf": _load_pdf,
    ".docx": _load_docx,
}
