"""Stopping the work under way when the learner quits: every subprocess we started, with its children.

git, dvc and pip run in their own process group, so one signal reaches the tool and
whatever it started (dvc's upload workers, pip's build backends). A cancelled run leaves
its step "started" in the journal, exactly as a crash would, so the next run reconciles it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from contextlib import contextmanager
from typing import Iterator

_lock = threading.Lock()
_live: set[subprocess.Popen] = set()
_cancelled = threading.Event()


class Cancelled(BaseException):
    """The learner quit while a step was working. A BaseException, so no step mistakes it for its own failure."""


def requested() -> bool:
    return _cancelled.is_set()


def check() -> None:
    """Raise Cancelled if the learner asked to stop: called before starting more work."""
    if _cancelled.is_set():
        raise Cancelled()


def reset() -> None:
    _cancelled.clear()


@contextmanager
def tracked(proc: subprocess.Popen[bytes] | subprocess.Popen[str]) -> Iterator[None]:
    """Known to cancel_all() while it runs; its whole group is stopped if the wizard is interrupted meanwhile."""
    with _lock:
        _live.add(proc)
    try:
        yield
    except BaseException as exc:
        if proc.poll() is None or _cancelled.is_set():
            _stop_group(proc, grace=0.5)
        if _cancelled.is_set() and not isinstance(exc, Cancelled):
            raise Cancelled() from exc  # the tool failed because it was stopped: that is not its error
        raise
    finally:
        with _lock:
            _live.discard(proc)
    if _cancelled.is_set():
        raise Cancelled()


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _stop_group(proc: subprocess.Popen, grace: float) -> None:
    if proc.poll() is not None:
        _signal_group(proc, signal.SIGKILL)  # the leader is gone; its children may not be
        return
    _signal_group(proc, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    _signal_group(proc, signal.SIGKILL)


def cancel_all(grace: float = 1.0) -> int:
    """Ask every running tool to stop (SIGTERM, then SIGKILL after `grace` seconds); returns how many ran."""
    _cancelled.set()
    with _lock:
        running = list(_live)
    threads = [threading.Thread(target=_stop_group, args=(p, grace), daemon=True) for p in running]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(grace + 1.0)
    return len(running)
