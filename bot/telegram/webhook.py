"""Webhook mode of `duban run`: Telegram POSTs each update to us instead of being polled.

An update is handled, and committed by the session middleware, before its request is answered:
Telegram delivers an update again until it gets a 200, so nothing answered is uncommitted and
nothing unanswered is lost.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from config.settings import Settings

log = logging.getLogger("duban")

HEALTH_TIMEOUT = 5.0


def build_web_app(dispatcher: Any, bot: Any, settings: Settings,
                  sessions: async_sessionmaker[AsyncSession]) -> web.Application:
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler

    assert settings.webhook_secret is not None
    app = web.Application()
    # handle_in_background=False: the 200 goes out only after the handler (and its commit) is done.
    SimpleRequestHandler(dispatcher, bot, handle_in_background=False,
                         secret_token=settings.webhook_secret.get_secret_value()
                         ).register(app, path=settings.webhook_path)

    async def healthz(request: web.Request) -> web.Response:
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT), sessions() as session:
                await session.execute(text("SELECT 1"))
        except Exception as exc:  # any failure to answer means: send traffic elsewhere
            return web.json_response({"ok": False, "database": type(exc).__name__}, status=503)
        return web.json_response({"ok": True})

    app.router.add_get("/healthz", healthz)
    return app


async def serve_webhook(dispatcher: Any, bot: Any, settings: Settings,
                        sessions: async_sessionmaker[AsyncSession], stop: asyncio.Event) -> None:
    """Listens, registers the webhook, serves until `stop` is set, then stops taking requests and
    lets those in progress finish (their handlers commit) before returning."""
    from aiogram.types import FSInputFile

    assert settings.webhook_url and settings.webhook_secret is not None
    runner = web.AppRunner(build_web_app(dispatcher, bot, settings, sessions), access_log=None,
                           shutdown_timeout=30.0)
    await runner.setup()
    try:
        host, port = settings.webhook_host_port()
        await web.TCPSite(runner, host, port).start()
        log.info("webhook listening on %s:%s%s", host, port, settings.webhook_path)
        # Listen first: Telegram may deliver as soon as setWebhook returns.
        await bot.set_webhook(
            settings.webhook_url,
            certificate=FSInputFile(settings.webhook_cert) if settings.webhook_cert else None,
            secret_token=settings.webhook_secret.get_secret_value(),
            allowed_updates=dispatcher.resolve_used_update_types(),
            drop_pending_updates=False,
        )
        log.info("webhook set")
        await stop.wait()
    finally:
        # The webhook stays registered: Telegram keeps the updates that arrive while we are down
        # and delivers them when we are back.
        await runner.cleanup()
