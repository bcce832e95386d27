"""Who may see which project: the rules every fake service shares.

Google answers PERMISSION_DENIED, not NOT_FOUND, for a project that does not exist, is
still being created, or belongs to someone else: a caller must not learn which project
IDs exist. The fakes apply that rule here, in one place.
"""

from __future__ import annotations

import re
from typing import Any

from . import clock
from .errors import ApiError, invalid_argument, permission_denied

Project = dict[str, Any]

_PROJECT_NAME = re.compile(r"^projects/([^/]+)$")


def parse_project_name(name: str, field: str = "name") -> str:
    """The ID or number in "projects/{ref}"; INVALID_ARGUMENT for anything else."""
    match = _PROJECT_NAME.match(name or "")
    if not match:
        raise invalid_argument(f"Invalid resource name: {name!r}; expected projects/{{project}}.", field)
    return match.group(1)


def find_project(world_data: dict[str, Any], ref: str) -> Project | None:
    """A project by ID or by number, whoever owns it."""
    projects = world_data.get("projects", {})
    if ref in projects:
        return projects[ref]
    if ref.isdigit():
        for project in projects.values():
            if project.get("number") == ref:
                return project
    return None


def is_ready(project: Project, now: float | None = None) -> bool:
    return (clock.now() if now is None else now) >= float(project.get("ready_at", 0))


def learner_project(
    world_data: dict[str, Any],
    ref: str,
    *,
    allow_deleted: bool = True,
    denied: ApiError | None = None,
) -> Project:
    """The learner's project `ref`, or the error Google gives for anything else.

    `denied` replaces the generic "The caller does not have permission" for services that
    word it their own way (IAM admin, Service Usage).
    """
    project = find_project(world_data, ref)
    if (
        project is None
        or project.get("owner") != world_data.get("learner")
        or not is_ready(project)
        or (not allow_deleted and project.get("state") != "ACTIVE")
    ):
        raise denied or permission_denied()
    return project


def billing_enabled(world_data: dict[str, Any], project: Project) -> bool:
    """Billing is enabled when the project is linked to an open billing account."""
    account_id = project.get("billing_account")
    if not account_id:
        return False
    account = world_data.get("billing_accounts", {}).get(account_id)
    return bool(account and account.get("open"))


def allocate_number(world_data: dict[str, Any]) -> str:
    """Take the next project number inside an ongoing `world.mutate()`.

    Same counter as `World.next_number()`, but part of the caller's atomic change: calling
    `next_number()` inside `mutate()` would save the half-made change early.
    """
    number = int(world_data.get("next_number", 100000000001))
    world_data["next_number"] = number + 1
    return str(number)
