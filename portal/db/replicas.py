"""Reads on hot standbys, writes on the primary: PostgreSQL's own streaming replication, no
home-made cluster.

`DATABASE_REPLICA_URLS` (comma-separated) names hot standbys of `DATABASE_URL`. Every page,
map, OGC and download read takes a connection from `read_pool()`: a standby that answers,
is in recovery, replays within `replica_max_lag_seconds` (config/portal.yml) and serves the
data version the primary serves — else the primary. A standby that goes away is skipped at
once (its connection fails, the read is retried on the primary) and checked again every
second. Writes (audit, accounts, sessions) take `primary_pool()` explicitly; ingest and
compute never run in the app. Without replicas both are the same pool: nothing changes.

One health thread per process; nothing is shared between app processes but PostgreSQL.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool, ConnectionPool, PoolTimeout

log = logging.getLogger("portal.replicas")
CHECK_SECONDS = 1.0
READ_APP_NAME = "omgevingsmonitor-read"  # in pg_stat_activity of a standby
PRIMARY_APP_NAME = "omgevingsmonitor"
# replay lag: 0 when all that arrived is replayed, else the age of the last replayed commit
HEALTH_SQL = """
SELECT pg_is_in_recovery() AS standby,
       CASE WHEN NOT pg_is_in_recovery() THEN NULL
            WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
            ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 END AS lag,
       (SELECT version FROM monitor.data_state) AS version
"""
UNAVAILABLE = (psycopg.OperationalError, PoolTimeout)


def replica_urls() -> list[str]:
    return [u.strip() for u in (os.environ.get("DATABASE_REPLICA_URLS") or "").split(",")
            if u.strip()]


@dataclass
class Standby:
    url: str
    usable: bool = False
    lag: float | None = None
    version: int | None = None
    why: str = "not checked yet"


class Replicas:
    """The standbys of one primary and whether each may serve reads now."""

    def __init__(self, urls: list[str], max_lag_seconds: float):
        self.max_lag = max_lag_seconds
        self.standbys = [Standby(u) for u in urls]
        self.primary_version: Callable[[], int | None] = lambda: None
        self._turn = itertools.count()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None and self.standbys:
            self.check()
            self._thread = threading.Thread(target=self._loop, name="replicas", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.wait(CHECK_SECONDS):
            self.check()

    def check(self) -> None:
        for s in self.standbys:
            try:
                with psycopg.connect(s.url, connect_timeout=2, row_factory=dict_row,
                                     application_name=READ_APP_NAME + "-check") as conn:
                    r = conn.execute(HEALTH_SQL).fetchone()
            except psycopg.Error as exc:
                self._set(s, False, f"does not answer ({exc.__class__.__name__})")
                continue
            s.lag, s.version = r["lag"], r["version"]
            if not r["standby"]:
                self._set(s, False, "not a standby (not in recovery)")
            elif r["lag"] is not None and r["lag"] > self.max_lag:
                self._set(s, False, f"lags {r['lag']:.1f} s (limit {self.max_lag:g} s)")
            else:
                self._set(s, True, "ok")

    def _set(self, s: Standby, usable: bool, why: str) -> None:
        if usable != s.usable or why != s.why:
            log.info("standby", extra={"standby": _safe(s.url), "usable": usable, "why": why})
        s.usable, s.why = usable, why

    def pick(self) -> Standby | None:
        """A usable standby at the primary's data version (round robin), else None."""
        want = self.primary_version()
        ready = [s for s in self.standbys if s.usable and (want is None or s.version == want)]
        return ready[next(self._turn) % len(ready)] if ready else None

    def down(self, s: Standby, exc: Exception) -> None:
        self._set(s, False, f"failed a read ({exc.__class__.__name__})")

    def status(self) -> list[dict]:
        return [{"standby": _safe(s.url), "usable": s.usable, "lag_seconds": s.lag,
                 "data_version": s.version, "why": s.why} for s in self.standbys]


