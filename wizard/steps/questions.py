"""The answers Google's steps need (`gcp.*`, `gke.*`), registered when the step kinds are imported.

They live beside the steps that read them, not in the engine: the engine asks whatever
questions the chapters' steps declare, and knows none by name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wizard.engine.questions import Question, register
from wizard.gcp.naming import (
    BUCKET_LOCATIONS,
    normalize_billing_account,
    suggest_ids,
    validate_billing_account,
    validate_bucket_location,
    validate_bucket_name,
    validate_cluster_name,
    validate_cluster_zone,
    validate_project_id,
)

if TYPE_CHECKING:  # pragma: no cover
    from wizard.engine.step import Context

GUIDE_LOCATION = "europe-west6"


def billing_default(ctx: Context) -> tuple[str | None, list[tuple[str, str]]]:
    """The learner's open billing accounts to pick from; the only one is the default."""
    from wizard.gcp import billing

    accounts = billing.open_accounts(ctx.target)
    if not accounts:
        raise billing.no_open_account()
    choices = [(a.account_id, f"{a.account_id}  {a.display_name}") for a in accounts]
    return (accounts[0].account_id if len(accounts) == 1 else None), choices


register(
    Question(
        "gcp.project_id",
        "Google Cloud project ID",
        "Globally unique: 6–30 lowercase letters, digits or hyphens, starting with a letter. "
        "The guide's example mlops-project is already taken by someone; add something of yours.",
        validate_project_id,
        normalize=lambda v: v.strip(),
        env="GCP_PROJECT_ID",
        suggest=lambda answers: suggest_ids("mlops-project", count=1)[0],
        alternatives=lambda refused, count: suggest_ids(refused, count=count, limit=30),
        names="project",
    )
)
register(
    Question(
        "gcp.billing_account",
        "Billing account ID",
        "The account that pays for the project, e.g. 012345-6789AB-CDEF01. "
        "When you have exactly one open account it is chosen for you.",
        validate_billing_account,
        normalize=normalize_billing_account,
        env="GCP_BILLING_ACCOUNT_ID",
    ),
    resolve_default=billing_default,
)
register(
    Question(
        "gcp.bucket_name",
        "Storage bucket name",
        "Globally unique: 3–63 lowercase letters, digits, '-', '_' or '.'; no 'google'.",
        validate_bucket_name,
        normalize=lambda v: v.strip(),
        env="GCP_BUCKET_NAME",
        suggest=lambda answers: f"{answers['gcp.project_id']}-data" if answers.get("gcp.project_id") else None,
        follows=("gcp.project_id",),
        alternatives=lambda refused, count: suggest_ids(refused, count=count, limit=63),
        names="bucket",
    )
)
register(
    Question(
        "gcp.bucket_location",
        "Bucket location",
        "Where the data lives; pick one close to you. The guide uses europe-west6 (Zurich).",
        validate_bucket_location,
        default=GUIDE_LOCATION,
        normalize=lambda v: v.strip().lower(),
        env="GCP_BUCKET_LOCATION",
        # The guide's location first, then the others alphabetically.
        choices=tuple(sorted(BUCKET_LOCATIONS, key=lambda loc: (loc != GUIDE_LOCATION, loc))),
    )
)
register(
    Question(
        "gke.cluster_name",
        "Kubernetes cluster name",
        "The GKE cluster of the guide's chapter 13 (mlops-kubernetes in the guide).",
        validate_cluster_name,
        default="mlops-kubernetes",
        normalize=lambda v: v.strip(),
        env="GCP_K8S_CLUSTER_NAME",
    )
)
register(
    Question(
        "gke.cluster_zone",
        "Kubernetes cluster zone",
        "Where the cluster of chapter 13 runs (europe-west6-a in the guide).",
        validate_cluster_zone,
        default="europe-west6-a",
        normalize=lambda v: v.strip().lower(),
        env="GCP_K8S_CLUSTER_ZONE",
    )
)
