"""What a simulated CI run checks before it "runs": does the key it is given really work?

Both fake forges (GitHub Actions runs, GitLab pipelines) use this, so a run fails for the
same reasons a real one would: the secret is missing, is not a service account key, is a
key that was deleted, or belongs to an account without read access to the data bucket.
Only fingerprints of a key are ever kept (its id and account), never the key itself.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

STORAGE_READ_ROLES = {
    "roles/storage.objectViewer", "roles/storage.objectAdmin", "roles/storage.admin",
    "roles/owner", "roles/editor", "roles/viewer",
}


# A job that deploys with MLEM must update the Deployment and push the image.
DEPLOY_ROLES = {"roles/container.developer", "roles/container.admin", "roles/owner", "roles/editor"}
PUSH_ROLES = {"roles/artifactregistry.createOnPushWriter", "roles/artifactregistry.writer",
              "roles/artifactregistry.repoAdmin", "roles/artifactregistry.admin", "roles/owner", "roles/editor"}


@dataclass(frozen=True)
class KeyFacts:
    """What can be learnt from a secret's value without keeping it."""

    valid_json_key: bool
    private_key_id: str | None = None
    client_email: str | None = None
    project_id: str | None = None
    sha256: str = ""
    problem: str = ""

    def to_world(self) -> dict[str, Any]:
        return {"valid_json_key": self.valid_json_key, "private_key_id": self.private_key_id,
                "client_email": self.client_email, "project_id": self.project_id, "sha256": self.sha256,
                "problem": self.problem}


def key_facts(value: str | bytes) -> KeyFacts:
    """Parse a secret's value as a Google service account key JSON."""
    raw = value.encode("utf-8") if isinstance(value, str) else value
    digest = hashlib.sha256(raw).hexdigest()
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return KeyFacts(False, sha256=digest, problem="the value is not JSON")
    if not isinstance(data, dict) or data.get("type") != "service_account":
        return KeyFacts(False, sha256=digest,
                        problem='the JSON is not a service account key ("type" is not service_account)')
    for field in ("private_key_id", "private_key", "client_email"):
        if not data.get(field):
            return KeyFacts(False, sha256=digest, problem=f"the key has no {field}")
    return KeyFacts(True, data["private_key_id"], data["client_email"], data.get("project_id"), digest)


def _roles(world: dict[str, Any], project_id: str, email: str) -> set[str]:
    project = world.get("projects", {}).get(project_id, {})
    member = f"serviceAccount:{email}"
    return {b["role"] for b in project.get("iam_policy", {}).get("bindings", []) if member in b.get("members", [])}


def check_key(world: dict[str, Any], facts: KeyFacts | dict[str, Any] | None, bucket_project: str | None = None,
              deploys: bool = False) -> str | None:
    """None when the key would work in CI, else the line a CI log would show.

    `deploys`: the job runs `mlem deployment run` on GKE, which pushes the image to Artifact
    Registry and updates a Deployment — `roles/container.clusterViewer` alone cannot.
    """
    if facts is None:
        return "the secret is not set"
    if isinstance(facts, KeyFacts):
        facts = facts.to_world()
    if not facts.get("valid_json_key"):
        return f"google-github-actions/auth failed: {facts.get('problem') or 'not a service account key'}"
    email = facts.get("client_email") or ""
    for project_id, project in world.get("projects", {}).items():
        account = project.get("service_accounts", {}).get(email)
        if account is None:
            continue
        if account.get("disabled"):
            return f"the service account {email} is disabled"
        if facts.get("private_key_id") not in account.get("keys", {}):
            return f"invalid_grant: the key {facts.get('private_key_id')} of {email} does not exist (deleted?)"
        if bucket_project:
            target = world.get("projects", {}).get(bucket_project, {})
            member = f"serviceAccount:{email}"
            bindings = target.get("iam_policy", {}).get("bindings", [])
            roles = {b["role"] for b in bindings if member in b.get("members", [])}
            if not roles & STORAGE_READ_ROLES:
                return (f"403: {email} does not have storage.objects.get access to the bucket "
                        f"(no storage role on project {bucket_project})")
        if deploys:
            roles = _roles(world, project_id, email)
            if not roles & PUSH_ROLES:
                return (f'denied: Permission "artifactregistry.repositories.uploadArtifacts" denied for {email} '
                        "(no Artifact Registry writer role)")
            if not roles & DEPLOY_ROLES:
                return (f'Error from server (Forbidden): deployments.apps is forbidden: User "{email}" cannot '
                        'patch resource "deployments" in API group "apps": requires container.deployments.update '
                        "(roles/container.clusterViewer is read-only; grant roles/container.developer)")
        return None
    return f"invalid_grant: the service account {email or '(none)'} does not exist"
