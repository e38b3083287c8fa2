"""Corrections of live tasks after dispatch, through the real Dispatcher: who is told, the events,
the re-planned follow-ups, and deadlines refused in the past."""

from __future__ import annotations

from sqlalchemy import select

from bot.services.invites import add_coordinator
from bot.services.units import sync_directory
from models import Assignment, Event, Followup, Task, Unit, UnitAlias
from tests.conftest import Harness
from tests.test_bot_flow import COORD, GONGXIN, NANCHANG_GROUP, YICHUN, dispatch_and_find


async def _task(h: Harness, text: str) -> Task:
    async with h.app.sessions() as session:
        return (await session.scalars(select(Task).where(Task.text.contains(text)))).one()


async def _assignments(h: Harness, task_id: int) -> dict[str, Assignment]:
    async with h.app.sessions() as session:
        rows = (
            await session.execute(
                select(Unit.name, Assignment)
                .join(Unit, Unit.id == Assignment.unit_id)
                .where(Assignment.task_id == task_id)
            )
        ).all()
        return {name: a for name, a in rows}


async def _pending(h: Harness, assignment_id: int) -> list[Followup]:
    async with h.app.sessions() as session:
        return list(
            (
                await session.scalars(
                    select(Followup).where(
                        Followup.assignment_id == assignment_id, Followup.state == "pending"
                    )
                )
            ).all()
        )


async def _events(h: Harness, kind: str) -> list[Event]:
    async with h.app.sessions() as session:
        return list((await session.scalars(select(Event).where(Event.kind == kind).order_by(Event.id))).all())


def _last(h: Harness, chat: int) -> str:
    return h.srv.messages_to(chat)[-1].text or ""


async def _menu(h: Harness, ref: str, button: str) -> None:
    h.srv.command(COORD, f"/fix {ref}")
    await h.deliver()
    assert "更正任务" in _last(h, COORD)
    h.srv.press_button(COORD, h.srv.messages_to(COORD)[-1], button)
    await h.deliver()


async def test_changing_the_lead_after_dispatch_moves_the_task(harness: Harness) -> None:
    h = harness
    await dispatch_and_find(h)
    task = await _task(h, "宜春做大做强")
    yichun = (await _assignments(h, task.id or 0))["宜春市人民政府"]
    assert yichun.status == "assigned" and await _pending(h, yichun.id or 0)
    gongxin_before = len(h.srv.messages_to(GONGXIN))

    await _menu(h, "2.2", "牵头单位")
    h.srv.send_text(COORD, "工信")
    await h.deliver()
    choices = h.srv.messages_to(COORD)[-1]
    h.srv.press_button(COORD, choices, "宜春市人民政府")  # unchoose
    await h.deliver()
    h.srv.press_button(COORD, choices, "省工业和信息化厅")
    await h.deliver()
    h.srv.press_button(COORD, choices, "完成")
    await h.deliver()

    assert "已更正任务 P1-2.2" in _last(h, COORD) and "不再负责：宜春市人民政府" in _last(h, COORD)
    assert "不再由贵单位负责" in _last(h, YICHUN) and "宜春做大做强" in _last(h, YICHUN)
    gained = h.srv.messages_to(GONGXIN)[gongxin_before:]
    assert any("交办任务" in (s.text or "") and "宜春做大做强" in (s.text or "") for s in gained)
    rows = await _assignments(h, task.id or 0)
    assert rows["宜春市人民政府"].status == "cancelled"
    assert rows["省工业和信息化厅"].status == "assigned" and rows["省工业和信息化厅"].role == "lead"
    # Follow-ups: the lost assignment's are cancelled, the gained one's planned.
    assert await _pending(h, yichun.id or 0) == []
    assert await _pending(h, rows["省工业和信息化厅"].id or 0)
    corrected = (await _events(h, "task.corrected.lead"))[-1]
    assert corrected.actor == f"tg:{COORD}" and corrected.entity_id == task.id
    assert corrected.data == {"before": ["宜春市人民政府"], "after": ["省工业和信息化厅"]}
    cancelled = [e for e in await _events(h, "assignment.cancelled") if e.entity_id == yichun.id]
    assert cancelled and cancelled[-1].from_state == "assigned"


