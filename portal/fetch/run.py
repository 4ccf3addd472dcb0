"""`portal fetch` and `portal update`: fetch each remote source into a new retrieval (made
current only when whole), and — for update — ingest what changed and recompute, under a
lock so two runs never overlap."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from portal.errors import UserError
from portal.fetch import store
from portal.fetch.connectors import CONNECTORS
from portal.ingest.manifest import Manifest

# how often `update:` asks for a new fetch
INTERVALS = {"continuous": timedelta(hours=1), "daily": timedelta(days=1),
             "weekly": timedelta(days=7), "monthly": timedelta(days=30),
             "quarterly": timedelta(days=91), "yearly": timedelta(days=365)}
UPDATE_LOCK = 518_001  # pg_advisory_lock key of `portal update`


@dataclass
class Fetched:
    dataset: str
    changed: bool
    files: int
    bytes: int


def remote(manifests: list[Manifest]) -> list[Manifest]:
    return [m for m in manifests if m.source.get("fetch")]


def fetch(m: Manifest, progress: Callable[[int], None] = lambda n: None) -> Fetched:
    """One dataset: new files become current, unchanged upstream leaves everything as it
    was; any failure raises UserError (FetchError) and leaves `current` untouched."""
    kind = m.source["fetch"]["connector"]
    if kind not in CONNECTORS:
        raise UserError(f"{m.path}: source.fetch.connector '{kind}': one of {sorted(CONNECTORS)}")
    previous = store.current_record(m.id)
    part, retrieved_at = store.new_retrieval(m.id)
    connector = CONNECTORS[kind](m)
    try:
        kept = store.seed(m, part, previous)
        outcome = connector.fetch(part, previous, progress)
    except BaseException:
        store.discard(part)
        raise
    finally:
        connector.close()
    record = outcome.record
    record.files = {**kept, **record.files}
    record.retrieved_at = retrieved_at
    size = sum(f.bytes for f in record.files.values())
    if not outcome.changed and previous is not None:
        store.discard(part)  # 304 / same bytes: no new retrieval, no new version
        store.mark_checked(m.id)
        return Fetched(m.id, False, len(record.files), size)
    store.publish(m.id, part, record)
    store.mark_checked(m.id)
    return Fetched(m.id, True, len(record.files), size)


def due(m: Manifest, now: datetime | None = None) -> bool:
    """Never fetched, or its `update:` interval has passed since the last retrieval."""
    last = store.last_checked(m.id)
    if store.current_record(m.id) is None or last is None:
        return True
    interval = INTERVALS.get(str(m.raw.get("update") or ""))
    if interval is None:  # irregular, never: only when asked (`portal fetch`)
        return False
    return (now or datetime.now(UTC)) - last >= interval
