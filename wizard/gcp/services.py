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


def enable(target: Any, project_id: str, services: list[str], say: Callable[[str, float | None], None]) -> None:
    operation = target.service_usage().batch_enable_services(
        request={"parent": f"projects/{project_id}", "service_ids": services},
        retry=retry.policy(),  # enabling an enabled service is a no-op: safe to repeat
    )
    operations.wait(operation, target, say, "Waiting for Google to enable " + ", ".join(services))