async def test_text_rhythm_and_deadline_corrections_after_dispatch(harness: Harness) -> None:
    h = harness
    await dispatch_and_find(h)
    task = await _task(h, "宜春做大做强")
    yichun = (await _assignments(h, task.id or 0))["宜春市人民政府"]

    await _menu(h, "2.2", "内容")
    h.srv.send_text(COORD, "宜春做大做强锂电产业链，2026年建成全国重要的锂电池基地。")
    await h.deliver()
    texts = [s.text or "" for s in h.srv.messages_to(YICHUN)[-2:]]
    assert "内容已由督办人更正" in texts[0] and "建成全国重要的锂电池基地" in texts[1]
    assert (await _events(h, "task.corrected.text"))[-1].data["after"].startswith("宜春做大做强锂电")

    await _menu(h, "2.2", "报送频次")
    kinds_before = {f.kind for f in await _pending(h, yichun.id or 0)}
    h.srv.press_button(COORD, h.srv.messages_to(COORD)[-1], "每月")
    await h.deliver()
    assert "报送频次已调整为：每月" in _last(h, YICHUN)
    assert (await _task(h, "宜春做大做强")).rhythm == "monthly"
    assert [e for e in await _events(h, "assignment.rhythm_changed") if e.entity_id == yichun.id]
    assert await _pending(h, yichun.id or 0) and kinds_before

    # A deadline in the past is refused, for a task, and for /extend.
    h.srv.command(COORD, "/due 2.2 2025-09-01")
    await h.deliver()
    assert "不能早于今天（2025-09-23）" in _last(h, COORD)
    h.srv.command(COORD, f"/extend #{yichun.id} 2025-09-01")
    await h.deliver()
    assert "不能早于今天" in _last(h, COORD)
    # A whole measure's deadline: every task of measure 2, its units told, deadline warnings planned.
    assert not [f for f in await _pending(h, yichun.id or 0) if f.kind == "deadline_warning"]
    h.srv.command(COORD, "/due 2 2025-10-15")
    await h.deliver()
    assert "已把 5 项任务的截止日期设为 2025-10-15" in _last(h, COORD)
    assert "截止日期已由督办人调整为 2025-10-15" in _last(h, YICHUN)
    rows = await _assignments(h, task.id or 0)
    assert (
        rows["宜春市人民政府"].due_on is not None
        and rows["宜春市人民政府"].due_on.isoformat() == "2025-10-15"
    )
    warnings = [f for f in await _pending(h, yichun.id or 0) if f.kind == "deadline_warning"]
    assert warnings and all((f.payload or {}).get("due_on") == "2025-10-15" for f in warnings)
    assert len(await _events(h, "task.corrected.due")) == 5


async def test_split_merge_and_drop_after_dispatch(harness: Harness) -> None:
    h = harness
    await dispatch_and_find(h)
    task = await _task(h, "宜春做大做强")
    await _menu(h, "2.2", "拆分")
    h.srv.send_text(COORD, "宜春做大做强产业链，")
    await h.deliver()
    assert "已更正任务 P1-2.2" in _last(h, COORD)
    second = await _task(h, "保障锂等关键资源供给安全")
    assert second.id != task.id and second.seq == 6
    assert (await _task(h, "宜春做大做强产业链")).text == "宜春做大做强产业链，"
    new = (await _assignments(h, second.id or 0))["宜春市人民政府"]
    assert new.status == "assigned" and await _pending(h, new.id or 0)
    assert any(
        "交办任务" in (s.text or "") and "保障锂等关键资源" in (s.text or "")
        for s in h.srv.messages_to(YICHUN)
    )
    assert (await _events(h, "task.corrected.split"))[-1].data["after"]["new_task"] == second.id

    # Merge 2.6 back into 2.2: 2.6 retired, its assignment cancelled (the unit still holds 2.2).
    await _menu(h, "2.2", "合并")
    h.srv.press_button(COORD, h.srv.messages_to(COORD)[-1], "2.6")
    await h.deliver()
    merged = await _task(h, "宜春做大做强产业链")
    assert "保障锂等关键资源" in merged.text
    async with h.app.sessions() as session:
        assert (await session.get(Task, second.id)).active is False  # type: ignore[union-attr]
        assert (await session.get(Assignment, new.id)).status == "cancelled"  # type: ignore[union-attr]
    assert await _pending(h, new.id or 0) == []

    # Drop 2.5 (南昌、抚州、上饶): 南昌's group is told, assignments cancelled, follow-ups gone.
    nanchang_task = await _task(h, "支持南昌、抚州、上饶")
    nanchang = (await _assignments(h, nanchang_task.id or 0))["南昌市人民政府"]
    await _menu(h, "2.5", "删除")
    h.srv.press_button(COORD, h.srv.messages_to(COORD)[-1], "确定删除")
    await h.deliver()
    assert "不再由贵单位负责" in _last(h, NANCHANG_GROUP)
    rows = await _assignments(h, nanchang_task.id or 0)
    assert {a.status for a in rows.values()} == {"cancelled"}
    assert await _pending(h, nanchang.id or 0) == []
    retired = [e for e in await _events(h, "task.retired") if e.entity_id == nanchang_task.id]
    assert retired and retired[-1].actor == f"tg:{COORD}"
    # The dropped task cannot be corrected any more; a stale button says so.
    h.srv.command(COORD, "/fix 2.5")
    await h.deliver()
    assert "没有找到任务" in _last(h, COORD)


