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


def crash_point(name: str) -> None:
    wanted = os.environ.get(ENV)
    if wanted and wanted == name:
        os.kill(os.getpid(), signal.SIGKILL)
