"""How the chapters' declared prerequisites are observed (read-only), by what exists rather than by our traces."""

from __future__ import annotations

from wizard.engine.step import Context
from wizard.workspace import dvc_remote

PIPELINE_FILES = {"github": ".github/workflows/mlops.yml", "gitlab": ".gitlab-ci.yml"}


def project_and_bucket(ctx: Context) -> str | None:
    """Chapter 7's project exists, and DVC's default remote is a bucket of it."""
    from wizard.gcp import buckets, projects

    project_id = ctx.answers.get("gcp.project_id")
    if not project_id:
        return "no Google Cloud project is known yet (gcp.project_id)"
    if projects.find_project(ctx.target, project_id) is None:
        return f"the project {project_id} does not exist"
    config = ctx.workspace.dvc_config()
    name = dvc_remote.default(config)
    split = dvc_remote.split_url(dvc_remote.remotes(config).get(name or "", ""))
    if split is None:
        return "DVC has no default remote in a Cloud Storage bucket (.dvc/config)"
    try:
        found = buckets.find_bucket(ctx.target, project_id, split[0])
    except Exception:  # noqa: BLE001 - someone else's bucket, storage disabled: not chapter 7's bucket either
        found = None
    if found is None:
        return f"DVC's default remote is gs://{split[0]}, which is not a bucket of project {project_id}"
    return None


def pipeline_file(ctx: Context) -> str | None:
    """Chapter 8's pipeline file is in the repository, with the job that trains."""
    from wizard.workspace.ci_yaml import CiYamlError, training_job

    path = PIPELINE_FILES.get(ctx.answers.get("forge.kind", "github"), PIPELINE_FILES["github"])
    text = ctx.workspace.read(path)
    if not text:
        return f"{path} does not exist"
    try:
        trains = training_job(text)
    except CiYamlError:
        trains = None
    return None if trains else f"no job of {path} runs `dvc repro`"
