"""Answers read from what exists, for `status` on a repository set up by hand (or on another machine).

The bucket is the one DVC's default remote points into; the project is the one that owns
that bucket. Nothing here writes: these reads only fill answers nobody gave.
"""

from __future__ import annotations

from typing import Any

from wizard.workspace import dvc_remote


def bucket_from_dvc(ctx: Any) -> str | None:
    config = ctx.workspace.dvc_config()
    name = dvc_remote.default(config)
    urls = dvc_remote.remotes(config)
    split = dvc_remote.split_url(urls.get(name or "", "")) or next(
        (s for s in (dvc_remote.split_url(url) for url in urls.values()) if s), None
    )
    return split[0] if split else None


def project_of_bucket(ctx: Any, bucket: str) -> str | None:
    """The learner's project that owns `bucket` (projects are searched; the bucket names its project number)."""
    from wizard.gcp import buckets

    try:
        found = list(ctx.target.projects().search_projects(query="", retry=ctx.target.retry()))
    except Exception:  # noqa: BLE001 - no credentials, no network: the answer stays unknown
        return None
    numbers = {p.name.split("/", 1)[1]: p.project_id for p in found if p.state.name == "ACTIVE"}
    for project_id in numbers.values():
        try:
            info = buckets.find_bucket(ctx.target, project_id, bucket)
        except Exception:  # noqa: BLE001 - not this project's, or storage not enabled there
            continue
        if info is not None:
            return numbers.get(info.project_number)
    return None


def fill_answers(ctx: Any, with_billing: bool = True) -> list[str]:
    """Fill gcp.bucket_name and gcp.project_id (and the billing account linked to it) from the repository and
    the cloud; returns what was filled."""
    filled = []
    if "gcp.bucket_name" not in ctx.answers:
        bucket = bucket_from_dvc(ctx)
        if bucket:
            ctx.answers["gcp.bucket_name"] = bucket
            filled.append(f"bucket {bucket} (DVC's remote)")
    bucket = ctx.answers.get("gcp.bucket_name")
    if "gcp.project_id" not in ctx.answers and bucket:
        project = project_of_bucket(ctx, bucket)
        if project:
            ctx.answers["gcp.project_id"] = project
            filled.append(f"project {project} (owner of gs://{bucket})")
    project = ctx.answers.get("gcp.project_id")
    if with_billing and "gcp.billing_account" not in ctx.answers and project:
        from wizard.gcp import billing

        try:
            linked = billing.linked_account(ctx.target, project)
        except Exception:  # noqa: BLE001 - not allowed to see it: the answer stays unknown
            linked = None
        if linked:
            ctx.answers["gcp.billing_account"] = linked
            filled.append(f"billing account {linked} (linked to {project})")
    return filled
