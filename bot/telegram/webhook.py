"""Webhook mode of `duban run`: Telegram POSTs each update to us instead of being polled.

Each update goes through the same step as in long polling (`UpdateHandler.handle` in
bot/telegram/polling.py: feed, retry, park in the dead-letter table or file, apologise once), and
its request is answered only after that step: 200 once the update is handled and committed, or
parked where it survives; 500 when it could be neither, so Telegram keeps it and delivers it again.
Nothing answered 200 is uncommitted and nothing unanswered is lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.telegram.polling import Outcome, UpdateHandler
from config.settings import Settings

log = logging.getLogger("duban")

HEALTH_TIMEOUT = 5.0


def _request_handler(
    bot: Any,
    dispatcher: Any,
    handler: UpdateHandler,
    secret: str,
    after_update: Callable[[], Awaitable[None]] | None,
) -> Any:
    from aiogram.types import Update
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler

    class RequestHandler(SimpleRequestHandler):
        """aiogram's handler checks the secret; the update then takes polling's path."""

        async def handle(self, request: web.Request) -> web.Response:
            if not self.verify_secret(request.headers.get("X-Telegram-Bot-Api-Secret-Token", ""), bot):
                return web.Response(body="Unauthorized", status=401)
            try:
                update = Update.model_validate(
                    await request.json(loads=bot.session.json_loads), context={"bot": bot}
                )
            except ValueError as exc:
                # Not an update Telegram would send; delivering it again would not help.
                log.warning("webhook request is not an update (%s); ignored", exc)
                return web.json_response({})
            outcome = await handler.handle(update)
            if outcome is Outcome.KEPT:
                return web.json_response({"ok": False}, status=500)
            if after_update is not None:
                after_update_soon()
            return web.json_response({})

        async def close(self) -> None:
            """The runner closes the bot's session after the sender is done with it."""

    replaying: set[asyncio.Task[None]] = set()

    def after_update_soon() -> None:
        # Replaying parked updates must not hold up this update's answer; one replay at a time.
        if after_update is None or replaying:
            return
        task = asyncio.create_task(after_update(), name="webhook-after-update")
        replaying.add(task)
        task.add_done_callback(replaying.discard)

    return RequestHandler(dispatcher, bot, handle_in_background=False, secret_token=secret)


def build_web_app(
    dispatcher: Any,
    bot: Any,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    handler: UpdateHandler,
    after_update: Callable[[], Awaitable[None]] | None = None,
) -> web.Application:
    assert settings.webhook_secret is not None
    app = web.Application()
    _request_handler(
        bot, dispatcher, handler, settings.webhook_secret.get_secret_value(), after_update
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


async def serve_webhook(
    dispatcher: Any,
    bot: Any,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    stop: asyncio.Event,
    handler: UpdateHandler,
    after_update: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Listens, registers the webhook, serves until `stop` is set, then stops taking requests and
    lets those in progress finish (their handlers commit) before returning."""
    from aiogram.types import FSInputFile

    assert settings.webhook_url and settings.webhook_secret is not None
    runner = web.AppRunner(
        build_web_app(dispatcher, bot, settings, sessions, handler, after_update),
        access_log=None,
        shutdown_timeout=30.0,
    )
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
        # and delivers them when we are back (or to another instance behind the same URL).
        await runner.cleanup()
