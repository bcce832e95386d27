"""Retrying Google's transient faults: exponential backoff with jitter, within a time budget.

Google's APIs fail a small share of calls for a moment (UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL,
429, 500/503), and their documentation asks clients to retry with exponential backoff
(cloud.google.com/storage/docs/retry-strategy, cloud.google.com/apis/design/errors#error_retries).
A learner must never see "temporarily unavailable" for such a blip, so every idempotent read and
every write that is safe to repeat goes through `policy()`:

- reads;
- creates whose conflict is handled by adopting what exists (project, service account, bucket);
- etag read-modify-write (IAM policies: a repeat with a stale etag is refused, then re-read);
- upserts (billing link, enabling services, bucket settings).

Key creation is the exception: a key created by a call whose answer was lost is an orphan, so it
is never retried blindly (`wizard.gcp.iam.create_key` reconciles the account's keys first).

A refresh of the learner's login that fails surfaces through gRPC as UNAVAILABLE "Getting metadata
from plugin failed": that is not transient, and it is not retried here.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

INITIAL = 0.25  # seconds before the first retry
MAXIMUM = 8.0  # longest single wait
MULTIPLIER = 2.0
# A call is given up after this long, then the learner is told; MLOPS_WIZARD_RETRY_BUDGET (seconds) changes it
# (tests, workshops rehearsing an outage).
BUDGET = 90.0


def budget() -> float:
    try:
        return float(os.environ.get("MLOPS_WIZARD_RETRY_BUDGET") or BUDGET)
    except ValueError:
        return BUDGET


_HTTP_TRANSIENT = {408, 429, 500, 502, 503, 504}
_NOT_TRANSIENT_WORDS = (
    # a login that cannot refresh: repeating changes nothing
    "metadata from plugin",
    "invalid_grant",
    "reauth",
    # no network at all (offline, DNS, nothing listening): the learner is told at once, not after the budget
    "dns resolution failed",
    "name or service not known",
    "temporary failure in name resolution",
    "failed to resolve",
    "connection refused",
    "failed to connect to all addresses",
)


def is_transient(exc: BaseException) -> bool:
    """True for a fault that the same call, repeated a moment later, would likely not meet."""
    from google.api_core import exceptions

    text = str(exc).lower()
    if any(word in text for word in _NOT_TRANSIENT_WORDS):
        return False
    if isinstance(
        exc,
        (
            exceptions.ServiceUnavailable,
            exceptions.DeadlineExceeded,
            exceptions.InternalServerError,
            exceptions.BadGateway,
            exceptions.GatewayTimeout,
        ),
    ):
        return True
    if isinstance(exc, exceptions.TooManyRequests):
        # 429 and RESOURCE_EXHAUSTED for a rate; an exhausted allowance (project quota) comes as
        # an operation's error or a QuotaFailure and is not a matter of waiting seconds.
        return "allotted project quota" not in text
    if isinstance(exc, exceptions.GoogleAPICallError):
        return getattr(exc, "code", None) in _HTTP_TRANSIENT
    try:
        import requests
    except ImportError:  # pragma: no cover - requests comes with google-cloud-storage
        return False
    return isinstance(exc, (requests.ConnectionError, requests.Timeout, ConnectionResetError))


def policy(seconds: float | None = None, on_error: Callable[[BaseException], Any] | None = None) -> Any:
    """A `google.api_core.retry.Retry` for `retry=` of the gRPC and storage clients."""
    from google.api_core import retry

    return retry.Retry(
        predicate=is_transient,
        initial=INITIAL,
        maximum=MAXIMUM,
        multiplier=MULTIPLIER,
        timeout=budget() if seconds is None else seconds,
        on_error=on_error,
    )
