"""Test support: a fake Telegram Bot API server (see tests/botapi/server.py).

``from tests.botapi import FakeBotAPI`` (names are loaded lazily so that
``python -m tests.botapi.server`` does not import the module twice).
"""

from typing import Any

__all__ = [
    "ApiError",
    "CallRecord",
    "CallbackAnswer",
    "EditRecord",
    "FakeBotAPI",
    "RateLimits",
    "Sent",
    "parse_html",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from tests.botapi import server

        return getattr(server, name)
    raise AttributeError(name)
