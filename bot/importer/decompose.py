"""Policy text → measures → tasks with responsible units, deadlines, rhythms and targets."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from config.directory import Directory

from .extract import find_due, find_recurring, find_rhythm, find_targets
from .models import Decomposition, Measure, PolicyInfo, Task, UnitRef, text_fingerprint
from .tables import flatten_tables
from .text import (
    DOC_NUMBER,
    Heading,
    clean_lines,
    find_doc_number,
    match_heading,
    parse_date_line,
    strip_pinyin,
    to_simplified,
)
from .units import CARRY, FIRST_RULE, LINE_LABEL, Clause, Ref, Resolver, Roles, assign_roles, carried_units
from .warning import ImporterWarning, Where

_WHOLE_YEAR = re.compile(r"全年(?:完成|推进|持续推进|实施)?")
_CONTENT = re.compile(r"[\u4e00-\u9fff0-9A-Za-z]")
_TOK = re.compile(r"[（(]|[。！？!?]")
_ATTACHMENT = re.compile(r"^(?:附件|附表)\s*\d*\s*[:：]?")
_TITLE_WORDS = re.compile(r"(?:通知|意见|措施|办法|方案|规定|计划|要点|细则|决定|公告|通告|批复|纲要|规划)$")
# Provincial involvement signals for "支持X、Y…" sentences (see docs/importer.md).
_PROVINCIAL_SIGNAL = re.compile(r"争取|国家|申报|纳入|省级|全省|国字号|部省")
_LABELS = {
    "cn": "{}",
    "pcn": "（{}）",
    "num": "{}.",
    "pnum": "（{}）",
    "tiao": "第{}条",
    "zhang": "第{}章",
    "cnum": "{}",
}


@dataclass
class _Token:
    kind: str  # "sent" | "clause"
    text: str
    para: int
    labelled: bool = False  # paragraph began with a sub-item label (1. / （1） …)
    bare: bool = False  # ended without sentence punctuation (a heading line)
    clause: Clause | None = None


def _close(text: str, i: int) -> int:
    depth = 0
    for j in range(i, min(len(text), i + 400)):
        c = text[j]
        if c in "（(":
            depth += 1
        elif c in "）)":
            depth -= 1
            if depth == 0:
                return j
    return -1


def _title_like(sentence: str, limit: int = 30) -> bool:
    s = sentence.rstrip("。：:；;！!")
    return 0 < len(s) <= limit and not re.search(r"[，,；;：:]", s)


def _tokenize(paragraphs: list[str], resolver: Resolver) -> list[_Token]:
    tokens: list[_Token] = []
    for p_idx, para in enumerate(paragraphs):
        if LINE_LABEL.match(para) and resolver.is_clause(para.strip("（）()")):
            # "牵头单位：区发改局" on a line of its own: a clause for the text before it; the
            # lines of one block ("牵头单位：…" / "责任单位：…" / "完成时限：…") form one clause.
            raw = para.strip().strip("（）()")
            if tokens and tokens[-1].kind == "clause" and tokens[-1].bare:
                raw = f"{tokens[-1].text}；{raw}"
                tokens.pop()
            tokens.append(_Token("clause", raw, p_idx, bare=True))
            continue
        labelled = False
        h = match_heading(para) if p_idx > 0 else None
        if h is not None:
            para, labelled = h.rest, True
        first_in_para = len(tokens)
        pos = start = 0
        while True:
            m = _TOK.search(para, pos)
            if not m:
                break
            if m.group() in "（(":
                j = _close(para, m.start())
                if j < 0:
                    pos = m.end()
                    continue
                inner = para[m.start() + 1 : j]
                if resolver.is_clause(inner):
                    chunk = para[start : m.start()].strip()
                    if _CONTENT.search(chunk):
                        tokens.append(_Token("sent", chunk, p_idx))
                    tokens.append(_Token("clause", inner.strip(), p_idx))
                    start = j + 1
                pos = j + 1
            else:
                chunk = para[start : m.end()].strip()
                if _CONTENT.search(chunk):
                    tokens.append(_Token("sent", chunk, p_idx))
                start = pos = m.end()
        chunk = para[start:].strip()
        if _CONTENT.search(chunk):
            tokens.append(_Token("sent", chunk, p_idx, bare=True))
        if labelled and len(tokens) > first_in_para:
            tokens[first_in_para].labelled = True
    return tokens


@dataclass
class _State:
    first_rule: bool = False
    carry: tuple[Ref, ...] = ()
    carry_text: str = ""


def _dedupe_refs(refs: list[Ref]) -> list[Ref]:
    seen: set[str] = set()
    out: list[Ref] = []
    for r in refs:
        if r.name not in seen:
            seen.add(r.name)
            out.append(r)
    return out


def _is_note(sentence: str) -> bool:
    return len(sentence) < 120 and bool(FIRST_RULE.search(sentence) or CARRY.search(sentence))


def _scan_notes(sentence: str, state: _State, resolver: Resolver) -> bool:
    """Update document-wide notes; True if the sentence is only such a note."""
    is_note = False
    if FIRST_RULE.search(sentence):
        state.first_rule = True
        is_note = True
    m = CARRY.search(sentence)
    if m:
        refs = resolver.refs(carried_units(m))
        if refs:
            state.carry = tuple(refs)
            state.carry_text = m.group(0)
            is_note = True
    return is_note and len(sentence) < 120


class _Builder:
    def __init__(self, directory: Directory, horizon: date | None, issued_on: date | None) -> None:
        self.directory = directory
        self.resolver = Resolver(directory)
        self.horizon = horizon
        self.issued_on = issued_on
        self.state = _State()
        self.measures: list[Measure] = []
        self._roles_cache: dict[tuple[str, bool, tuple[str, ...]], Roles] = {}
        self._evidence_cache: dict[tuple[int, str | None, str | None], list[dict[str, str]]] = {}
        self._evidence_keep: dict[tuple[int, str | None, str | None], Roles] = {}

    # -- roles -----------------------------------------------------------------------
    def _clause_roles(self, clause: Clause | None) -> Roles:
        if clause is not None and clause.first_rule:
            self.state.first_rule = True
        key = (clause.raw if clause else "", self.state.first_rule, tuple(r.name for r in self.state.carry))
        cached = self._roles_cache.get(key)
        if cached is not None:
            return cached
        roles = assign_roles(clause.entries, self.state.first_rule) if clause else Roles()
        if self.state.carry:
            if roles.is_empty():
                roles = assign_roles([(r, "resp") for r in self.state.carry], self.state.first_rule)
            else:
                present = {r.name for r in roles.all()}
                for r in self.state.carry:
                    if r.name not in present:
                        (roles.local if r.is_city else roles.co).append(r)
        self._roles_cache[key] = roles
        return roles

    def _task_roles(self, text: str, base: Roles, measure_no: int) -> tuple[Roles, str | None]:
        """The roles of one sentence, and the words of the sentence they came from (None: the clause)."""
        cities, mode = self.resolver.sentence_cities(text)
        if base.is_empty() or not cities:
            named = self.resolver.sentence_units(text)
            if named:
                entries, words = named
                own = assign_roles(entries, self.state.first_rule)
                if base.is_empty():
                    return own, words
                lead = own.lead
                names = {r.name for r in own.all()}
                cities_lead = any(r.is_city for r in lead)
                co = own.co + [r for r in (*base.lead, *base.co) if r.name not in names and not r.is_city]
                local = list(own.local)
                if not cities_lead:
                    local += [r for r in (*base.local, *base.lead) if r.is_city and r.name not in names]
                return Roles(
                    lead=lead, co=_dedupe_refs(co), local=_dedupe_refs(local), support=list(base.support)
                ), words
        if base.is_empty() or not cities:
            return base, None
        listed = {r.name for r in base.all()}
        missing = [c.name for c in cities if c.name not in listed]
        if missing:
            self.resolver.warn(ImporterWarning.of("cities_not_listed", measure=measure_no, cities=missing))
        city_words = self.resolver.city_prefix(text)
        provincial_lead = [r for r in base.lead if not r.is_city]
        if len(missing) == len(cities) and provincial_lead:
            # The clause assigns no city at all: keep the provincial units, the cities get the local share.
            return Roles(
                lead=provincial_lead, co=[r for r in base.co if not r.is_city], local=cities
            ), city_words
        if mode == "support" and provincial_lead and _PROVINCIAL_SIGNAL.search(text):
            return Roles(
                lead=provincial_lead, co=[r for r in base.co if not r.is_city], local=cities
            ), city_words
        return Roles(lead=cities), city_words

    def _evidence(
        self,
        roles: Roles,
        words: str | None,
        clause: Clause | None,
        due_source: str | None,
        due_words: str | None,
        due: date | None,
    ) -> dict[str, object]:
        """Which words each unit and the deadline came from (for --explain and JSON ``evidence``).

        Tasks that share a clause and take its roles unchanged share one list of unit evidence."""
        key = (id(roles), words, clause.raw if clause is not None else None)
        units = self._evidence_cache.get(key)
        if units is None or self._evidence_keep.get(key) is not roles:
            in_clause = {e.name for e, _ in clause.entries} if clause is not None else set()
            carried = {r.name for r in self.state.carry}
            units = []
            for role, refs in (
                ("lead", roles.lead),
                ("co", roles.co),
                ("local", roles.local),
                ("support", roles.support),
            ):
                for r in refs:
                    if words is not None and (r.name not in in_clause or clause is None):
                        source, text = "sentence", words
                    elif r.name in in_clause and clause is not None:
                        source, text = "clause", clause.words.get(r.name, clause.raw)
                    elif r.name in carried:
                        source, text = "carried", self.state.carry_text
                    else:
                        source, text = "clause", clause.raw if clause is not None else ""
                    units.append({"unit": r.name, "role": role, "from": source, "words": text})
            self._evidence_cache[key] = units
            self._evidence_keep[key] = roles  # keeps id(roles) from being reused while cached
        evidence: dict[str, object] = {"units": units}
        if due_source:
            evidence["due"] = {"date": due.isoformat() if due else None, "words": due_source, "in": due_words}
        elif due is not None:
            evidence["due"] = {"date": due.isoformat(), "words": None, "in": "horizon"}
        return evidence

    def _parse_clauses(self, tokens: list[_Token], number: int) -> None:
        """Parse each clause with the tasks it covers as the context of its warnings: the
        sentences since the previous clause (else the sentence before it)."""
        seq = 0
        since: list[int] = []
        last = 0
        for tok in tokens:
            if tok.kind == "sent":
                seq += 1
                since.append(seq)
                continue
            if tok.kind != "clause":
                continue
            covered = since or ([last] if last else [])
            if not covered:
                self.resolver.context = Where(number)
            else:
                self.resolver.context = Where(number, covered[0], covered[-1])
            text = tok.text
            carry = CARRY.search(text)
            if carry is not None:
                # "（责任单位：A、B。以下政策措施均需各县区人民政府落实，不再单独列出）": the note
                # is for the document from here on, the rest is this clause
                _scan_notes(carry.group(0), self.state, self.resolver)
                text = (text[: carry.start()].rstrip("。；;，, ") + text[carry.end() :]).strip()
            tok.clause = self.resolver.parse_clause(text)
            last = seq
            since = []

    # -- measures --------------------------------------------------------------------
    def add_measure(
        self, label: str, paragraphs: list[str], section: str | None, fixed_title: str | None = None
    ) -> None:
        number = len(self.measures) + 1
        self.resolver.context = Where(number)  # warnings about unit names say where they came from
        paragraphs = [p for p in paragraphs if p]
        tokens = _tokenize(paragraphs, self.resolver)
        sentences = [t for t in tokens if t.kind == "sent"]
        title = fixed_title or ""
        if fixed_title is not None:
            pass
        elif sentences and sentences[0].para == 0 and _title_like(sentences[0].text):
            title = sentences[0].text.rstrip("。：:；;！!")
            if len(sentences) > 1:
                tokens.remove(sentences[0])
        elif sentences:
            first = sentences[0].text.rstrip("。")
            title = first[:28] + ("…" if len(first) > 28 else "")
        # document-wide notes inside the measure
        tokens = [
            _Token("note", t.text, t.para) if t.kind == "sent" and _is_note(t.text) else t for t in tokens
        ]
        # merge sub-item headings ("1. 加强组织领导") into the sentence that follows
        merged: list[_Token] = []
        for tok in tokens:
            if merged and merged[-1].kind == "sent" and merged[-1].labelled and tok.kind == "sent":
                head = merged[-1]
                if (head.bare or head.para == tok.para) and _title_like(head.text, 20) and not tok.labelled:
                    joiner = "" if head.text.endswith(("。", "：", ":")) else "："
                    tok = _Token("sent", head.text + joiner + tok.text, tok.para, bare=tok.bare)
                    merged[-1] = tok
                    continue
                if head.bare and _title_like(head.text, 20) and tok.labelled:
                    # "1.完善应急预案体系" over "（1）…（2）…": the heading of the tasks below it
                    merged[-1] = _Token("heading", head.text, head.para)
            merged.append(tok)
        tokens = merged
        self._parse_clauses(tokens, number)
        # which clause applies to each sentence: the next one, else the previous one. A clause
        # that names no one ("（完成时限：2025年底前）") only lends its deadline to the text before it;
        # one naming only vague units ("（国务院各部门分别负责）") is still that text's clause.
        clause_for: list[Clause | None] = [None] * len(tokens)
        due_for: list[Clause | None] = [None] * len(tokens)
        nxt: Clause | None = None
        nxt_due: Clause | None = None
        for i in range(len(tokens) - 1, -1, -1):
            tok = tokens[i]
            if tok.kind == "clause" and tok.clause is not None:
                if tok.clause.entries or tok.clause.names_someone:
                    nxt = tok.clause
                    nxt_due = tok.clause if tok.clause.due_text else None
                elif tok.clause.due_text:
                    nxt_due = tok.clause
            clause_for[i] = nxt
            due_for[i] = nxt_due
        prev: Clause | None = None
        for i, tok in enumerate(tokens):
            if (
                tok.kind == "clause"
                and tok.clause is not None
                and (tok.clause.entries or tok.clause.names_someone)
            ):
                prev = tok.clause
            if clause_for[i] is None:
                clause_for[i] = prev
        tasks: list[Task] = []
        section_text = f"【{section}】" if section else ""
        for i, tok in enumerate(tokens):
            if tok.kind == "note":
                _scan_notes(tok.text, self.state, self.resolver)  # notes apply from here on
                continue
            if tok.kind != "sent":
                continue
            clause = clause_for[i]
            self.resolver.context = Where(number, len(tasks) + 1, len(tasks) + 1)
            base = self._clause_roles(clause)
            roles, words = self._task_roles(tok.text, base, number)
            lead, co, local = roles.names()
            due, source, missing_issue = find_due(tok.text, self.issued_on)
            due_clause = due_for[i]
            due_words = tok.text if source else None
            rhythm = find_rhythm(tok.text)
            recurring = find_recurring(tok.text, self.issued_on)
            if recurring is not None:
                rec_rhythm, first_due, phrase = recurring
                rhythm = rhythm if first_due is None and rhythm else rec_rhythm
                if first_due is not None and (source is None or source in phrase):
                    # "从2019年起，每年2月底前": the rhythm's first occurrence is the deadline
                    due, source, missing_issue, due_words = first_due, phrase, False, tok.text
            if source is None and due_clause is not None and due_clause.due_text:
                # a 完成时限 of "全年" is the year's end, as 年底前 (in a sentence it is not a deadline)
                due_text = "年底前" if _WHOLE_YEAR.fullmatch(due_clause.due_text) else due_clause.due_text
                due, source, missing_issue = find_due(due_text, self.issued_on)
                source = due_clause.due_text if source and due_text != due_clause.due_text else source
                due_words = due_clause.due_text if source else None
                rhythm = rhythm or find_rhythm(due_clause.due_text)
            if missing_issue:
                self.resolver.warn(ImporterWarning.of("relative_due_no_issue_date", measure=number))
            if due is None and self.horizon is not None:
                due = self.horizon
            tasks.append(
                Task(
                    seq=len(tasks) + 1,
                    text=tok.text,
                    lead=lead,
                    co=co,
                    local=local,
                    due=due,
                    due_source=source,
                    rhythm=rhythm,
                    targets=find_targets(tok.text),
                    unit_clause=clause.raw if clause else None,
                    support=[r.name for r in roles.support],
                    evidence=self._evidence(roles, words, clause, source, due_words, due),
                )
            )
        self.resolver.context = Where(number)
        if not tasks and title and fixed_title is None:
            roles = self._clause_roles(clause_for[0] if clause_for else None)
            lead, co, local = roles.names()
            tasks.append(Task(seq=1, text=title, lead=lead, co=co, local=local, due=self.horizon))
        if not any(t.lead or t.co or t.local for t in tasks):
            self.resolver.warn(ImporterWarning.of("measure_without_units", measure=number, title=title))
        self.measures.append(
            Measure(
                number=number,
                label=label,
                title=title,
                text=section_text + "\n".join(paragraphs),
                tasks=tasks,
                section=section,
            )
        )


_YEAR = re.compile(r"(?<![\d—\-–~至到])(20\d{2})年(?!\s*[—\-–~至到]\s*\d)")


def _title_year(title: str) -> date | None:
    """An annual plan without a date line ("2025年开发区重点工作及责任清单"): its deadlines
    "年底前", "6月底前", "全年" are of the year in its title (a span of years says nothing)."""
    years = set(_YEAR.findall(title))
    if len(years) != 1 or re.search(r"\d{4}\s*[—\-–~至到]", title):
        return None
    return date(int(years.pop()), 1, 1)


def _kind_order(headings: list[Heading]) -> list[str]:
    order: list[str] = []
    for h in headings:
        if h.kind not in order:
            order.append(h.kind)
    if "zhang" in order:
        order.remove("zhang")
        order.insert(0, "zhang")
    return order


def _label(h: Heading) -> str:
    if h.kind in ("cn", "pcn", "tiao", "zhang"):
        raw = h.label.strip("（）()、.．第条章部分")
        return _LABELS[h.kind].format(raw)
    return _LABELS[h.kind].format(h.number)


def _section_heading(h: Heading) -> bool:
    rest = h.rest
    return len(rest) <= 30 and "。" not in rest and "；" not in rest


def _parse_head(head: list[str], tail: list[str]) -> tuple[str, str | None, date | None]:
    doc_number = None
    issued_on = None
    title = ""
    candidates: list[str] = []
    for line in head:
        if not line:
            continue
        if doc_number is None and DOC_NUMBER.search(line) and len(line) <= 40:
            doc_number = find_doc_number(line)
            continue
        d = parse_date_line(line)
        if d is not None:
            issued_on = issued_on or d
            continue
        if line.startswith(("（此件", "(此件")) or line.endswith(("：", ":")):
            continue
        candidates.append(line)
    for line in candidates:
        if "。" not in line and _TITLE_WORDS.search(line):
            title = line
            break
    else:
        title = next((c for c in candidates if "。" not in c), candidates[0] if candidates else "")
    if doc_number is None:
        doc_number = find_doc_number("\n".join(head[:12]))
    if issued_on is None:
        for line in reversed(tail):
            d = parse_date_line(line) if line else None
            if d is not None:
                issued_on = d
                break
    return title.replace(" ", ""), doc_number, issued_on


def decompose(text: str, directory: Directory, horizon: date | None = None) -> Decomposition:
    """Break a policy document's text into measures and tasks with responsible units."""
    lines = clean_lines(flatten_tables(to_simplified(strip_pinyin(text))))
    heads: list[tuple[int, Heading]] = []
    for i, line in enumerate(lines):
        if line:
            h = match_heading(line)
            if h is not None:
                heads.append((i, h))
    warnings: list[ImporterWarning] = []

    if not heads:
        head_end = 0
        for i, line in enumerate(lines[:12]):
            if not line:
                continue
            if "。" in line and not line.startswith(("（此件", "(此件")):
                break  # the first real sentence starts the body
            head_end = i + 1
        title, doc_number, issued_on = _parse_head(lines[:head_end] or lines[:1], lines[-5:])
        builder = _Builder(directory, horizon, issued_on or _title_year(title))
        body = [
            line
            for line in lines[head_end:]
            if line and not parse_date_line(line) and not line.startswith(("（此件", "(此件"))
        ]
        if body:
            builder.add_measure("", body, None, fixed_title=title or "全文")
            warnings.append(ImporterWarning.of("no_numbered_measures"))
        else:
            warnings.append(ImporterWarning.of("nothing_found"))
        return _finish(text, builder, title, doc_number, issued_on, horizon, warnings)

    order = _kind_order([h for _, h in heads])
    top = order[0]
    body_start = next(i for i, h in heads if h.kind == top)
    head_lines = lines[:body_start]

    # split the body into top-level items; a standalone date line or 附件 ends the body
    items: list[tuple[Heading, list[str]]] = []
    blocks: list[list[tuple[Heading, list[str]]]] = [items]
    tail: list[str] = []
    stopped = False
    for line in lines[body_start:]:
        h = match_heading(line) if line else None
        if h is not None and h.kind == top:
            if stopped and items and h.number <= items[-1][0].number:
                items = []  # numbering starts again after a signature or 附件: another block
                blocks.append(items)
            items.append((h, []))
            stopped = False
            continue
        if stopped:
            tail.append(line)
            continue
        if line and (parse_date_line(line) or _ATTACHMENT.match(line)):
            stopped = True
            tail.append(line)
            if items:  # drop the signature (short lines without sentence punctuation) before the date
                body = items[-1][1]
                while body and (
                    not body[-1]
                    or (
                        "。" not in body[-1]
                        and "）" not in body[-1]
                        and len(body[-1]) <= 30
                        and not LINE_LABEL.match(body[-1])
                    )
                ):
                    body.pop()
            continue
        if items:
            items[-1][1].append(line)

    items = _main_block(blocks)
    title, doc_number, issued_on = _parse_head(head_lines, tail)
    builder = _Builder(directory, horizon, issued_on or _title_year(title))
    for line in head_lines:
        if line:
            for sentence in re.split(r"(?<=。)", line):
                _scan_notes(sentence, builder.state, builder.resolver)

    across = _numbered_across(items, order)

    def expand(
        h: Heading, body: list[str], depth: int, section: str | None, inherited: str | None = None
    ) -> None:
        child_kind = order[depth + 1] if depth + 1 < len(order) else None
        children: list[tuple[Heading, list[str]]] = []
        intro: list[str] = []
        heading_clause = _heading_clause(h.rest, builder.resolver)
        if depth >= 1 and child_kind not in across:
            # "一、" parts hold the measures ("（一）", or "1." directly under "一、"); what is
            # numbered inside a measure ("1." under "（一）", "（1）", "①") are its tasks — unless
            # that numbering runs on across the measures' headings (1.–5. under （一）（二）): then
            # those numbered items are the document's list of measures
            child_kind = None
        if child_kind is not None and (_section_heading(h) or heading_clause is not None):
            for line in body:
                ch = match_heading(line) if line else None
                if ch is not None and ch.kind == child_kind:
                    children.append((ch, []))
                elif children:
                    children[-1][1].append(line)
                else:
                    intro.append(line)
        if children:
            for line in intro:
                if line:
                    for sentence in re.split(r"(?<=。)", line):
                        _scan_notes(sentence, builder.state, builder.resolver)
            label = _label(h)
            sep = "、" if h.kind == "cn" else " "
            name = f"{label}{sep}{h.rest}".strip()
            context = f"{section} / {name}" if section else name
            for ch, ch_body in children:
                expand(ch, ch_body, depth + 1, context, heading_clause or inherited)
        else:
            lines = [h.rest, *body]
            if inherited is not None and not _names_units(lines, builder.resolver):
                lines.append(inherited)  # "一、强化科技创新（区科技局牵头）" over measures naming no one
            builder.add_measure(_label(h), lines, section)

    for h, body in items:
        if (
            len(items) > 1
            and _PREAMBLE.fullmatch(h.rest.rstrip("。"))
            and not _names_units(body, builder.resolver)
        ):
            # "一、总体要求" (指导思想, 基本原则, 主要目标) naming no one: the plan's preamble, not a measure
            for line in body:
                for sentence in re.split(r"(?<=。)", line):
                    _scan_notes(sentence, builder.state, builder.resolver)
            continue
        expand(h, body, 0, None)
    dec = _finish(text, builder, title, doc_number, issued_on, horizon, warnings)
    return _prefer_attached_plan(dec, tail, directory, horizon)


