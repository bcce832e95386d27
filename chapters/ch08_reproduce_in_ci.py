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
from wizard.steps.files import GuideFile
from wizard.steps.forge import CheckForgeAccess, StoreKeySecret, WatchRun
from wizard.steps.iam import CreateKey, CreateServiceAccount, GrantProjectRoles
from wizard.steps.older import OlderEdition
from wizard.steps.prerequisites import project_and_bucket
from wizard.steps.repo import CommitChapterFiles

TEXT = Path(__file__).parent / "text" / "ch08"

ACCOUNT_ID = "dvc-service-account"
SECRET_NAME = "DVC_GCP_SERVICE_ACCOUNT_KEY"
COMMIT_MESSAGE = "A pipeline will run my experiment on each push"


KEY = CreateKey(
    "ch08.create-key", "Create the service account's key",
    account_id=ACCOUNT_ID, key_file="~/.config/gcloud/dvc-google-service-account-key.json",
    stored_by="ch08.store-secret", secret=SECRET_NAME, text=load_text(TEXT, "create-key.md"),
)
WORKFLOW = GuideFile(
    "ch08.workflow", "Write the CI/CD pipeline file",
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
        CheckForgeAccess("ch08.forge-access", "Check access to your repository's forge",
                         text=load_text(TEXT, "forge-access.md")),
        OlderEdition("ch08.older-edition", "Look for the older edition's credential",
                     text=load_text(TEXT, "older-edition.md")),
        CreateServiceAccount("ch08.create-service-account", "Create the DVC service account",
                             account_id=ACCOUNT_ID, display_name="DVC Service Account",
                             text=load_text(TEXT, "create-service-account.md")),
        GrantProjectRoles("ch08.grant-role", "Let it read the bucket", account_id=ACCOUNT_ID,
                          roles=["roles/storage.objectViewer"], text=load_text(TEXT, "grant-role.md")),
        KEY,
        StoreKeySecret("ch08.store-secret", "Store the key as a CI secret", name=SECRET_NAME, key_step=KEY,
                       text=load_text(TEXT, "store-secret.md")),
        WORKFLOW,
        CommitChapterFiles("ch08.commit", "Commit and push the pipeline", message=COMMIT_MESSAGE, file_steps=[WORKFLOW],
                    text=load_text(TEXT, "commit.md")),
        WatchRun("ch08.watch-run", "Watch the first run", text=load_text(TEXT, "watch-run.md"),
                 commit_message=COMMIT_MESSAGE, file_steps=[WORKFLOW],
                 workflows={"github": ".github/workflows/mlops.yml"}),
    ],
)
