"""Reading policy documents: UTF-8 / GB18030 text, .docx, PDF (text layer) and saved web pages."""

from __future__ import annotations

import codecs
import zipfile
from collections.abc import Iterator
from pathlib import Path

from .errors import DocumentError

TEXT_SUFFIXES = {".txt", ".md", ".text", ".markdown", ""}
HTML_SUFFIXES = {".html", ".htm", ".shtml", ".xhtml", ".mhtml"}
UNSUPPORTED = {
    ".doc": ("旧版 Word（.doc）", "legacy Word (.doc)"),
    ".wps": ("WPS 文档（.wps）", "WPS (.wps)"),
    ".xls": ("Excel", "Excel"),
    ".xlsx": ("Excel", "Excel"),
    ".ofd": ("OFD", "OFD"),
}
_CONVERT_ZH = "请另存为 .docx 或纯文本（.txt）后重新上传。"
_CONVERT_EN = "Please save it as .docx or plain text (.txt) and upload again."


def _err_not_found(path: Path) -> DocumentError:
    return DocumentError(
        "not_found",
        f"找不到文件：{path.name}。",
        f"File not found: {path.name}.",
    )


def _err_empty(path: Path) -> DocumentError:
    return DocumentError(
        "empty",
        f"文件“{path.name}”是空的，没有可导入的文字。",
        f"The file “{path.name}” is empty; there is no text to import.",
    )


def _err_binary(path: Path) -> DocumentError:
    return DocumentError(
        "binary",
        f"文件“{path.name}”不是文本或 Word 文档，无法导入。{_CONVERT_ZH}",
        f"The file “{path.name}” is not a text or Word document and cannot be imported. {_CONVERT_EN}",
    )


def _err_unreadable(path: Path, detail_zh: str = "", detail_en: str = "") -> DocumentError:
    return DocumentError(
        "unreadable",
        f"无法读取文件“{path.name}”{detail_zh}。请确认文件为 UTF-8 或 GB18030 编码的文本，或 .docx 文档。",
        f"Cannot read the file “{path.name}”{detail_en}. Please use UTF-8 or GB18030 text, or a .docx document.",
    )


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
            raise _err_unreadable(path, "（编码错误）", " (bad encoding)") from exc
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise _err_unreadable(path, "（编码错误）", " (bad encoding)") from exc
    if _looks_binary(data):
        raise _err_binary(path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise _err_unreadable(path, "（无法识别的文字编码）", " (unknown text encoding)") from exc
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
    return DocumentError(
        "encoding",
        f"无法可靠识别文件“{path.name}”的文字编码（疑似 {guess}，不是 UTF-8 或 GB18030），为避免导入乱码已停止。"
        "请用记事本或 WPS 另存为 UTF-8 编码后重新导入。",
        f"Cannot tell the text encoding of “{path.name}” with confidence (looks like {guess}, not UTF-8 "
        "or GB18030); stopped rather than import garbled text. Please save it as UTF-8 and import again.",
    )


def _err_too_large(
    path: Path, what_zh: str, what_en: str, limit_zh: str, limit_en: str, setting: str
) -> DocumentError:
    return DocumentError(
        "too_large",
        f"文件“{path.name}”过大（{what_zh}），超过导入上限 {limit_zh}（设置 {setting}）。"
        "请拆分后分别导入，或请管理员调高上限。",
        f"The file “{path.name}” is too large ({what_en}); the import limit is {limit_en} (setting {setting}). "
        "Please split it, or ask the administrator to raise the limit.",
    )


def _docx_text(path: Path) -> str:
    try:
        import docx  # python-docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph
    except ImportError as exc:  # pragma: no cover - dependency is declared
        raise DocumentError(
            "unsupported", "服务器未安装 Word 文档支持。", "Word support is not installed on the server."
        ) from exc
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # zipfile.BadZipFile, KeyError, lxml errors …
        raise _err_unreadable(path, "（不是有效的 .docx 文档）", " (not a valid .docx document)") from exc

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
        raise _err_unreadable(
            path, "（不是有效的 PDF 文档，或已加密）", " (not a valid PDF, or encrypted)"
        ) from exc
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
        raise DocumentError(
            "scanned",
            f"PDF 文件“{path.name}”没有文字层（可能是扫描件或图片），无法识别其中的文字。"
            "请上传原始的 Word/WPS 文档或文字版 PDF，或先用 OCR 软件转换为文字。",
            f"The PDF “{path.name}” has no text layer (probably a scan or images), so its words cannot be read. "
            "Please upload the original Word document or a text PDF, or convert it with OCR first.",
        )
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
        zh, en = UNSUPPORTED[suffix]
        raise DocumentError(
            "unsupported",
            f"暂不支持导入{zh}文件“{path.name}”。{_CONVERT_ZH}",
            f"Importing {en} files (“{path.name}”) is not supported. {_CONVERT_EN}",
        )
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise _err_unreadable(path) from exc
    if size == 0:
        raise _err_empty(path)
    if max_bytes is not None and size > max_bytes:
        raise _err_too_large(
            path, f"{_mb(size)}", f"{_mb(size)}", f"{_mb(max_bytes)}", f"{_mb(max_bytes)}", "IMPORT_MAX_BYTES"
        )
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
            f"{len(text):,} 字，约 {pages:,} 页",
            f"{len(text):,} characters, about {pages:,} pages",
            f"{max_chars:,} 字",
            f"{max_chars:,} characters",
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
