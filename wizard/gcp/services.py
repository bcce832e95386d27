"""Enabling Google APIs through google-cloud-service-usage."""

from __future__ import annotations

from typing import Any, Callable, Iterable

from wizard.gcp import operations, retry


def enabled(target: Any, project_id: str, services: Iterable[str]) -> set[str]:
    names = [f"projects/{project_id}/services/{s}" for s in services]
    response = target.service_usage().batch_get_services(
        request={"parent": f"projects/{project_id}", "names": names}, retry=retry.policy()
    )
    return {s.config.name or s.name.rsplit("/", 1)[1] for s in response.services if s.state.name == "ENABLED"}


def enable(
    target: Any,
    project_id: str,
    services: list[str],
    say: Callable[[str, float | None], None],
    after_call: Callable[[], None] = lambda: None,
) -> None:
    operation = target.service_usage().batch_enable_services(
        request={"parent": f"projects/{project_id}", "service_ids": services},
        retry=retry.policy(),  # enabling an enabled service is a no-op: safe to repeat
    )
    after_call()
    operations.wait(operation, target, say, "Waiting for Google to enable " + ", ".join(services))


# What the wizard calls with the learner's project as quota project
# (https://cloud.google.com/docs/quotas/quota-project). A new project starts without them
# (https://cloud.google.com/service-usage/docs/enabled-service#default), and a call billed to
# a project where its API is off fails with SERVICE_DISABLED.
QUOTA_PROJECT_SERVICES = (
    "cloudresourcemanager.googleapis.com",
    "cloudbilling.googleapis.com",
    "serviceusage.googleapis.com",
    "iam.googleapis.com",
)


def quota_project_ready(target: Any, project_id: str) -> bool:
    """True when calls billed to the project can reach every API the wizard uses on it."""
    return set(QUOTA_PROJECT_SERVICES) <= enabled(target, project_id, QUOTA_PROJECT_SERVICES)


def prepare_quota_project(
    target: Any,
    project_id: str,
    say: Callable[[str, float | None], None],
    answer_within: float = 120.0,
    after_call: Callable[[], None] = lambda: None,
) -> None:
    """Enable the APIs the wizard bills to the project, then wait until they answer.

    Enabling is read while billed to the caller's own client project (no quota project yet),
    which is how gcloud does it for a project that cannot pay for calls yet.
    """
    import time

    from google.api_core import exceptions

    target.set_quota_project(None)
    on = enabled(target, project_id, QUOTA_PROJECT_SERVICES)
    missing = [s for s in QUOTA_PROJECT_SERVICES if s not in on]
    if missing:
        enable(target, project_id, missing, say, after_call)
    target.set_quota_project(project_id)
    deadline, delay = time.monotonic() + answer_within, target.poll_initial
    while True:  # Google: "If you enabled this API recently, wait a few minutes ... and retry."
        try:
            target.projects().get_project(name=f"projects/{project_id}", retry=target.retry())
            target.billing().get_project_billing_info(name=f"projects/{project_id}", retry=target.retry())
            return
        except exceptions.PermissionDenied as exc:
            if getattr(exc, "reason", "") != "SERVICE_DISABLED" or time.monotonic() >= deadline:
                raise
        say("Waiting for the APIs just enabled to answer", None)
        time.sleep(delay)
        delay = min(delay * 1.5, target.poll_maximum)