def _numbered_across(items: list[tuple[Heading, list[str]]], order: list[str]) -> set[str]:
    """Kinds of numbering below the top that run on across two or more parents without starting
    again (1.–5. under （一）（二）)."""
    last: dict[str, int] = {}
    parents: dict[str, set[int]] = {}
    restarts: set[str] = set()
    count = 0
    current: dict[str, int] = {}
    for h, body in items:
        for head in [h, *(x for x in (match_heading(line) if line else None for line in body) if x)]:
            if head.kind not in order:
                continue
            count += 1
            current[head.kind] = count
            level = order.index(head.kind)
            if level == 0:
                continue
            if head.number <= last.get(head.kind, 0):
                restarts.add(head.kind)
            last[head.kind] = head.number
            parents.setdefault(head.kind, set()).add(current.get(order[level - 1], 0))
    return {k for k, ps in parents.items() if len(ps) >= 2 and k not in restarts}


def _heading_clause(heading: str, resolver: Resolver) -> str | None:
    """The unit clause a section heading ends with ("强化科技创新（区科技局牵头）"), or None."""
    m = re.search(r"[（(]([^（）()]{2,120})[）)]$", heading)
    if m is None or not resolver.is_clause(m.group(1)):
        return None
    return m.group(0)


def _names_units(lines: list[str], resolver: Resolver) -> bool:
    """Whether any line is a unit line or carries a bracketed unit clause."""
    for line in lines:
        if not line:
            continue
        if LINE_LABEL.match(line) or _MARKER.search(line):
            return True
        for m in re.finditer(r"[（(]([^（）()]{2,300})[）)]", line):
            if resolver.is_clause(m.group(1)):
                return True
    return False


