"""Reading policy documents: UTF-8 / GB18030 text and .docx."""

from __future__ import annotations

import codecs
import zipfile
from pathlib import Path

from .errors import DocumentError

TEXT_SUFFIXES = {".txt", ".md", ".text", ".markdown", ""}
UNSUPPORTED = {
    ".doc": ("旧版 Word（.doc）", "legacy Word (.doc)"),
    ".wps": ("WPS 文档（.wps）", "WPS (.wps)"),
    ".pdf": ("PDF", "PDF"),
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
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _err_unreadable(path, "（无法识别的文字编码）", " (unknown text encoding)")


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

    def emit_table(table: Table) -> None:
        for row in table.rows:
            seen: set[int] = set()
            for cell in row.cells:
                if id(cell._tc) in seen:  # merged cells repeat
                    continue
                seen.add(id(cell._tc))
                for block in cell._tc.iterchildren():
                    tag = block.tag.rsplit("}", 1)[-1]
                    if tag == "p":
                        lines.append(Paragraph(block, cell).text)
                    elif tag == "tbl":
                        emit_table(Table(block, cell))
            lines.append("")

    body = document.element.body
    for block in body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(Paragraph(block, document).text)
        elif tag == "tbl":
            emit_table(Table(block, document))
    return "\n".join(lines)


def read_document(path: str | Path) -> str:
    """Return the text of a policy document.

    ``.txt``/``.md`` (and files without suffix) are decoded as UTF-8 (with or without BOM) or
    GB18030; ``.docx`` is read with python-docx (paragraphs and table cells, in document
    order). Raises :class:`DocumentError` for missing, empty, binary, undecodable or
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
    if suffix == ".docx" or (suffix not in TEXT_SUFFIXES and zipfile.is_zipfile(path)):
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
        else:
            text = decode_text(data, path.name)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    if not text.strip():
        raise _err_empty(path)
    return text
