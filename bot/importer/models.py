"""Data classes produced by :func:`bot.importer.decompose`."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .warning import ImporterWarning

_WS = re.compile(r"\s+")


def text_fingerprint(text: str) -> str:
    """sha256 of the text with all whitespace removed (line breaks/PDF spacing do not matter)."""
    return hashlib.sha256(_WS.sub("", text).replace("\ufeff", "").encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class PolicyInfo:
    title: str
    doc_number: str | None
    issued_on: date | None
    horizon: date | None = None


@dataclass
class Task:
    seq: int  # 1-based within the measure
    text: str
    lead: list[str] = field(default_factory=list)
    co: list[str] = field(default_factory=list)
    local: list[str] = field(default_factory=list)  # cities' local share (属地责任)
    due: date | None = None
    due_source: str | None = None  # the phrase found, e.g. "2025年底前"; None when due = horizon
    rhythm: str | None = None  # weekly / monthly / quarterly / semiannual / yearly / ongoing
    targets: list[str] = field(default_factory=list)
    unit_clause: str | None = None  # the responsible-units clause that applied, as written
    support: list[str] = field(default_factory=list)  # non-executing units (数据提供单位): data, not work
    # Where each unit and the deadline came from: {"units": [{"unit", "role", "words"}], "due": {...}}
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def units(self) -> list[str]:
        """lead + co + local, in that order, without duplicates."""
        seen: dict[str, None] = {}
        for name in (*self.lead, *self.co, *self.local):
            seen.setdefault(name, None)
        return list(seen)

    def to_json(self, evidence: bool = False) -> dict[str, Any]:
        co = list(dict.fromkeys([*self.co, *self.local]))
        data: dict[str, Any] = {
            "seq": self.seq,
            "text": self.text,
            "lead": list(self.lead),
            "co": co,
            "due": self.due.isoformat() if self.due else None,
            "rhythm": self.rhythm,
            "targets": list(self.targets),
        }
        if self.support:
            data["support"] = list(self.support)
        if evidence:
            data["evidence"] = self.evidence
        return data


@dataclass
class Measure:
    number: int  # sequential 1..N
    label: str  # as written: "一" / "（一）" / "1."
    title: str
    text: str
    tasks: list[Task] = field(default_factory=list)
    section: str | None = None  # enclosing section heading when items are nested

    def to_json(self, evidence: bool = False) -> dict[str, Any]:
        return {
            "number": self.number,
            "title": self.title,
            "text": self.text,
            "tasks": [t.to_json(evidence) for t in self.tasks],
        }


@dataclass(frozen=True)
class UnitRef:
    name: str
    aliases: list[str]
    kind: str
    known: bool

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "aliases": list(self.aliases), "kind": self.kind, "known": self.known}


@dataclass
class Decomposition:
    policy: PolicyInfo
    measures: list[Measure]
    units: list[UnitRef]
    warnings: list[ImporterWarning]
    fingerprint: str = ""

    @property
    def tasks(self) -> list[tuple[Measure, Task]]:
        return [(m, t) for m in self.measures for t in m.tasks]

    def to_json(self, evidence: bool = False) -> dict[str, Any]:
        """JSON for other tools; ``evidence=True`` adds each task's ``evidence`` (see --explain)."""
        return {
            "policy": {
                "title": self.policy.title,
                "doc_number": self.policy.doc_number,
                "issued_on": self.policy.issued_on.isoformat() if self.policy.issued_on else None,
            },
            "measures": [m.to_json(evidence) for m in self.measures],
            "units": [u.to_json() for u in self.units],
            "warnings": [w.to_json() for w in self.warnings],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], fingerprint: str = "") -> Decomposition:
        """Rebuild from :meth:`to_json` output (``local`` is folded into ``co``; horizon lost)."""
        pol = data.get("policy", {})
        issued = pol.get("issued_on")
        measures = []
        for m in data.get("measures", []):
            tasks = [
                Task(
                    seq=t["seq"],
                    text=t["text"],
                    lead=list(t.get("lead", [])),
                    co=list(t.get("co", [])),
                    due=date.fromisoformat(t["due"]) if t.get("due") else None,
                    rhythm=t.get("rhythm"),
                    targets=list(t.get("targets", [])),
                    support=list(t.get("support", [])),
                    evidence=dict(t.get("evidence", {})),
                )
                for t in m.get("tasks", [])
            ]
            measures.append(
                Measure(
                    number=m["number"], label=str(m["number"]), title=m["title"], text=m["text"], tasks=tasks
                )
            )
        units = [
            UnitRef(
                name=u["name"],
                aliases=list(u.get("aliases", [])),
                kind=u.get("kind", "other"),
                known=u.get("known", False),
            )
            for u in data.get("units", [])
        ]
        return cls(
            policy=PolicyInfo(
                title=pol.get("title", ""),
                doc_number=pol.get("doc_number"),
                issued_on=date.fromisoformat(issued) if issued else None,
            ),
            measures=measures,
            units=units,
            warnings=[ImporterWarning.from_json(w) for w in data.get("warnings", [])],
            fingerprint=fingerprint,
        )
