"""Transient faults of the Google fakes: each call may fail the way Google's services do for a second.

Real Google APIs answer a small share of calls with a transient error, and clients are expected
to retry with exponential backoff (cloud.google.com/storage/docs/retry-strategy,
cloud.google.com/apis/design/errors#error_retries, grpc.github.io/grpc/core/md_doc_statuscodes.html).
The knob `faults.transient_failure_rate` (0–1) makes every call to the gRPC control plane and to
Cloud Storage, reads and writes, fail with that probability; `faults.transient_seed` makes the
sequence repeatable: whether call number N fails depends only on the seed and N (the world's
persisted call counter), so a seeded run meets the same faults every time it makes the same calls.

A DEADLINE_EXCEEDED on a write is answered after the write took effect, as a real deadline can
expire after the server committed (the client cannot know): only writes that are safe to repeat
may be retried blindly, which is exactly what the wizard must get right.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

# The codes Google's control plane uses for transient faults (gRPC status names), and what it says.
# Sources: google.rpc.Code comments (UNAVAILABLE: "most likely a transient condition"; DEADLINE_EXCEEDED;
# INTERNAL; RESOURCE_EXHAUSTED for rate limits) and cloud.google.com/apis/design/errors.
GRPC_TRANSIENT: tuple[tuple[str, str], ...] = (
    ("UNAVAILABLE", "The service is currently unavailable."),
    ("DEADLINE_EXCEEDED", "The request was aborted because it did not complete in time."),
    ("INTERNAL", "Internal error encountered."),
    (
        "RESOURCE_EXHAUSTED",
        (
            "Quota exceeded for quota metric 'Requests' and limit 'Requests per minute' "
            "of service. Please retry with exponential backoff."
        ),
    ),
)

# Cloud Storage's transient answers (cloud.google.com/storage/docs/json_api/v1/status-codes and
# cloud.google.com/storage/docs/retry-strategy: 408, 429 and 5xx are retryable).
HTTP_TRANSIENT: tuple[tuple[int, str, str], ...] = (
    (429, "rateLimitExceeded", "The rate of requests is too high. Please slow down."),
    (500, "backendError", "We encountered an internal error. Please try again."),
    (503, "backendError", "We encountered an internal error. Please try again."),
)


@dataclass(frozen=True)
class Transient:
    """One injected transient fault: for gRPC a status name, for HTTP a status code."""

    name: str
    message: str
    http_status: int = 0
    http_reason: str = ""
    after_write: bool = False  # the write took effect, the answer was lost


def _draw(faults: dict[str, Any], call_number: int) -> random.Random | None:
    try:
        rate = float(faults.get("transient_failure_rate") or 0.0)
    except (TypeError, ValueError):
        return None
    if rate <= 0:
        return None
    rng = random.Random(f"{faults.get('transient_seed', 0)}:{call_number}")
    return rng if rng.random() < min(rate, 1.0) else None


def grpc_fault(faults: dict[str, Any], call_number: int, write: bool) -> Transient | None:
    """The transient fault for control-plane call `call_number`, if this one fails."""
    rng = _draw(faults, call_number)
    if rng is None:
        return None
    name, message = GRPC_TRANSIENT[rng.randrange(len(GRPC_TRANSIENT))]
    return Transient(name, message, after_write=write and name == "DEADLINE_EXCEEDED")


def http_fault(faults: dict[str, Any], call_number: int) -> Transient | None:
    """The transient fault for storage call `call_number`, if this one fails (always before any effect)."""
    rng = _draw(faults, call_number)
    if rng is None:
        return None
    status, reason, message = HTTP_TRANSIENT[rng.randrange(len(HTTP_TRANSIENT))]
    return Transient(str(status), message, http_status=status, http_reason=reason)


def injected_once(code: str, write: bool) -> Transient:
    """A fault asked for once by name (faults["fail_once"]): like a drawn one, with Google's words when known."""
    name = code.strip().upper()
    message = dict(GRPC_TRANSIENT).get(name, f"Injected {name} (sandbox fault).")
    return Transient(name, message, after_write=write and name == "DEADLINE_EXCEEDED")
