"""Service accounts, their keys, and project IAM bindings (google-cloud-iam, resource manager).

Google's answers here are eventually consistent: a new service account may be invisible for
seconds, and a binding to it may be refused until it is visible. Policies are changed by
read-modify-write with the etag, retried when someone else wrote in between.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from wizard.engine.errors import WizardError

Say = Callable[[str, "float | None"], None]


def email_for(account_id: str, project_id: str) -> str:
    return f"{account_id}@{project_id}.iam.gserviceaccount.com"


@dataclass(frozen=True)
class KeyInfo:
    key_id: str
    valid_after: datetime | None


def find_account(target: Any, project_id: str, email: str) -> bool:
    from google.api_core import exceptions

    try:
        target.iam().get_service_account(name=f"projects/{project_id}/serviceAccounts/{email}", retry=None)
    except exceptions.NotFound:
        return False
    except exceptions.PermissionDenied as exc:
        if getattr(exc, "reason", "") == "SERVICE_DISABLED":
            raise iam_disabled(project_id) from None
        raise
    return True


def iam_disabled(project_id: str) -> WizardError:
    return WizardError(
        what=f"The IAM API is not enabled on project {project_id}.",
        why="Service accounts and their keys are managed by Identity and Access Management (IAM), "
        "which answers only once it is enabled in the project.",
        fix=f"Enable it with `gcloud services enable iam.googleapis.com --project {project_id}` "
        "(or run chapter 7 again in the wizard: its APIs step enables it), then retry.",
        retryable=True,
    )


def create_account(target: Any, project_id: str, account_id: str, display_name: str, say: Say) -> str:
    """Create (or adopt) the account and wait until Google shows it steadily."""
    from google.api_core import exceptions
    from google.cloud import iam_admin_v1

    email = email_for(account_id, project_id)
    try:
        target.iam().create_service_account(
            request={"name": f"projects/{project_id}", "account_id": account_id,
                     "service_account": iam_admin_v1.ServiceAccount(display_name=display_name)},
            retry=None,
        )
    except exceptions.Conflict:
        say(f"{email} already exists: adopting it", None)
    except exceptions.PermissionDenied as exc:
        if getattr(exc, "reason", "") == "SERVICE_DISABLED":
            raise iam_disabled(project_id) from None
        raise
    wait_visible(target, project_id, email, say)
    return email


def wait_visible(target: Any, project_id: str, email: str, say: Say, steady: int = 2, timeout: float = 120.0) -> None:
    """New accounts can flicker (seen, then not): wait for `steady` reads in a row.

    Once seen, the confirming read comes after the shortest poll delay: the account is
    most likely there, and a learner should not wait out a backed-off delay to be sure."""
    deadline = time.monotonic() + timeout
    seen, delay, waited = 0, target.poll_initial, False
    while seen < steady:
        if find_account(target, project_id, email):
            seen += 1
            delay = target.poll_initial
        else:
            if seen == 0 and not waited:
                say(f"Waiting for Google to show {email} (new accounts take a moment to appear)", None)
            seen, waited = 0, True
        if time.monotonic() > deadline:
            raise WizardError(
                what=f"{email} was created but Google does not show it yet.",
                why="New service accounts take a few seconds (rarely minutes) to appear everywhere.",
                fix="Retry in a minute; nothing is created twice.",
                retryable=True,
            )
        if seen < steady:
            time.sleep(delay)
            delay = min(delay * 1.5, target.poll_maximum)


def member_has_role(target: Any, project_id: str, member: str, role: str) -> bool:
    policy = target.projects().get_iam_policy(
        request={"resource": f"projects/{project_id}", "options": {"requested_policy_version": 3}},
        retry=target.retry(),
    )
    return any(b.role == role and member in b.members for b in policy.bindings)


def missing_roles(target: Any, project_id: str, member: str, roles: list[str]) -> list[str]:
    """The roles of `roles` that `member` does not have on the project, from one policy read."""
    policy = target.projects().get_iam_policy(
        request={"resource": f"projects/{project_id}", "options": {"requested_policy_version": 3}},
        retry=target.retry(),
    )
    return [role for role in roles if not any(b.role == role and member in b.members for b in policy.bindings)]


def grant_roles(target: Any, project_id: str, member: str, roles: list[str], say: Say, attempts: int = 8) -> None:
    """Add `member` to every role of `roles` in one read-modify-write of the project's policy
    (with its etag; read again and retried on a race, or while the new member is unknown).

    The same end state as one `gcloud projects add-iam-policy-binding` per role, in one
    write instead of one per role."""
    from google.api_core import exceptions

    delay = target.poll_initial
    for _attempt in range(attempts):
        policy = target.projects().get_iam_policy(
            request={"resource": f"projects/{project_id}", "options": {"requested_policy_version": 3}},
            retry=target.retry(),
        )
        changed = False
        for role in roles:
            binding = next((b for b in policy.bindings if b.role == role and not b.condition.expression), None)
            if binding is not None and member in binding.members:
                continue
            if binding is None:
                binding = policy.bindings.add()
                binding.role = role
            binding.members.append(member)
            changed = True
        if not changed:
            return
        policy.version = 3
        try:
            target.projects().set_iam_policy(request={"resource": f"projects/{project_id}", "policy": policy},
                                             retry=None)
            return
        except (exceptions.Aborted, exceptions.Conflict):
            say("Someone else changed the project's policy at the same time; reading it again", None)
        except exceptions.BadRequest as exc:
            if "does not exist" not in str(exc):
                raise
            say(f"Google does not know {member} everywhere yet; retrying", None)
        time.sleep(delay)
        delay = min(delay * 2, target.poll_maximum)
    raise WizardError(
        what=f"Could not add {', '.join(roles)} for {member}.",
        why="The project's policy kept changing, or the new account stayed unknown.",
        fix="Retry in a minute.",
        retryable=True,
    )


def grant_role(target: Any, project_id: str, member: str, role: str, say: Say, attempts: int = 8) -> None:
    """Add `member` to `role` on the project: read, modify, write with the etag; retry on races."""
    grant_roles(target, project_id, member, [role], say, attempts)


def user_keys(target: Any, project_id: str, email: str) -> list[KeyInfo]:
    from google.cloud import iam_admin_v1

    response = target.iam().list_service_account_keys(
        request={"name": f"projects/{project_id}/serviceAccounts/{email}",
                 "key_types": [iam_admin_v1.ListServiceAccountKeysRequest.KeyType.USER_MANAGED]},
        retry=target.retry(),
    )
    out = []
    for key in response.keys:
        after = key.valid_after_time
        out.append(KeyInfo(key.name.rsplit("/", 1)[1], after if isinstance(after, datetime) else None))
    return out


def create_key(target: Any, project_id: str, email: str) -> bytes:
    """A new JSON key for the account: the only copy of its private key, returned once."""
    from google.api_core import exceptions

    try:
        key = target.iam().create_service_account_key(
            request={"name": f"projects/{project_id}/serviceAccounts/{email}"}, retry=None)
    except exceptions.FailedPrecondition as exc:
        text = str(exc)
        if "disableServiceAccountKeyCreation" in text or "Key creation is not allowed" in text:
            raise WizardError(
                what=f"Your organisation forbids creating keys for {email}.",
                why="The organisation policy constraints/iam.disableServiceAccountKeyCreation is enforced "
                "(the default for organisations created since 2024).",
                fix="Ask an organisation policy administrator to exempt this project "
                "(`gcloud resource-manager org-policies disable-enforce "
                f"iam.disableServiceAccountKeyCreation --project={project_id}`), or use a project outside the "
                "organisation; Workload Identity Federation avoids keys altogether but the guide does not cover it.",
            ) from None
        if "10" in text or "maximum" in text.lower() or "limit" in text.lower():
            raise WizardError(
                what=f"{email} already has the maximum number of keys (10).",
                why=text,
                fix=f"Delete old keys (`gcloud iam service-accounts keys list --iam-account={email}`, then "
                "`... keys delete KEY_ID`), then retry.",
            ) from None
        raise
    data = key.private_key_data
    return bytes(data)


def delete_key(target: Any, project_id: str, email: str, key_id: str) -> None:
    from google.api_core import exceptions

    try:
        target.iam().delete_service_account_key(
            name=f"projects/{project_id}/serviceAccounts/{email}/keys/{key_id}", retry=None)
    except exceptions.NotFound:
        pass


def utc(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
