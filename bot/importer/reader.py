"""Reading policy documents: UTF-8 / GB18030 text, .docx, PDF (text layer) and saved web pages."""

from __future__ import annotations

import codecs
import zipfile
from collections.abc import Iterator
from pathlib import Path

from .errors import DocumentError, Words

TEXT_SUFFIXES = {".txt", ".md", ".text", ".markdown", ""}
HTML_SUFFIXES = {".html", ".htm", ".shtml", ".xhtml", ".mhtml"}
# the kinds of file refused by name, worded as document.kind.<name>
UNSUPPORTED = {".doc": "doc", ".wps": "wps", ".xls": "excel", ".xlsx": "excel", ".ofd": "ofd"}


def _err_not_found(path: Path) -> DocumentError:
    return DocumentError("not_found", "not_found", name=path.name)


def _err_empty(path: Path) -> DocumentError:
    return DocumentError("empty", "empty", name=path.name)


def _err_binary(path: Path) -> DocumentError:
    return DocumentError("binary", "binary", name=path.name)


def _err_unreadable(path: Path, detail: str | None = None) -> DocumentError:
    """``detail``: what was wrong (document.detail.<detail>), when known."""
    words = Words(f"document.detail.{detail}") if detail else ""
    return DocumentError("unreadable", "unreadable", name=path.name, detail=words)


