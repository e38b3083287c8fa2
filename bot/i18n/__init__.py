"""All user-facing text, one module per language. `t` falls back to Chinese, then to the key."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from bot.i18n import en, zh

LANGUAGES = {"zh": zh.TEXTS, "en": en.TEXTS}
DEFAULT = "zh"


def normalise_language(code: str | None) -> str:
    if not code:
        return DEFAULT
    code = code.lower()
    return "en" if code.startswith("en") else "zh"


def t(lang: str | None, key: str, **values: Any) -> str:
    texts = LANGUAGES.get(lang or DEFAULT, zh.TEXTS)
    template = texts.get(key) or zh.TEXTS.get(key) or key
    return template.format(**values) if values else template


def status_name(lang: str | None, status: str) -> str:
    return t(lang, f"status.{status}")


def role_name(lang: str | None, role: str) -> str:
    return t(lang, f"role.{role}")


# The names the IANA database keeps for China's one zone (the others are its old links).
BEIJING_ZONES = frozenset({"Asia/Shanghai", "Asia/Chongqing", "Asia/Chungking", "Asia/Harbin", "PRC"})


def zone_name(lang: str | None, tz: tzinfo) -> str:
    """The configured time zone as a reader knows it: 北京时间 for China's, else its IANA name."""
    key = getattr(tz, "key", None) or tz.tzname(None) or str(tz)
    if key in BEIJING_ZONES:
        return t(lang, "zone.beijing")
    return t(lang, "zone.named", zone=key)
