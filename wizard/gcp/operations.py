"""Waiting for Google's long-running operations while telling the learner what happens."""

from __future__ import annotations

import time
from typing import Any, Callable

from wizard.engine.errors import WizardError
from wizard.gcp import retry


def wait(
    operation: Any, target: Any, say: Callable[[str, float | None], None], label: str, timeout: float = 600.0
) -> Any:
    """Poll `operation` until done, reporting elapsed time; return its result."""
    started = time.monotonic()
    delay = target.poll_initial
    shown = -1
    if not getattr(getattr(operation, "operation", None), "done", False):
        # Just started: a look now would only say so (one call for nothing); the first look waits a moment.
        time.sleep(delay)
    while True:
        if operation.done(retry=retry.policy()):
            break
        elapsed = time.monotonic() - started
        if elapsed > timeout:
            raise WizardError(
                what=f"{label} is taking longer than {int(timeout)} s.",
                why="Google Cloud has not finished the operation yet.",
                fix="Run the wizard again later: it will find the operation's result and continue.",
                retryable=True,
            )
        if int(elapsed) != shown:  # one line per second is enough to show it is alive
            shown = int(elapsed)
            say(f"{label}… {shown} s", None)
        time.sleep(delay)
        delay = min(delay * 1.5, target.poll_maximum)
    result = operation.result(retry=retry.policy())
    reads = getattr(target, "reads", None)
    if reads is not None:  # the operation changed the world after the call that started it
        reads.clear()
    return result
