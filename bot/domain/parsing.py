"""Reading a free-text progress reply. Pure: the raw text is already stored when this runs.

A reply is read clause by clause, because its clauses often disagree: "尚未完成，预计下月完成" mentions
completion twice and claims it never. A completion counts as a claim only when it is asserted, of
the whole task, and nothing else in the reply takes it back; a negated, hedged, expected or partial
completion ("尚未", "基本", "预计", "第一批", "已完成可研报告编制") is progress. A wrong claim sends a
task that is not done to review, so when in doubt the reader says progress: the contact can still
correct it with 更正. See docs/replies.md for the corpus this is measured against.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.importer.text import cn_to_int


@dataclass(frozen=True)
class Parsed:
    status: str | None  # progress | done | blocked | None when nothing was recognised
    percent: int | None
    # A progress percentage that was stated but cannot be one ("进度-5%", "完成1000%"): the number as
    # written, so the caller can refuse the reply instead of storing it. `percent` is then None.
    invalid_percent: int | None = None

    @property
    def understood(self) -> bool:
        return self.status is not None


# --- normalisation and clauses -------------------------------------------------------------------


@lru_cache(maxsize=1)
def _t2s() -> Any:
    import opencc  # imported on first use: the reader is otherwise dependency-free

    return opencc.OpenCC("t2s")


def _normalise(text: str) -> str:
    # NFKC folds full-width digits, ％ and punctuation (，→, ；→; ！→! ？→? ：→:) to ASCII.
    text = unicodedata.normalize("NFKC", text)
    if any(ord(ch) > 0x3000 for ch in text):
        text = _t2s().convert(text)
    return text.lower().replace("'s ", " is ").replace("’s ", " is ")


_CLAUSE_END = re.compile(r"([,;!?。\n\r]|(?<!\d)\.|\.(?!\d))")
_CLAUSE_WORD = re.compile(r"(?=但是|但|不过|目前|下一步|下步|\bbut\b|\bhowever\b|\bwhile\b)")
_CJK_SPACE = re.compile(r"(?<=[\u4e00-\u9fff%])\s+|\s+(?=[\u4e00-\u9fff])")
_QUESTION_TAIL = re.compile(r"(吗|么|嘛|没有|了没|否)\s*$")
_QUESTION_HEAD = re.compile(
    r"是否|能否|可否|\b(is|are|was|were|did|does|do|can|could|when|what|how|why|who|which)\b"
)


def _clauses(text: str) -> list[tuple[str, bool]]:
    """(clause, is_question) in order."""
    parts = _CLAUSE_END.split(text)
    out: list[tuple[str, bool]] = []
    for i in range(0, len(parts), 2):
        chunk = parts[i]
        delimiter = parts[i + 1] if i + 1 < len(parts) else ""
        pieces = [p for c in _CLAUSE_WORD.split(chunk) for p in _CJK_SPACE.split(c)]
        pieces = [p.strip() for p in pieces if p and p.strip()]
        for j, piece in enumerate(pieces):
            last = j == len(pieces) - 1
            question = (last and delimiter == "?") or bool(
                _QUESTION_TAIL.search(piece) or _QUESTION_HEAD.match(piece)
            )
            out.append((piece, question))
    return out


# --- percentages -----------------------------------------------------------------------------------

_CN_NUM = "零〇一二两三四五六七八九十百千"
_PCT = re.compile(r"(?<![\d.%])(-|负)?\s*(\d+(?:\.\d+)?)\s*(?:%|percent\b|per cent\b)")
_PCT_ZH = re.compile(rf"百分之\s*(负)?\s*([{_CN_NUM}]+|\d+(?:\.\d+)?)")
_PCT_CHENG = re.compile(
    r"([一二两三四五六七八九十]|\d{1,2})\s*成(?!员|立|效|果|本|为|功|熟|绩|交|品|都|就|套|型|片|长|年|规模|以下)"
)
_PCT_FRACTION = re.compile(r"([一二三四五六七八九十]|\d+)\s*分之\s*([一二三四五六七八九十]|\d+)")
_PCT_HALF = re.compile(r"过半|一半|半数")
_PCT_BARE_NUMBER = re.compile(
    r"(进度|完成率|完成进度)\s*(?:已达到|达到|已达|达|为|是|约|:)?\s*(\d{1,3})(?![\d.%])\s*$"
)
# Words before a percentage that make it a cue of progress ("完成70%", "进度达70%") ...
_PCT_CUE = re.compile(
    r"完成|进度|进展|总体|整体|累计|推进|形象|工程量|占(年度|全年)?(计划|任务|目标|总数|总量|总任务)|done|complete|progress|finished|overall"
)
# ... and words that make it some other figure ("同比增长12%", "覆盖率80%").
_PCT_METRIC = re.compile(
    r"增长|下降|降低|降至|提高|提升|占比|同比|环比|增幅|增速|比重|率|降幅|减少|增加|超过|达到|以上|占|growth|increase|decrease|rate|share"
)


@dataclass
class _Pct:
    value: float
    cued: bool


def _to_number(raw: str) -> float | None:
    if re.fullmatch(r"\d+(?:\.\d+)?", raw):
        return float(raw)
    value = cn_to_int(raw)
    return float(value) if value is not None else None


def _signed(m: re.Match[str]) -> float | None:  # "70%", "负5%", "百分之七十"
    value = _to_number(m.group(2))
    return -value if value is not None and m.group(1) else value


def _tenths(m: re.Match[str]) -> float | None:  # "七成"
    value = _to_number(m.group(1))
    return value * 10 if value is not None and value <= 10 else None


def _fraction(m: re.Match[str]) -> float | None:  # "三分之二"
    whole, part = _to_number(m.group(1)), _to_number(m.group(2))
    return 100 * part / whole if whole and part is not None and part <= whole else None


@dataclass(frozen=True)
class _PctForm:
    pattern: re.Pattern[str]
    value: Callable[[re.Match[str]], float | None]
    group: int = 0  # the part of the match that is the figure
    # False: a match that starts inside a figure an earlier form read is part of that one
    inside_figure: bool = True


_PCT_FORMS = (
    _PctForm(_PCT, _signed),
    _PctForm(_PCT_ZH, _signed),
    _PctForm(_PCT_CHENG, _tenths, inside_figure=False),
    _PctForm(_PCT_FRACTION, _fraction),
    _PctForm(_PCT_HALF, lambda m: 50.0),
    _PctForm(_PCT_BARE_NUMBER, lambda m: float(m.group(2)), group=2),
)


def _percents(clause: str) -> list[_Pct]:
    found: list[tuple[int, int, float]] = []  # (start, end, value)
    for form in _PCT_FORMS:
        for m in form.pattern.finditer(clause):
            if not form.inside_figure and any(s <= m.start() < e for s, e, _ in found):
                continue
            value = form.value(m)
            if value is not None:
                found.append((m.start(form.group), m.end(form.group), value))
    out: list[_Pct] = []
    for start, end, value in sorted(found):
        before = clause[max(0, start - 8) : start]
        rest = (clause[:start] + clause[end:]).strip()
        if _PCT_CUE.search(before) or _PCT_CUE.search(clause[end : end + 6]):
            out.append(_Pct(value, True))
        elif re.search(r"(提升|提高|增|升|达到|达)(至|到)?\s*$", before) and _PCT_CUE.search(clause[:start]):
            out.append(_Pct(value, True))  # "进度由60%提升至65%"
        elif _PCT_METRIC.search(before):
            continue
        else:
            # A clause that is little more than the figure ("70%", "目前60%左右") states progress.
            out.append(_Pct(value, len(re.sub(r"[^\w]", "", rest)) <= 6))
    return out


# --- completion ------------------------------------------------------------------------------------

_DONE_VERB = re.compile(
    r"(完成|办结|竣工验收|完工|竣工|办理完毕|落实完毕|整改完毕|完毕|销号|通过(竣工|终期|最终|整体)?验收|搞定|办完|做完|干完|搞完|弄完|落实到位|整改到位|全部落实(?!完毕|到位)|弄好|办好)"
    r"(?!情况|率|进度|量|值|时限|时间|期限|节点|后|时|前)"
)
_DONE_EN = re.compile(r"\b(completed|complete|done|finished|finish|accomplished|closed)\b")
# Work still to do takes back a claim: "已完成了，但还要补充一些材料".
_REMAINING = re.compile(
    r"还要|还需|仍需|尚需|尚有|还有(?!效)|剩余|剩下|还差|\b(remaining|still need|still have|left to do)\b"
)
_CANNOT = re.compile(r"完不成|完成不了|做不完|干不完|\bcannot (be )?(complete|finish)")
_NEGATED = re.compile(
    r"(尚未|暂未|仍未|还未|均未|并未|未能|从未|未|没有|没|还没|不能|无法|难以|不|待|有待|未予|not yet|not|never|n't|yet to)"
    r"\s*(能够|能|全部|完全|全面|如期|按期|按时|按计划|按要求|彻底|有|been|be|fully|all|quite|yet|been fully)*\s*$"
)
_EXPECTED = re.compile(
    r"预计|力争|计划|争取|确保|拟|将于|将在|将|预期|有望|可望|准备|打算|需要|需在|需于|应当|应于|务必|目标是|努力|期望|希望|"
    r"可以|能够|要在|应该|下一步|下步|待.{0,8}后|"
    r"\b(expect|expected|expects|will|plan|plans|planned|aim|aims|target|scheduled|should|hope|going to|estimated|"
    r"anticipate|to be|by the end|by end|next)\b"
)
_EXPECTED_FIGURE = re.compile(
    r"预计|力争|争取|确保|拟|将于|将在|预期|有望|可望|准备|打算|目标是|努力|期望|希望|下一步|下步|计划(于|在|年底|月底|\d)|"
    r"\b(will|expect|expected|plan to|planned|aim|target|by the end|next)\b"
)
_NOT_EXPECTED = re.compile(r"按计划|按要求|按照要求|按时间节点|按期|按时|如期|要求|计划内")
_FUTURE_DATE = re.compile(
    r"(?<![当目提此])前(?!期)|之前|以前|底|年内|月内|周内|下月|下周|下旬|中旬|上旬|明年|明天|近期|尽快|年底|月底|季度末|节前"
)
_ASSERTED = re.compile(
    r"已|均已|都已|顺利|圆满|全部|全面|提前|超额|申请|提请|请求|现已|\b(have|has|had|was|were|is|are|been|now|already)\b"
)
_HEDGE = re.compile(
    r"基本|大部|大体|大致|初步|接近|即将|快要|差不多|近乎|临近|部分|大多|多数|大半|局部|逐步|陆续|(?<!加|尽)快|"
    r"\b(almost|nearly|mostly|largely|basically|substantially|partly|partially|about to|close to|near|partial)\b"
)
_HEDGE_90 = re.compile(r"基本上?$|基本上?已|已基本|\b(basically|substantially)\b")
_STAGE = re.compile(
    r"第[一二三四五六七八九十\d]+(阶段|批|期|步|轮|部分|批次|季度|项|个|次)|前期|首批|首期|一期|二期|三期|阶段|初步|部分|局部|"
    r"主体|子项|分项|试点|上半年|半年|一季度|二季度|三季度|季度|初稿|"
    r"\b(phase|stage|step|first|second|third|batch|part of|preliminary|initial|round|pilot)\b"
)
_PARTICLES = re.compile(r"[了啦哈啊呀哦喔噢咯喽的呢嘞滴嘛哟耶]+")
_WHOLE_OBJECT = re.compile(
    r"(全部|所有|各项|全年|年度|既定|本项|该项|此项|相关|上述|交办|本次|这项|督办|本年度|今年)?的?"
    r"(任务|工作|目标任务|工作任务|建设任务|目标|事项|整改|整改任务|项目|指标|督办事项|交办事项)?(任务|工作)?"
    r"(待(验收|审核|核查|复核|审批|批复|销号)|并.*|且.*|后.*)?"
)
_WHOLE_SUBJECT = re.compile(
    # Who did it and of what, in any order ("这项工作我们", "我局该项任务"): the unit, or the task as a whole.
    r"(?:我们|我厅|我局|我委|我办|我市|我县|我区|我省|我单位|我司|我部|本单位|本部门|我部门|我镇|我乡|我中心|我院|"
    r"该项|本项|此项|这项|各项|全部|所有|相关|上述|交办|本次|这个|这些|此次|年度|全年|既定|各|督办|该|本|此|这|"
    r"工作|任务|事项|目标|整改|项目|承担|负责|牵头|分工|这边|的)*"
)
_TIME_OR_MANNER = re.compile(
    r"按时间节点|按节点|截至目前|截止目前|截至\S*?日|截止\S*?日|目前|现已|本周|本月|本季度|今年以来|近日|日前|今天|今日|昨天|昨日|上周|"
    r"已于|于\S*?日|\d+年|\d+月\d+日|\d+月|\d+日|底前|之前|以前|前|现|已经|均已|都已|已|均|都|顺利|圆满|按要求|按照要求|按时|按期|如期|提前|按计划|"
    r"全面|全部|超额|高质量|保质保量|保质|保量|高标准|申请|提请|请求|特此|经.*?后|经过.*?后|"
    r"\b(we|we've|i|i've|our|team|unit|department|the|this|task|tasks|work|assignment|project|job|it|all|everything|has|have|"
    r"had|is|are|was|were|been|be|now|already|fully|successfully|today|yesterday|this week|last week|item)\b"
)
_EN_WHOLE_OBJECT = re.compile(
    r"(?:(?:the|this|our|whole|entire|task|tasks|work|assignment|project|job|everything|all|it|items|already|on|time|"
    r"ahead|of|schedule|as|required|successfully|today|week|last|fully|now)\s*)*(?:and .*)?"
)


@dataclass
class _Reading:
    claim: bool = False
    unclaim: bool = False  # the reply says the whole is not (yet) done or will be done later
    progress: bool = False
    hedge_90: bool = False
    expectation: bool = False
    stage: bool = False
    over: bool = False  # 超额完成: a percentage above 100 is meant


def _strip(text: str) -> str:
    return re.sub(r"[^\w%]+", "", _PARTICLES.sub("", text))


def _read_completion(clause: str, question: bool, r: _Reading) -> None:
    english = re.search(r"[a-z]", clause) is not None and not re.search(r"[\u4e00-\u9fff]", clause)
    verbs = list((_DONE_EN if english else _DONE_VERB).finditer(clause))
    if not question and _CANNOT.search(clause):
        r.progress = r.unclaim = True
    for m in verbs:
        pre, post = clause[: m.start()], clause[m.end() :]
        if question:
            continue
        r.progress = True
        if _NEGATED.search(pre) or (english and re.search(r"\bnot\b|n't\b|\bincomplete\b", pre)):
            r.unclaim = True
            continue
        if english and re.match(r"\s*(yet|soon|next|by|in \d|within)\b", post):
            r.unclaim = r.expectation = True
            continue
        if m.group(0) in ("销号", "办结") and re.search(r"(可以|可予|请予|予以|(?<!申)请)$", pre):
            r.claim = True  # "请予销号", "可以办结了": a request for closure is the claim itself
            continue
        asserted = (
            bool(_ASSERTED.search(pre)) or post.startswith("了") or bool(re.match(r"\s*(already)\b", post))
        )
        if _EXPECTED.search(_NOT_EXPECTED.sub("", pre)) or (not asserted and _FUTURE_DATE.search(pre)):
            r.expectation = True
            if _is_whole_object(post, english):
                r.unclaim = True
            continue
        if _HEDGE.search(pre) or (english and _HEDGE.search(post)):
            if _HEDGE_90.search(pre) and _is_whole_object(post, english):
                r.hedge_90 = True
            continue
        if _STAGE.search(clause):
            r.stage = True
            continue
        if "超额" in pre:
            r.claim = r.over = True
            continue
        if not _is_whole_object(post, english) or _percents(post):
            continue
        if not _is_whole_subject(pre, english):
            continue
        r.claim = True


def _is_whole_object(post: str, english: bool) -> bool:
    if english:
        return _EN_WHOLE_OBJECT.fullmatch(re.sub(r"[^a-z ]+", " ", post).strip()) is not None
    post = _strip(post)
    if post.startswith("全部"):
        return True
    return _WHOLE_OBJECT.fullmatch(post) is not None


def _is_whole_subject(pre: str, english: bool) -> bool:
    rest = _TIME_OR_MANNER.sub("", pre.rsplit(":", 1)[-1])  # "报告：该事项已…": a heading is no subject
    if english:
        return not re.sub(r"[^a-z]+", "", rest)
    return _WHOLE_SUBJECT.fullmatch(_strip(rest)) is not None


# --- blocking and progress -------------------------------------------------------------------------

_BLOCKED = re.compile(
    r"受阻|阻碍|阻力|障碍|推不动|推不下去|缺(资金|钱|人手|用地|指标|经费)|无法(办理|开工|实施|动工|落地|开展)|(一直|迟迟|始终|至今)(没有?|未|不)(批|解决|到位|落实|回复|批复|下达)|推进不动|没法(推进|动工|开工|实施|干)|难度(较|很|比较)?大|暂缓|卡住|卡壳|卡脖子|停滞|停工|停摆|搁置|暂停|无法推进|难以推进|推进困难|困难|难题|瓶颈|制约|堵点|"
    r"需(要)?.{0,8}协调|请求.{0,8}协调|提请.{0,8}协调|恳请.{0,8}协调|请.{0,10}协调|请求支持|需(要)?.{0,8}支持|帮助解决|"
    r"资金缺口|缺口|(资金|用地|土地|指标|经费|要素|审批|手续|批复|征地|拆迁)\S{0,4}(未|尚未|没有|暂未|不|还没有|还没)(落实|到位|解决|批复|获批|办理|批下来)|"
    r"等待.{0,8}(审批|批复|审核)|等待上级|卡在|待批复|未获批|存在(的)?问题|遇到(的)?问题|面临(的)?问题|"
    r"\b(blocked|blocker|blockers|blocking|stuck|waiting for|awaiting|pending approval|on hold|held up|obstacle|obstacles|"
    r"bottleneck|funding gap|delayed due to|delayed by|shortage|cannot proceed|can't proceed|difficulty|difficulties|need coordination|needs coordination|"
    r"need help|needs help|need support|issue|issues|problem|problems)\b"
)
_BLOCKED_NEGATION = re.compile(
    r"(暂无|暂未|没有|没啥|没什么|没|无|不|不存在|尚无|并无|并未|未|无需|不需要|不需|不用|无须|克服|化解|排除|消除|解决|已解决|"
    r"\bno\b|\bnot\b|\bwithout\b|\bnever\b|\bnone\b|\bany\b)"
    r"(遇到|发现|出现|存在|明显|重大|大的|什么|任何|其他|特别|的|需要|需|了|\s|any|major|other|real|be)*$"
)
_BLOCKED_NONE_AFTER = re.compile(r"^[^,;]{0,6}?[:：]\s*(暂无|无|没有|none|nil|no)\s*$|^\s*(暂无|无|没有)\s*$")
_PROGRESS = re.compile(
    r"推进|进行|开展|预计|力争|争取|计划|实施|启动|办理|施工|建设|组织|召开|部署|落实|调度|督导|推动|正在|加快|加紧|有序|稳步|持续|继续|"
    r"进展|进度|顺利|开始|准备|收尾|扫尾|正常|无变化|没有变化|滞后|赶工|延期|试运行|调试|快了|差不多了|完成率|(没有|没|无|未发现|未出现|不存在|暂无)(明显|重大|什么|任何)?(问题|异常)|编制|起草|对接|走访|调研|排查|整改|印发|制定|报送|上报|审核|审批|招标|签约|开工|验收|培训|摸底|"
    r"已(?!签收|收到|阅|知悉|知道|了解|读|转)[\u4e00-\u9fff]|"
    r"\b(in progress|on track|ongoing|underway|under way|progressing|working on|proceeding|on schedule|moving forward|"
    r"no progress|no update|expected|expect|will|plan|started|begun|launched|continuing|going well|going smoothly|in hand|drafted|submitted|held|"
    r"progress)\b"
)


def _blocked(clause: str) -> tuple[bool, bool]:
    """(blocked, a blocker was mentioned and denied)."""
    blocked = denied = False
    for m in _BLOCKED.finditer(clause):
        if _BLOCKED_NEGATION.search(clause[max(0, m.start() - 10) : m.start()]) or _BLOCKED_NONE_AFTER.match(
            clause[m.end() :]
        ):
            denied = True
        elif clause[m.end() : m.end() + 2] in ("已解", "已经") or re.match(
            r"已(得到)?(解决|化解|协调|排除)", clause[m.end() :]
        ):
            denied = True
        else:
            blocked = True
    return blocked, denied


# --- the reader ------------------------------------------------------------------------------------


def parse_progress(text: str) -> Parsed:
    text = _normalise(text.strip())
    if not text:
        return Parsed(None, None)
    r = _Reading()
    blocked = False
    cued: list[float] = []
    loose: list[float] = []
    for clause, question in _clauses(text):
        _read_completion(clause, question, r)
        if question:
            continue
        if _REMAINING.search(clause):
            r.unclaim = r.progress = True
        clause_blocked, denied = _blocked(clause)
        blocked = blocked or clause_blocked
        if denied or _PROGRESS.search(clause):
            r.progress = True
        # A figure inside an expectation or a stage ("力争年底完成80%", "一期完成100%") is not
        # the task's progress.
        if (
            _EXPECTED_FIGURE.search(clause)
            or (_FUTURE_DATE.search(clause) and not re.search(r"已|了", clause))
        ) and not re.search(r"目前|现已|已完成|已达|累计", clause):
            continue
        if _STAGE.search(clause):
            continue
        for p in _percents(clause):
            (cued if p.cued else loose).append(p.value)
    figures = cued or loose
    invalid: int | None = None
    percent: int | None = None
    if figures:
        value = figures[-1]
        if 0 <= value <= 100:
            percent = int(value + 0.5)
        elif r.over and value > 100:
            percent = 100
        else:
            invalid = int(value)
    if blocked:
        return Parsed("blocked", percent if percent is not None else (90 if r.hedge_90 else None), invalid)
    if r.claim and r.over and not r.unclaim:
        return Parsed("done", 100)
    if not r.unclaim and ((r.claim and percent in (None, 100) and invalid is None) or percent == 100):
        return Parsed("done", 100)
    if percent is None and r.hedge_90:
        percent = 90
    if (
        r.progress
        or r.claim
        or r.expectation
        or r.stage
        or percent is not None
        or invalid is not None
        or r.hedge_90
    ):
        return Parsed("progress", percent, invalid)
    return Parsed(None, None)


# --- measuring against a labelled corpus ------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    total: int
    correct: int  # status and percent (and an invalid percent) as labelled
    status_correct: int
    false_completions: int  # labelled not done, read as done
    missed_completions: int  # labelled done, read as something else
    misread: tuple[tuple[str, Parsed, Parsed], ...]

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0


def read_corpus(path: Path) -> list[tuple[str, Parsed]]:
    """Rows of `status<TAB>percent<TAB>text`: status progress|done|blocked|none, percent a number, `-`
    for none or `!N` for a stated but invalid N; `\\n` in the text is a line break."""
    rows: list[tuple[str, Parsed]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        status, percent, text = line.split("\t", 2)
        invalid = int(percent[1:]) if percent.startswith("!") else None
        value = int(percent) if percent not in ("-", "") and invalid is None else None
        rows.append((text.replace("\\n", "\n"), Parsed(None if status == "none" else status, value, invalid)))
    return rows


def score(rows: Iterable[tuple[str, Parsed]]) -> Score:
    total = correct = status_correct = false_done = missed_done = 0
    misread: list[tuple[str, Parsed, Parsed]] = []
    for text, want in rows:
        got = parse_progress(text)
        total += 1
        status_correct += got.status == want.status
        if got == want:
            correct += 1
        else:
            misread.append((text, want, got))
        false_done += got.status == "done" and want.status != "done"
        missed_done += want.status == "done" and got.status != "done"
    return Score(total, correct, status_correct, false_done, missed_done, tuple(misread))


def main(argv: list[str] | None = None) -> int:
    """`python -m bot.domain.parsing [--corpus tests/data/replies.tsv] [-v]`: the reader's figures."""
    args = list(sys.argv[1:] if argv is None else argv)
    verbose = "-v" in args
    args = [a for a in args if a != "-v"]
    path = Path(args[args.index("--corpus") + 1] if "--corpus" in args else "tests/data/replies.tsv")
    rows = read_corpus(path)
    result = score(rows)
    labels = Counter(want.status or "none" for _, want in rows)
    print(
        f"corpus: {path} ({result.total} replies: "
        + ", ".join(f"{k} {v}" for k, v in sorted(labels.items()))
        + ")"
    )
    print(f"accuracy (status and percent): {result.correct}/{result.total} = {result.accuracy:.1%}")
    print(
        f"status accuracy: {result.status_correct}/{result.total} = {result.status_correct / result.total:.1%}"
    )
    print(f"false completions (not done, read as done): {result.false_completions}")
    print(f"missed completions (done, read as other): {result.missed_completions}")
    if verbose:
        for text, want, got in result.misread:
            print(
                f"  want {want.status}/{want.percent}/{want.invalid_percent}"
                f"  got {got.status}/{got.percent}/{got.invalid_percent}  {text!r}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
