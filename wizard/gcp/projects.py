"""Projects through google-cloud-resource-manager.

Google answers PERMISSION_DENIED both for a project that does not exist and for one that
belongs to someone else, so "is it mine?" is a read and "is the ID free?" can only be
learnt by trying to create it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

from wizard.engine.errors import WizardError
from wizard.gcp import operations, retry
from wizard.gcp.naming import suggest_ids

QUOTA_FORM = "https://support.google.com/code/contact/project_quota_increase"


@dataclass(frozen=True)
class ProjectInfo:
    project_id: str
    number: str
    state: str  # ACTIVE, DELETE_REQUESTED


def find_project(target: Any, project_id: str) -> ProjectInfo | None:
    """The learner's project, or None when it is not visible to them (missing or not theirs); one read per
    run until the run writes."""
    from wizard.engine.reads import kept

    return kept(target, ("project", project_id), lambda: _find_project(target, project_id))


def _find_project(target: Any, project_id: str) -> ProjectInfo | None:
    from google.api_core import exceptions

    try:
        project = target.projects().get_project(name=f"projects/{project_id}", retry=retry.policy())
    except (exceptions.PermissionDenied, exceptions.NotFound):
        return None
    return ProjectInfo(project.project_id, project.name.split("/", 1)[1], project.state.name)


def create_project(
    target: Any,
    project_id: str,
    say: Callable[[str, float | None], None],
    adopt_wait: float = 0.0,
    after_call: Callable[[], None] = lambda: None,
) -> ProjectInfo:
    """Create the project and wait until Google reports it ready.

    ALREADY_EXISTS means taken, unless the project is (or, after an interrupted run, soon
    becomes) visible to the learner: then it is theirs and is adopted. `adopt_wait` is how
    long to give a creation that an earlier, interrupted run started.
    """
    from google.api_core import exceptions
    from google.cloud import resourcemanager_v3

    lost: list[BaseException] = []  # transient failures: an attempt may have created it, answer lost
    try:
        operation = target.projects().create_project(
            project=resourcemanager_v3.Project(project_id=project_id, display_name=project_id),
            retry=retry.policy(on_error=lost.append),  # a repeat that conflicts adopts (below)
        )
    except exceptions.Conflict:
        if lost:  # our own earlier attempt may be creating it: give it the time a creation takes
            adopt_wait = max(adopt_wait, 120.0)
        mine = _wait_visible(target, project_id, adopt_wait, say)
        if mine is not None:
            say(f"Project {project_id} already exists and is yours: adopting it", None)
            return mine
        raise project_taken(project_id) from None
    after_call()
    say(f"Google is creating project {project_id}", None)
    try:
        operations.wait(operation, target, say, f"Waiting for project {project_id}")
    except exceptions.GoogleAPICallError as exc:
        if is_project_quota(exc):
            raise project_quota_exceeded(project_id) from None
        raise
    info = _wait_visible(target, project_id, 30.0, say)
    if info is None:
        raise WizardError(
            what=f"Project {project_id} was created but cannot be read yet.",
            why="Google Cloud sometimes needs a few seconds before a new project is visible.",
            fix="Retry in a moment.",
            retryable=True,
        )
    return info


def _wait_visible(
    target: Any, project_id: str, seconds: float, say: Callable[[str, float | None], None]
) -> ProjectInfo | None:
    deadline = time.monotonic() + seconds
    delay = target.poll_initial
    while True:
        with target.reads.fresh():  # waiting for Google to show it: every look is a new read
            info = find_project(target, project_id)
        if info is not None or time.monotonic() >= deadline:
            return info
        say(f"Waiting for project {project_id} to become visible", None)
        time.sleep(delay)
        delay = min(delay * 1.5, target.poll_maximum)


def project_taken(project_id: str) -> WizardError:
    ideas = ", ".join(suggest_ids(project_id))
    return WizardError(
        what=f"The project ID '{project_id}' is already taken.",
        why="Project IDs are unique across all of Google Cloud, and someone else (or a project "
        "deleted less than 30 days ago) already uses this one.",
        fix=f"Choose another ID, for example one of: {ideas}.",
        details={"answer": "gcp.project_id"},  # the answer to ask again
    )


def request_deletion(target: Any, project_id: str, say: Callable[[str, float | None], None]) -> None:
    """Shut the project down: Google keeps it DELETE_REQUESTED for 30 days (restorable), then deletes it."""
    from google.api_core import exceptions

    try:
        operation = target.projects().delete_project(name=f"projects/{project_id}", retry=None)
    except exceptions.FailedPrecondition:
        info = find_project(target, project_id)
        if info is not None and info.state == "DELETE_REQUESTED":
            return  # an earlier, interrupted run already asked
        raise
    operations.wait(operation, target, say, f"Shutting down project {project_id}")


def is_project_quota(exc: BaseException) -> bool:
    """Google ends the creation operation with code 8 (RESOURCE_EXHAUSTED) and a QuotaFailure."""
    from google.api_core import exceptions
    from google.rpc import error_details_pb2

    if not isinstance(exc, exceptions.TooManyRequests):  # ResourceExhausted, code 8
        return False
    details = getattr(exc, "details", None) or []
    return "project quota" in str(exc).lower() or any(isinstance(d, error_details_pb2.QuotaFailure) for d in details)


def project_quota_exceeded(project_id: str) -> WizardError:
    return WizardError(
        what=f"Google Cloud refused to create project {project_id}: you have reached your project quota.",
        why="Each Google account may create only a limited number of projects (Google's project quota, "
        "smaller for new accounts), and projects you deleted still count for 30 days, until they are "
        "removed for good. This is an allowance, not a passing fault: retrying now will not help.",
        fix="Reuse a project you already have (give its ID as gcp.project_id), restore a recently deleted one "
        "(`gcloud projects undelete PROJECT_ID`), or ask Google for more projects with the form at "
        f"{QUOTA_FORM} (answers take a few days); then run the wizard again.",
    )
