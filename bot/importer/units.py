"""Responsible-unit clauses: detection, parsing, name resolution, role assignment, narrowing."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TypeVar

from config.directory import Directory, UnitInfo

from .warning import ImporterWarning, Where

_T = TypeVar("_T")


@dataclass(frozen=True)
class Ref:
    """A unit mentioned in a document: a directory unit or an unknown name."""

    name: str
    kind: str
    known: bool
    is_city: bool

    @classmethod
    def of(cls, unit: UnitInfo) -> Ref:
        return cls(unit.name, unit.kind, True, unit.is_city)

    @classmethod
    def unknown(cls, name: str) -> Ref:
        """A name no directory knows: kept as a new unit for a coordinator to review."""
        return cls(name, "other", False, False)

    @property
    def needs_review(self) -> bool:
        return not self.known


@dataclass
class Clause:
    raw: str
    entries: list[tuple[Ref, str]] = field(default_factory=list)  # role: lead / co / resp / support
    due_text: str | None = None  # a 完成时限 label's value, for tasks without a deadline of their own
    words: dict[str, str] = field(default_factory=dict)  # unit name → the part of the clause naming it
    first_rule: bool = False  # the clause states "排在第一位的部门为牵头部门" (then it holds document-wide)
    names_someone: bool = False  # it assigns the text to someone, if only vaguely ("国务院各部门分别负责")


@dataclass
class Roles:
    lead: list[Ref] = field(default_factory=list)
    co: list[Ref] = field(default_factory=list)
    local: list[Ref] = field(default_factory=list)
    support: list[Ref] = field(default_factory=list)  # non-executing: provides data (数据提供单位)

    def names(self) -> tuple[list[str], list[str], list[str]]:
        return [r.name for r in self.lead], [r.name for r in self.co], [r.name for r in self.local]

    def all(self) -> list[Ref]:
        return _dedupe([*self.lead, *self.co, *self.local, *self.support])

    def is_empty(self) -> bool:
        return not (self.lead or self.co or self.local or self.support)


def _dedupe(refs: list[Ref]) -> list[Ref]:
    seen: set[str] = set()
    out = []
    for r in refs:
        if r.name not in seen:
            seen.add(r.name)
            out.append(r)
    return out


# Role labels as documents write them, before "：". Longest first, so 牵头单位 wins over 牵头.
_LABEL_WORDS = (
    "数据提供单位|数据提供部门|数据来源单位|数据报送单位|数据支撑单位|"
    "牵头单位|牵头部门|牵头处室|牵头科室|主办单位|主办部门|主责单位|主责部门|主责处室|"
    "责任单位|责任部门|责任处室|责任科室|责任主体|实施单位|实施主体|落实单位|承办单位|"
    "配合单位|配合部门|配合处室|协办单位|协办部门|协同单位|参与单位|参与部门|协助单位|支持单位|"
    "牵头领导|责任领导|分管领导|包保领导|联系领导|责任人|联系人|"
    "完成时限|完成时间|完成期限|时间节点|时限要求|进度安排|时间安排|"
    "牵头|主办|主责|协办|配合"
)
LABEL = re.compile(rf"({_LABEL_WORDS})\s*[:：]")
LINE_LABEL = re.compile(rf"^[（(]?(?:{_LABEL_WORDS})\s*[:：]")


def label_role(label: str) -> str:
    """lead / co / resp / support (non-executing) / person (not a unit) / due (a deadline)."""
    if label.startswith("数据"):
        return "support"
    if label.endswith(("领导", "人")):
        return "person"
    if label.startswith(("完成", "时间", "时限", "进度")):
        return "due"
    if label.startswith(("牵头", "主办", "主责")):
        return "lead"
    if label.startswith(("配合", "协办", "协同", "参与", "协助", "支持")):
        return "co"
    return "resp"


LABEL_ROLE = {"牵头": "lead", "主责": "lead", "主办": "lead", "配合": "co", "协办": "co", "参与": "co"}
VERB = re.compile(
    r"(按职责分工负责|按职责分工落实|按职责负责|按职责落实|分别负责|共同负责|负责落实|具体落实|组织实施|牵头|负责|配合|指导|参与|协助|督促)"
)
_SPLIT = re.compile(r"[、，,；;]|以及")
_AND = re.compile(r"[和及与]")
_STRIP_HEAD = re.compile(r"^(?:由|请|均需|均由|需|须|要|均|都)+")
_STRIP_TAIL = re.compile(r"(?:等有关部门|等相关部门|等部门|等单位|等有关单位|等)$")
# Words that name no one in particular: "有关部门", and the central documents' "国务院各部门",
# "各地区各部门", "有关地方".
_VAGUE = re.compile(
    r"(?:有关|相关|其他|其它)(?:部门|单位)|省直(?:各)?部门|省直单位|各有关|国务院(?:各|有关)部门|各地区|^各部门|有关地方"
)
# "排在第一位的部门为牵头部门", "排在首位的为牵头单位", "排名第一的为牵头单位", "第一责任单位为牵头单位"
_FIRST = r"(?:(?:排在|排名|列在|列|位列|排)(?:第一(?:位)?|首位)|第一个?(?:责任)?|首个|首位)"
FIRST_RULE = re.compile(rf"{_FIRST}的?(?:单位|部门)?(?:为|是)牵头")
CARRY = re.compile(
    r"(?:以下[^。；]{0,30}?(?:需|须|由|要)([^。；]{2,60}?)(?:负责)?(?:落实|实施|承担)[，,、]?[^。；]{0,10}?"
    r"不再(?:一一|单独|另行|重复|逐一)?列出"
    # "具体任务均涉及相关市（州）人民政府，不再做分工，下同"
    r"|(?:具体|各项|以上|相关|上述)?任务均(?:涉及|需|须|由)([^。；]{2,60}?)(?:负责)?(?:落实|实施|承担)?[，,、]?"
    r"不再(?:单独|另行|逐一)?(?:做|作|进行)?分工)"
)


def carried_units(m: re.Match[str]) -> str:
    """The units a CARRY note names."""
    return m.group(1) or m.group(2)


# -- the grammar of Chinese unit names, for names no directory knows --------------------------
# Endings of institution names (longest first); a name must end with one of them.
_ORG_END = (
    "人民政府|行政公署|政府|管理委员会|管委会|委员会|领导小组办公室|领导小组|办公室|办公厅|办事处|指挥部|"
    "总局|分局|监管局|局|总署|署|部|委|办|厅|银行|分行|支行|有限责任公司|股份有限公司|有限公司|公司|"
    "集团|中心|研究院|研究所|学院|大学|医院|法院|检察院|院|所|处|室|站|联合会|协会|商会|总会|工会|妇联|"
    "残联|科协|工商联|侨联|文联|团委|党校|海关|会|社|馆|台|支队|大队|"
    "开发区|高新区|经开区|新区|园区|示范区|试验区|合作区"
)
# Place names (a district, county, town) count as units when short and plain.
_PLACE_END = "自治县|自治州|区|县|市|旗|镇|乡|街道"
_NAME_CHARS = r"(?:[\u4e00-\u9fff0-9A-Za-z]|（[\u4e00-\u9fff、]{1,12}）)"
_ORG_NAME = re.compile(rf"{_NAME_CHARS}*?(?:{_ORG_END})")
_PLACE_NAME = re.compile(rf"[\u4e00-\u9fff]{{1,8}}(?:{_PLACE_END})")
# Words of a task, never of a name: a name stops before them ("省发展改革委要加强" → 省发展改革委).
_NOT_IN_NAME = re.compile(
    r"的|要|应当|应(?!急)|需要|必须|负责|牵头|配合|加强|推进|推动|落实|做好|开展|组织(?!部)|指导(?!中心|站)|"
    r"支持|鼓励|督促|协助|参与|实施|建立|完善|提升|加快|积极|按照|根据|通过|确保|争取|进一步|主动|认真|"
    r"切实|抓好|会同|协同|分别|共同|职责|分工|以下|简称|统称|包括|其中|例如|比如|不再"
)
_NOT_A_PLACE = re.compile(r"^(?:全|本|该|城|郊|辖|园|社|片|景|市辖|市区|县区|县市|市县|区县|地市)")
# A government's level at the start of a name ("省", "市", "区", "县", "国家", "中国", "各" …).
_LEVEL_START = re.compile(r"^(?:省|市|区|县|镇|乡|州|盟|旗|国家|国务院|中国|中华|全国|中央|各)")
# "各县（市、区）政府（管委会）": an aside after a group phrase widens it by words naming no one unit
_SLOT_ASIDE = re.compile(r"(\x00\d+\x00)[（(][\u4e00-\u9fff、，,]{1,12}(?:[）)]|$)")
# "相关市、县政府": the governments concerned, one vague phrase rather than "相关市" and "县政府"
_SOME_GOVS = re.compile(
    r"(?:相关|有关|涉及的?)(?:[市县区州旗][、，,]?){1,4}(?:（[^（）]{1,8}）)?(?:人民政府|政府)"
)
_PIECE_SPLIT = re.compile(r"[、，,；;]|以及|会同|协同")
# "…部门和各地级以上市人民政府": 和/及/与 next to a group already read is a separator.
_AROUND_SLOT = re.compile(r"(?:和|及|与|以及)(?=\x00|各)|(?<=\x00)(?:和|及|与|以及)")
# Notes that ride along in a clause ("…负责，排在第一位的部门为牵头部门，下同"): not names.
_RULE_TEXT = re.compile(rf"{_FIRST}的?(?:单位|部门)?(?:为|是)?(?:牵头)?(?:单位|部门)?")
_NOISE = frozenset(
    {"下同", "同上", "部门", "单位", "牵头单位", "牵头部门", "各自", "分别", "按职责", "按职责分工"}
)
_TAIL_VAGUE = re.compile(r"等(?:省|市|区|县)?(?:级|直)?(?:各)?(?:有关|相关)?(?:部门|单位)$")
# A department named without its level after one that has it ("省发展改革委、交通运输厅").
_BARE_DEPT = re.compile(r"[\u4e00-\u9fff]{2,12}(?:局|厅|委|办|中心|委员会|办公室)")
_VAGUE_WHOLE = re.compile(
    r"(?:全省|全市|全区|全县|全国|各地区?|各部门|各单位|各级|各级各部门|各地各部门|各地区各部门|各有关方面|有关方面|相关方面|"
    r"(?:省|市|区|县)(?:直|级)(?:各)?(?:有关|相关)?(?:部门|单位)|成员单位|有关单位|相关单位|有关部门|相关部门)"
)


_DEPT_VARIANTS = (
    ("发展和改革局", "发展改革委"),
    ("发展改革局", "发展改革委"),
    ("发改局", "发改委"),
    ("发展和改革委员会", "发展改革委"),
)


def _split_outside_brackets(phrase: str) -> list[str]:
    """Split a unit list at its separators, but not inside brackets: "各县（市、区）人民政府" is one."""
    if "（" not in phrase:
        return _PIECE_SPLIT.split(phrase)
    out: list[str] = []
    depth = start = 0
    pos = 0
    while pos < len(phrase):
        c = phrase[pos]
        if c == "（":
            depth += 1
        elif c == "）":
            depth = max(depth - 1, 0)
        elif depth == 0:
            m = _PIECE_SPLIT.match(phrase, pos)
            if m:
                out.append(phrase[start:pos])
                start = pos = m.end()
                continue
        pos += 1
    out.append(phrase[start:])
    return out


def _unit_name(piece: str, whole: bool = False) -> tuple[str, str] | None:
    """(name, rest) when ``piece`` starts with something shaped like a unit name; with
    ``whole``, only when the entire piece is one."""
    best: str | None = None
    for end in range(len(piece), 1, -1):
        head = piece[:end]
        if _NOT_IN_NAME.search(head):
            continue
        if _ORG_NAME.fullmatch(head):
            if len(head) == 2 and head[-1] in "会社馆台所处站院办部委局厅署" and not head.startswith("各"):
                continue  # "大会", "报社": one character and an ending say too little
            best = head
            break
        if end <= 10 and _PLACE_NAME.fullmatch(head) and not _NOT_A_PLACE.match(head):
            best = head
            break
    if best is None:
        return None
    rest = piece[len(best) :]
    if whole and rest:
        return None
    return best, rest


class Resolver:
    """Turns unit phrases into :class:`Ref` lists, collecting warnings (as data: :mod:`.warning`).

    ``context`` (measure 3, task 2) is attached to the warnings about units, so a coordinator
    sees where a name came from; the builder sets it while it reads a measure.
    """

    def __init__(self, directory: Directory) -> None:
        self.directory = directory
        self.warnings: dict[ImporterWarning, None] = {}
        self.context: Where | None = None
        sectors = "|".join(re.escape(w) for w in directory.sector_words)
        level = re.escape(directory.level)
        self._sector_phrase = re.compile(
            rf"(?:{level}级|{level}直|{level})((?:{sectors})(?:[、，,和及与](?:{sectors}))*)(?:等)?(?:有关|相关)?(?:主管)?部门"
        )
        self._sector_word = re.compile(sectors) if sectors else None
        self._groups = directory.group_phrases
        cities = [u.short for u in directory.cities]
        self._city_alt = "|".join(re.escape(c) for c in sorted(cities, key=len, reverse=True))
        self._non_city_prefixed = tuple(
            directory.normalize(a)
            for u in directory.units
            if not u.is_city
            for a in (u.name, *u.aliases)
            if any(directory.normalize(a).startswith(c) for c in cities)
        )
        city = rf"(?:{self._city_alt})(?:市人民政府|市政府|市)?"
        self._city_start = re.compile(
            rf"^(?:(由|请|支持|推动|鼓励|引导|指导|积极支持|大力支持|加快推动|重点支持|支持推动)\s*)?"
            rf"({city}(?:(?:、|，|,|和|及|与|以及){city})*)(等地|等市|等设区市|等城市|等)?"
        )
        self._city_one = re.compile(self._city_alt)
        self._cache: dict[str, tuple[tuple[Ref, ...], tuple[ImporterWarning, ...]]] = {}
        self._strict_cache: dict[str, tuple[Ref, ...] | None] = {}
        self._names_cache: dict[str, tuple[Ref, ...] | None] = {}
        self._clause_cache: dict[str, tuple[Clause, tuple[ImporterWarning, ...]]] = {}
        self._said: list[ImporterWarning] | None = None

    def warn(self, warning: ImporterWarning) -> None:
        self.warnings.setdefault(warning, None)

    def _unit_warning(self, warning: ImporterWarning) -> None:
        """A warning about a name: said again (with the context of the moment) each time the
        phrase comes back, though its resolution is cached."""
        if self._said is not None:
            self._said.append(warning)
        self.warn(warning.at(self.context))

    # -- name lists ------------------------------------------------------------------
    def _protect(self, phrase: str) -> tuple[str, list[tuple[Ref, ...]]]:
        slots: list[tuple[Ref, ...]] = []

        def sector_sub(m: re.Match[str]) -> str:
            assert self._sector_word is not None
            units = [self.directory.sector_unit(w) for w in self._sector_word.findall(m.group(1))]
            slots.append(tuple(Ref.of(u) for u in units if u is not None))
            return f"\x00{len(slots) - 1}\x00"

        if self._sector_word is not None:
            phrase = self._sector_phrase.sub(sector_sub, phrase)
        for group in self._groups:
            if group in phrase:
                members = self.directory.expand_group(group) or ()
                slots.append(tuple(Ref.of(u) for u in members))
                phrase = phrase.replace(group, f"\x00{len(slots) - 1}\x00")
        return phrase, slots

    def _pieces(self, phrase: str) -> tuple[list[str], list[tuple[Ref, ...]]]:
        phrase = self.directory.normalize(phrase)
        phrase, slots = self._protect(phrase)
        pieces = []
        level: str | None = None
        phrase = _RULE_TEXT.sub("", phrase)
        phrase = _SLOT_ASIDE.sub(r"\1", phrase)
        phrase = _SOME_GOVS.sub(lambda m: re.sub(r"[、，,]", "", m.group(0)), phrase)
        for piece in _split_outside_brackets(_AROUND_SLOT.sub("、", phrase)):
            piece = _STRIP_TAIL.sub("", _TAIL_VAGUE.sub("", _STRIP_HEAD.sub("", piece.strip())))
            if not piece or piece in _NOISE:
                continue
            # "省发展改革委、交通运输厅、水利厅": the names after the first share its level.
            if (
                level
                and _BARE_DEPT.fullmatch(piece)
                and not _LEVEL_START.match(piece)
                and not self._placed(piece)
            ):
                piece = f"{level}\x01{piece}"
            else:
                level = self._level_of(piece)
            pieces.append(piece)
        return pieces, slots

    def _placed(self, piece: str) -> bool:
        """The name starts with a place of its own ("韶关供电局", "武江区…"): it inherits no level."""
        own = self.directory.province
        if own and len(own) > 2 and piece.startswith(own[:2]):
            return True
        return bool(self._city_alt) and self._city_one.match(piece) is not None

    def _level_of(self, piece: str) -> str | None:
        """ "省" for 省发展改革委 (a department of a level), None for 市场监管总局 or a city."""
        if len(piece) < 3 or piece[0] not in "省市区县" or piece[1] in "场辖级直委":
            return None
        unit = self.directory.resolve(piece)
        if unit is not None:
            return piece[0] if unit.kind in ("provincial_department", "local_department") else None
        return piece[0] if _BARE_DEPT.fullmatch(piece[1:]) else None

    def _candidates(self, piece: str) -> tuple[str, ...]:
        """The piece with its inherited level first ("省交通运输厅"), then as written."""
        if "\x01" in piece:
            level, bare = piece.split("\x01", 1)
            return (level + bare, bare)
        return (piece,)

    def _find(self, piece: str, slots: list[tuple[Ref, ...]]) -> tuple[Ref, ...] | None:
        for candidate in self._candidates(piece):
            found = self._lookup(candidate, slots)
            if found is not None:
                return found
        return None

    def _variant(self, piece: str) -> UnitInfo | None:
        """Cities and counties name the same department 委 or 局 ("市发展和改革局" where the
        directory has 市发展改革委): the other form, at the same level."""
        for a, b in _DEPT_VARIANTS:
            if piece.endswith(a) and len(piece) > len(a):
                unit = self.directory.resolve(piece[: -len(a)] + b)
                if unit is not None and unit.kind in ("local_department", "provincial_department"):
                    return unit
        return None

    def _written(self, piece: str) -> str:
        """The name to keep for a piece no directory knows: with its inherited level."""
        return piece.replace("\x01", "")

    def _lookup(self, piece: str, slots: list[tuple[Ref, ...]]) -> tuple[Ref, ...] | None:
        m = re.fullmatch(r"\x00(\d+)\x00", piece)
        if m:
            return slots[int(m.group(1))]
        if "\x00" in piece:
            out: list[Ref] = []
            for part in re.split(r"(\x00\d+\x00)", piece):
                if not part:
                    continue
                found = self._lookup(part, slots)
                if found is None:
                    return None
                out.extend(found)
            return tuple(out)
        unit = self.directory.resolve(piece) or self._variant(piece)
        if unit is not None:
            return (Ref.of(unit),)
        group = self.directory.expand_group(piece)
        if group:
            return tuple(Ref.of(u) for u in group)
        parts = [p for p in _AND.split(piece) if p]
        if len(parts) > 1:
            found_parts = [self.directory.resolve(p) for p in parts]
            if all(found_parts):
                return tuple(Ref.of(u) for u in found_parts if u)
        return None

    def _shaped(self, piece: str) -> tuple[Ref, ...] | None:
        """Unknown refs for a piece that is wholly unit names ("区发改局", "区财政局和区商务局")."""
        if _VAGUE_WHOLE.fullmatch(piece) or _VAGUE.search(piece):
            return None
        parts = [p for p in _AND.split(piece) if p]
        if len(parts) > 1:
            out: list[Ref] = []
            for part in parts:
                unit = self.directory.resolve(part)
                if unit is not None:
                    out.append(Ref.of(unit))
                    continue
                name = _unit_name(part, whole=True)
                if name is None or len(name[0]) < 3:
                    break
                out.append(Ref.unknown(name[0]))
            else:
                return tuple(out)
        found = _unit_name(piece, whole=True)
        if found is not None:
            return (Ref.unknown(found[0]),)
        return None

    def strict(self, phrase: str) -> tuple[Ref, ...] | None:
        """All pieces resolve to known units → refs; otherwise None (no warnings)."""
        return self._every_piece(phrase, self._strict_cache, lenient=False)

    def names(self, phrase: str) -> tuple[Ref, ...] | None:
        """Like :meth:`strict`, but a piece may also be a name no directory knows that has the
        shape of a unit name (an unknown ref); vague pieces ("有关部门") are passed over. None
        when some piece is neither, or nothing names a unit. No warnings."""
        return self._every_piece(phrase, self._names_cache, lenient=True)

    def _every_piece(
        self, phrase: str, cache: dict[str, tuple[Ref, ...] | None], *, lenient: bool
    ) -> tuple[Ref, ...] | None:
        if phrase in cache:
            return cache[phrase]
        pieces, slots = self._pieces(phrase)
        out: list[Ref] = []
        result: tuple[Ref, ...] | None = None
        for piece in pieces:
            found = self._find(piece, slots)
            if found is None and lenient:
                found = self._shaped(self._written(piece))
                if found is None and (_VAGUE_WHOLE.fullmatch(piece) or _VAGUE.search(piece)):
                    continue
            if found is None:
                break
            out.extend(found)
        else:
            result = tuple(_dedupe(out)) if out else None
        cache[phrase] = result
        return result

    def looks_like_units(self, phrase: str) -> bool:
        """A bracketed phrase without a verb that lists units: every piece a unit, and either one
        of them known or each unknown one starting with a government level ("区发改局")."""
        refs = self.names(phrase)
        if not refs:
            return False
        return any(r.known for r in refs) or all(_LEVEL_START.match(r.name) for r in refs)

    def refs(self, phrase: str) -> tuple[Ref, ...]:
        """Resolve a unit list. A name no directory knows becomes an unknown ref (a new unit to
        review) with a warning; vague words ("有关部门") are left out with a warning."""
        return self._remembered(self._cache, phrase, lambda: self._refs(phrase))

    def _refs(self, phrase: str) -> tuple[Ref, ...]:
        pieces, slots = self._pieces(phrase)
        out: list[Ref] = []
        for piece in pieces:
            found = self._find(piece, slots)
            if found is not None:
                out.extend(found)
                continue
            out.extend(self._fuzzy(self._written(piece)))
        return tuple(_dedupe(out))

    def _remembered(
        self, cache: dict[str, tuple[_T, tuple[ImporterWarning, ...]]], key: str, work: Callable[[], _T]
    ) -> _T:
        """`work()` once per key (a document repeats its phrases); the warnings it gave are said
        again each later time, with the context of the moment."""
        cached = cache.get(key)
        if cached is not None:
            for warning in cached[1]:
                self._unit_warning(warning)
            return cached[0]
        outer, self._said = self._said, []
        try:
            result = work()
            said = tuple(self._said)
        finally:
            self._said = outer
        if outer is not None:
            outer.extend(said)
        cache[key] = (result, said)
        return result

    def _fuzzy(self, piece: str) -> tuple[Ref, ...]:
        if self.directory.is_ambiguous(piece):
            self._unit_warning(ImporterWarning.of("unit_ambiguous", name=piece))
            return (Ref.unknown(piece),)
        if _VAGUE_WHOLE.fullmatch(piece) or _VAGUE.search(piece):
            self._unit_warning(ImporterWarning.of("unit_vague", name=piece))
            return ()
        candidates = self.directory.candidates(piece) if len(piece) >= 3 else []
        if len(candidates) == 1:
            self._unit_warning(ImporterWarning.of("unit_guessed", name=piece, unit=candidates[0].name))
            return (Ref.of(candidates[0]),)
        if len(candidates) > 1:
            names = [c.name for c in candidates[:4]]
            self._unit_warning(ImporterWarning.of("unit_ambiguous_new", name=piece, candidates=names))
            return (Ref.unknown(piece),)
        shaped = self._shaped(piece)
        if shaped is not None:
            self._warn_unknown(shaped)
            return shaped
        found = _unit_name(piece)
        if found is not None:
            # "省发展改革委要加强…": the name, not the task words after it.
            head = found[0]
            unit = self.directory.resolve(head)
            if unit is not None:
                return (Ref.of(unit),)
            shaped = self._shaped(head)
            refs = shaped if shaped is not None else (Ref.unknown(head),)
            self._warn_unknown(refs)
            return refs
        if len(piece) <= 20 and not re.search(r"[^\u4e00-\u9fff（）]", piece):
            # No ending of a unit name, but short and plain: kept for review rather than lost.
            self._unit_warning(ImporterWarning.of("unit_unknown", name=piece))
            return (Ref.unknown(piece),)
        shown = re.sub(r"\x00\d+\x00", "", piece)  # a group phrase already read is not shown as its marker
        self._unit_warning(ImporterWarning.of("not_a_unit", name=shown))
        return ()

    # -- clauses ---------------------------------------------------------------------
    def is_clause(self, inner: str) -> bool:
        return _is_clause_cached(self, inner)

    def parse_clause(self, inner: str) -> Clause:
        """The clause's units and roles (cached: a document repeats its clauses; the warnings
        about its names are said again, with the context of the moment)."""
        return self._remembered(self._clause_cache, inner, lambda: self._parse_clause(inner))

    def _parse_clause(self, inner: str) -> Clause:
        clause = Clause(raw=inner)
        inner, clause.first_rule = strip_notes(inner)
        labels = list(LABEL.finditer(inner))
        if labels:
            for i, m in enumerate(labels):
                end = labels[i + 1].start() if i + 1 < len(labels) else len(inner)
                value = inner[m.end() : end].strip(" ；;，,。（）()")
                role = label_role(m.group(1))
                if not value or role == "person":
                    continue  # a leader named by person is not a unit to dispatch to
                part = inner[m.start() : end].strip(" ；;，,。")
                if role == "due":
                    clause.due_text = value
                    continue
                clause.names_someone = True
                if role == "resp":
                    found = self._verb_entries(value)
                else:
                    found = [(r, role) for r in self.refs(value)]
                for r, _ in found:
                    clause.words.setdefault(r.name, part)
                clause.entries.extend(found)
        else:
            inner, clause.due_text = split_due(inner, self)
            clause.names_someone = bool(inner.strip())
            clause.entries.extend(self._verb_entries(inner, clause.words))
        return clause

    def _verb_entries(self, text: str, words_of: dict[str, str] | None = None) -> list[tuple[Ref, str]]:
        words_of = {} if words_of is None else words_of
        text = _ETC_AND.sub("、", text)
        marked = _MARKED_LEAD.findall(text) if "牵头" in text else []
        if marked:  # "市发改委（牵头）、市财政局": the marked name leads
            text = _MARKED_LEAD.sub(lambda m: m.group(1), text)
            found = self._verb_entries(text, words_of)
            leads = {r.name for name in marked for r in self.refs(name)}
            return [
                (r, "lead" if r.name in leads else ("co" if role == "resp" else role)) for r, role in found
            ]
        verbs = list(VERB.finditer(text))
        if not verbs:
            found = [(r, "resp") for r in self.refs(text)]
            for r, _ in found:
                words_of.setdefault(r.name, text)
            return found
        words = {m.group(1) for m in verbs}
        has_lead = "牵头" in words or "负责落实" in words or "具体落实" in words
        has_guide = "指导" in words or "督促" in words
        entries: list[tuple[Ref, str]] = []
        start = 0
        for m in verbs:
            segment = text[start : m.start()].strip(" ，,；;、")
            start = m.end()
            if not segment:
                continue
            verb = m.group(1)
            if verb in ("牵头", "负责落实", "具体落实", "组织实施"):
                role = "lead"
            elif verb in ("指导", "督促"):
                role = "co"
            elif verb in ("负责", "分别负责", "共同负责"):
                role = "co" if has_lead else ("lead" if has_guide else "resp")
            else:
                role = "co"
            for r in self.refs(segment):
                entries.append((r, role))
                words_of.setdefault(r.name, segment + verb)
        tail = text[start:].strip(" ，,；;、。")
        if tail:
            for r in self.refs(tail):
                entries.append((r, "co" if has_lead else "resp"))
                words_of.setdefault(r.name, tail)
        return entries

    # -- narrowing -------------------------------------------------------------------
    def sentence_cities(self, sentence: str) -> tuple[list[Ref], str | None]:
        """Cities a sentence is addressed to, and how: ("subject" | "support", or None).

        Only a city list at the very start of the sentence counts (optionally after 支持/推动/
        鼓励/引导/指导/由): "宜春做大做强…", "支持南昌、抚州、上饶等地…". City names used as
        modifiers later in a sentence ("宜春新余等市域产教联合体") do not narrow.
        """
        m = self._city_start.match(sentence)
        if not m:
            return [], None
        body_start = m.start(2)
        rest = sentence[body_start:]
        if any(rest.startswith(a) for a in self._non_city_prefixed):
            return [], None
        after = sentence[m.end() :]
        if after.startswith(("大学", "学院", "海关", "机场", "银行", "分行", "供电", "港", "站", "地区以外")):
            return [], None
        cities = []
        for short in self._city_one.findall(m.group(2)):
            unit = self.directory.city_by_short(short)
            if unit is not None:
                cities.append(Ref.of(unit))
        cities = _dedupe(cities)
        if not cities:
            return [], None
        verb = m.group(1)
        return cities, ("support" if verb and verb not in ("由", "请") else "subject")

    def city_prefix(self, sentence: str) -> str | None:
        """The words at the start of a sentence that name its cities ("支持南昌、抚州、上饶等地")."""
        m = self._city_start.match(sentence)
        return m.group(0) if m else None

    def sentence_lead(self, sentence: str) -> tuple[Ref, ...] | None:
        """Units a sentence names as its own lead: "由省级商务、工业和信息化部门牵头，…"."""
        found = self.sentence_units(sentence)
        if not found:
            return None
        return tuple(assign_roles(found[0]).lead) or None

    def _named(self, phrase: str) -> tuple[Ref, ...] | None:
        """The units a sentence names (:meth:`names`); vague subjects ("有关部门要…") name none.
        An unknown name is warned about as in a clause: it becomes a unit under review."""
        phrase = phrase.strip(" ，,、")
        if not phrase or _VAGUE.search(phrase):
            return None
        refs = self.names(phrase)
        if refs:
            self._warn_unknown(refs)
        return refs

    def _warn_unknown(self, refs: tuple[Ref, ...]) -> None:
        for ref in refs:
            if not ref.known:
                self._unit_warning(ImporterWarning.of("unit_unknown", name=ref.name))

    def sentence_units(self, sentence: str) -> tuple[list[tuple[Ref, str]], str] | None:
        """Units a sentence names itself, as subject or addressee, with roles and the words used.

        "X要…" / "X负责…" / "X牵头落实" / "请X…" → X (the first leads, the rest cooperate);
        "A、B、C分别牵头落实" → all lead; "X会同Y…" → X leads, Y cooperates (unless vague);
        "由X牵头，Y配合" (at the start or after a comma) → X leads, Y cooperates.
        """
        for m in _SENT_LEAD.finditer(sentence):
            lead = self._named(m.group(1))
            if not lead:
                continue
            entries = [(r, "lead") for r in lead]
            end = m.end()
            if m.group(2) == "会同":  # "由X会同Y等部门负责落实 / 研究提出落实意见": Y cooperates
                partner = _PARTNER.match(sentence, end)
                if partner:
                    co = self._named(partner.group(1))
                    if co:
                        entries.extend((r, "co") for r in co)
                    end = partner.end()
                return entries, sentence[m.start() : end].lstrip("，,；;")
            co_m = _SENT_CO.match(sentence, end)
            if co_m:
                co = self._named(co_m.group(1))
                if co:
                    entries.extend((r, "co") for r in co)
                    end = co_m.end()
            return entries, sentence[m.start() : end].lstrip("，,；;")
        head = sentence[:90]
        start = 1 if head.startswith("请") else 0
        if start:  # "请X做好…": the addressee is the longest run of names after 请
            best: tuple[tuple[Ref, ...], int] | None = None
            for end in range(3, min(len(head), 60) + 1):
                if _BREAK.search(head[end - 1]):
                    if head[end - 1] not in "、，," or best is None:
                        break
                    continue
                phrase = head[1:end]
                named = None if _VAGUE.search(phrase) else self.names(phrase)
                if named:
                    best = (named, end)
            if best:
                named, end = best
                self._warn_unknown(named)
                return [(r, "resp") for r in named], head[:end]
        for m in _SUBJ_VERB.finditer(head, start + 2):
            phrase = head[start : m.start()]
            if _BREAK.search(phrase):
                break
            named = self._named(phrase)
            if not named:
                continue
            verb = m.group(0)
            if verb.startswith("分别") or verb.startswith("牵头") or verb == "会同":
                entries = (
                    [(r, "lead") for r in named]
                    if verb.startswith("分别") or len(named) == 1
                    else [(named[0], "lead"), *((r, "co") for r in named[1:])]
                )
            else:
                entries = [(r, "resp") for r in named]  # the first-listed leads (assign_roles)
            end = m.end()
            if verb == "会同":
                partner = _PARTNER.match(head, end)
                if partner:
                    co = self._named(partner.group(1))
                    if co:
                        entries.extend((r, "co") for r in co)
                    end = partner.end()
            return entries, head[:end]
        return None


_SENT_LEAD = re.compile(r"(?:^|[，,；;])由([^，。；,;（）]{2,60}?)(牵头|负责|统筹|会同)")
_SENT_CO = re.compile(
    r"[，,]([^，。；,;（）]{2,60}?)(?:配合|参与|协助|协办|按职责分工负责|按职责分工落实|按职责负责)"
)
_SUBJ_VERB = re.compile(
    r"分别牵头落实|分别牵头负责|分别牵头|分别负责|牵头落实|牵头负责|牵头组织|牵头|负责落实|负责|会同|联合|"
    r"要(?!求|素|点|件|闻|害|领|务|案)|需(?!求|要)|须(?!知)|应当"
)
_PARTNER = re.compile(
    r"([^，。；,;（）]{2,40}?)(?:等部门|等单位)?(?=负责|牵头|推进|开展|制定|组织|做好|落实|建立|完善|研究|加快|[，,])"
)
_BREAK = re.compile(r"[，,。；;：:（）()“”《》]")


@lru_cache(maxsize=4096)
def _is_clause_key(inner: str) -> tuple[bool, bool]:
    """(labelled, has_verb) — cheap syntactic part of clause detection."""
    return bool(LABEL.match(inner.strip().lstrip("（(【["))), bool(VERB.search(inner))


_DUE_PART = re.compile(
    r"\d{4}年|\d{1,2}月|年底|年内|年末|上半年|下半年|持续推进|长期坚持|持续实施|逐步推进|长期推进|持续开展|"
    r"前完成|前出台|前建成|日内|每季度|每年|每月|每半年"
)


def split_due(inner: str, resolver: Resolver) -> tuple[str, str | None]:
    """Deadline parts inside a verb clause: "（发展改革委牵头，各有关部门按职责分工负责，2024年底前完成）".
    A part that names units stays ("每年" never ends a unit name, but a part may carry both)."""
    if not _DUE_PART.search(inner):
        return inner, None
    keep: list[str] = []
    due: list[str] = []
    for part in re.split(r"([，,；;])", inner):
        if part in "，,；;":
            if keep and keep[-1] not in "，,；;":
                keep.append(part)
            continue
        if _DUE_PART.search(part) and not resolver.names(part.strip()):
            due.append(part.strip())
        else:
            keep.append(part)
    if not due:
        return inner, None
    return "".join(keep).strip(" ，,；;"), "，".join(due)


def strip_notes(inner: str) -> tuple[str, bool]:
    """A clause may carry document-wide notes: "（A、B负责，排在第一位的部门为牵头部门，下同）".
    Returns the clause without them, and whether the first-listed rule was stated."""
    if "第一" not in inner and "首位" not in inner and "下同" not in inner:
        return inner, False
    rule = bool(FIRST_RULE.search(inner))
    out = _NOTE_PARTS.sub("", inner)
    return out.strip(" ，,；;。"), rule


# "水利厅等省有关部门和各地级以上市人民政府": the vague middle joins two lists
_ETC_AND = re.compile(r"等(?:省|市|区|县)?(?:级)?(?:有关|相关|其他)?(?:部门|单位)(?:和|及|以及|、|，|,)")
_MARKED_LEAD = re.compile(r"([^、，,；;（）()]{2,30}?)[（(]牵头(?:单位|部门)?[）)]")
_NOTE_PARTS = re.compile(rf"[，,；;]?\s*(?:{_FIRST}的?(?:单位|部门)?(?:为|是)牵头(?:单位|部门)?|下同|以下同)")


_NOT_A_CLAUSE = re.compile(r"^(?:以下简称|下称|简称|含|包括|即|如|例如|指|其中|不含|除|详见|见|参照|依托)")


# "（区发改局牵头，各项目业主单位配合）": a collective named by what its members are
_COLLECTIVE = re.compile(r"各[\u4e00-\u9fff]{1,10}(?:单位|企业|机构|主体)")


def _is_clause_cached(resolver: Resolver, inner: str) -> bool:
    inner = inner.strip()
    if not inner or len(inner) > 300:
        return False
    labelled, has_verb = _is_clause_key(inner)
    if labelled:
        return True
    inner, _ = strip_notes(inner)
    inner, due = split_due(inner, resolver)
    if not inner:
        return False
    if due is not None:
        has_verb = bool(VERB.search(inner))
    if has_verb:
        if VERB.match(inner.lstrip("（(")):
            return False  # "（指导各地建设中心）": a verb with nobody before it is an aside, not a clause
        segments = [s.strip(" ，,；;、") for s in VERB.split(inner)]
        segments = [s for s in segments if s and not VERB.fullmatch(s)]
        if not segments:
            return False
        # every segment must name units (known, or unit-shaped: …部/…局/…委): "（开采）" is not a clause
        if _NOT_A_CLAUSE.match(segments[0]):
            return False
        return any(resolver.strict(s) for s in segments) or all(
            resolver.names(s) or _VAGUE.search(s) or _VAGUE_WHOLE.fullmatch(s) or _COLLECTIVE.fullmatch(s)
            for s in segments
        )
    return resolver.strict(inner) is not None or resolver.looks_like_units(inner)


def assign_roles(clause_entries: list[tuple[Ref, str]], first_listed_rule: bool = False) -> Roles:
    """Lead / co / local from parsed clause entries.

    Explicit 牵头 (or 负责落实 after 指导) wins. Otherwise the first-listed provincial unit
    leads (a leading "各设区市人民政府" is skipped), the other provincial units cooperate and
    the cities keep their local share. Only cities listed → cities lead. With the document-wide
    rule "排在第一位的为牵头单位" and cities listed first, the cities lead.
    """
    lead = [r for r, role in clause_entries if role == "lead"]
    co = [r for r, role in clause_entries if role == "co"]
    resp = [r for r, role in clause_entries if role == "resp"]
    support = [r for r, role in clause_entries if role == "support"]
    roles = Roles()
    if lead:
        roles.lead = _dedupe(lead)
        rest = co + resp
    else:
        pool = resp or co
        others = co if resp else []
        provincial = [r for r in pool if not r.is_city]
        cities = [r for r in pool if r.is_city]
        if first_listed_rule and pool and pool[0].is_city:
            roles.lead = _dedupe(cities)
            rest = provincial + others
        elif provincial:
            roles.lead = [provincial[0]]
            rest = provincial[1:] + cities + others
        else:
            roles.lead = _dedupe(cities)
            rest = others
    lead_names = {r.name for r in roles.lead}
    roles.co = _dedupe([r for r in rest if not r.is_city and r.name not in lead_names])
    roles.local = _dedupe([r for r in rest if r.is_city and r.name not in lead_names])
    taken = lead_names | {r.name for r in (*roles.co, *roles.local)}
    roles.support = _dedupe([r for r in support if r.name not in taken])
    return roles
