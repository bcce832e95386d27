"""The sandbox's whole fake world, persisted as one JSON file in the sandbox folder.

Every fake service (gRPC control plane, storage, forges) reads and mutates the same
`World`. Each mutation is written atomically, so a wizard killed with SIGKILL while it runs
the sandbox in-process leaves a world that the next start reads back intact. The file is
re-read when another process (a test, `sandbox serve`) changed it, which is how tests
turn fault knobs on and off while a sandbox is running.
"""

from __future__ import annotations

import copy
import json
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from wizard.fsutil import atomic_write_json

SCHEMA_VERSION = 1
WORLD_FILE = "world.json"

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
    # The learner's login: "valid", "expired" (Google asks to sign in again), "revoked", or
    # "missing" (no application default credentials where google-auth looks).
    "credentials": "valid",
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

    # -- access ------------------------------------------------------------------------
    def read(self) -> dict[str, Any]:
        """A deep copy of the current world, safe to inspect without the lock."""
        with self._lock:
            return copy.deepcopy(self._load())

    @contextmanager
    def mutate(self) -> Iterator[dict[str, Any]]:
        """Yield the live world; it is saved atomically when the block ends without error."""
        with self._lock:
            data = self._load()
            backup = copy.deepcopy(data)
            try:
                yield data
            except BaseException:
                self._data = backup
                raise
            self._save(data)

    def _save(self, data: dict[str, Any]) -> None:
        atomic_write_json(self.path, data)
        self._stamp = self._file_stamp()

    def count(self, service: str, write: bool) -> None:
        """Count one API request; tests prove idempotence with these counters."""
        kind = "writes" if write else "reads"
        with self.mutate() as data:
            calls = data.setdefault("calls", {"reads": 0, "writes": 0, "by_service": {}})
            calls[kind] = calls.get(kind, 0) + 1
            per = calls.setdefault("by_service", {}).setdefault(service, {"reads": 0, "writes": 0})
            per[kind] = per.get(kind, 0) + 1

    def fault(self, name: str) -> Any:
        with self._lock:
            return self._load()["faults"].get(name, DEFAULT_FAULTS.get(name))

    def take_failure(self, method: str) -> str | None:
        """Return the error code injected for `method` (e.g. 'CloudBilling.GetBillingAccount'), if any."""
        with self._lock:
            return self._load()["faults"].get("fail", {}).get(method)

    def next_number(self) -> str:
        with self.mutate() as data:
            number = int(data.get("next_number", 100000000001))
            data["next_number"] = number + 1
        return str(number)
