"""Rate limits on GitHub and GitLab: wait when the limit resets soon, else say when it does.

GitHub: https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api — a
primary limit answers 403 or 429 with `x-ratelimit-remaining: 0` and `x-ratelimit-reset` (UTC
epoch seconds); a secondary limit answers 403 or 429, often with `retry-after` (seconds).
GitLab: https://docs.gitlab.com/ee/administration/settings/user_and_ip_rate_limits.html
(response headers) — 429 with `Retry-After` and `RateLimit-Reset` (epoch seconds).

The clients wait by themselves (PyGithub's GithubRetry, python-gitlab's obey_rate_limit)
when the wait is at most MAX_RATE_LIMIT_WAIT; a longer one stops the step with the time the
limit resets, retryable, nothing lost.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from wizard.engine.errors import WizardError

MAX_RATE_LIMIT_WAIT = 90.0  # seconds: a learner can watch that; an hour they cannot


def reset_in(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds until the limit resets, from the headers either forge sends (None when not said)."""
    lower = {str(k).lower(): str(v) for k, v in headers.items()}
    now = time.time() if now is None else now
    retry_after = lower.get("retry-after", "").strip()
    if retry_after.isdigit():
        return float(retry_after)
    for name in ("x-ratelimit-reset", "ratelimit-reset"):
        value = lower.get(name, "").strip()
        if value.isdigit():
            return max(0.0, float(value) - now)
    return None


def is_rate_limit(status: int | None, message: str, headers: Mapping[str, str]) -> bool:
    lower = {str(k).lower(): str(v) for k, v in headers.items()}
    text = message.lower()
    if status == 429:
        return True
    return status == 403 and (
        lower.get("x-ratelimit-remaining") == "0" or "rate limit" in text or "retry-after" in lower
    )


def explain_rate_limit(
    forge: str, status: int | None, message: str, headers: Mapping[str, str], doing: str
) -> WizardError | None:
    """The learner's explanation of a rate-limit answer (None when the answer is not one)."""
    if not is_rate_limit(status, message, headers):
        return None
    seconds = reset_in(headers)
    if seconds is None:
        when = "in a few minutes"
    else:
        moment = time.strftime("%H:%M:%S UTC", time.gmtime(time.time() + seconds))
        when = f"at {moment} (in {_duration(seconds)})"
    return WizardError(
        what=f"{forge} limited the rate of requests while {doing}.",
        why=(f"{message.strip()} " if message.strip() else "") + f"The limit resets {when}; the wizard waits by "
        f"itself only when that is under {int(MAX_RATE_LIMIT_WAIT)} s.",
        fix=f"Run the wizard again after the reset ({when}); nothing was lost. Other tools using the same token "
        "(scripts, CI jobs) share the limit.",
        retryable=True,
    )


def _duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    if seconds < 90:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 90 else f"{minutes // 60} h {minutes % 60:02d} min"
