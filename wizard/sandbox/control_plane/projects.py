"""google.cloud.resourcemanager.v3.Projects: the learner's projects and their IAM policy.

Project IDs are global: an ID taken by anyone (even by a project pending deletion) can
never be created again, which is the first surprise of chapter 7. A new project exists at
once but is unreadable until its creation operation finishes. The learner's first project
also receives the "as if chapter 13 were done" preset (see `chapter13.py`).
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
import shlex
from typing import Any

from google.cloud.resourcemanager_v3.types import projects as rm
from google.iam.v1 import iam_policy_pb2, policy_pb2
from google.longrunning import operations_pb2
from google.rpc import error_details_pb2

from wizard.sandbox.world import World

from . import clock, iam_policy
from .access import allocate_number, find_project, is_ready, learner_project, parse_project_name
from .catalog import DEFAULT_SERVICES
from .chapter13 import apply_chapter13_preset
from .errors import already_exists, failed_precondition, invalid_argument
from .operations import new_operation_name, record_failed_operation, record_operation
from .paging import page
from .rpc import Rpc, service_handler

PROJECT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
DISPLAY_NAME = re.compile(r"^[A-Za-z0-9'\"! -]{4,30}$")
RESTRICTED_WORDS = ("google", "ssl", "null", "undefined")
PROJECT_ID_RULE = (
    "Project IDs must be 6 to 30 characters long, start with a lowercase letter, contain only "
    "lowercase letters, digits and hyphens, and not end with a hyphen."
)


def validate_project_id(project_id: str) -> None:
    if not PROJECT_ID.match(project_id or ""):
        raise invalid_argument(
            f"Invalid project ID {project_id!r}. {PROJECT_ID_RULE}", "project.project_id", PROJECT_ID_RULE
        )
    for word in RESTRICTED_WORDS:
        if word in project_id:
            raise invalid_argument(
                f"Invalid project ID {project_id!r}: it contains the restricted string {word!r}.",
                "project.project_id",
            )


def project_message(project: dict[str, Any]) -> rm.Project:
    """The world's project as Google's Project message."""
    created = project.get("create_time")
    updated = project.get("update_time") or created
    etag_source = f"{project['project_id']}|{project.get('state')}|{updated}|{project.get('display_name')}"
    message = rm.Project(
        name=f"projects/{project['number']}",
        parent=project.get("parent", ""),
        project_id=project["project_id"],
        state=rm.Project.State[project.get("state", "ACTIVE")],
        display_name=project.get("display_name", ""),
        create_time=clock.parse_iso(created),
        update_time=clock.parse_iso(updated),
        etag=f'W/"{hashlib.sha1(etag_source.encode()).hexdigest()[:16]}"',
        labels=project.get("labels", {}),
    )
    if project.get("delete_time"):
        message.delete_time = clock.parse_iso(project["delete_time"])
    return message


def _search_matcher(query: str):
    """A predicate for SearchProjects' query: space-separated `key:value` terms, ANDed."""
    keys = {
        "id": "project_id",
        "projectid": "project_id",
        "name": "display_name",
        "displayname": "display_name",
        "state": "state",
        "lifecyclestate": "state",
        "parent": "parent",
        "number": "number",
        "projectnumber": "number",
    }
    terms: list[tuple[str, str]] = []
    try:
        words = shlex.split(query or "")
    except ValueError as error:
        raise invalid_argument(f"Invalid query: {error}.", "query") from None
    for word in words:
        if word.upper() == "AND":
            continue
        match = re.match(r"^([A-Za-z.]+)\s*[:=]\s*(.+)$", word)
        if not match or match.group(1).lower() not in keys:
            raise invalid_argument(f"Invalid query term {word!r}.", "query")
        field = keys[match.group(1).lower()]
        terms.append((field, match.group(2)))

    def matches(project: dict[str, Any]) -> bool:
        for field, wanted in terms:
            have = str(project.get(field) or "")
            if field == "parent" and "/" not in wanted:
                have = have.rsplit("/", 1)[-1]
            case_fold = field == "display_name"
            if not fnmatch.fnmatchcase(have.lower() if case_fold else have, wanted.lower() if case_fold else wanted):
                return False
        return True

    return matches


