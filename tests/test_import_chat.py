"""Import in chat through the real Dispatcher: a document becomes a preview, corrected, then saved."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from bot.services.invites import add_coordinator
from bot.services.units import sync_directory
from models import Assignment, Event, ImportDraft, Policy, Task, Unit
from tests.conftest import SEED, Harness, import_seed

COORD = 1001
OTHER_COORD = 1002

DOC = """江西省人民政府办公厅关于印发江西省加快数字经济发展若干措施的通知
赣府厅字〔2026〕9号

各设区市人民政府，省政府各部门：
现将《江西省加快数字经济发展若干措施》印发给你们，请认真贯彻执行。

一、加强数字基础设施建设。加快5G网络建设，2026年底前实现乡镇全覆盖。推进算力中心建设，打造区域算力枢纽。（责任单位：省工业和信息化厅、省通信管理局、省数字经济促进中心）
二、培育数字产业集群。支持南昌、赣州建设软件产业园，每季度报送进展。（责任单位：省发展改革委、省科技厅）
三、强化要素保障。统筹安排专项资金支持数字经济项目。（责任单位：省财政厅）
"""


async def _coordinators(h: Harness, *, seed: bool = False) -> None:
    if seed:
        await import_seed(h.app)
    async with h.app.work() as uow:
        await sync_directory(uow, h.app.directory, "test")
        for uid in (COORD, OTHER_COORD):
            await add_coordinator(uow, user_id=uid, name="督办人", actor="test")
    h.srv.user(COORD, first_name="Coord")
    h.srv.user(OTHER_COORD, first_name="Other")


async def _count(h: Harness, model, *where) -> int:  # type: ignore[no-untyped-def]
    async with h.app.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _preview(h: Harness):  # type: ignore[no-untyped-def]
    return next(s for s in reversed(h.srv.messages_to(COORD)) if "导入预览" in (s.text or ""))


def _current(h: Harness, sent):  # type: ignore[no-untyped-def]
    return h.srv.message(COORD, sent.message_id)


async def test_a_text_file_is_previewed_corrected_and_saved_on_confirm(harness: Harness) -> None:
    h = harness
    await _coordinators(h)
    h.srv.send_document(COORD, "数字经济措施.txt", DOC.encode("gb18030"))
    await h.deliver()
    preview = _preview(h)
    text = preview.text or ""
    assert "3 条措施，4 项任务" in text
    assert "赣府厅字〔2026〕9号" in text
    assert "省工业和信息化厅" in text and "每季度" in text and "2026-12-31" in text
    assert "单位待确认" in text and "省数字经济促进中心" in text
    assert "没有截止日期" in text
    # Tasks are written with the code the policy will get, as everywhere else.
    assert "P1-1.1" in text and "P1-3.1" in text and "\n1.1 " not in text
    # Nothing is live before the confirm.
    assert await _count(h, Policy) == 0
    assert await _count(h, ImportDraft, ImportDraft.state == "open") == 1

    # Correct the lead of 3.1: search by a short name, choose from the matches, done.
    h.srv.press_button(COORD, preview, "✏️P1-3.1")
    await h.deliver()
    h.srv.press_button(COORD, h.srv.messages_to(COORD)[-1], "牵头单位")
    await h.deliver()
    h.srv.send_text(COORD, "发改")
    await h.deliver()
    choices = h.srv.messages_to(COORD)[-1]
    assert any("省发展改革委" in b for b in choices.button_texts)
    h.srv.press_button(COORD, choices, "省财政厅")  # unchoose the document's lead
    await h.deliver()
    h.srv.press_button(COORD, choices, "省发展改革委")
    await h.deliver()
    h.srv.press_button(COORD, choices, "完成")
    await h.deliver()
    preview = _preview(h)
    assert "牵头：省发展改革委" in (preview.text or "").split("3.1")[1]

    # The unit under review is mapped to an existing unit.
    h.srv.press_button(COORD, preview, "待确认：省数字经济促进中心")
    await h.deliver()
    h.srv.press_button(COORD, h.srv.messages_to(COORD)[-1], "对应已有单位")
    await h.deliver()
    h.srv.send_text(COORD, "发展改革")
    await h.deliver()
    h.srv.press_button(COORD, h.srv.messages_to(COORD)[-1], "省发展改革委")
    await h.deliver()
    preview = _preview(h)
    assert "单位待确认" not in (preview.text or "")

    # Another coordinator cannot press this draft's buttons.
    h.srv.press(OTHER_COORD, preview.message_id, preview.callback_data[-2], chat_id=COORD)
    await h.deliver()
    assert await _count(h, Policy) == 0

    confirm = next(d for d in preview.callback_data if ":ok:" in d)
    h.srv.press_button(COORD, preview, "确认导入")
    await h.deliver()
    assert "已导入政策" in (h.srv.messages_to(COORD)[-1].text or "")
    async with h.app.sessions() as session:
        policy = (await session.scalars(select(Policy))).one()
        assert policy.doc_number == "赣府厅字〔2026〕9号"
        leads = (
            (
                await session.execute(
                    select(Unit.name)
                    .join(Assignment, Assignment.unit_id == Unit.id)
                    .join(Task, Task.id == Assignment.task_id)
                    .where(Task.policy_id == policy.id, Assignment.role == "lead")
                )
            )
            .scalars()
            .all()
        )
        assert "省财政厅" not in leads and "省发展改革委" in leads
        assert await session.scalar(select(Unit).where(Unit.name == "省数字经济促进中心")) is None
        kinds = set((await session.scalars(select(Event.kind).where(Event.entity == "import_draft"))).all())
        assert {
            "import.previewed",
            "import.corrected.lead",
            "import.corrected.unit_mapped",
            "import.confirmed",
        } <= kinds
        corrected = await session.scalar(select(Event).where(Event.kind == "import.corrected.lead"))
        assert corrected is not None and corrected.actor == f"tg:{COORD}"
        assert corrected.data == {"where": "3.1", "before": ["省财政厅"], "after": ["省发展改革委"]}
    # A second press of the confirm does not import twice.
    h.srv.press(COORD, preview.message_id, confirm)
    await h.deliver()
    assert await _count(h, Policy) == 1


async def test_a_docx_is_imported_and_the_seed_is_paged(harness: Harness) -> None:
    from docx import Document

    h = harness
    await _coordinators(h)
    doc = Document()
    for line in DOC.splitlines():
        doc.add_paragraph(line)
    buffer = io.BytesIO()
    doc.save(buffer)
    h.srv.send_document(COORD, "措施.docx", buffer.getvalue())
    await h.deliver()
    assert "4 项任务" in (_preview(h).text or "")

    h.srv.send_document(COORD, "seed.txt", SEED.read_bytes())
    await h.deliver()
    first = _preview(h)
    assert all(len(s.text or "") <= 4096 for s in h.srv.messages_to(COORD))
    assert "第 1/" in (first.text or "")
    h.srv.press_button(COORD, first, "下一页")
    await h.deliver()
    page2 = _current(h, first)
    assert "第 2/" in page2["text"] and page2["text"] != first.text
    h.srv.press_button(COORD, first, "上一页")
    await h.deliver()
    assert "第 1/" in _current(h, first)["text"]

    h.srv.send_document(COORD, "picture.png", b"\x89PNG....")
    await h.deliver()
    assert "不支持" in (h.srv.messages_to(COORD)[-1].text or "")


async def test_pasted_text_and_corrections_in_the_preview(harness: Harness) -> None:
    h = harness
    await _coordinators(h)
    h.srv.command(COORD, "/import")
    await h.deliver()
    h.srv.send_text(COORD, DOC)
    await h.deliver()
    preview = _preview(h)
    # Split 1.1 after its first sentence? 1.1 has one sentence: split by typed text instead.
    h.srv.press_button(COORD, preview, "✏️P1-1.1")
    await h.deliver()
    h.srv.press_button(COORD, h.srv.messages_to(COORD)[-1], "拆分")
    await h.deliver()
    h.srv.send_text(COORD, "加快5G网络建设，")
    await h.deliver()
    preview = _preview(h)
    assert "5 项任务" in (preview.text or "")
    # Merge the two halves back.
    h.srv.press_button(COORD, preview, "✏️P1-1.1")
    await h.deliver()
    h.srv.press_button(COORD, h.srv.messages_to(COORD)[-1], "合并")
    await h.deliver()
    h.srv.press_button(COORD, h.srv.messages_to(COORD)[-1], "1.2")
    await h.deliver()
    assert "4 项任务" in (_preview(h).text or "")
    # A past deadline is refused; a future one set.
    h.srv.press_button(COORD, _preview(h), "✏️P1-3.1")
    await h.deliver()
    h.srv.press_button(COORD, h.srv.messages_to(COORD)[-1], "截止日期")
    await h.deliver()
    h.srv.send_text(COORD, "2025-01-01")
    await h.deliver()
    assert "不能早于今天（2025-09-23）" in (h.srv.messages_to(COORD)[-1].text or "")
    h.srv.press_button(COORD, _preview(h), "✏️P1-3.1")
    await h.deliver()
    h.srv.press_button(COORD, h.srv.messages_to(COORD)[-1], "截止日期")
    await h.deliver()
    h.srv.send_text(COORD, "2026-06-30")
    await h.deliver()
    assert "2026-06-30" in (_preview(h).text or "").split("3.1")[1]
    # One deadline for a whole measure, then for the whole document: the warning goes.
    h.srv.press_button(COORD, _preview(h), "✏️P1-1.1")
    await h.deliver()
    h.srv.press_button(COORD, h.srv.messages_to(COORD)[-1], "措施1截止日期")
    await h.deliver()
    assert "措施1的全部任务" in (h.srv.messages_to(COORD)[-1].text or "")
    h.srv.send_text(COORD, "2026-03-31")
    await h.deliver()
    assert (_preview(h).text or "").split("3.1")[0].count("2026-03-31") == 2
    h.srv.press_button(COORD, _preview(h), "统一设定截止日期")
    await h.deliver()
    h.srv.send_text(COORD, "2026-09-30")
    await h.deliver()
    assert "没有截止日期" not in (_preview(h).text or "")
    h.srv.press_button(COORD, _preview(h), "✏️P1-3.1")
    await h.deliver()
    h.srv.press_button(COORD, h.srv.messages_to(COORD)[-1], "截止日期")
    await h.deliver()
    h.srv.send_text(COORD, "2026-06-30")
    await h.deliver()
    # Rhythm, text, drop.
    h.srv.press_button(COORD, _preview(h), "✏️P1-3.1")
    await h.deliver()
    h.srv.press_button(COORD, h.srv.messages_to(COORD)[-1], "报送频次")
    await h.deliver()
    h.srv.press_button(COORD, h.srv.messages_to(COORD)[-1], "每月")
    await h.deliver()
    assert "每月" in (_preview(h).text or "").split("3.1")[1]
    h.srv.press_button(COORD, _preview(h), "✏️P1-1.2")
    await h.deliver()
    h.srv.press_button(COORD, h.srv.messages_to(COORD)[-1], "删除")
    await h.deliver()
    preview = _preview(h)
    assert "3 项任务" in (preview.text or "") and "算力中心" not in (preview.text or "")
    h.srv.press_button(COORD, preview, "确认导入")
    await h.deliver()
    async with h.app.sessions() as session:
        tasks = (await session.scalars(select(Task).order_by(Task.id))).all()
        assert len(tasks) == 3
        t31 = next(t for t in tasks if "专项资金" in t.text)
        assert t31.due_on is not None and t31.due_on.isoformat() == "2026-06-30" and t31.rhythm == "monthly"


async def test_an_abandoned_preview_expires(harness: Harness) -> None:
    h = harness
    await _coordinators(h)
    h.srv.send_document(COORD, "a.txt", DOC.encode())
    await h.deliver()
    preview = _preview(h)
    h.app.clock.advance(hours=25)  # type: ignore[attr-defined]
    h.srv.press_button(COORD, preview, "确认导入")
    await h.deliver()
    assert "已过期" in (h.srv.messages_to(COORD)[-1].text or "")
    assert await _count(h, Policy) == 0
    async with h.app.sessions() as session:
        draft = (await session.scalars(select(ImportDraft))).one()
        assert draft.state == "expired" and draft.decomposition is None and draft.source_text == ""


async def test_a_revised_document_shows_its_changes_and_applies_them_on_confirm(harness: Harness) -> None:
    h = harness
    await _coordinators(h, seed=True)
    seed = SEED.read_text(encoding="utf-8")
    # The revision drops the measure-2 sentence about 宜春 and rewords nothing else.
    start = seed.index("宜春做大做强")
    end = seed.index("。", start) + 1
    revised = seed[:start] + seed[end:]
    h.srv.send_document(COORD, "seed-rev.txt", revised.encode())
    await h.deliver()
    preview = _preview(h)
    assert "修订版" in (preview.text or "") and "删除任务" in (preview.text or "")
    before = await _count(h, Task, Task.active.is_(True))
    assert await _count(h, Event, Event.kind == "task.retired") == 0
    h.srv.press_button(COORD, preview, "确认导入")
    await h.deliver()
    assert "已应用修订版" in (h.srv.messages_to(COORD)[-1].text or "")
    assert await _count(h, Policy) == 1
    assert await _count(h, Task, Task.active.is_(True)) == before - 1
    assert await _count(h, Event, Event.kind == "task.retired") == 1

    # The same document again: nothing to confirm.
    h.srv.send_document(COORD, "seed-rev.txt", revised.encode())
    await h.deliver()
    preview = _preview(h)
    assert "相同" in (preview.text or "") and not any("确认导入" in b for b in preview.button_texts)


async def test_an_english_speaking_coordinator_reads_a_revisions_changes_in_english(harness: Harness) -> None:
    h = harness
    await _coordinators(h, seed=True)
    h.srv.command(COORD, "/lang en")
    await h.deliver()
    seed = SEED.read_text(encoding="utf-8")
    start = seed.index("宜春做大做强")
    revised = seed[:start] + seed[seed.index("。", start) + 1 :]
    h.srv.send_document(COORD, "seed-rev.txt", revised.encode())
    await h.deliver()
    preview = next(s for s in reversed(h.srv.messages_to(COORD)) if "Import preview" in (s.text or ""))
    text = preview.text or ""
    assert "revised version of policy P1" in text and "1 tasks removed:" in text
    assert "\n- P1-2." in text and "删除任务" not in text
    h.srv.press_button(COORD, preview, "✅ Confirm import")
    await h.deliver()
    done = h.srv.messages_to(COORD)[-1].text or ""
    assert "Applied the revised version to policy P1" in done and "Removed task: P1-2." in done
    assert "删除任务" not in done
