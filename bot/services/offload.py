"""The summary's rendering (chart, ledger, 周报) in a child process, not a thread beside the bot.

Rendering is seconds of pure-Python work. In a worker thread it shares the interpreter lock with
the event loop: every time the loop wakes (each HTTP response, each SQL statement's result) it
waits for the renderer to give the lock up, and a reply needs dozens of wakes. In a child process
the loop runs untouched. The child is forked from multiprocessing's fork server (not from this
process, whose threads a fork would copy mid-way) and lives for one rendering.

The summary's data crosses as pickles; the two long row lists are pickled a part at a time with a
pause between, since one pickling of them all would hold the loop as long.
"""

from __future__ import annotations

import asyncio
import dataclasses
import multiprocessing
import pickle
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

from bot.reporting import model as rm

R = TypeVar("R")
PART = 1000
_LISTS = ("assignments", "reports")


async def _pickled_parts(rows: Any) -> list[bytes]:
    rows, parts = list(rows), []
    for start in range(0, len(rows), PART):
        parts.append(pickle.dumps(rows[start : start + PART], protocol=pickle.HIGHEST_PROTOCOL))
        await asyncio.sleep(0)
    return parts


def _run(
    render: Callable[..., R], light: rm.SummaryData, parts: dict[str, list[bytes]], args: tuple[Any, ...]
) -> R:
    whole: dict[str, Any] = {
        name: [row for blob in blobs for row in pickle.loads(blob)] for name, blobs in parts.items()
    }
    return render(dataclasses.replace(light, **whole), *args)


async def render_apart(render: Callable[..., R], data: rm.SummaryData, *args: Any) -> R:
    """`render(data, *args)` in a child process; `render` must be a module-level function."""
    parts = {name: await _pickled_parts(getattr(data, name)) for name in _LISTS}
    empty: dict[str, Any] = {name: [] for name in _LISTS}
    light = dataclasses.replace(data, **empty)
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("forkserver"))
    try:
        # Submitting starts the child (and the fork server, the first time), waiting on them: in a
        # thread, not on the loop.
        future = await asyncio.to_thread(pool.submit, _run, render, light, parts, args)
        return await asyncio.wrap_future(future)
    finally:
        pool.shutdown(wait=False)  # the child exits by itself once done; waiting would block the loop
