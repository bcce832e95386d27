"""Which failures are worth repeating, and the sandbox's seeded faults (pure logic, no server)."""

from __future__ import annotations

from google.api_core import exceptions

from wizard.gcp.retry import is_transient, policy
from wizard.sandbox.faults import grpc_fault, http_fault


def test_googles_passing_faults_are_retried():
    for exc in (
        exceptions.ServiceUnavailable("The service is currently unavailable."),
        exceptions.DeadlineExceeded("Deadline exceeded"),
        exceptions.InternalServerError("Internal error"),
        exceptions.TooManyRequests("Quota exceeded for quota metric 'Requests' per minute"),
        exceptions.BadGateway("bad gateway"),
        exceptions.GatewayTimeout("timeout"),
    ):
        assert is_transient(exc), exc


def test_what_waiting_cannot_fix_is_not_retried():
    for exc in (
        exceptions.PermissionDenied("The caller does not have permission"),
        exceptions.NotFound("x"),
        exceptions.Conflict("Requested entity already exists"),
        exceptions.FailedPrecondition("Precondition"),
        exceptions.ResourceExhausted(
            "The project cannot be created because you have exceeded your allotted project quota."
        ),
        exceptions.ServiceUnavailable("Getting metadata from plugin failed with error: ('invalid_grant')"),
        exceptions.ServiceUnavailable("failed to connect to all addresses; DNS resolution failed"),
        ValueError("not a Google error"),
    ):
        assert not is_transient(exc), exc


def test_the_policy_retries_then_succeeds():
    answers = [exceptions.ServiceUnavailable("blip"), exceptions.InternalServerError("blip"), "ok"]

    def flaky() -> str:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    retry = policy(5)
    retry._initial, retry._maximum = 0.001, 0.002  # no need to wait in a unit test
    assert retry(flaky)() == "ok" and answers == []


def test_seeded_faults_repeat_and_keep_to_their_rate():
    knobs = {"transient_failure_rate": 0.2, "transient_seed": 7}
    first = [grpc_fault(knobs, n, write=n % 3 == 0) for n in range(2000)]
    again = [grpc_fault(knobs, n, write=n % 3 == 0) for n in range(2000)]
    assert first == again
    share = sum(f is not None for f in first) / len(first)
    assert 0.17 < share < 0.23
    names = {f.name for f in first if f is not None}
    assert names == {"UNAVAILABLE", "DEADLINE_EXCEEDED", "INTERNAL", "RESOURCE_EXHAUSTED"}
    # Only a deadline on a write may hide a write that took effect.
    assert all(f.after_write == (f.name == "DEADLINE_EXCEEDED" and n % 3 == 0) for n, f in enumerate(first) if f)
    other = [grpc_fault({**knobs, "transient_seed": 8}, n, write=False) for n in range(2000)]
    assert [f is None for f in other] != [f is None for f in first]


def test_storage_faults_use_cloud_storages_codes_and_none_without_a_rate():
    knobs = {"transient_failure_rate": 0.5, "transient_seed": 1}
    statuses = {f.http_status for n in range(500) if (f := http_fault(knobs, n))}
    assert statuses == {429, 500, 503}
    assert all(http_fault({}, n) is None for n in range(100))
    assert all(grpc_fault({"transient_failure_rate": 0}, n, True) is None for n in range(100))