async def test_a_unit_under_review_is_mapped_after_the_confirm(harness: Harness) -> None:
    from bot.importer import decompose
    from bot.services.policies import import_policy
    from tests.test_import_chat import DOC

    h = harness
    async with h.app.work() as uow:
        await sync_directory(uow, h.app.directory, "test")
        await add_coordinator(uow, user_id=COORD, name="督办人", actor="test")
        await import_policy(
            uow, decompose(DOC, h.app.directory), source_name="t", source_text=DOC, actor="test"
        )
    h.srv.user(COORD, first_name="Coord")
    h.srv.command(COORD, "/fix")
    await h.deliver()
    assert "待确认单位：省数字经济促进中心" in _last(h, COORD)
    h.srv.command(COORD, "/fix 省数字经济促进中心")
    await h.deliver()
    h.srv.press_button(COORD, h.srv.messages_to(COORD)[-1], "对应已有单位")
    await h.deliver()
    h.srv.send_text(COORD, "发展改革")
    await h.deliver()
    h.srv.press_button(COORD, h.srv.messages_to(COORD)[-1], "省发展改革委")
    await h.deliver()
    async with h.app.sessions() as session:
        review = await session.scalar(select(Unit).where(Unit.name == "省数字经济促进中心"))
        assert review is not None and not review.needs_review
        held = (
            await session.scalars(
                select(Assignment).where(Assignment.unit_id == review.id, Assignment.status != "cancelled")
            )
        ).all()
        assert held == []
        alias = await session.scalar(select(UnitAlias).where(UnitAlias.alias == "省数字经济促进中心"))
        target = await session.scalar(select(Unit).where(Unit.name == "省发展改革委"))
        assert alias is not None and target is not None and alias.unit_id == target.id
    assert (await _events(h, "unit.mapped"))[-1].data["to"] == "省发展改革委"


async def test_numbers_two_policies_share_are_never_guessed(harness: Harness) -> None:
    from bot.importer import decompose
    from bot.services.policies import import_policy
    from tests.test_import_chat import DOC

    h = harness
    await dispatch_and_find(h)
    async with h.app.work() as uow:
        await import_policy(
            uow, decompose(DOC, h.app.directory), source_name="t", source_text=DOC, actor="test"
        )
    h.srv.command(COORD, "/fix 2.1")
    await h.deliver()
    asked = h.srv.messages_to(COORD)[-1]
    assert "多个政策" in (asked.text or "")
    assert sorted(asked.button_texts) == ["P1-2.1", "P2-2.1"]
    h.srv.press_button(COORD, asked, "P2-2.1")
    await h.deliver()
    assert "更正任务" in _last(h, COORD) and "软件产业园" in _last(h, COORD)

    h.srv.command(COORD, "/due 2 2026-03-31")
    await h.deliver()
    assert "多个政策" in _last(h, COORD)
    h.srv.command(COORD, "/due P2 2026-03-31")
    await h.deliver()
    assert "已把 4 项任务的截止日期设为 2026-03-31" in _last(h, COORD)
    async with h.app.sessions() as session:
        dues = {t.policy_id: t.due_on for t in (await session.scalars(select(Task))).all() if t.due_on}
    assert set(dues) == {2}


async def test_task_detail_offers_the_correction_menu_to_a_coordinator(harness: Harness) -> None:
    h = harness
    msg = await dispatch_and_find(h)
    aid = int((msg.text or "").split("#")[1].split()[0])
    h.srv.command(COORD, f"/task #{aid}")
    await h.deliver()
    h.srv.press_button(COORD, h.srv.messages_to(COORD)[-1], "更正任务")
    await h.deliver()
    assert "更正任务" in _last(h, COORD) and any(
        "牵头单位" in b for b in h.srv.messages_to(COORD)[-1].button_texts
    )
    # A contact's own /task has no such button, and a forged press from a contact does nothing.
    h.srv.command(YICHUN, f"/task #{aid}")
    await h.deliver()
    assert h.srv.messages_to(YICHUN)[-1].button_texts == []
    task = await _task(h, "宜春做大做强")
    qid = h.srv.press(YICHUN, h.srv.messages_to(YICHUN)[-1].message_id, f"fx:dy:{task.id}:0")
    await h.deliver()
    assert (await _task(h, "宜春做大做强")).active
    answer = next(a for a in h.srv.callback_answers if a.callback_query_id == qid)
    assert answer.text == "抱歉，您没有权限执行此操作。" and answer.show_alert


