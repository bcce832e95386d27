"""Service accounts, their keys, and project IAM bindings (google-cloud-iam, resource manager).

Google's answers here are eventually consistent: a new service account may be invisible for
seconds, and a binding to it may be refused until it is visible. Policies are changed by
read-modify-write with the etag, retried when someone else wrote in between.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, TypeVar

from wizard.engine.errors import WizardError
from wizard.gcp import retry

Say = Callable[[str, "float | None"], None]
T = TypeVar("T")


def email_for(account_id: str, project_id: str) -> str:
    return f"{account_id}@{project_id}.iam.gserviceaccount.com"


@dataclass(frozen=True)
class KeyInfo:
    key_id: str
    valid_after: datetime | None


def find_account(target: Any, project_id: str, email: str) -> bool:
    """Whether the account exists; one read per run, until the run writes (a loop waiting for it reads fresh)."""
    from wizard.engine.reads import kept

    return kept(target, ("account", project_id, email), lambda: _find_account(target, project_id, email))


def _find_account(target: Any, project_id: str, email: str) -> bool:
    from google.api_core import exceptions

    try:
        target.iam().get_service_account(name=f"projects/{project_id}/serviceAccounts/{email}", retry=retry.policy())
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
            request={
                "name": f"projects/{project_id}",
                "account_id": account_id,
                "service_account": iam_admin_v1.ServiceAccount(display_name=display_name),
            },
            retry=retry.policy(),  # a repeat after a lost answer conflicts, and the account is adopted
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
    time.sleep(delay)  # just created: a look now would only find it missing (one call for nothing)
    while seen < steady:
        with target.reads.fresh():  # waiting for Google to change: every look is a new read
            found = find_account(target, project_id, email)
        if found:
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
        retry=retry.policy(),
    )
    return any(b.role == role and member in b.members for b in policy.bindings)


def missing_roles(target: Any, project_id: str, member: str, roles: list[str]) -> list[str]:
    """The roles of `roles` that `member` does not have on the project, from one policy read."""
    policy = target.projects().get_iam_policy(
        request={"resource": f"projects/{project_id}", "options": {"requested_policy_version": 3}},
        retry=retry.policy(),
    )
    return [role for role in roles if not any(b.role == role and member in b.members for b in policy.bindings)]


def grant_roles(target: Any, project_id: str, member: str, roles: list[str], say: Say, attempts: int = 8) -> None:
    """Add `member` to every role of `roles` in one read-modify-write of the project's policy
    (with its etag; read again and retried on a race, or while the new member is unknown).

    The same end state as one `gcloud projects add-iam-policy-binding` per role, in one
    write instead of one per role."""

    def add(policy: Any) -> tuple[bool, None]:
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
        return changed, None

    # Safe to repeat: a write that took effect makes the repeat's etag stale (ABORTED, read again).
    written, _ = _rewrite_policy(
        target, project_id, add, say, attempts, retry.policy(), retry.policy(), waiting_for=member
    )
    if written:
        return
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
        request={
            "name": f"projects/{project_id}/serviceAccounts/{email}",
            "key_types": [iam_admin_v1.ListServiceAccountKeysRequest.KeyType.USER_MANAGED],
        },
        retry=retry.policy(),
    )
    out = []
    for key in response.keys:
        after = key.valid_after_time
        out.append(KeyInfo(key.name.rsplit("/", 1)[1], after if isinstance(after, datetime) else None))
    return out


def create_key(target: Any, project_id: str, email: str, say: Say | None = None, attempts: int = 5) -> bytes:
    """A new JSON key for the account: the only copy of its private key, returned once.

    Never retried blindly: a call whose answer was lost may have created a key nobody holds.
    After a transient failure, keys that appeared since the attempt began are deleted (they are
    orphans by construction), and only then is a key asked for again.
    """
    from google.api_core import exceptions

    name = f"projects/{project_id}/serviceAccounts/{email}"
    delay = retry.INITIAL
    for attempt in range(attempts):
        before = {k.key_id for k in user_keys(target, project_id, email)}
        try:
            key = target.iam().create_service_account_key(request={"name": name}, retry=None)
        except exceptions.FailedPrecondition as exc:
            raise key_refused(target, project_id, email, exc) from None
        except Exception as exc:  # noqa: BLE001 - only transient faults are reconciled, the rest re-raised
            if not retry.is_transient(exc) or attempt == attempts - 1:
                raise
            if say is not None:
                say("Google did not answer the key request; checking that no key was made before asking again", None)
            time.sleep(delay)
            delay = min(delay * retry.MULTIPLIER, retry.MAXIMUM)
            for orphan in sorted({k.key_id for k in user_keys(target, project_id, email)} - before):
                delete_key(target, project_id, email, orphan)
                if say is not None:
                    say(f"Deleted key {orphan[:8]}…, made by the request whose answer was lost", None)
            continue
        return bytes(key.private_key_data)
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


MANAGED_KEY_CONSTRAINT = "iam.managed.disableServiceAccountKeyCreation"
LEGACY_KEY_CONSTRAINT = "iam.disableServiceAccountKeyCreation"
MAX_KEYS = 10


def _violations(exc: BaseException) -> list[tuple[str, str]]:
    """(type, description) of each PreconditionFailure violation Google attached to the error."""
    from google.rpc import error_details_pb2

    found = []
    for detail in getattr(exc, "details", None) or []:
        if isinstance(detail, error_details_pb2.PreconditionFailure):
            found += [(v.type, v.description) for v in detail.violations]
    return found


def key_refused(target: Any, project_id: str, email: str, exc: BaseException) -> WizardError:
    """Why Google refused a key: an organisation policy, the 10-keys limit, or something else (its words)."""
    text = getattr(exc, "message", None) or str(exc)
    types = " ".join(t for t, _ in _violations(exc)) + " " + text
    if MANAGED_KEY_CONSTRAINT in types or LEGACY_KEY_CONSTRAINT in types or "Key creation is not allowed" in text:
        return key_creation_forbidden(project_id, email, managed=MANAGED_KEY_CONSTRAINT in types)
    try:
        count = len(user_keys(target, project_id, email))
    except Exception:  # noqa: BLE001 - the count only makes the message precise
        count = -1
    if count >= MAX_KEYS:
        return WizardError(
            what=f"{email} already has {count} keys, the most Google allows (10 per service account).",
            why=f'Google answered "{text}"; counting the account\'s keys shows the limit is reached. Every '
            "`gcloud iam service-accounts keys create` (or earlier attempts by hand) adds one, and keys are "
            "never removed by themselves.",
            fix=f"List them (`gcloud iam service-accounts keys list --iam-account={email} --managed-by=user`), "
            f"delete the ones no longer used (`gcloud iam service-accounts keys delete KEY_ID --iam-account={email}`)"
            ", then run the wizard again.",
        )
    return WizardError(
        what=f"Google refused to create a key for {email}.",
        why=f'Google answered "{text}" ({count if count >= 0 else "an unknown number of"} keys exist; the limit '
        "is 10).",
        fix="Check the service account in the Google Cloud console (IAM & Admin > Service accounts), then retry.",
    )


def key_creation_forbidden(project_id: str, email: str, managed: bool) -> WizardError:
    """Both constraints forbid keys; only an organisation policy administrator can lift them."""
    if managed:
        constraint = MANAGED_KEY_CONSTRAINT
        command = (
            f"gcloud org-policies set-policy policy.yaml   # policy.yaml: name: projects/{project_id}/policies/"
            f"{constraint}, spec: {{rules: [{{enforce: false}}]}}"
        )
    else:
        constraint = LEGACY_KEY_CONSTRAINT
        command = f"gcloud resource-manager org-policies disable-enforce {constraint} --project={project_id}"
    return WizardError(
        what=f"Your organisation forbids creating keys for {email}.",
        why=f"The organisation policy constraint constraints/{constraint} is enforced on project {project_id} "
        f"(both {LEGACY_KEY_CONSTRAINT} and its managed form {MANAGED_KEY_CONSTRAINT} forbid keys; Google "
        "enforces them by default in organisations created since May 2024). Being the project's owner is not "
        "enough to change it.",
        fix="Ask an organisation policy administrator (roles/orgpolicy.policyAdmin, granted on the organisation) "
        f"to exempt this project: `{command}`; or use a project outside the organisation. Then run the wizard "
        "again: nothing was created. (Workload Identity Federation avoids keys altogether, but the guide does not "
        "cover it.)",
    )


def delete_key(target: Any, project_id: str, email: str, key_id: str) -> None:
    from google.api_core import exceptions

    try:
        target.iam().delete_service_account_key(
            name=f"projects/{project_id}/serviceAccounts/{email}/keys/{key_id}", retry=retry.policy()
        )
    except exceptions.NotFound:
        pass


def utc(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def account_roles(target: Any, project_id: str, email: str) -> list[str]:
    """The project roles bound to the account, under its live name or its `deleted:…?uid=` name."""
    policy = target.projects().get_iam_policy(
        request={"resource": f"projects/{project_id}", "options": {"requested_policy_version": 3}},
        retry=target.retry(),
    )
    return sorted({b.role for b in policy.bindings if any(_names(m, email) for m in b.members)})


def _names(member: str, email: str) -> bool:
    return member == f"serviceAccount:{email}" or member.startswith(f"deleted:serviceAccount:{email}?uid=")


def remove_account_bindings(target: Any, project_id: str, email: str, say: Say, attempts: int = 8) -> list[str]:
    """Take the account out of every project binding (read, modify, write with the etag; retry on races)."""

    def take_out(policy: Any) -> tuple[bool, list[str]]:
        removed: list[str] = []
        kept: list[Any] = []
        for binding in policy.bindings:
            copy = type(binding)()
            copy.CopyFrom(binding)
            members = [m for m in copy.members if not _names(m, email)]
            if len(members) != len(copy.members):
                removed.append(copy.role)
                del copy.members[:]
                copy.members.extend(members)
            if copy.members:
                kept.append(copy)
        if removed:
            del policy.bindings[:]
            policy.bindings.extend(kept)
        return bool(removed), sorted(removed)

    written, removed = _rewrite_policy(target, project_id, take_out, say, attempts, target.retry(), None)
    if written:
        return removed or []
    raise WizardError(
        what=f"Could not remove the roles of {email}.",
        why="The project's policy kept changing.",
        fix="Retry in a minute.",
        retryable=True,
    )


def delete_account(target: Any, project_id: str, email: str) -> None:
    """Delete the account (Google deletes its keys with it); gone already is fine."""
    from google.api_core import exceptions

    try:
        target.iam().delete_service_account(name=f"projects/{project_id}/serviceAccounts/{email}", retry=None)
    except exceptions.NotFound:
        pass


def _rewrite_policy(
    target: Any,
    project_id: str,
    edit: Callable[[Any], tuple[bool, T]],
    say: Say,
    attempts: int,
    read_retry: Any,
    write_retry: Any,
    waiting_for: str | None = None,
) -> tuple[bool, T | None]:
    """Read the project's policy, let `edit` change it, write it back with its etag: the one safe way to change
    a policy others may change at the same time. A race (ABORTED) reads again, and so does a member Google does
    not know everywhere yet (`waiting_for`, a new account). Returns (True, what `edit` said) once the policy
    holds the change (or `edit` found nothing to change), (False, None) when every attempt lost."""
    from google.api_core import exceptions

    delay = target.poll_initial
    for _attempt in range(attempts):
        policy = target.projects().get_iam_policy(
            request={"resource": f"projects/{project_id}", "options": {"requested_policy_version": 3}},
            retry=read_retry,
        )
        changed, result = edit(policy)
        if not changed:
            return True, result
        policy.version = 3
        try:
            target.projects().set_iam_policy(
                request={"resource": f"projects/{project_id}", "policy": policy}, retry=write_retry
            )
            return True, result
        except (exceptions.Aborted, exceptions.Conflict):
            say("Someone else changed the project's policy at the same time; reading it again", None)
        except exceptions.BadRequest as exc:
            if waiting_for is None or "does not exist" not in str(exc):
                raise
            say(f"Google does not know {waiting_for} everywhere yet; retrying", None)
        time.sleep(delay)
        delay = min(delay * 2, target.poll_maximum)
    return False, None
