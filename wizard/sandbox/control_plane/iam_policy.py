"""Project IAM policies with Google's read-modify-write discipline.

A policy carries an etag that changes on every write; a SetIamPolicy whose etag is stale
is refused, which is how two writers avoid losing each other's grants. Google also
refuses to grant a role to a service account it cannot see yet: right after creating an
account, granting it a role fails until the account has propagated.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from typing import Any

import grpc
from google.iam.v1 import policy_pb2
from google.type import expr_pb2

from . import clock
from .errors import ApiError, invalid_argument

Policy = dict[str, Any]

_MEMBER = re.compile(
    r"^(allUsers|allAuthenticatedUsers"
    r"|(user|serviceAccount|group|domain|principal|principalSet"
    r"|projectOwner|projectEditor|projectViewer"
    r"|deleted:user|deleted:serviceAccount|deleted:group):\S+)$"
)
_ROLE = re.compile(r"^(roles/[A-Za-z0-9_.]+|(projects|organizations)/[^/]+/roles/[A-Za-z0-9_.]+)$")
SA_DOMAIN = ".iam.gserviceaccount.com"

CONCURRENT_CHANGES = (
    "There were concurrent policy changes. Please retry the whole read-modify-write with "
    "exponential backoff. The request's ETag '{sent}' did not match the current policy's ETag '{current}'."
)


def new_etag() -> str:
    """A fresh etag as stored in the world: base64 text, like Google's "BwX..." etags."""
    return base64.b64encode(b"\x07" + secrets.token_bytes(7)).decode("ascii")


def owner_policy(learner: str) -> Policy:
    """The policy of a new project: its creator is the owner."""
    return {
        "version": 3,
        "etag": new_etag(),
        "bindings": [{"role": "roles/owner", "members": [f"user:{learner}"]}],
    }


def _has_conditions(policy: Policy) -> bool:
    return any(binding.get("condition") for binding in policy.get("bindings", []))


def to_message(policy: Policy, requested_version: int) -> policy_pb2.Policy:
    """The policy as Google returns it for `options.requested_policy_version`.

    Google answers version 1 for a policy without conditions whatever was requested, and
    version 3 with conditions when 3 was requested. A caller asking for less than 3 on a
    conditional policy gets the conditional roles renamed "..._withcond_<hash>" and no
    conditions, so that an old-style read-modify-write cannot silently drop them.
    """
    conditional = _has_conditions(policy)
    version = 3 if conditional and requested_version >= 3 else 1
    message = policy_pb2.Policy(version=version, etag=base64.b64decode(policy.get("etag", "")))
    for binding in policy.get("bindings", []):
        role = binding["role"]
        condition = binding.get("condition")
        item = policy_pb2.Binding(role=role, members=list(binding.get("members", [])))
        if condition:
            if version == 3:
                item.condition.CopyFrom(expr_pb2.Expr(**condition))
            else:
                digest = hashlib.sha1(repr(sorted(condition.items())).encode()).hexdigest()[:20]
                item.role = f"{role}_withcond_{digest}"
        message.bindings.append(item)
    return message


def visible_service_accounts(world_data: dict[str, Any], now: float | None = None) -> set[str]:
    moment = clock.now() if now is None else now
    emails: set[str] = set()
    for project in world_data.get("projects", {}).values():
        for email, account in project.get("service_accounts", {}).items():
            if moment >= float(account.get("ready_at", 0)):
                emails.add(email)
    return emails


