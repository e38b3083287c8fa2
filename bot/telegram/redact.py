"""Keeping the bot token out of everything printed or logged.

aiogram builds every request URL as ``<base>/bot<token>/<method>``, and aiohttp's errors quote the
URL they failed on, so any exception from a request can carry the token: in its message, in a
traceback, in a log line or in an outbox row's last error.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

MASK = "<BOT_TOKEN>"


class Redactor:
    def __init__(self, secrets: Iterable[str | None]) -> None:
        found: set[str] = set()
        for secret in secrets:
            if not secret:
                continue
            found.add(secret)
            # The part after the bot's id is what makes it a secret; it may turn up alone.
            _, _, key = secret.partition(":")
            if len(key) >= 8:
                found.add(key)
        # Longest first, so the whole token is masked before its key part.
        self.secrets = sorted(found, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text


class RedactingFilter(logging.Filter):
    """Masks the token in a record's message, arguments, traceback and stack.

    Attached to handlers (a logger's own filters do not see records that propagate from its
    children), so whatever reaches the output passes through it."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__("redact")
        self.redact = redact
        self._formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg, record.args = self.redact(message), None
        if record.exc_info and record.exc_info[1] is not None:
            # Formatted here so the text can be cleaned; the handler prints exc_text as it is.
            record.exc_text = self.redact(self._formatter.formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def install(token: str | None, logger: logging.Logger | None = None) -> Redactor:
    """Adds the filter to every handler of `logger` (the root logger by default)."""
    redact = Redactor([token])
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter(redact))
    return redact
