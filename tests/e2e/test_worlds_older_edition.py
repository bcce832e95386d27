"""A learner who followed the guide's older edition (step 6): recognised, explained, removed only when asked."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import PROJECT, git, run_chapter
from wizard.sandbox.server import inspect

OLD_ACCOUNT = f"mlopsdemo@{PROJECT}.iam.gserviceaccount.com"
OLD_WORKFLOW = """name: MLOps

on:
  push:
    branches:
      - main
  workflow_dispatch:

jobs:
  train:
    runs-on: ubuntu-latest
    steps:
      - name: Checkout repository
        uses: actions/checkout@v3
      - name: Setup Python
        uses: actions/setup-python@v4
        with:
          python-version: '3.10'
          cache: 'pip'
      - name: Setup DVC
        uses: iterative/setup-dvc@v1
        with:
          version: '2.37.0'
      - name: Login to Google Cloud
        uses: 'google-github-actions/auth@v1'
        with:
          credentials_json: '${{ secrets.GCP_SERVICE_ACCOUNT_KEY }}'
      - name: Train model
        run: |
          pip install --requirement src/requirements.txt
          dvc pull
          dvc repro
"""


def follow_the_older_edition(sandbox: Path) -> None:
    """Its step 6 by hand: account mlopsdemo with Viewer and a JSON key, secret GCP_SERVICE_ACCOUNT_KEY, workflow."""
    from wizard.forges.connect import open_forge
    from wizard.gcp import iam
    from wizard.session import open_session

    repo = sandbox / "learner-repo"
    with open_session(repo, sandbox, lock=False) as ctx:
        email = iam.create_account(ctx.target, PROJECT, "mlopsdemo", "mlopsdemo", lambda *_: None)
        iam.wait_visible(ctx.target, PROJECT, email, lambda *_: None)
        iam.grant_role(ctx.target, PROJECT, f"serviceAccount:{email}", "roles/viewer", lambda *_: None)
        open_forge(ctx).put_secret("GCP_SERVICE_ACCOUNT_KEY", iam.create_key(ctx.target, PROJECT, email).decode())
    path = repo / ".github" / "workflows" / "mlops.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(OLD_WORKFLOW)
    git(repo, "add", ".github/workflows/mlops.yml")
    git(repo, "commit", "-qm", "Step 6: CI/CD pipeline")
    from wizard.sandbox.server import Sandbox

    with Sandbox.start(sandbox):
        git(repo, "push", "-q", "origin", "main")


def older(sandbox: Path) -> dict:
    world = inspect(sandbox)
    project = world["projects"][PROJECT]
    secrets = world["forges"]["github"]["repos"]["learner/mlops-guide"]["secrets"]
    return {
        "keys": (project["service_accounts"].get(OLD_ACCOUNT) or {}).get("keys"),
        "viewer": f"serviceAccount:{OLD_ACCOUNT}" in project["iam_bindings"].get("roles/viewer", []),
        "secret": "GCP_SERVICE_ACCOUNT_KEY" in secrets,
        "writes": world["calls"]["writes"],
        "accounts": sorted(project["service_accounts"]),
    }


@pytest.mark.parametrize("forge", ["github"], indirect=True)
def test_the_older_edition_is_recognised_explained_and_removed_only_when_asked(after_ch7: Path, forge: str, home: Path):
    follow_the_older_edition(after_ch7)
    before = older(after_ch7)
    assert before["keys"] and before["viewer"] and before["secret"]

    conflict = run_chapter(after_ch7, 8, home)
    assert conflict.returncode == 1
    assert "It is the guide's older edition (iterative/setup-dvc, secret GCP_SERVICE_ACCOUNT_KEY)" in conflict.stderr
    assert "--overwrite-workflow" in conflict.stderr
    assert older(after_ch7) == before  # found before any write: no dvc-service-account, nothing

    replaced = run_chapter(after_ch7, 8, home, "--overwrite-workflow")
    assert replaced.returncode == 0, replaced.stdout + replaced.stderr
    assert f"The guide's older edition made {OLD_ACCOUNT} with roles/viewer on the whole project" in replaced.stdout
    assert "Kept: nothing of it was changed" in replaced.stdout and "--remove-older-edition" in replaced.stdout
    kept = older(after_ch7)
    assert kept["keys"] == before["keys"] and kept["viewer"] and kept["secret"]  # never removed by itself

    removed = run_chapter(after_ch7, 8, home, "--remove-older-edition")
    assert removed.returncode == 0, removed.stdout + removed.stderr
    gone = older(after_ch7)
    assert gone["keys"] == [] and not gone["viewer"] and not gone["secret"]
    assert f"Deleted key {before['keys'][0][:8]}… of {OLD_ACCOUNT}" in removed.stdout
    again = run_chapter(after_ch7, 8, home)
    assert again.returncode == 0 and "no credential of the guide's older edition" in again.stdout
