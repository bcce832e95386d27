"""One error type for everything that can go wrong, written for the learner.

Every failure the wizard shows says what failed, why, and how to fix it, and whether
pressing Retry can help. `translate` turns the exceptions of google.api_core, gRPC,
git and dvc into that shape so the UI never shows a bare traceback.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from typing import Any


@dataclass
class WizardError(Exception):
    """A failure explained: `what` failed, `why`, and the `fix` the learner can apply."""

    what: str
    why: str = ""
    fix: str = ""
    retryable: bool = False
    details: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.what)

    def __str__(self) -> str:
        return self.render()

    def render(self) -> str:
        lines = [f"Error: {self.what}"]
        if self.why:
            lines.append(f"  Why: {self.why}")
        if self.fix:
            lines.append(f"  Fix: {self.fix}")
        if self.retryable:
            lines.append("  Retrying may help: this looks temporary.")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        return {"what": self.what, "why": self.why, "fix": self.fix, "retryable": self.retryable}


# `details["cause"]` of an error nothing could explain (most likely a bug): a report is written for it.
UNEXPECTED = "unexpected"


class MissingAnswer(WizardError):
    """Raised in non-interactive runs when an answer the step needs was not given."""


def _google_reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    return str(reason) if reason else ""


def translate(exc: BaseException, doing: str) -> WizardError:
    """Explain `exc`, raised while `doing` (e.g. "creating the project"), as a WizardError."""
    if isinstance(exc, WizardError):
        return exc
    try:
        from wizard.engine.auth_errors import explain

        explained = explain(exc, doing)
    except ImportError:  # pragma: no cover - google-auth is a dependency
        explained = None
    if explained is not None:
        return explained
    try:
        from google.api_core import exceptions as gexc
    except ImportError:  # pragma: no cover - google-api-core is a dependency
        gexc = None  # type: ignore[assignment]
    if gexc is not None and isinstance(exc, gexc.GoogleAPIError):
        return _translate_google(exc, doing, gexc)
    if isinstance(exc, subprocess.CalledProcessError):
        cmd = exc.cmd if isinstance(exc.cmd, str) else " ".join(str(c) for c in exc.cmd)
        output = exc.stderr or exc.output or ""
        if isinstance(output, bytes):
            output = output.decode("utf-8", "replace")
        tail = "\n".join(output.strip().splitlines()[-6:])
        return WizardError(
            what=f"Failed while {doing}: `{cmd}` exited with code {exc.returncode}.",
            why=tail or "The command printed no explanation.",
            fix="Read the command's message above; fix what it names and retry.",
            retryable=True,
        )
    if isinstance(exc, FileNotFoundError) and exc.filename:
        return WizardError(
            what=f"Failed while {doing}: `{exc.filename}` was not found.",
            why="A program or file the step needs is missing.",
            fix=f"Install or create `{exc.filename}`, then retry.",
        )
    if isinstance(exc, (ConnectionError, TimeoutError, OSError)):
        return WizardError(
            what=f"Failed while {doing}: {exc}",
            why="The network or a service did not answer.",
            fix="Check your connection (for the sandbox: is it running?) and retry.",
            retryable=True,
        )
    return WizardError(
        what=f"Failed while {doing}: {type(exc).__name__}: {exc}",
        why="This was not expected; it may be a bug in the wizard.",
        fix="Retry; if it fails again, report it with the activity log.",
        retryable=True,
        details={"cause": UNEXPECTED},
    )


def _translate_google(exc: BaseException, doing: str, gexc: Any) -> WizardError:
    message = getattr(exc, "message", None) or str(exc)
    reason = _google_reason(exc)
    if reason == "SERVICE_DISABLED":
        service = (getattr(exc, "metadata", None) or {}).get("service", "the API")
        return WizardError(
            what=f"Failed while {doing}: {service} is not enabled on the project.",
            why=message,
            fix=f"Enable it (`gcloud services enable {service}`) or re-run the step that enables the APIs, then retry.",
            retryable=True,
        )
    if isinstance(exc, (gexc.Unauthenticated,)):
        return WizardError(
            what=f"Failed while {doing}: Google Cloud did not accept your credentials.",
            why=message,
            fix="Run `gcloud auth application-default login` and retry.",
        )
    if isinstance(exc, (gexc.PermissionDenied, gexc.Forbidden)):
        return WizardError(
            what=f"Failed while {doing}: permission denied.",
            why=message,
            fix="Check that you are logged in with the account that owns the project "
            "(`gcloud auth list`), or choose a resource that is yours.",
        )
    if isinstance(exc, gexc.TooManyRequests) and "quota" in message.lower() and "per minute" not in message.lower():
        return WizardError(
            what=f"Failed while {doing}: a Google Cloud quota is exhausted.",
            why=message,
            fix="This is an allowance, not a passing fault: free some of it (or ask Google for more: "
            "https://console.cloud.google.com/iam-admin/quotas), then run the wizard again.",
        )
    if isinstance(
        exc,
        (
            gexc.ServiceUnavailable,
            gexc.DeadlineExceeded,
            gexc.InternalServerError,
            gexc.TooManyRequests,
            gexc.Aborted,
            gexc.GatewayTimeout,
        ),
    ):
        return WizardError(
            what=f"Failed while {doing}: Google Cloud is temporarily unavailable.",
            why=message,
            fix="Wait a moment and retry; nothing was lost.",
            retryable=True,
        )
    if isinstance(exc, gexc.FailedPrecondition):
        return WizardError(
            what=f"Failed while {doing}: a precondition is not met.",
            why=message,
            fix="Read the reason above, fix it in the Google Cloud console, and retry.",
            retryable=True,
        )
    if isinstance(exc, (gexc.BadRequest, gexc.InvalidArgument)):
        return WizardError(
            what=f"Failed while {doing}: Google Cloud rejected the request.",
            why=message,
            fix="Check the answers you gave for this step.",
        )
    if isinstance(exc, gexc.RetryError):
        cause = getattr(exc, "cause", None)
        if isinstance(cause, gexc.GoogleAPIError):  # retried until the budget ran out: explain the last answer
            return _translate_google(cause, doing, gexc)
        return WizardError(
            what=f"Failed while {doing}: Google Cloud kept failing.",
            why=message,
            fix="Google may be having an incident (https://status.cloud.google.com); wait a few minutes and run "
            "the wizard again: it continues where it stopped.",
            retryable=True,
        )
    return WizardError(
        what=f"Failed while {doing}: {type(exc).__name__}.",
        why=message,
        fix="Retry; if it persists, check the Google Cloud console.",
        retryable=True,
    )
