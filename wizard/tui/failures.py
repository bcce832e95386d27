"""A failure in a worker thread, made into what the error panel shows.

An error the wizard explains (a refused answer, a Google error, a failed command) is the whole
story. When nothing could explain it (most likely a bug), its traceback and the run's activity go
to a log file in the user's log folder, redacted like every log, and the panel names that file,
as the command line does, so the learner can attach it to a bug report.
"""

from __future__ import annotations

from pathlib import Path

from wizard.engine.errors import UNEXPECTED, WizardError, translate


def explain(exc: BaseException, doing: str) -> tuple[WizardError, Path | None]:
    """The explanation of `exc`, raised while `doing`, and the log written for it when it was unexpected."""
    from wizard import logs  # imported when a failure is explained, not before the first paint

    error = translate(exc, doing)
    if error is not exc and error.__cause__ is None:
        error.__cause__ = exc  # the log's traceback is the original one
    if error.details.get("cause") != UNEXPECTED or logs.unexpected_cause(error) is None:
        return error, None
    return error, logs.write_report(error)
