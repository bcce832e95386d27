"""What a simulated CI run checks before it "runs": does the key it is given really work?

Both fake forges (GitHub Actions runs, GitLab pipelines) use this, so a run fails for the
same reasons a real one would: the secret is missing, is not a service account key, is a
key that was deleted, or belongs to an account without read access to the data bucket.

When the whole sandbox serves, the check is not a lookup but what a runner does: google-auth
exchanges the key for an access token at the key's `token_uri` (the sandbox's token endpoint,
JWT-bearer grant, signature checked with the account's public key), then lists and reads the
bucket's objects as that account, so a deleted key or a missing role fails with Google's own
401 or 403 text. Only fingerprints of a key are kept in the world (its id and account).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"

STORAGE_READ_ROLES = {
    "roles/storage.objectViewer",
    "roles/storage.objectAdmin",
    "roles/storage.admin",
    "roles/owner",
    "roles/editor",
    "roles/viewer",
}


# A job that deploys with MLEM must update the Deployment and push the image.
DEPLOY_ROLES = {"roles/container.developer", "roles/container.admin", "roles/owner", "roles/editor"}
PUSH_ROLES = {
    "roles/artifactregistry.createOnPushWriter",
    "roles/artifactregistry.writer",
    "roles/artifactregistry.repoAdmin",
    "roles/artifactregistry.admin",
    "roles/owner",
    "roles/editor",
}


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
        return {
            "valid_json_key": self.valid_json_key,
            "private_key_id": self.private_key_id,
            "client_email": self.client_email,
            "project_id": self.project_id,
            "sha256": self.sha256,
            "problem": self.problem,
        }


def key_facts(value: str | bytes) -> KeyFacts:
    """Parse a secret's value as a Google service account key JSON."""
    raw = value.encode("utf-8") if isinstance(value, str) else value
    digest = hashlib.sha256(raw).hexdigest()
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return KeyFacts(False, sha256=digest, problem="the value is not JSON")
    if not isinstance(data, dict) or data.get("type") != "service_account":
        return KeyFacts(
            False, sha256=digest, problem='the JSON is not a service account key ("type" is not service_account)'
        )
    for field in ("private_key_id", "private_key", "client_email"):
        if not data.get(field):
            return KeyFacts(False, sha256=digest, problem=f"the key has no {field}")
    return KeyFacts(True, data["private_key_id"], data["client_email"], data.get("project_id"), digest)


def _roles(world: dict[str, Any], project_id: str, email: str) -> set[str]:
    """The roles in effect: a grant younger than `faults.iam_propagation_seconds` is not yet (see iam_policy)."""
    # Imported here: the policy code brings gRPC and protobuf, which the forge's pre-receive hook
    # (a fresh process per push, through the GitLab store) never needs.
    from wizard.sandbox.control_plane.iam_policy import effective_roles

    project = world.get("projects", {}).get(project_id, {})
    return effective_roles(world, project, f"serviceAccount:{email}")


class _Unreachable(Exception):
    """The sandbox's token endpoint or storage did not answer (it is not serving)."""


