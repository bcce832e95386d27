"""Time in the world: epoch floats for deadlines, RFC 3339 strings for what Google shows.

Deadlines (`ready_at`, `done_at`) are epoch seconds so that they keep working after the
sandbox restarts; creation times are stored the way Google prints them.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone


def now() -> float:
    return time.time()


def iso(epoch: float | None = None) -> str:
    """RFC 3339 with microseconds and a Z, e.g. 2025-01-31T12:00:00.123456Z."""
    moment = datetime.fromtimestamp(now() if epoch is None else epoch, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str | None) -> datetime | None:
    """The datetime for an RFC 3339 string from the world (None stays None)."""
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
