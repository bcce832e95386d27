"""Buckets through google-cloud-storage (the JSON API, like `gcloud storage`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wizard.engine.errors import WizardError
from wizard.gcp import retry


@dataclass(frozen=True)
class BucketInfo:
    name: str
    project_number: str
    location: str
    uniform_access: bool
    public_access_prevention: str


def _info(bucket: Any) -> BucketInfo:
    iam = bucket.iam_configuration
    return BucketInfo(
        name=bucket.name,
        project_number=str(bucket.project_number or ""),
        location=(bucket.location or "").lower(),
        uniform_access=bool(iam.uniform_bucket_level_access_enabled),
        public_access_prevention=str(iam.public_access_prevention or "inherited"),
    )


def find_bucket(target: Any, project_id: str, name: str) -> BucketInfo | None:
    """The bucket if the learner can see it; None if it does not exist; error if it is someone else's."""
    from google.api_core import exceptions

    from wizard.engine.reads import kept

    def read() -> BucketInfo | None:
        try:
            bucket = target.storage(project_id).get_bucket(name, retry=retry.policy(), timeout=30)
        except exceptions.NotFound:
            return None
        except exceptions.Forbidden as exc:
            raise bucket_forbidden(exc, project_id, name) from None
        return _info(bucket)

    return kept(target, ("bucket", project_id, name), read)  # the preflight and the step share one read


def create_bucket(target: Any, project_id: str, name: str, location: str) -> BucketInfo:
    from google.api_core import exceptions

    from wizard.engine.reads import forget

    forget(target)
    client = target.storage(project_id)
    bucket = client.bucket(name)
    bucket.iam_configuration.uniform_bucket_level_access_enabled = True
    bucket.iam_configuration.public_access_prevention = "enforced"
    try:
        created = client.create_bucket(
            bucket, project=project_id, location=location, retry=retry.policy(), timeout=60
        )  # a repeat that conflicts adopts
    except exceptions.Conflict as exc:
        if "already own" in str(exc):
            found = find_bucket(target, project_id, name)
            if found is not None:
                return found
        raise bucket_taken(name) from None
    except exceptions.Forbidden as exc:
        raise bucket_forbidden(exc, project_id, name) from None
    return _info(created)


def enforce_privacy(target: Any, project_id: str, name: str) -> None:
    """Turn on uniform access and public access prevention on an existing bucket of the learner's."""
    from wizard.engine.reads import forget

    forget(target)
    bucket = target.storage(project_id).get_bucket(name, retry=retry.policy(), timeout=30)
    bucket.iam_configuration.uniform_bucket_level_access_enabled = True
    bucket.iam_configuration.public_access_prevention = "enforced"
    bucket.patch(retry=retry.policy(), timeout=30)  # setting the same values again is harmless


def object_names(target: Any, project_id: str, bucket: str, prefix: str) -> set[str]:
    client = target.storage(project_id)
    return {blob.name for blob in client.list_blobs(bucket, prefix=prefix, retry=retry.policy(), timeout=60)}


def bucket_taken(name: str) -> WizardError:
    from wizard.gcp.naming import suggest_ids

    ideas = ", ".join(suggest_ids(name, limit=63))
    return WizardError(
        what=f"The bucket name '{name}' is already taken.",
        why="Bucket names are shared by every Google Cloud user in the world, and this one belongs to someone else.",
        fix=f"Choose another name, for example one of: {ideas}.",
        details={"answer": "gcp.bucket_name"},  # the answer to ask again
    )


@dataclass(frozen=True)
class ObjectInfo:
    name: str
    size: int


def list_objects(target: Any, project_id: str, bucket: str) -> list[ObjectInfo]:
    """Every object of the bucket (names and sizes), to say what a deletion removes before it does."""
    client = target.storage(project_id)
    return [ObjectInfo(blob.name, int(blob.size or 0)) for blob in client.list_blobs(bucket, retry=None, timeout=60)]


def delete_object(target: Any, project_id: str, bucket: str, name: str) -> None:
    from google.api_core import exceptions

    try:
        target.storage(project_id).bucket(bucket).blob(name).delete(retry=None, timeout=60)
    except exceptions.NotFound:
        pass  # gone already: an earlier, interrupted run deleted it


def delete_bucket(target: Any, project_id: str, name: str) -> None:
    """Delete an empty bucket; Google refuses one that still holds objects (409)."""
    from google.api_core import exceptions

    from wizard.engine.reads import forget

    forget(target)

    try:
        target.storage(project_id).bucket(name).delete(retry=None, timeout=60)
    except exceptions.NotFound:
        pass


def _reasons(exc: BaseException) -> set[str]:
    """The reasons Cloud Storage gave: ErrorInfo's (api_core's `reason`) and the JSON API's `errors[].reason`."""
    found = {str(getattr(exc, "reason", None) or "")}
    for item in getattr(exc, "errors", None) or []:
        if isinstance(item, dict) and item.get("reason"):
            found.add(str(item["reason"]))
    return found - {""}


def bucket_forbidden(exc: BaseException, project_id: str, name: str) -> WizardError:
    """A 403 on a bucket, explained by its cause: Cloud Storage answers 403 for several different things.

    Reasons documented at cloud.google.com/storage/docs/json_api/v1/status-codes#403-forbidden:
    accountDisabled (billing), accessNotConfigured / SERVICE_DISABLED (API), domain verification for
    names with dots (cloud.google.com/storage/docs/domain-name-verification), and forbidden: the bucket
    belongs to someone else.
    """
    reasons = _reasons(exc)
    message = getattr(exc, "message", None) or str(exc)
    lowered = message.lower()
    if "accountDisabled" in reasons or "billing account" in lowered:
        return WizardError(
            what=f"Cloud Storage refused gs://{name}: billing is not active on the project that owns it.",
            why=f'Google answered "{message}". Buckets (even an existing one of yours) can be used only while '
            "the owning project is linked to an open billing account.",
            fix=f"Link an open billing account (`gcloud billing projects link {project_id} --billing-account "
            "ACCOUNT_ID`, or re-run chapter 7's billing step), or reopen the account in the console "
            "(https://console.cloud.google.com/billing); then run the wizard again.",
            details={"cause": "billing-disabled"},
        )
    if reasons & {"accessNotConfigured", "SERVICE_DISABLED"}:
        return WizardError(
            what=f"Cloud Storage refused gs://{name}: its API is not enabled on project {project_id}.",
            why=f'Google answered "{message}"',
            fix=f"Enable it (`gcloud services enable storage.googleapis.com --project {project_id}`, or re-run the "
            "step that enables the APIs), wait a minute, then run the wizard again.",
            retryable=True,
        )
    if "domain" in lowered and ("verif" in lowered or "owned by another" in lowered or "owns the domain" in lowered):
        return WizardError(
            what=f"Cloud Storage refused to create gs://{name}: a bucket name with dots is a domain name.",
            why=f'Google answered "{message}" Only the verified owner of a domain may create buckets named after it.',
            fix="Choose a name without dots (letters, digits and hyphens), or verify that you own the domain "
            "(https://cloud.google.com/storage/docs/domain-name-verification) and run the wizard again.",
        )
    return bucket_taken(name)
