"""What the importer found wrong with a document, as data: a kind and its values. The words are
chosen where a warning is shown (bot/views/import_warnings.py, keys ``import.warn.<kind>``), so a
coordinator reads them in their own language and a stored draft can be shown in either."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Value = str | int | tuple[str, ...]

# The kind of a warning kept as text by an older version (a stored draft): shown as it was.
LEGACY = "text"


@dataclass(frozen=True)
class Where:
    """The measure, and the task or run of tasks, a warning about a unit name came from."""

    measure: int
    first: int | None = None
    last: int | None = None

    def to_json(self) -> dict[str, int | None]:
        return {"measure": self.measure, "first": self.first, "last": self.last}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Where:
        return cls(int(data["measure"]), data.get("first"), data.get("last"))


@dataclass(frozen=True)
class ImporterWarning:
    """Hashable (the importer says each warning once) and JSON-able (drafts are stored)."""

    kind: str
    values: tuple[tuple[str, Value], ...] = ()
    where: Where | None = None

    @classmethod
    def of(cls, kind: str, **values: Value | list[str]) -> ImporterWarning:
        return cls(kind, tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in values.items()))

    def at(self, where: Where | None) -> ImporterWarning:
        return ImporterWarning(self.kind, self.values, where)

    @property
    def params(self) -> dict[str, Value]:
        return dict(self.values)

    def to_json(self) -> dict[str, Any]:
        values = {k: list(v) if isinstance(v, tuple) else v for k, v in self.values}
        return {"kind": self.kind, "values": values, "where": self.where.to_json() if self.where else None}

    @classmethod
    def from_json(cls, data: dict[str, Any] | str) -> ImporterWarning:
        """Also reads the plain Chinese text an older version stored."""
        if isinstance(data, str):
            return cls(LEGACY, (("text", data),))
        values = tuple(
            (k, tuple(v) if isinstance(v, list) else v) for k, v in dict(data.get("values") or {}).items()
        )
        where = data.get("where")
        return cls(str(data["kind"]), values, Where.from_json(where) if where else None)