def _looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if b"\x00" in head:
        return True
    # Control characters other than tab/newline/carriage return/form feed are rare in text.
    ctrl = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return ctrl > max(4, len(head) // 100)


def decode_text(data: bytes, name: str = "document") -> str:
    """Decode text bytes: UTF-8 (BOM optional), UTF-16 with BOM, else GB18030."""
    path = Path(name)
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _err_unreadable(path, "bad_encoding") from exc
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise _err_unreadable(path, "bad_encoding") from exc
    if _looks_binary(data):
        raise _err_binary(path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise _err_unreadable(path, "unknown_encoding") from exc
    if not _plausible_gb(text):
        raise _err_encoding(path, _guess_other(data))
    return text


def _plausible_gb(text: str) -> bool:
    """Does GB18030-decoded text read as Simplified Chinese?

    Every byte string of Big5 or Latin-1 text with pairs of high bytes decodes as GB18030 without
    error, so success proves nothing. Real Simplified Chinese uses GB2312's 6,763 characters almost
    exclusively (well above 99% in official documents); garbled Big5 or Latin-1 lands mostly in
    GBK's extension rows, or yields no Chinese at all beside high-byte symbols.
    """
    outside = inside = 0
    for ch in text:
        if ord(ch) < 0x80:
            continue
        try:
            ch.encode("gb2312")
            inside += 1
        except UnicodeEncodeError:
            outside += 1
    total = inside + outside
    return total == 0 or outside <= max(2, total // 50)


def _guess_other(data: bytes) -> str:
    for encoding, label in (("big5", "Big5"), ("shift_jis", "Shift-JIS"), ("euc-kr", "EUC-KR")):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return label
    return "Latin-1"


def _err_encoding(path: Path, guess: str) -> DocumentError:
    return DocumentError("encoding", "encoding", name=path.name, guess=guess)


def _err_too_large(path: Path, what: str | Words, limit: str | Words, setting: str) -> DocumentError:
    return DocumentError("too_large", "too_large", name=path.name, what=what, limit=limit, setting=setting)


def _docx_text(path: Path) -> str:
    try:
        import docx  # python-docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph
    except ImportError as exc:  # pragma: no cover - dependency is declared
        raise DocumentError("unsupported", "no_docx") from exc
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # zipfile.BadZipFile, KeyError, lxml errors …
        raise _err_unreadable(path, "not_docx") from exc

    lines: list[str] = []

    def emit_blocks(blocks: Iterator[Paragraph | Table]) -> None:
        for block in blocks:
            if isinstance(block, Paragraph):
                lines.append(block.text)
            else:
                emit_table(block)

    def emit_table(table: Table) -> None:
        for row in table.rows:
            cells = row.cells
            # row.cells repeats a horizontally merged cell once per grid column it spans
            index = 0
            while index < len(cells):
                cell = cells[index]
                index += max(1, cell.grid_span)
                emit_blocks(cell.iter_inner_content())
            lines.append("")

    emit_blocks(document.iter_inner_content())
    return "\n".join(lines)


def _pdf_text(path: Path) -> str:
    """The text layer of a PDF, page by page (pypdfium2: PDFium's text extraction)."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(str(path))
    except (pdfium.PdfiumError, OSError) as exc:
        raise _err_unreadable(path, "not_pdf") from exc
    pages: list[str] = []
    try:
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            pages.append(textpage.get_text_range())
            textpage.close()
            page.close()
    finally:
        document.close()
    text = "\n".join(pages).replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise DocumentError("scanned", "scanned", name=path.name)
    return text


def read_document(path: str | Path, *, max_bytes: int | None = None, max_chars: int | None = None) -> str:
    """Return the text of a policy document.

    ``.txt``/``.md`` (and files without suffix) are decoded as UTF-8 (with or without BOM) or
    GB18030 (refused when the bytes only decode as garbage, e.g. Big5 or Latin-1); ``.docx`` is
    read with python-docx (paragraphs and table cells, in document order); ``.pdf`` through its
    text layer; ``.html``/``.htm`` keep the page's main text only (see :mod:`.html`).
    ``max_bytes`` bounds the file size and ``max_chars`` the extracted text (``too_large``).
    Raises :class:`DocumentError` for missing, empty, binary, undecodable, oversized or
    unsupported files.
    """
    path = Path(path)
    if not path.exists() or not path.is_file():
        raise _err_not_found(path)
    suffix = path.suffix.lower()
    if suffix in UNSUPPORTED:
        kind = Words(f"document.kind.{UNSUPPORTED[suffix]}")
        raise DocumentError("unsupported", "unsupported", name=path.name, kind=kind)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise _err_unreadable(path) from exc
    if size == 0:
        raise _err_empty(path)
    if max_bytes is not None and size > max_bytes:
        raise _err_too_large(path, _mb(size), _mb(max_bytes), "IMPORT_MAX_BYTES")
    if suffix == ".pdf":
        text = _pdf_text(path)
    elif suffix == ".docx" or (suffix not in TEXT_SUFFIXES | HTML_SUFFIXES and zipfile.is_zipfile(path)):
        text = _docx_text(path)
    else:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise _err_unreadable(path) from exc
        if data[:4] == b"PK\x03\x04":
            if zipfile.is_zipfile(path):
                text = _docx_text(path)
            else:
                raise _err_binary(path)
        elif data[:5] == b"%PDF-":
            text = _pdf_text(path)
        elif suffix in HTML_SUFFIXES or _looks_html(data):
            from .html import html_text

            text = html_text(data)
        else:
            text = decode_text(data, path.name)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    if not text.strip():
        raise _err_empty(path)
    if max_chars is not None and len(text) > max_chars:
        pages = len(text) // 616 + 1
        raise _err_too_large(
            path,
            Words("document.size.text", {"chars": f"{len(text):,}", "pages": f"{pages:,}"}),
            Words("document.size.chars", {"chars": f"{max_chars:,}"}),
            "IMPORT_MAX_CHARS",
        )
    return text


def _mb(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"


def _looks_html(data: bytes) -> bool:
    head = data[:1024].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html", b"<?xml")) and b"<html" in data[:4096].lower():
        return True
    # text copied with its markup ("<p>现将…</p><p>一、…</p>"): read as a page, not as prose with tags
    sample = data[:65536].lower()
    return sample.count(b"<p") >= 3 and sample.count(b"</p>") >= 3