_PREAMBLE = re.compile(
    r"总体要求|指导思想|基本原则|工作原则|总体思路|总体目标|主要目标|工作目标|目标任务|重要意义"
)
_MARKER = re.compile(r"(?:单位|部门|处室)\s*[:：]|牵头[，,）)]|负责[）)]|按职责分工|配合[）)]")


def _main_block(blocks: list[list[tuple[Heading, list[str]]]]) -> list[tuple[Heading, list[str]]]:
    """Which numbered block is the document's body.

    Numbering that starts again after a signature/date or 附件 begins another block: either the
    plan a notice issues (the notice's own 一、二、三 are instructions about it and name no
    responsible units) or an attachment (indicator tables, forms), which is not measures. The
    first block is the body unless it names (almost) no units and a later block does.
    """
    if len(blocks) == 1:
        return blocks[0]

    def density(block: list[tuple[Heading, list[str]]]) -> float:
        marks = sum(len(_MARKER.findall(line)) for h, body in block for line in (h.rest, *body))
        return marks / max(1, len(block))

    if density(blocks[0]) >= 0.3:
        return blocks[0]
    best = max(blocks[1:], key=density)
    return best if density(best) >= 0.3 else blocks[0]


def _with_units(dec: Decomposition) -> int:
    return sum(1 for m in dec.measures if any(t.lead or t.co or t.local for t in m.tasks))


