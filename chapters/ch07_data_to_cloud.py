"""Chapter 7 of "A guide to MLOps": move the ML experiment data to the cloud.

Only content lives here: which steps, in which order, with which names and texts. The
steps themselves (how to create a project, push with DVC, ...) are machinery in
`wizard.steps`.
"""

from __future__ import annotations

from pathlib import Path

from wizard.engine.chapter import Chapter
from wizard.engine.step import load_text
from wizard.steps.gcp import CheckCredentials, CreateBucket, CreateProject, EnableServices, LinkBilling
from wizard.steps.repo import AddRequirementExtra, CheckBucketHoldsCache, CommitChapterFiles, DvcPush, DvcRemote

TEXT = Path(__file__).parent / "text" / "ch07"

COMMIT_MESSAGE = "My ML experiment data is shared with DVC"
COMMITTED_FILES = [".dvc/config", "requirements.txt", "requirements-freeze.txt"]

DVC_GS = AddRequirementExtra(
    "ch07.dvc-gs",
    "Install the DVC Google Storage plugin",
    package="dvc",
    extra="gs",
    frozen_marker="dvc-gs",
    text=load_text(TEXT, "dvc-gs.md"),
)
DVC_REMOTE = DvcRemote(
    "ch07.dvc-remote",
    "Configure DVC to use the bucket",
    name="data",
    url="gs://{gcp.bucket_name}/dvcstore",
    text=load_text(TEXT, "dvc-remote.md"),
)

CHAPTER = Chapter(
    number=7,
    title="Move the ML experiment data to the cloud",
    intro=load_text(TEXT, "intro.md"),
    summary=load_text(TEXT, "summary.md"),
    steps=[
        CheckCredentials(
            "ch07.credentials", "Check your Google Cloud credentials", text=load_text(TEXT, "credentials.md")
        ),
        CreateProject(
            "ch07.create-project", "Create the Google Cloud project", text=load_text(TEXT, "create-project.md")
        ),
        LinkBilling("ch07.link-billing", "Link a billing account", text=load_text(TEXT, "link-billing.md")),
        EnableServices(
            "ch07.enable-apis",
            "Enable the Storage and IAM APIs",
            services=["storage.googleapis.com", "iam.googleapis.com"],
            text=load_text(TEXT, "enable-apis.md"),
        ),
        CreateBucket("ch07.create-bucket", "Create the storage bucket", text=load_text(TEXT, "create-bucket.md")),
        DVC_GS,
        DVC_REMOTE,
        DvcPush(
            "ch07.dvc-push", "Push the data files to the bucket", remote="data", text=load_text(TEXT, "dvc-push.md")
        ),
        CommitChapterFiles(
            "ch07.commit",
            "Commit and push the changes",
            message=COMMIT_MESSAGE,
            file_steps=[DVC_REMOTE, DVC_GS],
            needs=("gcp.bucket_name",),
            text=load_text(TEXT, "commit.md"),
        ),
        CheckBucketHoldsCache(
            "ch07.check-bucket",
            "Check the bucket holds the data",
            prefix="dvcstore",
            text=load_text(TEXT, "check-bucket.md"),
        ),
    ],
)
