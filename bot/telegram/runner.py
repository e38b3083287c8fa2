"""`duban run`: long polling (or a webhook), the outbox sender and the scheduler, stopped together."""

from __future__ import annotations

import asyncio
import logging
import signal
from contextlib import suppress

from bot.app import App
from bot.i18n import t
from bot.telegram.inflight import InFlight
from bot.telegram.polling import Poller
from bot.telegram.recovery import Recovery
from bot.telegram.sender import Limits, OutboxSender
from config.settings import Settings

log = logging.getLogger("duban")

# The menu's order; each description is the i18n key `cmd.<command>` in the menu's language.
MENU = (
    "start",
    "help",
    "tasks",
    "task",
    "policies",
    "new",
    "import",
    "fix",
    "due",
    "board",
    "dispatch",
    "measure",
    "unit",
    "overdue",
    "remind",
    "extend",
    "close",
    "reopen",
    "units",
    "invite",
    "followups",
    "summary",
    "export",
    "lang",
)


def menu(lang: str) -> list[tuple[str, str]]:
    return [(c, t(lang, f"cmd.{c}")) for c in MENU]


async def set_commands(bot) -> None:
    from aiogram.types import BotCommand

    await bot.set_my_commands([BotCommand(command=c, description=d) for c, d in menu("zh")])
    await bot.set_my_commands(
        [BotCommand(command=c, description=d) for c, d in menu("en")], language_code="en"
    )


async def run_bot(settings: Settings) -> int:
    from bot.telegram.fsm import SqlStorage
    from bot.telegram.transport import AiogramTransport, make_bot
    from handlers import build_dispatcher

    token = settings.token_value()
    assert token
    app = App.build(settings)
    await app.load_holiday_notices()
    bot = make_bot(token, settings.telegram_api_base)
    transport = AiogramTransport(bot)
    sender = OutboxSender(
        app.sessions,
        transport,
        app.clock,
        Limits(
            global_per_sec=settings.rate_global_per_sec,
            per_chat_per_sec=settings.rate_per_chat_per_sec,
            per_group_per_min=settings.rate_per_group_per_min,
        ),
        gate=app.gate,
    )
    inflight = InFlight()
    from bot.jobs import Jobs, start_scheduler

    jobs = Jobs(app, wake_sender=sender.wake)
    # Failed updates reach the polling loop, which retries, parks and then apologises.
    dispatcher = build_dispatcher(
        app,
        storage=SqlStorage(app.sessions, app.clock, gate=app.gate),
        sender=sender,
        inflight=inflight,
        errors_handled=False,
        jobs=jobs,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    scheduler = None
    try:
        me = await bot.me()
        log.info("connected as @%s", me.username)
        recovery = Recovery(app, bot, dispatcher, settings, wake=sender.wake)
        # What could not be handled last time goes first, before anything newer reads the state.
        await recovery.replay()
        # A dispatch confirmed before a stop goes on handing out where it was.
        await jobs.resume_dispatches()
        sender_task = asyncio.create_task(sender.run(), name="outbox-sender")
        stop_updates = asyncio.Event()  # webhook mode only
        poller: Poller | None = None
        if settings.webhook_url:
            from bot.telegram.webhook import serve_webhook

            # Each update takes polling's step (retry, park, apologise) before it is answered.
            polling = asyncio.create_task(
                serve_webhook(
                    dispatcher,
                    bot,
                    settings,
                    app.sessions,
                    stop_updates,
                    recovery.handler,
                    after_update=recovery.after_batch,
                ),
                name="webhook",
            )
        else:
            # Telegram refuses getUpdates while a webhook is set: a bot moved back from webhook
            # mode polls again (the updates queued meanwhile are kept).
            await bot.delete_webhook(drop_pending_updates=False)
            # One update at a time, and the offset moves only past updates handled and committed or
            # parked (bot/telegram/polling.py); aiogram's start_polling confirms failed updates too.
            poller = Poller(
                bot,
                recovery.handler,
                allowed_updates=dispatcher.resolve_used_update_types(),
                after_batch=recovery.after_batch,
            )
            polling = asyncio.create_task(poller.run(), name="polling")
        # Updates flow first; the menu and the clock follow without holding them up.
        commands = asyncio.create_task(set_commands(bot), name="set-commands")
        commands.add_done_callback(_log_failure)
        scheduler = start_scheduler(app, jobs, download=transport.download)
        stopper = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({polling, stopper, sender_task}, return_when=asyncio.FIRST_COMPLETED)
        log.info("shutting down")
        # Stop taking updates first; handlers in progress finish and commit; then the sender
        # finishes what is in flight. Anything still queued waits in the outbox for next start.
        if not polling.done():
            if poller is not None:
                poller.stop()  # the update in hand is finished (or left unconfirmed) first
            else:
                stop_updates.set()
            with suppress(asyncio.CancelledError):
                await polling
        if not await inflight.wait_idle(seconds=30):
            log.warning("%d updates still in progress at shutdown", inflight.count)
        # A summary asked for in the chat is read and rendered in the background: let it queue.
        # A dispatch stops between its chunks (the next start resumes it).
        jobs.stopping = True
        if not await jobs.background_idle(seconds=30):
            log.warning("%d background jobs still running at shutdown", len(jobs.background))
        if scheduler is not None:
            # APScheduler's asyncio executor cancels running jobs on shutdown: pause, let
            # them finish the step in progress, then shut down.
            jobs.stopping = True
            scheduler.pause()
            await jobs.running.wait_idle(seconds=30)
            scheduler.shutdown(wait=False)
        await sender.stop()
        with suppress(asyncio.CancelledError):
            await asyncio.wait_for(sender_task, timeout=10)
        for task in done:
            if task is not stopper and task.exception():
                raise task.exception()  # type: ignore[misc]
        return 0
    finally:
        await bot.session.close()
        await app.close()


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("setting the command menu failed: %s", task.exception())
