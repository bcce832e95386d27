"""Reading what chapters 11–13 of the guide created: the GKE cluster and the Artifact Registry repository."""

from __future__ import annotations

from typing import Any

from wizard.engine.errors import WizardError
from wizard.gcp import retry


def cluster_locations(target: Any, project_id: str, name: str) -> list[str]:
    """The locations where a cluster of that name exists in the project (usually zero or one)."""
    from google.api_core import exceptions

    try:
        response = target.container().list_clusters(parent=f"projects/{project_id}/locations/-", retry=retry.policy())
    except exceptions.PermissionDenied as exc:
        if getattr(exc, "reason", "") == "SERVICE_DISABLED":
            raise api_disabled(project_id, "container.googleapis.com", "Kubernetes Engine", 13) from None
        raise
    return [c.location for c in response.clusters if c.name == name]


def registry_from_host(host: str) -> tuple[str, str] | None:
    """(location, repository) of an Artifact Registry host like europe-west6-docker.pkg.dev/PROJECT/REPO."""
    parts = host.strip().strip("/").split("/")
    if len(parts) < 3 or not parts[0].endswith("-docker.pkg.dev"):
        return None
    return parts[0][: -len("-docker.pkg.dev")], parts[-1]


def registry_exists(target: Any, project_id: str, location: str, name: str) -> bool:
    from google.api_core import exceptions

    try:
        target.artifact_registry().get_repository(
            name=f"projects/{project_id}/locations/{location}/repositories/{name}", retry=retry.policy()
        )
    except exceptions.NotFound:
        return False
    except exceptions.PermissionDenied as exc:
        if getattr(exc, "reason", "") == "SERVICE_DISABLED":
            raise api_disabled(project_id, "artifactregistry.googleapis.com", "Artifact Registry", 12) from None
        raise
    return True


def api_disabled(project_id: str, service: str, label: str, chapter: int) -> WizardError:
    return WizardError(
        what=f"The {label} API ({service}) is not enabled on project {project_id}.",
        why=f"Chapter 14 deploys to what the guide's chapter {chapter} creates, and that chapter enables this API.",
        fix=f"Follow the guide's chapter {chapter} (or run `gcloud services enable {service} --project {project_id}` "
        "if the resources already exist), then run the wizard again.",
    )


def delete_cluster(target: Any, project_id: str, location: str, name: str, say: Any) -> None:
    """Delete the cluster (its nodes go with it) and wait for Google's operation."""
    import time

    from google.api_core import exceptions

    client = target.container()
    try:
        operation = client.delete_cluster(
            name=f"projects/{project_id}/locations/{location}/clusters/{name}", retry=None
        )
    except exceptions.NotFound:
        return
    say(f"Google is deleting the cluster {name} (this takes a few minutes on Google Cloud)", None)
    op_name = f"projects/{project_id}/locations/{location}/operations/{operation.name}"
    delay = target.poll_initial
    while operation.status.name != "DONE":
        time.sleep(delay)
        delay = min(delay * 1.5, target.poll_maximum)
        operation = client.get_operation(name=op_name, retry=target.retry())


def delete_registry(target: Any, project_id: str, location: str, name: str, say: Any) -> None:
    """Delete the repository with the images MLEM pushed, and wait for Google's operation."""
    from google.api_core import exceptions

    from wizard.gcp import operations

    try:
        operation = target.artifact_registry().delete_repository(
            name=f"projects/{project_id}/locations/{location}/repositories/{name}", retry=None
        )
    except exceptions.NotFound:
        return
    operations.wait(operation, target, say, f"Deleting the registry {name}")
