"""Secrets that must reach a chat but never the database: an invitation code made with /invite.

The outbox row keeps a marker with a random slot name; the code itself waits in this process's
memory and is put in only as the message is handed to Telegram. A marker never leaves the bot
(it is replaced as it is sent), so nobody can copy a live one into a text of their own; the row
keeps its ordinary purpose and is paced like any other answer.

A code whose process ended before its message went out is gone: the message then says so and
asks for a new invitation. The invitation row it belonged to keeps only its hash and simply
expires; nobody can use it, since nobody has seen the code.
"""

from __future__ import annotations

import re
import secrets
import threading

_OPEN = "⟦sealed:"
_MARKER = re.compile(r"⟦sealed:([A-Za-z0-9_-]{16,}):(zh|en)⟧")
# An invitation is made by a person typing /invite, and a delivered one is released: a bound on
# what waits only matters for messages that never go out (a chat that blocked the bot).
MAX_WAITING = 10_000


class SealedStore:
    def __init__(self, max_waiting: int = MAX_WAITING) -> None:
        self._codes: dict[str, str] = {}
        self._lock = threading.Lock()
        self.max_waiting = max_waiting

    def seal(self, secret: str, lang: str) -> str:
        """The marker to put into the stored text where `secret` belongs."""
        slot = secrets.token_urlsafe(12)
        with self._lock:
            if len(self._codes) >= self.max_waiting:
                self._codes.pop(next(iter(self._codes)))  # the oldest waiting one
            self._codes[slot] = secret
        return f"{_OPEN}{slot}:{'en' if lang == 'en' else 'zh'}⟧"

    def unseal(self, text: str) -> str:
        """The text as it is sent: each marker replaced by its secret, or by a note that it was lost."""
        from bot.i18n import t

        def fill(match: re.Match[str]) -> str:
            with self._lock:
                found = self._codes.get(match.group(1))
            return found if found is not None else t(match.group(2), "invite.code_lost")

        return _MARKER.sub(fill, text)

    def release(self, text: str) -> None:
        """Forgets the secrets of a text that was delivered."""
        with self._lock:
            for slot in _MARKER.findall(text):
                self._codes.pop(slot[0], None)

    def __len__(self) -> int:
        return len(self._codes)


# One per process: the handler that makes the invitation and the transport that sends it run in
# the same `duban run`.
STORE = SealedStore()


def for_sending(text: str | None) -> str | None:
    return STORE.unseal(text) if text and _OPEN in text else text


def delivered(text: str | None) -> None:
    if text and _OPEN in text:
        STORE.release(text)
