"""Chapter 8 of "A guide to MLOps": reproduce the ML experiment in a CI/CD pipeline.

Content only: the service account CI uses, its role and key, the secret, the workflow
file for GitHub or GitLab, the commit, and the first run. The guide's names are kept.
"""

from __future__ import annotations

from pathlib import Path

from chapters.templates import renderer
from wizard.engine.chapter import Chapter
from wizard.engine.prerequisites import Prerequisite
from wizard.engine.step import load_text
from wizard.steps.ci_account import ci_service_account
from wizard.steps.files import GuideFile
from wizard.steps.forge import CheckForgeAccess, WatchRun
from wizard.steps.older import OlderEdition
from wizard.steps.prerequisites import project_and_bucket
from wizard.steps.repo import CommitChapterFiles

TEXT = Path(__file__).parent / "text" / "ch08"

ACCOUNT_ID = "dvc-service-account"
SECRET_NAME = "DVC_GCP_SERVICE_ACCOUNT_KEY"
COMMIT_MESSAGE = "A pipeline will run my experiment on each push"


CI_ACCOUNT = ci_service_account(
    chapter="ch08",
    text_dir=TEXT,
    account_id=ACCOUNT_ID,
    account_title="Create the DVC service account",
    display_name="DVC Service Account",
    grant="grant-role",
    grant_title="Let it read the bucket",
    roles=["roles/storage.objectViewer"],
    key_title="Create the service account's key",
    key_file="~/.config/gcloud/dvc-google-service-account-key.json",
    secret=SECRET_NAME,
)
KEY = CI_ACCOUNT.key
WORKFLOW = GuideFile(
    "ch08.workflow",
    "Write the CI/CD pipeline file",
    files={
        "github": (".github/workflows/mlops.yml", renderer("github/mlops.yml")),
        "gitlab": (".gitlab-ci.yml", renderer("gitlab/gitlab-ci.yml")),
    },
    text=load_text(TEXT, "workflow.md"),
    keeps_later_job=True,  # chapter 14 adds its deploy job to this file: it is chapter 14's, not drift
)

CHAPTER = Chapter(
    number=8,
    title="Reproduce the ML experiment in a CI/CD pipeline",
    intro=load_text(TEXT, "intro.md"),
    summary=load_text(TEXT, "summary.md"),
    requires=[7],
    prerequisites=[Prerequisite("chapter 7's project and bucket", 7, project_and_bucket)],
    ci_branch="main",  # the guide's workflow runs on pushes to main
    steps=[
        CheckForgeAccess(
            "ch08.forge-access", "Check access to your repository's forge", text=load_text(TEXT, "forge-access.md")
        ),
        OlderEdition(
            "ch08.older-edition", "Look for the older edition's credential", text=load_text(TEXT, "older-edition.md")
        ),
        *CI_ACCOUNT.steps,
        WORKFLOW,
        CommitChapterFiles(
            "ch08.commit",
            "Commit and push the pipeline",
            message=COMMIT_MESSAGE,
            file_steps=[WORKFLOW],
            text=load_text(TEXT, "commit.md"),
        ),
        WatchRun(
            "ch08.watch-run",
            "Watch the first run",
            text=load_text(TEXT, "watch-run.md"),
            commit_message=COMMIT_MESSAGE,
            file_steps=[WORKFLOW],
            workflows={"github": ".github/workflows/mlops.yml"},
        ),
    ],
)