def authenticate_and_read(world: dict[str, Any], key_json: bytes, bucket: str | None, ca_file: Path) -> str | None:
    """Exchange the key like google-auth in a runner, then read the bucket as that account.

    None when both work; else the line a CI log shows, with Google's text.
    """
    import requests
    from google.auth import exceptions as auth_exc
    from google.auth.transport.requests import AuthorizedSession, Request
    from google.oauth2 import service_account

    try:
        info = json.loads(key_json)
        creds = service_account.Credentials.from_service_account_info(info, scopes=[CLOUD_PLATFORM])
        # The sandbox's token endpoint now (a copied sandbox serves on other ports than the key names).
        token_uri = str(world.get("auth", {}).get("token_uri") or info.get("token_uri") or "")
        creds = creds.with_token_uri(token_uri)
    except (ValueError, KeyError) as exc:
        return f"google-github-actions/auth failed: the key cannot be used ({exc})"
    session = requests.Session()
    session.verify, session.trust_env = str(ca_file), False
    try:
        creds.refresh(Request(session))
    except auth_exc.TransportError as exc:
        raise _Unreachable(str(exc)) from None
    except auth_exc.RefreshError as exc:
        text = exc.args[0] if exc.args else str(exc)
        return f"{text} (getting a token for {info.get('client_email')} with key {info.get('private_key_id')})"
    if not bucket or not token_uri.endswith("/token"):
        return None
    base = token_uri[: -len("/token")]
    authed = AuthorizedSession(creds)
    authed.verify, authed.trust_env = str(ca_file), False

    def get(url: str, params: dict[str, Any]) -> Any:
        # What the runner's tools do (DVC through gcsfs retries 429 and 5xx with backoff, as Google asks in
        # https://cloud.google.com/storage/docs/retry-strategy): a transient fault is not the run's failure.
        for attempt in range(6):
            answer = authed.get(url, params=params, timeout=10)
            if answer.status_code not in {408, 429, 500, 502, 503, 504}:
                break
            time.sleep(min(0.2 * 2**attempt, 2.0))
        return answer

    try:
        listing = get(f"{base}/storage/v1/b/{bucket}/o", {"maxResults": 1})
        if listing.ok and listing.json().get("items"):
            name = listing.json()["items"][0]["name"]
            listing = get(f"{base}/storage/v1/b/{bucket}/o/{quote(name, safe='')}", {"alt": "media"})
    except requests.RequestException as exc:
        raise _Unreachable(str(exc)) from None
    if listing.ok:
        return None
    try:
        said = listing.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        said = listing.text[:200]
    return f"{listing.status_code}: {said}"


def check_key(
    world: dict[str, Any],
    facts: KeyFacts | dict[str, Any] | None,
    bucket_project: str | None = None,
    deploys: bool = False,
    key_json: bytes | None = None,
    bucket: str | None = None,
    ca_file: Path | None = None,
) -> str | None:
    """None when the key would work in CI, else the line a CI log would show.

    With `key_json` and the sandbox's CA, the key is really used (see `authenticate_and_read`);
    a forge served without the rest of the sandbox falls back to reading the world.
    `deploys`: the job runs `mlem deployment run` on GKE, which pushes the image to Artifact
    Registry and updates a Deployment — `roles/container.clusterViewer` alone cannot.
    """
    if facts is None:
        return "the secret is not set"
    if isinstance(facts, KeyFacts):
        facts = facts.to_world()
    if not facts.get("valid_json_key"):
        return f"google-github-actions/auth failed: {facts.get('problem') or 'not a service account key'}"
    if key_json is not None and ca_file is not None and ca_file.is_file() and world.get("auth", {}).get("token_uri"):
        try:
            problem = authenticate_and_read(world, key_json, bucket, ca_file)
        except _Unreachable:
            problem = None  # only the forge serves: judge from the world below
        else:
            if problem:
                return problem
            bucket_project = None  # read for real: no need to look at the roles
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
            roles = _roles(world, bucket_project, email)
            if not roles & STORAGE_READ_ROLES:
                # Google's 403 is the same whether the role is missing or not yet in effect.
                denied = (
                    f"403: {email} does not have storage.objects.get access to the Google Cloud Storage "
                    "object. Permission 'storage.objects.get' denied on resource (or it may not exist)."
                )
                granted = {
                    b["role"]
                    for b in world.get("projects", {}).get(bucket_project, {}).get("iam_policy", {}).get("bindings", [])
                    if f"serviceAccount:{email}" in b["members"]
                }
                if granted & STORAGE_READ_ROLES:
                    return denied
                return f"{denied} (no storage role on project {bucket_project})"
        if deploys:
            roles = _roles(world, project_id, email)
            if not roles & PUSH_ROLES:
                return (
                    f'denied: Permission "artifactregistry.repositories.uploadArtifacts" denied for {email} '
                    "(no Artifact Registry writer role)"
                )
            if not roles & DEPLOY_ROLES:
                return (
                    f'Error from server (Forbidden): deployments.apps is forbidden: User "{email}" cannot '
                    'patch resource "deployments" in API group "apps": requires container.deployments.update '
                    "(roles/container.clusterViewer is read-only; grant roles/container.developer)"
                )
        return None
    return f"invalid_grant: the service account {email or '(none)'} does not exist"