class ReadPool:
    """`connection()` like a psycopg pool's: on a usable standby, else on the primary. The
    standbys' pools take the primary pool's settings (row factory, autocommit, size)."""

    def __init__(self, primary: ConnectionPool, replicas: Replicas | None):
        self.primary, self.replicas = primary, replicas
        self.standby_pools = _standby_pools(ConnectionPool, primary, replicas)

    @contextlib.contextmanager
    def connection(self):
        standby = self.replicas.pick() if self.replicas else None
        if standby is not None:
            cm = self.standby_pools[standby.url].connection()
            try:
                conn = cm.__enter__()
            except UNAVAILABLE as exc:  # gone since the last check: the primary answers
                self.replicas.down(standby, exc)
            else:
                with _closing(cm):
                    yield conn
                return
        with self.primary.connection() as conn:
            yield conn

    def open(self) -> None:
        self.primary.open()
        for pool in self.standby_pools.values():
            pool.open(wait=False)

    def close(self) -> None:
        for pool in self.standby_pools.values():
            pool.close()
        self.primary.close()


class AsyncReadPool:
    """The same for the async pools (norms at a point, health, the OGC fast path)."""

    def __init__(self, primary: AsyncConnectionPool, replicas: Replicas | None):
        self.primary, self.replicas = primary, replicas
        self.standby_pools = _standby_pools(AsyncConnectionPool, primary, replicas)

    @contextlib.asynccontextmanager
    async def connection(self):
        standby = self.replicas.pick() if self.replicas else None
        if standby is not None:
            cm = self.standby_pools[standby.url].connection()
            try:
                conn = await cm.__aenter__()
            except UNAVAILABLE as exc:
                self.replicas.down(standby, exc)
            else:
                try:
                    yield conn
                except BaseException as exc:
                    if not await cm.__aexit__(type(exc), exc, exc.__traceback__):
                        raise
                else:
                    await cm.__aexit__(None, None, None)
                return
        async with self.primary.connection() as conn:
            yield conn

    async def open(self) -> None:
        await self.primary.open()
        for pool in self.standby_pools.values():
            await pool.open(wait=False)

    async def close(self) -> None:
        for pool in self.standby_pools.values():
            await pool.close()
        await self.primary.close()


_READ_KWARGS = {"application_name": READ_APP_NAME, "connect_timeout": 2}


def _standby_pools(cls, primary, replicas: Replicas | None) -> dict:
    """A pool per standby, as the primary's (row factory, autocommit, size); 1 s to wait."""
    return {s.url: cls(s.url, min_size=0, max_size=primary.max_size, open=False, timeout=1,
                       check=cls.check_connection, kwargs={**primary.kwargs, **_READ_KWARGS})
            for s in (replicas.standbys if replicas else [])}


@contextlib.contextmanager
def _closing(cm):
    try:
        yield
    except BaseException as exc:
        if not cm.__exit__(type(exc), exc, exc.__traceback__):
            raise
    else:
        cm.__exit__(None, None, None)


_SHARED: dict[str, Replicas] = {}
_LOCK = threading.Lock()


def replicas_of(primary_url: str) -> Replicas | None:
    """The process's one Replicas for this primary (None without DATABASE_REPLICA_URLS)."""
    urls = replica_urls()
    if not urls:
        return None
    from portal.settings import get_settings
    key = _safe(primary_url)  # the same server however its URL is written
    with _LOCK:
        if key not in _SHARED:
            _SHARED[key] = Replicas(urls, get_settings().replica_max_lag_seconds)
            _SHARED[key].start()
        return _SHARED[key]


def _safe(url: str) -> str:
    """A URL for the log: without its password."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "?"
    return f"{info.get('host', '')}:{info.get('port', '5432')}/{info.get('dbname', '')}"


def wait_for(check: Callable[[], bool], seconds: float) -> bool:
    """Poll `check` until it holds or `seconds` pass (tests and start-up)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()
