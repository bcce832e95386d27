"""The sandbox's whole fake world, persisted as one JSON file in the sandbox folder.

Every fake service (gRPC control plane, storage, forges) reads and mutates the same
`World`. Each mutation is written atomically, so a wizard killed with SIGKILL while it runs
the sandbox in-process leaves a world that the next start reads back intact. The file is
re-read when another process (a test, `sandbox serve`) changed it, which is how tests
turn fault knobs on and off while a sandbox is running.

Request counters are the exception: every request of every fake counts one, so they are
kept in memory and folded into the file at the next mutation, a short moment later, or
when the sandbox stops (`flush`). Writing the world once per request made a `dvc push` of
thousands of objects spend most of its time copying and fsyncing `world.json`.
"""

from __future__ import annotations

import atexit
import copy
import json
import threading
import weakref
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from wizard.fsutil import atomic_write_json

SCHEMA_VERSION = 1
WORLD_FILE = "world.json"

# Seconds counted requests may wait in memory before they are written to the file.
COUNTS_FLUSH_SECONDS = 0.5

LEARNER = "learner@example.com"
SOMEONE_ELSE = "someone-else@example.com"

# Knobs tests and workshop instructors can turn (in world["faults"]).
DEFAULT_FAULTS: dict[str, Any] = {
    # Seconds a long-running operation (project creation, enabling services) takes.
    "operation_seconds": 1.0,
    # Seconds a new service account stays invisible after creation (eventual consistency).
    "service_account_visibility_seconds": 0.5,
    # When true, linking billing fails like Google's "Cloud billing quota exceeded".
    "billing_quota_exceeded": False,
    # When true, the org policy iam.disableServiceAccountKeyCreation is enforced.
    "disable_key_creation": False,
    # "service.Method" -> gRPC/HTTP error code name to fail with once per call until cleared,
    # e.g. {"CloudBilling.UpdateProjectBillingInfo": "UNAVAILABLE"}.
    "fail": {},
}


def empty_world() -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "learner": LEARNER,
        "ports": {},
        "projects": {},
        "billing_accounts": {},
        "buckets": {},
        "operations": {},
        "next_number": 100000000001,
        "calls": {"reads": 0, "writes": 0, "by_service": {}},
        "faults": copy.deepcopy(DEFAULT_FAULTS),
    }


class World:
    """Thread-safe access to `DIR/world.json`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.path = self.root / WORLD_FILE
        self._lock = threading.RLock()
        self._data: dict[str, Any] | None = None
        self._stamp: tuple[int, int] | None = None
        # The world being changed by the thread inside `mutate()` (published when it ends).
        self._working: dict[str, Any] | None = None
        # service -> [reads, writes] counted but not yet in the file.
        self._pending: dict[str, list[int]] = {}
        self._flush_timer: threading.Timer | None = None
        _LIVE.add(self)

    # -- loading -----------------------------------------------------------------------
    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def _load(self) -> dict[str, Any]:
        stamp = self._file_stamp()
        if self._data is None or stamp != self._stamp:
            if stamp is None:
                self._data = empty_world()
            else:
                self._data = json.loads(self.path.read_text("utf-8"))
                faults = copy.deepcopy(DEFAULT_FAULTS)
                faults.update(self._data.get("faults", {}))
                self._data["faults"] = faults
            self._stamp = stamp
        return self._data

    def exists(self) -> bool:
        return self.path.exists()

    def _current(self) -> dict[str, Any]:
        return self._working if self._working is not None else self._load()

    # -- access ------------------------------------------------------------------------
    def read(self) -> dict[str, Any]:
        """A deep copy of the current world, safe to inspect without the lock."""
        with self._lock:
            data = copy.deepcopy(self._current())
            if self._working is None:  # a mutation in progress has them already
                _add_counts(data, self._pending)
            return data

    def view(self) -> dict[str, Any]:
        """The current world without a copy, for the hot paths of the fakes: never change it.

        `mutate()` changes a copy and publishes it whole, so a view stays consistent while
        other threads mutate. Its request counters may lag a little (see `flush`).
        """
        with self._lock:
            return self._current()

    @contextmanager
    def mutate(self) -> Iterator[dict[str, Any]]:
        """Yield the world to change; it is published and saved atomically when the block ends
        without error (a nested block shares the outer one's changes and fate)."""
        with self._lock:
            if self._working is not None:  # nested in this thread's own mutation
                yield self._working
                return
            data = copy.deepcopy(self._load())
            _add_counts(data, self._pending)  # the block sees (and may reset) every count
            self._working = data
            try:
                yield data
                self._save(data)
                self._pending.clear()
                self._data = data
            finally:
                self._working = None

    def _save(self, data: dict[str, Any]) -> None:
        # 0600: the world holds the fake forges' tokens and the CI variables' values (keys).
        atomic_write_json(self.path, data, mode=0o600)
        self._stamp = self._file_stamp()

    def count(self, service: str, write: bool) -> None:
        """Count one API request; tests prove idempotence with these counters.

        Counted in memory, written with the next mutation or within `COUNTS_FLUSH_SECONDS`."""
        with self._lock:
            self._pending.setdefault(service, [0, 0])[1 if write else 0] += 1
            if self._flush_timer is None:
                self._flush_timer = threading.Timer(COUNTS_FLUSH_SECONDS, self._flush_later)
                self._flush_timer.daemon = True
                self._flush_timer.start()

    def _flush_later(self) -> None:
        with self._lock:
            self._flush_timer = None
        self.flush()

    def flush(self) -> None:
        """Write the counted requests now (the sandbox calls this when it stops)."""
        with self._lock:
            if self._pending and self._working is None:
                with self.mutate():
                    pass

    def fault(self, name: str) -> Any:
        with self._lock:
            return self._current()["faults"].get(name, DEFAULT_FAULTS.get(name))

    def take_failure(self, method: str) -> str | None:
        """Return the error code injected for `method` (e.g. 'CloudBilling.GetBillingAccount'), if any."""
        with self._lock:
            return self._current()["faults"].get("fail", {}).get(method)

    def next_number(self) -> str:
        with self.mutate() as data:
            number = int(data.get("next_number", 100000000001))
            data["next_number"] = number + 1
        return str(number)


def _add_counts(data: dict[str, Any], pending: dict[str, list[int]]) -> None:
    """Fold counted requests (service -> [reads, writes]) into `data["calls"]`."""
    if not pending:
        return
    calls = data.setdefault("calls", {"reads": 0, "writes": 0, "by_service": {}})
    for service, (reads, writes) in pending.items():
        per = calls.setdefault("by_service", {}).setdefault(service, {"reads": 0, "writes": 0})
        for kind, amount in (("reads", reads), ("writes", writes)):
            calls[kind] = calls.get(kind, 0) + amount
            per[kind] = per.get(kind, 0) + amount


# Worlds of this process, so that counts still in memory reach the file when it exits normally.
_LIVE: weakref.WeakSet[World] = weakref.WeakSet()


@atexit.register
def _flush_all() -> None:
    for world in list(_LIVE):
        try:
            world.flush()
        except Exception:  # noqa: BLE001 - a vanished sandbox folder must not fail the exit
            pass
