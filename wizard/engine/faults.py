"""Crash points: places where a test can make the wizard die for real.

The resume tests need the process to be killed *inside* a step, at a chosen instant, with
SIGKILL — not an exception we could catch. When the environment variable
`MLOPS_WIZARD_KILL_AT` names a crash point (e.g. `ch07.create-project:after-call`), the
process sends SIGKILL to itself when it reaches that point. Unset, this costs nothing.
"""

from __future__ import annotations

import os
import signal

ENV = "MLOPS_WIZARD_KILL_AT"
# The same points can raise an exception instead: how a test meets the wizard's handling of the
# unexpected (the error message, the log file) without a real bug to trigger it.
FAIL_ENV = "MLOPS_WIZARD_FAIL_AT"


class InjectedFailure(RuntimeError):
    """Raised at the crash point named by MLOPS_WIZARD_FAIL_AT; stands for a bug."""


def crash_point(name: str) -> None:
    wanted = os.environ.get(ENV)
    if wanted and wanted == name:
        os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get(FAIL_ENV) == name:
        raise InjectedFailure(f"injected failure at {name}")
