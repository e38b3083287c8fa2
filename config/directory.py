"""Directory of responsible units (责任单位) known to Duban.

The data lives in ``config/data/units.json``: canonical names, aliases, kinds, whether the
seed document names the unit, group phrases ("各设区市人民政府" → the 11 city governments) and
sector words used in phrases such as "省级商务、工业和信息化部门".

Nothing is loaded at import time: call :func:`load_directory`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

KINDS = ("provincial_department", "city_government", "central_branch", "state_owned_enterprise", "other")

#: Jiangxi's 11 prefecture-level cities in the conventional official order.
CITY_ORDER = ("南昌", "景德镇", "萍乡", "九江", "新余", "鹰潭", "赣州", "吉安", "宜春", "抚州", "上饶")

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "units.json"

_WS = re.compile(r"\s+")


def normalize_name(name: str) -> str:
    """Canonical lookup key: no whitespace, ASCII brackets/commas, leading 江西省 → 省."""
    key = _WS.sub("", name or "").replace("\u3000", "")
    key = key.replace("(", "（").replace(")", "）")
    if key.startswith("江西省") and len(key) > 3:
        key = "省" + key[3:]
    return key


@dataclass(frozen=True)
class UnitInfo:
    name: str
    aliases: tuple[str, ...]
    kind: str
    in_seed: bool

    @property
    def is_city(self) -> bool:
        return self.kind == "city_government"

    @property
    def short(self) -> str:
        """ "宜春" for 宜春市人民政府; the name itself for other units."""
        if self.is_city:
            return self.name.removesuffix("人民政府").removesuffix("市")
        return self.name


class Directory:
    """Lookup of units by canonical name or alias, groups and sector words."""

    def __init__(
        self,
        units: list[UnitInfo] | tuple[UnitInfo, ...],
        groups: dict[str, list[str]] | None = None,
        sectors: dict[str, str] | None = None,
        city_order: tuple[str, ...] | list[str] = CITY_ORDER,
    ) -> None:
        self.units: tuple[UnitInfo, ...] = tuple(units)
        self._by_key: dict[str, UnitInfo] = {}
        self._ambiguous: set[str] = set()
        for unit in self.units:
            if unit.kind not in KINDS:
                raise ValueError(f"unit {unit.name!r}: unknown kind {unit.kind!r}")
            for alias in (unit.name, *unit.aliases):
                key = normalize_name(alias)
                other = self._by_key.get(key)
                if other is not None and other.name != unit.name:
                    self._ambiguous.add(key)
                self._by_key.setdefault(key, unit)
        for key in self._ambiguous:
            self._by_key.pop(key, None)
        by_short = {u.short: u for u in self.units if u.is_city}
        self.cities: tuple[UnitInfo, ...] = tuple(by_short[s] for s in city_order if s in by_short) + tuple(
            u for s, u in by_short.items() if s not in city_order
        )
        self._city_by_short = by_short
        self._groups: dict[str, tuple[UnitInfo, ...]] = {}
        for phrase, members in (groups or {}).items():
            expanded: list[UnitInfo] = []
            for member in members:
                if member == "@cities":
                    expanded.extend(self.cities)
                else:
                    found = self.resolve(member)
                    if found is None:
                        raise ValueError(f"group {phrase!r}: unknown member {member!r}")
                    expanded.append(found)
            self._groups[normalize_name(phrase)] = tuple(expanded)
        self._sectors: dict[str, UnitInfo] = {}
        for word, target in (sectors or {}).items():
            target_unit = self.resolve(target)
            if target_unit is None:
                raise ValueError(f"sector {word!r}: unknown unit {target!r}")
            self._sectors[word] = target_unit

    # -- lookups -----------------------------------------------------------------
    def resolve(self, name: str) -> UnitInfo | None:
        """Exact canonical name or alias (whitespace-insensitive, 江西省… = 省…)."""
        return self._by_key.get(normalize_name(name))

    def is_ambiguous(self, name: str) -> bool:
        return normalize_name(name) in self._ambiguous

    def city_by_short(self, short: str) -> UnitInfo | None:
        short = normalize_name(short)
        unit = self._city_by_short.get(short)
        if unit is None:
            unit = self._city_by_short.get(
                short.removesuffix("人民政府").removesuffix("政府").removesuffix("市")
            )
        return unit

    def expand_group(self, phrase: str) -> tuple[UnitInfo, ...] | None:
        """Units meant by a group phrase such as 各设区市人民政府, or None."""
        return self._groups.get(normalize_name(phrase))

    @property
    def group_phrases(self) -> tuple[str, ...]:
        """Group phrases, longest first (for scanning text)."""
        return tuple(sorted(self._groups, key=len, reverse=True))

    def sector_unit(self, word: str) -> UnitInfo | None:
        """The provincial unit for a sector word (商务 → 省商务厅), or None."""
        return self._sectors.get(normalize_name(word))

    @property
    def sector_words(self) -> tuple[str, ...]:
        return tuple(sorted(self._sectors, key=len, reverse=True))

    def candidates(self, fragment: str) -> list[UnitInfo]:
        """Units whose name or an alias contains ``fragment`` (for fuzzy hints)."""
        key = normalize_name(fragment)
        if len(key) < 2:
            return []
        found: list[UnitInfo] = []
        for unit in self.units:
            if any(key in normalize_name(a) for a in (unit.name, *unit.aliases)):
                found.append(unit)
        return found

    def aliases_of(self, name: str) -> tuple[str, ...]:
        unit = self.resolve(name)
        return unit.aliases if unit else ()

    def __len__(self) -> int:
        return len(self.units)

    def __iter__(self) -> Iterator[UnitInfo]:
        return iter(self.units)


def load_directory(path: str | Path | None = None) -> Directory:
    """Read the unit directory (default: the bundled ``config/data/units.json``)."""
    raw = json.loads(Path(path or DEFAULT_PATH).read_text(encoding="utf-8"))
    units = [
        UnitInfo(
            name=item["name"],
            aliases=tuple(item.get("aliases", ())),
            kind=item.get("kind", "other"),
            in_seed=bool(item.get("in_seed", False)),
        )
        for item in raw["units"]
    ]
    return Directory(
        units,
        groups=raw.get("groups", {}),
        sectors=raw.get("sectors", {}),
        city_order=tuple(raw.get("city_order", CITY_ORDER)),
    )
