"""English (on request, per user with /lang en)."""

TEXTS: dict[str, str] = {}
