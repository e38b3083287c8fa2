"""Errors raised by the importer; their words are in bot/i18n (``document.<what>``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Words:
    """A part of a message that is itself worded per language (a detail, a size, a file kind)."""

    key: str
    values: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str) -> str:
        from bot.i18n import t

        return t(
            lang, self.key, **{k: v.text(lang) if isinstance(v, Words) else v for k, v in self.values.items()}
        )


class DocumentError(Exception):
    """A document could not be read.

    ``code`` is one of ``empty``, ``binary``, ``unreadable``, ``not_found``, ``unsupported``,
    ``encoding``, ``too_large``, ``scanned``. :meth:`message` words it; ``str(err)`` is the
    Chinese message, ``message_en`` the English one.
    """

    def __init__(self, code: str, key: str, /, **values: Any) -> None:
        self.code = code
        self.words = Words(f"document.{key}", values)
        super().__init__(self.message_zh)

    @property
    def message_zh(self) -> str:
        return self.words.text("zh")

    @property
    def message_en(self) -> str:
        return self.words.text("en")

    def __str__(self) -> str:
        return self.message_zh

    def message(self, lang: str = "zh") -> str:
        return self.message_en if lang.lower().startswith("en") else self.message_zh