async def test_an_extension_approved_today_cannot_end_before_today(harness: Harness) -> None:
    h = harness
    task_msg = await dispatch_and_find(h)
    h.srv.command(COORD, f"/extend #{int((task_msg.text or '').split('#')[1].split()[0])} 2025-09-24")
    await h.deliver()
    h.srv.press_button(YICHUN, task_msg, "申请延期")
    await h.deliver()
    h.srv.send_text(YICHUN, "2025-09-26 用地审批尚未完成")
    await h.deliver()
    request_msg = h.srv.messages_to(COORD)[-1]
    # The coordinator decides a week later: the requested day has passed.
    h.app.clock.advance(days=7)  # type: ignore[attr-defined]
    qid = h.srv.press_button(COORD, request_msg, "同意")
    await h.deliver()
    answer = next(a for a in h.srv.callback_answers if a.callback_query_id == qid)
    assert answer.text is not None and "不能早于今天（2025-09-30）" in answer.text
    from models import ExtensionRequest

    async with h.app.sessions() as session:
        request = await session.scalar(select(ExtensionRequest))
        assert request is not None and request.state == "pending"


async def test_the_selected_policy_scopes_a_number_without_a_code(harness: Harness) -> None:
    from bot.importer import decompose
    from bot.services.policies import import_policy
    from models import Contact
    from tests.test_import_chat import DOC

    h = harness
    await dispatch_and_find(h)
    async with h.app.work() as uow:
        await import_policy(
            uow, decompose(DOC, h.app.directory), source_name="t", source_text=DOC, actor="test"
        )
        me = await uow.session.scalar(
            select(Contact).where(Contact.role == "coordinator", Contact.telegram_user_id == COORD)
        )
        assert me is not None
        me.selected_policy_id = 2
    h.srv.command(COORD, "/fix 2.1")
    await h.deliver()
    assert "更正任务" in _last(h, COORD) and "软件产业园" in _last(h, COORD)


async def test_correction_notices_are_worded_in_each_contact_s_language(harness: Harness) -> None:
    h = harness
    await dispatch_and_find(h)
    h.srv.command(YICHUN, "/lang en")
    await h.deliver()
    task = await _task(h, "宜春做大做强")
    yichun = (await _assignments(h, task.id or 0))["宜春市人民政府"]

    await _menu(h, "2.2", "报送频次")
    h.srv.press_button(COORD, h.srv.messages_to(COORD)[-1], "每月")
    await h.deliver()
    assert _last(h, YICHUN) == f"ℹ️ The reporting rhythm of task P1-2.2 (#{yichun.id}) is now: Monthly."

    # Yichun moves from lead to co: told of its new role in English, the Chinese contact of the
    # co unit that becomes the lead in Chinese.
    await _menu(h, "2.2", "配合单位")
    h.srv.send_text(COORD, "宜春")
    await h.deliver()
    h.srv.press_button(COORD, h.srv.messages_to(COORD)[-1], "宜春市人民政府")
    await h.deliver()
    h.srv.press_button(COORD, h.srv.messages_to(COORD)[-1], "完成")
    await h.deliver()
    assert (await _assignments(h, task.id or 0))["宜春市人民政府"].role == "co"
    notice = _last(h, YICHUN)
    assert notice.startswith("ℹ️ Your unit's role in task P1-2.2") and "“Lead” to “Cooperating”" in notice
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in notice), notice

    await _menu(h, "2.2", "截止日期")
    h.srv.send_text(COORD, "2026-06-30")
    await h.deliver()
    assert (
        _last(h, YICHUN)
        == f"📅 The coordinator moved the deadline of task P1-2.2 (#{yichun.id}) to 2026-06-30."
    )


async def test_a_unit_whose_role_changes_is_told_in_its_own_language(harness: Harness) -> None:
    from bot.services import corrections
    from models import Contact

    h = harness
    await dispatch_and_find(h)
    task = await _task(h, "宜春做大做强")
    yichun = (await _assignments(h, task.id or 0))["宜春市人民政府"]
    assert yichun.role == "lead"
    async with h.app.sessions() as session, session.begin():
        for c in (await session.scalars(select(Contact).where(Contact.chat_id == YICHUN))).all():
            c.language = "en"
    async with h.app.work() as uow:
        result = await corrections.set_units(
            uow, await uow.session.get(Task, task.id), "co", [yichun.unit_id], actor=f"tg:{COORD}"
        )
    await h.sender.drain(timeout=20)
    assert result.messages == 1 and not result.lost and not result.gained
    assert f"Your unit's role in task P1-2.2 (#{yichun.id}) changed from “Lead” to “Cooperating”." in _last(
        h, YICHUN
    )
    assert (await _assignments(h, task.id or 0))["宜春市人民政府"].role == "co"
