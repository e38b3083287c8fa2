"""The command menu and /help name every command a coordinator has, in both languages."""

from __future__ import annotations

import re

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.i18n import t
from bot.telegram.runner import MENU, set_commands
from handlers.coordinator import COORDINATOR_COMMANDS
from tests.botapi import FakeBotAPI

TOKEN = "123456:MENU"
WORKSPACE = ("policies", "new", "import", "fix", "due")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_help_names_every_coordinator_command(lang: str) -> None:
    shown = set(re.findall(r"/([a-z]+)", t(lang, "help.coordinator") + t(lang, "help.import")))
    missing = (set(COORDINATOR_COMMANDS) | set(WORKSPACE)) - shown
    assert not missing, f"/help ({lang}) lacks {sorted(missing)}"


async def test_menu_has_the_workspace_commands_in_both_languages() -> None:
    async with FakeBotAPI(token=TOKEN) as srv:
        bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(srv.base_url)))
        try:
            await set_commands(bot)
        finally:
            await bot.session.close()
        zh = {c["command"]: c["description"] for c in srv.get_commands()}
        en = {c["command"]: c["description"] for c in srv.get_commands(language_code="en")}
    for name in WORKSPACE:
        assert name in zh and name in en
    assert zh["policies"] == "政策与督办事项" and en["policies"] == "Policies and items"
    assert zh["new"] != en["new"]
    # every coordinator command a person would type from the menu is in it (addcoordinator is the admin's)
    assert set(COORDINATOR_COMMANDS) - {"addcoordinator"} <= set(MENU)
