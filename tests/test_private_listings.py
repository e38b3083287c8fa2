"""A coordinator's listings of all units, typed in a unit's group, are not answered there with data."""

from __future__ import annotations

import pytest

from tests.conftest import Harness
from tests.test_bot_flow import (
    COORD,
    GONGXIN,
    NANCHANG_GROUP,
    NANCHANG_MEMBER,
    assignment_id_of,
    dispatch_and_find,
)

LISTINGS = [
    "/board",
    "/unit 宜春",
    "/overdue",
    "/units",
    "/measure 2",
    "/followups",
    "/summary",
    "/export",
    "/dispatch 3",
]


async def test_listings_in_a_units_group_point_to_the_private_chat(harness: Harness) -> None:
    h = harness
    task_msg = await dispatch_and_find(h)
    yichun_aid = assignment_id_of(task_msg)
    before = len(h.srv.messages_to(NANCHANG_GROUP))
    before_private = len(h.srv.messages_to(COORD))
    for command in [*LISTINGS, f"/task #{yichun_aid}", f"/board@{h.srv.bot_username}"]:
        h.srv.command(COORD, command, chat_id=NANCHANG_GROUP)
        await h.deliver()
        answers = h.srv.messages_to(NANCHANG_GROUP)[before:]
        assert len(answers) == 1, (command, [a.text for a in answers])
        assert "私聊" in answers[0].text and "宜春" not in answers[0].text, (command, answers[0].text)
        before += 1
    # Nothing of it was sent anywhere else either (the summary and export go private when asked there).
    assert len(h.srv.messages_to(COORD)) == before_private
    # Asked in private, the same listing is answered.
    h.srv.command(COORD, "/board")
    await h.deliver()
    assert "措施P1-2" in h.srv.messages_to(COORD)[-1].text


async def test_a_units_members_still_see_their_own_unit_in_their_group(harness: Harness) -> None:
    h = harness
    await dispatch_and_find(h)
    group_task = next(s for s in h.srv.messages_to(NANCHANG_GROUP) if "交办任务" in s.text)
    h.srv.command(NANCHANG_MEMBER, f"/task #{assignment_id_of(group_task)}", chat_id=NANCHANG_GROUP)
    h.srv.command(NANCHANG_MEMBER, "/tasks", chat_id=NANCHANG_GROUP)
    await h.deliver()
    answers = [s.text for s in h.srv.messages_to(NANCHANG_GROUP)[-2:]]
    assert all("私聊" not in a for a in answers) and all("#" in a for a in answers), answers


@pytest.mark.parametrize("command", ["/remind 宜春"])
async def test_coordinator_actions_in_a_group_are_not_listings(harness: Harness, command: str) -> None:
    h = harness
    await dispatch_and_find(h)
    h.srv.command(COORD, command, chat_id=NANCHANG_GROUP)
    await h.deliver()
    assert "私聊" not in h.srv.messages_to(NANCHANG_GROUP)[-1].text


async def test_a_member_cannot_show_another_units_tasks_in_a_group(harness: Harness) -> None:
    h = harness
    await dispatch_and_find(h)
    h.srv.command(GONGXIN, "/tasks", chat_id=NANCHANG_GROUP)
    await h.deliver()
    listing = h.srv.messages_to(NANCHANG_GROUP)[-1].text
    assert "支持南昌、抚州、上饶" in listing and "打造产业发展核心区" not in listing
