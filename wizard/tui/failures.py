"""A failure in a worker thread, made into what the error panel shows.

The TUI follows the command line here: an error the wizard explains needs no more, but when an
unexpected exception lies behind it (a bug), its traceback and the run's activity go to a log
file in the user's log folder, redacted like every log, and the panel names that file so the
learner can attach it to a bug report.
"""

from __future__ import annotations

from pathlib import Path

from wizard import logs
from wizard.engine.errors import WizardError, translate


def explain(exc: BaseException, doing: str) -> tuple[WizardError, Path | None]:
    """The explanation of `exc`, raised while `doing`, and the log written for it when it was unexpected."""
    error = translate(exc, doing)
    if error is not exc and error.__cause__ is None:
        error.__cause__ = exc  # the log's traceback is the original one
    return error, logs.report_unexpected(error)
