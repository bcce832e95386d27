"""Chapter 14 of "A guide to MLOps": continuous deployment of the model with MLEM to Kubernetes.

Where the guide is broken, the wizard does the right thing (see the step texts): every role
is granted on its own (the guide's single command lands only one), `roles/container.developer`
is added because `container.clusterViewer` cannot update a Deployment, and GitLab gets a real
deploy job instead of "work in progress".
"""

from __future__ import annotations

from pathlib import Path

from chapters.templates import renderer
from wizard.engine.chapter import Chapter
from wizard.engine.prerequisites import Prerequisite
from wizard.engine.step import load_text
from wizard.steps.ci_account import ci_service_account
from wizard.steps.deploy import AddCiJob, CheckDeployTargets
from wizard.steps.files import GuideFile
from wizard.steps.forge import CheckForgeAccess, WatchRun
from wizard.steps.prerequisites import pipeline_file, project_and_bucket
from wizard.steps.repo import CommitChapterFiles

TEXT = Path(__file__).parent / "text" / "ch14"

ACCOUNT_ID = "mlem-service-account"
SECRET_NAME = "MLEM_GCP_SERVICE_ACCOUNT_KEY"
COMMIT_MESSAGE = "A pipeline will deploy the model on the Kubernetes cluster"
ROLES = [
    "roles/storage.objectAdmin",
    "roles/artifactregistry.createOnPushWriter",
    "roles/container.clusterViewer",
    "roles/container.developer",
]


def _github_edit(text: str, job: str):  # noqa: ANN202
    from wizard.workspace.ci_yaml import add_github_deploy_job

    return add_github_deploy_job(text, job)


def _github_has(text: str, job: str) -> bool:
    from wizard.workspace.ci_yaml import has_github_deploy_job

    return has_github_deploy_job(text, job)


def _gitlab_edit(text: str, job: str):  # noqa: ANN202
    from wizard.workspace.ci_yaml import add_gitlab_deploy_job

    return add_gitlab_deploy_job(text, job)


def _gitlab_has(text: str, job: str) -> bool:
    from wizard.workspace.ci_yaml import has_gitlab_deploy_job

    return has_gitlab_deploy_job(text, job)


CI_ACCOUNT = ci_service_account(
    chapter="ch14",
    text_dir=TEXT,
    account_id=ACCOUNT_ID,
    account_title="Create the MLEM service account",
    display_name="MLEM Service Account",
    grant="grant-roles",
    grant_title="Give it the four roles deployment needs",
    roles=ROLES,
    key_title="Create the MLEM service account's key",
    key_file="~/.config/gcloud/mlem-google-service-account-key.json",
    secret=SECRET_NAME,
)
KEY = CI_ACCOUNT.key
DEPLOY_WORKFLOW = GuideFile(
    "ch14.deploy-workflow",
    "Write the deploy workflow",
    files={"github": (".github/workflows/deploy.yml", renderer("github/deploy.yml"))},
    text=load_text(TEXT, "deploy-workflow.md"),
)
DEPLOY_JOB = AddCiJob(
    "ch14.deploy-job",
    "Call it from the pipeline on main",
    edits={
        "github": (".github/workflows/mlops.yml", renderer("github/mlops-deploy-job.yml"), _github_edit, _github_has),
        "gitlab": (".gitlab-ci.yml", renderer("gitlab/deploy-job.yml"), _gitlab_edit, _gitlab_has),
    },
    text=load_text(TEXT, "deploy-job.md"),
)

CHAPTER = Chapter(
    number=14,
    title="Continuous deployment of the model with MLEM",
    intro=load_text(TEXT, "intro.md"),
    summary=load_text(TEXT, "summary.md"),
    requires=[8],
    prerequisites=[
        Prerequisite("chapter 7's project and bucket", 7, project_and_bucket),
        Prerequisite("chapter 8's pipeline file", 8, pipeline_file, for_preflight=False),
    ],
    ci_branch="main",  # the deploy job runs on main only
    steps=[
        CheckForgeAccess(
            "ch14.forge-access", "Check access to your repository's forge", text=load_text(TEXT, "forge-access.md")
        ),
        CheckDeployTargets(
            "ch14.preflight",
            "Check what chapters 11–13 created",
            mlem_files={"model.mlem": 11, ".mlem.yaml": 11, "service_classifier.mlem": 13},
            apis={"container.googleapis.com": 13, "artifactregistry.googleapis.com": 12},
            text=load_text(TEXT, "preflight.md"),
        ),
        *CI_ACCOUNT.steps,
        DEPLOY_WORKFLOW,
        DEPLOY_JOB,
        CommitChapterFiles(
            "ch14.commit",
            "Commit and push the deployment pipeline",
            message=COMMIT_MESSAGE,
            file_steps=[DEPLOY_WORKFLOW, DEPLOY_JOB],
            text=load_text(TEXT, "commit.md"),
        ),
        WatchRun(
            "ch14.watch-run",
            "Watch the deployment run",
            text=load_text(TEXT, "watch-run.md"),
            # the deploy commit's run (or a later push's: each runs the `deploy` job; on GitHub the
            # run of mlops.yml, which calls deploy.yml) — never chapter 8's
            # not the job's file: it is chapter 8's too
            commit_message=COMMIT_MESSAGE,
            file_steps=[DEPLOY_WORKFLOW],
            workflows={"github": ".github/workflows/mlops.yml"},
            latest=True,
            subject="The deployment run (MLEM deployment service_classifier)",
            rerun={
                "github": "gh workflow run deploy.yml --ref main   # workflow_dispatch",
                "gitlab": "glab ci run --branch main",
            },
        ),
    ],
)
