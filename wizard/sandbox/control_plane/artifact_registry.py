"""google.devtools.artifactregistry.v1.ArtifactRegistry: the learner's repositories, read (deleted by clean-up).

MLEM pushes the model's image to the Docker repository chapter 13 created; the wizard only
needs to check that the repository is there. GetRepository and ListRepositories answer
from `world["projects"][P]["artifact_repositories"]["{location}/{name}"]`, filled by the
chapter 13 preset (see `chapter13.py`) or a test.

Errors, in Google's order: another person's or a missing project is PERMISSION_DENIED
("Permission 'artifactregistry.repositories.get' denied on resource '//artifactregistry.
googleapis.com/projects/...' (or it may not exist)." with an IAM_PERMISSION_DENIED
ErrorInfo — close to Google's text), the Artifact Registry API switched off is
SERVICE_DISABLED, a missing repository is NOT_FOUND ("Requested entity was not found.",
Google's generic text) and a malformed name is INVALID_ARGUMENT ("Invalid resource field
value in the request.", Google's text).
"""

from __future__ import annotations

import re
from typing import Any

from google.cloud.artifactregistry_v1.types import repository as ar
from google.longrunning import operations_pb2

from wizard.sandbox.world import World

from . import clock
from .access import learner_project
from .catalog import SERVICES
from .errors import error_info, invalid_argument, not_found, permission_denied, service_disabled
from .paging import page
from .rpc import Rpc, service_handler

ARTIFACT_REGISTRY_SERVICE = "artifactregistry.googleapis.com"
INVALID_RESOURCE = "Invalid resource field value in the request."

# A region (europe-west6) or a multi-region (europe, us, asia); Artifact Registry has no "-".
_LOCATION = r"(?:[a-z]+-[a-z]+\d+|us|europe|asia)"
_REPOSITORY_NAME = re.compile(rf"^projects/([^/]+)/locations/({_LOCATION})/repositories/([a-z][a-z0-9-]*)$")
_PARENT = re.compile(rf"^projects/([^/]+)/locations/({_LOCATION})$")


def repository_message(project: dict[str, Any], record: dict[str, Any]) -> ar.Repository:
    project_id = project["project_id"]
    location, name = record["location"], record["name"]
    message = ar.Repository(
        name=f"projects/{project_id}/locations/{location}/repositories/{name}",
        format_=ar.Repository.Format[record.get("format", "DOCKER")],
        description=record.get("description", ""),
        mode=ar.Repository.Mode.STANDARD_REPOSITORY,
        create_time=clock.parse_iso(record["create_time"]),
        update_time=clock.parse_iso(record.get("update_time") or record["create_time"]),
        size_bytes=int(record.get("size_bytes", 0)),
    )
    if message.format_ == ar.Repository.Format.DOCKER:
        message.registry_uri = f"{location}-docker.pkg.dev/{project_id}/{name}"
    return message


def _denied(permission: str, resource: str):
    """Artifact Registry's 403 for a project one may not use (approximation of Google's)."""
    full = f"//artifactregistry.googleapis.com/{resource}"
    return permission_denied(
        f"Permission '{permission}' denied on resource '{full}' (or it may not exist).",
        [
            error_info(
                "IAM_PERMISSION_DENIED",
                "artifactregistry.googleapis.com",
                {"permission": permission, "resource": resource},
            )
        ],
    )


class ArtifactRegistryService:
    def __init__(self, world: World) -> None:
        self.world = world

    def _project(self, data: dict[str, Any], ref: str, permission: str, resource: str) -> dict[str, Any]:
        project = learner_project(data, ref, allow_deleted=False, denied=_denied(permission, resource))
        if ARTIFACT_REGISTRY_SERVICE not in project.get("services", []):
            raise service_disabled(ARTIFACT_REGISTRY_SERVICE, SERVICES[ARTIFACT_REGISTRY_SERVICE].title, ref)
        return project

    def get_repository(self, request: ar.GetRepositoryRequest) -> ar.Repository:
        match = _REPOSITORY_NAME.match(request.name or "")
        if not match:
            raise invalid_argument(INVALID_RESOURCE, "name")
        ref, location, name = match.groups()
        data = self.world.read()
        project = self._project(data, ref, "artifactregistry.repositories.get", request.name)
        record = project.get("artifact_repositories", {}).get(f"{location}/{name}")
        if record is None:
            raise not_found("Requested entity was not found.")
        return repository_message(project, record)

    def list_repositories(self, request: ar.ListRepositoriesRequest) -> ar.ListRepositoriesResponse:
        match = _PARENT.match(request.parent or "")
        if not match:
            raise invalid_argument(INVALID_RESOURCE, "parent")
        if request.filter or request.order_by:
            # Not modelled: failing loudly beats an unfiltered answer that looks right.
            raise invalid_argument("The sandbox does not support filter or order_by here.", "filter")
        ref, location = match.groups()
        data = self.world.read()
        project = self._project(data, ref, "artifactregistry.repositories.list", request.parent)
        found = sorted(
            (r for r in project.get("artifact_repositories", {}).values() if r["location"] == location),
            key=lambda r: r["name"],
        )
        chunk, token = page(found, request.page_size, request.page_token, default_size=100, max_size=1000)
        return ar.ListRepositoriesResponse(
            repositories=[repository_message(project, r) for r in chunk], next_page_token=token
        )

    def delete_repository(self, request: ar.DeleteRepositoryRequest):
        """Clean-up's --include-chapter-13 (https://cloud.google.com/artifact-registry/docs/reference/rest/v1/
        projects.locations.repositories/delete): "Deletes a repository and all of its contents. The returned
        Operation will finish once the repository has been deleted." Answered with a long-running operation
        whose response is Empty, as Google's."""
        from google.cloud.artifactregistry_v1.types import service
        from google.protobuf import empty_pb2

        from .operations import new_operation_name, record_operation

        match = _REPOSITORY_NAME.match(request.name or "")
        if not match:
            raise invalid_argument(INVALID_RESOURCE, "name")
        ref, location, name = match.groups()
        now = clock.now()
        with self.world.mutate() as data:
            project = self._project(data, ref, "artifactregistry.repositories.delete", request.name)
            if project.get("artifact_repositories", {}).pop(f"{location}/{name}", None) is None:
                raise not_found("Requested entity was not found.")
            return record_operation(
                data,
                new_operation_name("delete_repository", project.get("number", "")),
                "delete_repository",
                now,
                empty_pb2.Empty(),
                service.OperationMetadata(),
            )

    def handler(self):
        return service_handler(
            self.world,
            "google.devtools.artifactregistry.v1.ArtifactRegistry",
            "artifactregistry",
            [
                Rpc(
                    "GetRepository",
                    ar.GetRepositoryRequest,
                    ar.Repository,
                    self.get_repository,
                    write=False,
                ),
                Rpc(
                    "DeleteRepository",
                    ar.DeleteRepositoryRequest,
                    operations_pb2.Operation,
                    self.delete_repository,
                    write=True,
                ),
                Rpc(
                    "ListRepositories",
                    ar.ListRepositoriesRequest,
                    ar.ListRepositoriesResponse,
                    self.list_repositories,
                    write=False,
                ),
            ],
        )
