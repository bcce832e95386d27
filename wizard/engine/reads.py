"""One observation per fact within a run: read-only answers kept until the run itself writes.

Steps observe before and after they act, and several steps observe the same fact (a service
account, the project's IAM policy, origin's branch). Each of those reads was a call to Google
or a `git ls-remote`; here the first answer is kept and shared, and any write the run makes
through the same client forgets everything, so what is kept is never older than the run's own
last change. A front end clears it when a run (or a look at the world) begins: it is never a
cache across runs, and the checkpoint stays a cache of its own, never the truth.

Only answers are kept, never failures: a fact that is not true yet (an account Google does not
show) is read again each time it is asked. A loop that waits for the world to change reads
through `fresh()`.
"""

from __future__ import annotations

import copy
import threading
from contextlib import contextmanager
from typing import Any, Callable, Hashable, Iterator, TypeVar

T = TypeVar("T")


class _Pending:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.failed = False


class Reads:
    """Answers of read calls by key, shared by the threads of one run (side-by-side observations ask once)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[Hashable, Any] = {}
        self._pending: dict[Hashable, _Pending] = {}
        self._generation = 0
        self._local = threading.local()

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        """The kept answer for `key`, else `load()`'s (kept unless a write happened meanwhile). A copy each time:
        callers may change what they get (a policy edited before it is written back)."""
        if getattr(self._local, "fresh", 0):
            return load()
        with self._lock:
            if key in self._values:
                return copy.deepcopy(self._values[key])
            pending = self._pending.get(key)
            owner = pending is None
            if owner:
                pending = self._pending[key] = _Pending()
            generation = self._generation
        assert pending is not None
        if not owner:  # the same fact is being read by another thread: its answer serves both
            pending.done.wait()
            if not pending.failed:
                return copy.deepcopy(pending.value)
            return load()
        try:
            value = load()
        except BaseException:
            pending.failed = True
            raise
        else:
            pending.value = value
            with self._lock:
                if generation == self._generation:
                    self._values[key] = value
            return copy.deepcopy(value)
        finally:
            with self._lock:
                if self._pending.get(key) is pending:
                    del self._pending[key]
            pending.done.set()

    def put(self, key: Hashable, value: Any) -> None:
        """Keep what a write's own answer (or a completed wait) proved."""
        with self._lock:
            self._values[key] = copy.deepcopy(value)

    def clear(self) -> None:
        """Forget everything: the run wrote something, or a new run (or look) begins."""
        with self._lock:
            self._values.clear()
            self._generation += 1

    @contextmanager
    def fresh(self) -> Iterator[None]:
        """Reads in this block (this thread) ask the world again: for loops that wait for it to change."""
        self._local.fresh = getattr(self._local, "fresh", 0) + 1
        try:
            yield
        finally:
            self._local.fresh -= 1


# Methods of Google's clients whose answers are kept (each reads one fact); every other method that is not
# a read (get_/list_/batch_get_/test_) is a write and clears what is kept. Operations are never kept: they
# are polled until done.
KEPT_READS = frozenset(
    {
        "get_project",
        "get_iam_policy",
        "get_service_account",
        "list_service_account_keys",
        "get_project_billing_info",
        "batch_get_services",
        "list_clusters",
        "get_repository",
    }
)
_READ_PREFIXES = ("get_", "list_", "batch_get_", "test_", "search_")


class KeptClient:
    """A Google client whose reads of `KEPT_READS` go through `reads`, and whose writes forget them."""

    def __init__(self, name: str, client: Any, reads: Reads) -> None:
        self._name = name
        self._client = client
        self._reads = reads

    def __getattr__(self, attr: str) -> Any:
        value = getattr(self._client, attr)
        if attr.startswith("_") or not callable(value):
            return value
        if attr in KEPT_READS:

            def kept(*args: Any, **kwargs: Any) -> Any:
                key = (
                    self._name,
                    attr,
                    repr(args),
                    repr(sorted((k, repr(v)) for k, v in kwargs.items() if k != "retry")),
                )
                return self._reads.get(key, lambda: value(*args, **kwargs))

            return kept
        if attr.startswith(_READ_PREFIXES):
            return value

        def write(*args: Any, **kwargs: Any) -> Any:
            self._reads.clear()
            try:
                return value(*args, **kwargs)
            finally:
                self._reads.clear()

        return write


def kept(holder: Any, key: Hashable, load: Callable[[], T]) -> T:
    """`holder.reads.get(key, load)`, or `load()` for a holder without reads."""
    reads = getattr(holder, "reads", None)
    return reads.get(key, load) if isinstance(reads, Reads) else load()


def forget(holder: Any) -> None:
    """`holder.reads.clear()`, for a write made outside a kept client (Cloud Storage's own client)."""
    reads = getattr(holder, "reads", None)
    if isinstance(reads, Reads):
        reads.clear()
