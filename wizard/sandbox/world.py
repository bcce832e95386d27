"""The sandbox's whole fake world, persisted as one JSON file in the sandbox folder.

Every fake service (gRPC control plane, storage, forges) reads and mutates the same
`World`. Each mutation is written atomically, so a wizard killed with SIGKILL while it runs
the sandbox in-process leaves a world that the next start reads back intact. The file is
re-read when another process (a test, `sandbox serve`) changed it, which is how tests
turn fault knobs on and off while a sandbox is running. A mutation holds an exclusive lock on
`DIR/.world.lock` from reading the file to writing it back, so two processes (or two `World`s of
one process) changing the world at once cannot lose each other's change.

Request counters are the exception: every request of every fake counts one, so they are
kept in memory and folded into the file at the next mutation, a short moment later, or
when the sandbox stops (`flush`). Writing the world once per request made a `dvc push` of
thousands of objects spend most of its time copying and fsyncing `world.json`.
"""

from __future__ import annotations

import atexit
import copy
import json
import os
import threading
import weakref
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, ContextManager, Iterator

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
    # true (or "legacy"): the org policy iam.disableServiceAccountKeyCreation is enforced;
    # "managed": its managed form iam.managed.disableServiceAccountKeyCreation.
    "disable_key_creation": False,
    # How many more projects the learner may create (None: no limit). At 0, creating one fails like
    # Google's project quota (the operation ends with code 8, RESOURCE_EXHAUSTED).
    "project_quota": None,
    # Seconds before a new IAM grant takes effect for service accounts (storage access, CI runs);
    # Google: "typically 2 minutes, potentially 7 or more" (cloud.google.com/iam/docs/access-change-propagation).
    "iam_propagation_seconds": 0.0,
    # Share (0-1) of calls to the Google fakes that fail with a transient error; see wizard/sandbox/faults.py.
    "transient_failure_rate": 0.0,
    "transient_seed": 0,
    # "service.Method" -> gRPC error code name to fail with on the next call only; a DEADLINE_EXCEEDED
    # on a write is answered after the write took effect (the answer is lost), e.g.
    # {"IAM.CreateServiceAccountKey": "DEADLINE_EXCEEDED"}.
    "fail_once": {},
    # The learner's login: "valid", "expired" (Google asks to sign in again), "revoked", or
    # "missing" (no application default credentials where google-auth looks).
    "credentials": "valid",
    # When true, the learner is offline: the token endpoint and Cloud Storage drop every connection.
    "offline": False,
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

    def _load(self, fresh: bool = False) -> dict[str, Any]:
        stamp = self._file_stamp()
        if self._data is None or fresh or stamp != self._stamp:
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
            with self._file_lock():
                # Read again under the lock: the stamp (mtime, size) can miss a write of the same
                # size within the file system's clock tick, and the change must start from the last.
                data = copy.deepcopy(self._load(fresh=True))
                _add_counts(data, self._pending)  # the block sees (and may reset) every count
                self._working = data
                try:
                    yield data
                    self._save(data)
                    self._pending.clear()
                    self._data = data
                finally:
                    self._working = None

    def _file_lock(self) -> ContextManager[object]:
        """An exclusive lock between processes for one read-modify-write of the file (POSIX `flock`)."""
        try:
            import fcntl
        except ImportError:  # Windows: the sandbox's processes there share no world at once
            return nullcontext()
        if not self.root.is_dir():
            return nullcontext()
        return _Flock(self.root / ".world.lock", fcntl)

    def _save(self, data: dict[str, Any]) -> None:
        # 0600: the world holds the fake forges' tokens and the CI variables' values (keys).
        atomic_write_json(self.path, data, mode=0o600)
        self._stamp = self._file_stamp()

    def count(self, service: str, write: bool) -> int:
        """Count one API request; tests prove idempotence with these counters. Returns the request's number
        (the seeded transient faults depend on it).

        Counted in memory, written with the next mutation or within `COUNTS_FLUSH_SECONDS`."""
        with self._lock:
            self._pending.setdefault(service, [0, 0])[1 if write else 0] += 1
            if self._flush_timer is None:
                self._flush_timer = threading.Timer(COUNTS_FLUSH_SECONDS, self._flush_later)
                self._flush_timer.daemon = True
                self._flush_timer.start()
            calls = self._current().get("calls", {})
            number = int(calls.get("reads", 0)) + int(calls.get("writes", 0))
            if self._working is None:  # a mutation in progress holds the pending counts already
                number += sum(reads + writes for reads, writes in self._pending.values())
            return number

    def _flush_later(self) -> None:
        with self._lock:
            self._flush_timer = None
        try:
            self.flush()
        except OSError:  # the sandbox folder went away: the counts go with it
            pass

    def flush(self) -> None:
        """Write the counted requests now (the sandbox calls this when it stops)."""
        with self._lock:
            if self._pending and self._working is None:
                with self.mutate():
                    pass

    def fault(self, name: str) -> Any:
        with self._lock:
            return self._current()["faults"].get(name, DEFAULT_FAULTS.get(name))

    def note_transient(self) -> None:
        """Count one injected transient fault (shown by `sandbox inspect` under calls)."""
        with self.mutate() as data:
            calls = data.setdefault("calls", {"reads": 0, "writes": 0, "by_service": {}})
            calls["transient_faults"] = int(calls.get("transient_faults", 0)) + 1

    def take_failure_once(self, method: str) -> str | None:
        """The code injected once for `method` under faults["fail_once"], removed as it is used."""
        with self._lock:
            if method not in (self._current()["faults"].get("fail_once") or {}):
                return None
            with self.mutate() as data:
                code = data["faults"]["fail_once"].pop(method, None)
                return str(code) if code else None

    def read_faults(self) -> dict[str, Any]:
        """The fault knobs as they are now (a copy)."""
        with self._lock:
            return dict(self._current()["faults"])

    def take_failure(self, method: str) -> str | None:
        """Return the error code injected for `method` (e.g. 'CloudBilling.GetBillingAccount'), if any."""
        with self._lock:
            return self._current()["faults"].get("fail", {}).get(method)

    def next_number(self) -> str:
        with self.mutate() as data:
            number = int(data.get("next_number", 100000000001))
            data["next_number"] = number + 1
        return str(number)


class _Flock:
    """Holds `flock(LOCK_EX)` on a lock file (0600) while the block runs; released by closing it.

    A thread that already holds it (a `World` mutated inside another's mutation of the same
    folder) goes on: a second `flock` from this process would wait for itself.
    """

    _held = threading.local()

    def __init__(self, path: Path, fcntl: Any) -> None:
        self._path, self._fcntl, self._fd = str(path), fcntl, -1

    def __enter__(self) -> object:
        held: set[str] = self._held.__dict__.setdefault("paths", set())
        if self._path in held:
            return self
        self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            self._fcntl.flock(self._fd, self._fcntl.LOCK_EX)
        except BaseException:
            os.close(self._fd)
            raise
        held.add(self._path)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd < 0:
            return
        self._held.__dict__["paths"].discard(self._path)
        os.close(self._fd)  # closing releases the lock
        self._fd = -1


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