def from_message(world_data: dict[str, Any], message: policy_pb2.Policy) -> Policy:
    """Validate a policy from SetIamPolicy and normalise it the way Google stores it.

    Bindings with the same role and condition are merged, empty ones dropped, members
    sorted and de-duplicated.
    """
    if message.version not in (0, 1, 3):
        raise invalid_argument(f"Invalid policy version {message.version}; use 1 or 3.", "policy.version")
    known_accounts = visible_service_accounts(world_data)
    merged: dict[tuple[str, tuple[tuple[str, str], ...]], set[str]] = {}
    for binding in message.bindings:
        if not _ROLE.match(binding.role):
            raise invalid_argument(f"Role {binding.role} is not supported for this resource.", "policy.bindings.role")
        condition: dict[str, str] = {}
        if binding.HasField("condition"):
            if message.version != 3:
                raise invalid_argument("Policies with conditional role bindings must use version 3.", "policy.version")
            condition = {
                key: value
                for key, value in (
                    ("expression", binding.condition.expression),
                    ("title", binding.condition.title),
                    ("description", binding.condition.description),
                )
                if value
            }
        for member in binding.members:
            if not _MEMBER.match(member):
                raise invalid_argument(
                    'Policy members must be of the form "<type>:<value>".', "policy.bindings.members"
                )
            if member.startswith("serviceAccount:") and member.endswith(SA_DOMAIN):
                email = member.split(":", 1)[1]
                if email not in known_accounts:
                    raise invalid_argument(f"Service account {email} does not exist.", "policy.bindings.members")
        key = (binding.role, tuple(sorted(condition.items())))
        merged.setdefault(key, set()).update(binding.members)
    bindings = []
    for (role, condition_items), members in sorted(merged.items()):
        if not members:
            continue
        entry: dict[str, Any] = {"role": role, "members": sorted(members)}
        if condition_items:
            entry["condition"] = dict(condition_items)
        bindings.append(entry)
    return {"version": message.version or 1, "bindings": bindings}


def set_policy(world_data: dict[str, Any], project: dict[str, Any], message: policy_pb2.Policy) -> Policy:
    """Replace the project's policy (inside `world.mutate()`), refusing a stale etag."""
    current = project.setdefault("iam_policy", {"version": 1, "etag": new_etag(), "bindings": []})
    if message.etag:
        sent = base64.b64encode(message.etag).decode("ascii")
        if sent != current.get("etag"):
            raise ApiError(grpc.StatusCode.ABORTED, CONCURRENT_CHANGES.format(sent=sent, current=current.get("etag")))
    updated = from_message(world_data, message)
    updated["etag"] = new_etag()
    _stamp_grants(current, updated)
    project["iam_policy"] = updated
    return updated


# -- propagation --------------------------------------------------------------------------
# "Typically 2 minutes, potentially 7 or more" before a change to an allow policy is in effect
# everywhere (cloud.google.com/iam/docs/access-change-propagation). The policy reads back at once;
# only its use by the granted principal waits `faults.iam_propagation_seconds`.
def _stamp_grants(before: Policy, after: Policy) -> None:
    """Remember when each (role, member) pair first appeared; pairs that existed keep their time."""
    known = dict(before.get("granted_at") or {})
    now = clock.now()
    stamps = {}
    for binding in after.get("bindings", []):
        if binding.get("condition"):
            continue
        for member in binding.get("members", []):
            key = f"{binding['role']} {member}"
            stamps[key] = known.get(key, now)
    after["granted_at"] = stamps


def effective_roles(
    world_data: dict[str, Any], project: dict[str, Any], member: str, now: float | None = None
) -> set[str]:
    """The roles `member` really holds on `project` now: grants younger than the propagation delay
    are in the policy but not yet in effect."""
    moment = clock.now() if now is None else now
    delay = float((world_data.get("faults") or {}).get("iam_propagation_seconds") or 0.0)
    policy = project.get("iam_policy") or {}
    stamps = policy.get("granted_at") or {}
    roles = set()
    for binding in policy.get("bindings", []):
        if binding.get("condition") or member not in binding.get("members", []):
            continue
        granted = stamps.get(f"{binding['role']} {member}")
        if granted is None or moment >= float(granted) + delay:
            roles.add(binding["role"])
    return roles


def forget_service_account(project: dict[str, Any], email: str, unique_id: str) -> None:
    """What Google does to bindings of a deleted account: they name it "deleted:...?uid=".

    Called inside `world.mutate()`; the etag changes because the policy did.
    """
    policy = project.get("iam_policy")
    if not policy:
        return
    old, new = f"serviceAccount:{email}", f"deleted:serviceAccount:{email}?uid={unique_id}"
    changed = False
    for binding in policy.get("bindings", []):
        members = binding.get("members", [])
        if old in members:
            binding["members"] = sorted(new if m == old else m for m in members)
            changed = True
    if changed:
        policy["etag"] = new_etag()
