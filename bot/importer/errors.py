"""Errors raised by the importer, with bilingual user-facing messages."""

from __future__ import annotations


class DocumentError(Exception):
    """A document could not be read.

    ``code`` is one of ``empty``, ``binary``, ``unreadable``, ``not_found``, ``unsupported``.
    ``str(err)`` is the Chinese message; ``message_en`` carries the English one.
    """

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(message_zh)
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en

    def __str__(self) -> str:
        return self.message_zh

    def message(self, lang: str = "zh") -> str:
        return self.message_en if lang.lower().startswith("en") else self.message_zh
