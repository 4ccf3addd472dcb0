"""The data version the app serves: bumped by every ingest and compute, heard through NOTIFY.

`monitor.data_state` holds the version and when it changed (migration 0009); the function
that bumps it also sends `NOTIFY monitor_data_version`, delivered at commit. Each app
process listens on its own connection, and reads the row again every few seconds in case
a notification was missed (a reconnect, a proxy that drops LISTEN). Nothing is shared
between processes but PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg

CHANNEL = "monitor_data_version"
POLL_SECONDS = 5.0
RETRY_SECONDS = 1.0
STATE_SQL = "SELECT version, changed_at FROM monitor.data_state"
WATCHER_APP_NAME = "omgevingsmonitor-version"  # one per app process, in pg_stat_activity

log = logging.getLogger("portal.dataversion")


@dataclass(frozen=True)
class Version:
    number: int
    changed_at: datetime


class DataVersion:
    def __init__(self, db_url: str):
        self.db_url = db_url
        self.current = Version(0, datetime.fromtimestamp(0, UTC))
        self._listeners: list[Callable[[Version], None]] = []
        self._task: asyncio.Task | None = None
        self.healthy = True  # False while the watcher cannot reach the database

    def on_change(self, listener: Callable[[Version], None]) -> None:
        self._listeners.append(listener)

    def read(self) -> Version:
        """Read the version at start-up (listeners are not told: nothing was served yet)."""
        with psycopg.connect(self.db_url, connect_timeout=5) as conn:
            number, changed = conn.execute(STATE_SQL).fetchone()
        self.current = Version(number, changed)
        return self.current

    def _set(self, found: Version) -> None:
        if found.number == self.current.number:
            return
        before, self.current = self.current, found
        log.info("data version", extra={"version": found.number, "previous": before.number})
        for listener in self._listeners:
            try:
                listener(found)
            except Exception:  # a listener must not stop the others or the watcher
                log.exception("data version listener failed")

    async def start(self) -> None:
        self._task = asyncio.create_task(self._watch())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _watch(self) -> None:
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                        self.db_url, autocommit=True, connect_timeout=5,
                        application_name=WATCHER_APP_NAME) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    if not self.healthy:
                        log.warning("database reachable again")
                    self.healthy = True
                    while True:
                        number, changed = await (await conn.execute(STATE_SQL)).fetchone()
                        self._set(Version(number, changed))
                        async for _ in conn.notifies(timeout=POLL_SECONDS, stop_after=1):
                            pass
            except asyncio.CancelledError:
                raise
            except (psycopg.Error, OSError) as exc:
                if self.healthy:
                    log.warning("database unreachable; answering 503 until it is back",
                                extra={"reason": str(exc)[:200]})
                self.healthy = False
                await asyncio.sleep(RETRY_SECONDS)