def _prefer_attached_plan(
    dec: Decomposition, tail: list[str], directory: Directory, horizon: date | None
) -> Decomposition:
    """A notice that "印发" a plan: when the text after its signature (or 附件) holds numbered items
    that name more responsible units than the notice's own items, that plan is the document's
    body (the notice's 一、二、三 are instructions about it). Otherwise attachments (indicator
    tables, forms) are not measures and stay out."""
    rest = [line for line in tail if line]
    if sum(1 for line in rest if match_heading(line)) < 2:
        return dec
    plan = decompose("\n".join(rest), directory, horizon)
    if _with_units(plan) <= _with_units(dec):
        return dec
    policy = PolicyInfo(
        title=dec.policy.title or plan.policy.title,
        doc_number=dec.policy.doc_number or plan.policy.doc_number,
        issued_on=dec.policy.issued_on or plan.policy.issued_on,
        horizon=horizon,
    )
    return Decomposition(
        policy=policy,
        measures=plan.measures,
        units=plan.units,
        warnings=plan.warnings,
        fingerprint=dec.fingerprint,
    )


def _finish(
    text: str,
    builder: _Builder,
    title: str,
    doc_number: str | None,
    issued_on: date | None,
    horizon: date | None,
    warnings: list[ImporterWarning],
) -> Decomposition:
    directory = builder.directory
    seen: dict[str, UnitRef] = {}
    for measure in builder.measures:
        for task in measure.tasks:
            for name in (*task.lead, *task.co, *task.local):
                if name in seen:
                    continue
                unit = directory.resolve(name)
                if unit is not None:
                    seen[name] = UnitRef(unit.name, list(unit.aliases), unit.kind, True)
                else:
                    seen[name] = UnitRef(name, [], "other", False)
    all_warnings = list(dict.fromkeys([*warnings, *builder.resolver.warnings]))
    return Decomposition(
        policy=PolicyInfo(title=title, doc_number=doc_number, issued_on=issued_on, horizon=horizon),
        measures=builder.measures,
        units=list(seen.values()),
        warnings=all_warnings,
        fingerprint=text_fingerprint(text),
    )
