"""Several real `duban run --webhook` processes on one PostgreSQL database, behind the fake Bot API
playing Telegram and the load balancer (round robin over the instances' listening ports).

Used by tests/test_two_instances.py and bench/scale.py. The database is read with asyncpg directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from tests.botapi import FakeBotAPI
from tests.e2e_support import BotProcess, Env

PUBLIC_URL = "https://duban.test/telegram"  # what every instance registers; the fake spreads it
SECRET = "cluster-Secret_0123456789"
START_TIMEOUT = 180.0  # two processes importing aiogram and migrating at once on a busy machine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def fresh_database(server_url: str) -> str:
    """A new, empty database on the server of `server_url` (a SQLAlchemy asyncpg URL)."""
    import asyncpg

    name = f"duban_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(_plain(server_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return server_url.rsplit("/", 1)[0] + f"/{name}"


async def rows(url: str, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    import asyncpg

    conn = await asyncpg.connect(_plain(url))
    try:
        return [tuple(r) for r in await conn.fetch(sql, *args)]
    finally:
        await conn.close()


async def scalar(url: str, sql: str, *args: Any) -> Any:
    found = await rows(url, sql, *args)
    return found[0][0] if found else None


def most_in_one_second(times: Sequence[float]) -> int:
    """The largest number of `times` in any window of one second (sliding, not calendar seconds)."""
    ordered = sorted(times)
    most = start = 0
    for end, t in enumerate(ordered):
        while ordered[start] <= t - 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


@dataclass
class Instance:
    env: Env
    port: int
    process: BotProcess

    @property
    def backend(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram"

    async def healthy(self) -> bool:
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as client,
                client.get(f"http://127.0.0.1:{self.port}/healthz") as resp,
            ):
                return resp.status == 200
        except (aiohttp.ClientError, TimeoutError):
            return False


@dataclass
class Cluster:
    """`n` instances sharing `database_url`, each in its own working directory under `root`."""

    srv: FakeBotAPI
    database_url: str
    root: Path
    n: int = 2
    extra: dict[str, str] = field(default_factory=dict)
    instances: list[Instance] = field(default_factory=list)

    def env(self, name: str, port: int | None = None) -> Env:
        workdir = self.root / name
        workdir.mkdir(parents=True, exist_ok=True)
        extra = {"DATABASE_URL": self.database_url, "WEBHOOK_SECRET": SECRET} | self.extra
        if port is not None:
            extra["WEBHOOK_LISTEN"] = f"127.0.0.1:{port}"
        return Env(workdir, base_url=self.srv.base_url, token=self.srv.token, extra=extra)

    async def start(self, generation: str = "") -> Cluster:
        self.instances = []
        for i in range(self.n):
            port = free_port()
            name = f"instance-{i}{generation}"
            env = self.env(name, port)
            self.instances.append(Instance(env, port, BotProcess(env, name, args=("--webhook", PUBLIC_URL))))
        self.srv.webhook_backends = [i.backend for i in self.instances]
        self.srv.webhook_connections = self.n
        for instance in self.instances:
            await instance.process.start()
        return self

    async def start_together(self, generation: str = "", timeout: float = START_TIMEOUT) -> Cluster:  # noqa: ASYNC109
        """Starts the instances and holds them at their start-up migration (alembic_version locked)
        until all wait there, so their clocks' jobs (the first follow-up tick, the summary's catch-up)
        run at the same moment and race for the same rows."""
        import asyncpg

        holder = await asyncpg.connect(_plain(self.database_url))
        try:
            transaction = holder.transaction()
            await transaction.start()
            await holder.execute("LOCK TABLE alembic_version IN ACCESS EXCLUSIVE MODE")
            await self.start(generation)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            waiting = (
                "SELECT count(*) FROM pg_locks WHERE relation = 'alembic_version'::regclass AND NOT granted"
            )
            while await scalar(self.database_url, waiting) < self.n:
                for instance in self.instances:
                    if not instance.process.running:
                        raise AssertionError(f"`duban run` exited early:\n{instance.process.log()[-4000:]}")
                if loop.time() > deadline:
                    raise AssertionError("instances never reached their migration:\n" + self.logs())
                await asyncio.sleep(0.1)
            await transaction.commit()
        finally:
            await holder.close()
        return self

    async def wait_ready(self, timeout: float = START_TIMEOUT) -> None:  # noqa: ASYNC109
        """Every instance answers /healthz and has registered the webhook."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        waiting = list(self.instances)
        while waiting:
            for instance in list(waiting):
                if not instance.process.running:
                    raise AssertionError(f"`duban run` exited early:\n{instance.process.log()[-4000:]}")
                if await instance.healthy():
                    waiting.remove(instance)
            if loop.time() > deadline:
                raise AssertionError(
                    "instances did not come up:\n" + "\n---\n".join(i.process.log()[-3000:] for i in waiting)
                )
            await asyncio.sleep(0.2)
        # /healthz answers before setWebhook returns; wait for every instance's call.
        while sum(1 for i in self.instances if "webhook set" in i.process.log()) < len(self.instances):
            if loop.time() > deadline:
                raise AssertionError("setWebhook not called by every instance")
            await asyncio.sleep(0.1)

    async def kill(self, index: int) -> None:
        """SIGKILL: no chance to finish anything."""
        await self.instances[index].process.kill()

    async def terminate(self, timeout: float = 30.0) -> list[int]:  # noqa: ASYNC109
        codes = []
        for instance in self.instances:
            if instance.process.running:
                codes.append(await instance.process.terminate(timeout))
        return codes

    async def kill_all(self) -> None:
        for instance in self.instances:
            with contextlib.suppress(Exception):
                await instance.process.kill()

    def logs(self) -> str:
        return "\n".join(f"--- {i.process.log_path.name}\n{i.process.log()[-3000:]}" for i in self.instances)