# Google's answer when the learner may create no more projects: the operation ends with code 8
# (RESOURCE_EXHAUSTED) and a QuotaFailure; recorded exchange in github.com/taers232c/GAMADV-XTD3/issues/116,
# explained at support.google.com/cloud/answer/6330231 (deleted projects count for 30 days).
PROJECT_QUOTA_MESSAGE = "The project cannot be created because you have exceeded your allotted project quota."


def project_quota_exceeded(data: dict[str, Any], done_at: float) -> operations_pb2.Operation:
    """The operation Google returns for a CreateProject beyond the quota (no project is created)."""
    violation = error_details_pb2.QuotaFailure(
        violations=[error_details_pb2.QuotaFailure.Violation(description=PROJECT_QUOTA_MESSAGE)]
    )
    return record_failed_operation(
        data,
        new_operation_name("create_project"),
        "create_project",
        done_at,
        8,
        PROJECT_QUOTA_MESSAGE,
        [violation],
        rm.CreateProjectMetadata(gettable=False, ready=False),
    )


class ProjectsService:
    def __init__(self, world: World) -> None:
        self.world = world

    # -- projects ----------------------------------------------------------------------
    def create_project(self, request: rm.CreateProjectRequest):
        wanted = request.project
        validate_project_id(wanted.project_id)
        if wanted.display_name and not DISPLAY_NAME.match(wanted.display_name):
            raise invalid_argument(
                "Display names must be 4 to 30 characters of letters, digits, quotes, hyphens, "
                "spaces or exclamation marks.",
                "project.display_name",
            )
        now = clock.now()
        with self.world.mutate() as data:
            if find_project(data, wanted.project_id) is not None:
                raise already_exists()
            seconds = float(data["faults"].get("operation_seconds", 1.0))
            quota = data["faults"].get("project_quota")
            if quota is not None:
                if int(quota) <= 0:
                    return project_quota_exceeded(data, now + seconds)
                data["faults"]["project_quota"] = int(quota) - 1
            learner = data["learner"]
            record: dict[str, Any] = {
                "project_id": wanted.project_id,
                "number": allocate_number(data),
                "owner": learner,
                "display_name": wanted.display_name,
                "state": "ACTIVE",
                "create_time": clock.iso(now),
                "ready_at": now + seconds,
                "billing_account": None,
                "services": sorted(DEFAULT_SERVICES),
                "iam_policy": iam_policy.owner_policy(learner),
                "service_accounts": {},
            }
            if wanted.parent:
                record["parent"] = wanted.parent
            if wanted.labels:
                record["labels"] = dict(wanted.labels)
            data["projects"][wanted.project_id] = record
            # The learner's first project also gets chapter 13's cluster and registry.
            apply_chapter13_preset(data, record, now)
            metadata = rm.CreateProjectMetadata(
                create_time=clock.parse_iso(record["create_time"]), gettable=False, ready=False
            )
            return record_operation(
                data,
                new_operation_name("create_project"),
                "create_project",
                now + seconds,
                project_message(record),
                metadata,
            )

    def get_project(self, request: rm.GetProjectRequest) -> rm.Project:
        data = self.world.read()
        return project_message(learner_project(data, parse_project_name(request.name)))

    def _visible(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        now = clock.now()
        mine = [p for p in data["projects"].values() if p.get("owner") == data["learner"] and is_ready(p, now)]
        return sorted(mine, key=lambda p: (p.get("create_time", ""), p["project_id"]))

    def search_projects(self, request: rm.SearchProjectsRequest) -> rm.SearchProjectsResponse:
        data = self.world.read()
        matches = _search_matcher(request.query)
        found = [p for p in self._visible(data) if matches(p)]
        chunk, token = page(found, request.page_size, request.page_token)
        return rm.SearchProjectsResponse(projects=[project_message(p) for p in chunk], next_page_token=token)

    def list_projects(self, request: rm.ListProjectsRequest) -> rm.ListProjectsResponse:
        if not re.match(r"^(organizations|folders)/[^/]+$", request.parent or ""):
            raise invalid_argument("parent must be organizations/{id} or folders/{id}.", "parent")
        data = self.world.read()
        found = [
            p
            for p in self._visible(data)
            if p.get("parent") == request.parent and (request.show_deleted or p.get("state") == "ACTIVE")
        ]
        chunk, token = page(found, request.page_size, request.page_token)
        return rm.ListProjectsResponse(projects=[project_message(p) for p in chunk], next_page_token=token)

    def _change_state(self, name: str, want_from: str, to: str, kind: str, metadata):
        now = clock.now()
        with self.world.mutate() as data:
            project = learner_project(data, parse_project_name(name))
            if project.get("state") != want_from:
                raise failed_precondition(f"Project {project['project_id']} is not in state {want_from}.")
            project["state"] = to
            project["update_time"] = clock.iso(now)
            if to == "DELETE_REQUESTED":
                project["delete_time"] = clock.iso(now)
            else:
                project.pop("delete_time", None)
            return record_operation(data, new_operation_name(kind), kind, now, project_message(project), metadata)

    def delete_project(self, request: rm.DeleteProjectRequest):
        # https://cloud.google.com/resource-manager/reference/rest/v3/projects/delete: only an ACTIVE project is
        # affected; it goes to DELETE_REQUESTED and stays restorable with projects.undelete (`gcloud projects
        # undelete`) for 30 days (https://cloud.google.com/resource-manager/docs/creating-managing-projects
        # #shutting_down_projects); its ID stays taken meanwhile.
        return self._change_state(
            request.name, "ACTIVE", "DELETE_REQUESTED", "delete_project", rm.DeleteProjectMetadata()
        )

    def undelete_project(self, request: rm.UndeleteProjectRequest):
        return self._change_state(
            request.name, "DELETE_REQUESTED", "ACTIVE", "undelete_project", rm.UndeleteProjectMetadata()
        )

    # -- IAM policy --------------------------------------------------------------------
    def get_iam_policy(self, request: iam_policy_pb2.GetIamPolicyRequest) -> policy_pb2.Policy:
        data = self.world.read()
        project = learner_project(data, parse_project_name(request.resource, "resource"))
        return iam_policy.to_message(project["iam_policy"], request.options.requested_policy_version)

    def set_iam_policy(self, request: iam_policy_pb2.SetIamPolicyRequest) -> policy_pb2.Policy:
        with self.world.mutate() as data:
            project = learner_project(data, parse_project_name(request.resource, "resource"))
            updated = iam_policy.set_policy(data, project, request.policy)
            return iam_policy.to_message(updated, 3)

    def test_iam_permissions(
        self, request: iam_policy_pb2.TestIamPermissionsRequest
    ) -> iam_policy_pb2.TestIamPermissionsResponse:
        """The learner owns their projects, so they hold every permission they ask about."""
        data = self.world.read()
        project = find_project(data, parse_project_name(request.resource, "resource"))
        mine = project is not None and project.get("owner") == data["learner"] and is_ready(project)
        return iam_policy_pb2.TestIamPermissionsResponse(permissions=list(request.permissions) if mine else [])

    def handler(self):
        return service_handler(
            self.world,
            "google.cloud.resourcemanager.v3.Projects",
            "resourcemanager",
            [
                Rpc(
                    "CreateProject",
                    rm.CreateProjectRequest,
                    operations_pb2.Operation,
                    self.create_project,
                    write=True,
                ),
                Rpc("GetProject", rm.GetProjectRequest, rm.Project, self.get_project, write=False),
                Rpc(
                    "SearchProjects",
                    rm.SearchProjectsRequest,
                    rm.SearchProjectsResponse,
                    self.search_projects,
                    write=False,
                ),
                Rpc(
                    "ListProjects",
                    rm.ListProjectsRequest,
                    rm.ListProjectsResponse,
                    self.list_projects,
                    write=False,
                ),
                Rpc(
                    "DeleteProject",
                    rm.DeleteProjectRequest,
                    operations_pb2.Operation,
                    self.delete_project,
                    write=True,
                ),
                Rpc(
                    "UndeleteProject",
                    rm.UndeleteProjectRequest,
                    operations_pb2.Operation,
                    self.undelete_project,
                    write=True,
                ),
                Rpc(
                    "GetIamPolicy",
                    iam_policy_pb2.GetIamPolicyRequest,
                    policy_pb2.Policy,
                    self.get_iam_policy,
                    write=False,
                ),
                Rpc(
                    "SetIamPolicy",
                    iam_policy_pb2.SetIamPolicyRequest,
                    policy_pb2.Policy,
                    self.set_iam_policy,
                    write=True,
                ),
                Rpc(
                    "TestIamPermissions",
                    iam_policy_pb2.TestIamPermissionsRequest,
                    iam_policy_pb2.TestIamPermissionsResponse,
                    self.test_iam_permissions,
                    write=False,
                ),
            ],
        )
