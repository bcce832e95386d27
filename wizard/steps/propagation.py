"""A CI run refused right after a role was granted: IAM is still propagating, the setup is fine.

Google applies a change to an allow policy "typically within 2 minutes, potentially 7 minutes or
more" (cloud.google.com/iam/docs/access-change-propagation). The policy reads back at once, so
every check the wizard makes says the role is there, yet the first CI run after the grant can be
refused with 403. Calling that "your setup is wrong" would send the learner hunting for a mistake
that does not exist: the run is recognised, the learner told to wait, and the next run of the
wizard re-runs it.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from wizard.engine.errors import WizardError
from wizard.engine.step import Context, Status

# Longer than Google's "7 minutes or more": a grant younger than this may not be in effect yet.
WINDOW_SECONDS = 20 * 60
MARKER = "still propagating"
# The failure's machine-readable cause, kept in the checkpoint: the next attempt re-runs the CI run on it.
REASON = "iam-propagating"
_DENIAL = re.compile(r"\b40[13]\b|denied|forbidden|does not have|permission|unauthori[sz]ed", re.IGNORECASE)


def grant_age(ctx: Context, step_id: str) -> float | None:
    """Seconds since this chapter last granted roles (the journal's latest grant attempt), or None."""
    latest = last_grant(ctx, step_id)
    if latest is None:
        return None
    return max(0.0, (datetime.now(timezone.utc) - latest).total_seconds())


def last_grant(ctx: Context, step_id: str) -> datetime | None:
    """When this chapter last set out to grant roles (the journal's latest grant attempt), or None."""
    if ctx.store is None:
        return None
    prefix = step_id.split(".", 1)[0] + "."
    latest: datetime | None = None
    for entry in ctx.store.data.get("journal", []):
        step = str(entry.get("step", ""))
        if step.startswith(prefix) and "grant" in step and Status.read(entry.get("event")) is Status.STARTED:
            try:
                moment = datetime.fromisoformat(str(entry["at"]))
            except (KeyError, ValueError):
                continue
            latest = moment if latest is None or moment > latest else latest
    if latest is not None and latest.tzinfo is None:
        latest = latest.replace(tzinfo=timezone.utc)
    return latest


def explain(
    ctx: Context, step_id: str, sha: str, run: Any, hint: str, subject: str = "The CI run"
) -> WizardError | None:
    """The explanation for a failed run if it is most likely IAM propagation, else None."""
    age = grant_age(ctx, step_id)
    if age is None or age > WINDOW_SECONDS:
        return None
    started = getattr(run, "started_at", None)
    granted = last_grant(ctx, step_id)
    if started is not None and granted is not None:
        started = started if started.tzinfo else started.replace(tzinfo=timezone.utc)
        if started < granted:
            return None  # the run began before the grant: it failed for want of the role, not propagation
    if hint and not _DENIAL.search(hint):
        return None  # the forge says why, and it is not an access refusal
    minutes = max(1, round(age / 60))
    seen = f" The run says: {hint}" if hint else ""
    ago = f"{minutes} minute{'s' if minutes != 1 else ''} ago"
    if hint:  # the forge says it was an access refusal
        what = (
            f"The CI run for commit {sha[:7]} was refused access to Google Cloud: the role granted {ago} is {MARKER}."
        )
    else:  # the forge does not say why (GitHub keeps it in the log): name the run, then the likely cause
        what = (
            f"{subject} for commit {sha[:7]} ended with {run.conclusion}; most likely it was refused access "
            f"to Google Cloud because the role granted {ago} is {MARKER}."
        )
    return WizardError(
        what=what,
        why="Google applies new IAM grants everywhere within typically 2 minutes, sometimes 7 or more "
        "(cloud.google.com/iam/docs/access-change-propagation). The role is in the project's policy, so your "
        "setup is right; a run that started before the grant reached Cloud Storage is refused with 403." + seen,
        fix="Wait a few minutes, then run the wizard again: it re-runs this run and watches it (or re-run it "
        f"yourself at {run.url}).",
        retryable=True,
        details={"reason": REASON},
    )


def should_rerun(ctx: Context) -> bool:
    """True when the previous attempt of the watch stopped on a run refused while a grant propagated."""
    previous = ctx.previous
    if Status.read(previous.get("status")) is not Status.FAILED:
        return False
    if "reason" in previous:
        return previous["reason"] == REASON
    return MARKER in str(previous.get("detail", ""))  # a checkpoint written before failures kept their reason
