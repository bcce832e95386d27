"""Arranging a fake GitLab with real git, and the Google side its pipelines check keys against."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from wizard.sandbox.control_plane import key_material
from wizard.sandbox.world import LEARNER, World

REPO = "learner/mlops-guide"
GCP_PROJECT = "mlops-ch8"
BUCKET = "mlops-ch8-bucket"
ACCOUNT = f"dvc-service-account@{GCP_PROJECT}.iam.gserviceaccount.com"

# The chapter 8 seed's .gitlab-ci.yml, as the guide shows it.
SEED_GITLAB_CI = """\
stages:
  - train

variables:
  # Change pip's cache directory to be inside the project directory since we can
  # only cache local items.
  PIP_CACHE_DIR: "$CI_PROJECT_DIR/.cache/pip"
  # https://dvc.org/doc/user-guide/troubleshooting?tab=GitLab-CI-CD#git-shallow
  GIT_DEPTH: "0"
  # Set the path to Google Service Account key for DVC - https://dvc.org/doc/command-reference/remote/add#google-cloud-storage
  GOOGLE_APPLICATION_CREDENTIALS: "${CI_PROJECT_DIR}/google-service-account-key.json"

train:
  stage: train
  image: python:3.10
  rules:
    - if: $CI_COMMIT_BRANCH == "main"
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
  cache:
    paths:
      # Pip's cache doesn't store the Python packages
      # https://pip.pypa.io/en/stable/reference/pip_install/#caching
      - .cache/pip
      - .venv/
  before_script:
    # Set the Google Service Account key
    - echo "${DVC_GCP_SERVICE_ACCOUNT_KEY}" | base64 -d > $GOOGLE_APPLICATION_CREDENTIALS
    # Install dependencies
    - python3 -m venv .venv
    - source .venv/bin/activate
    - pip install --requirement requirements.txt
  script:
    # Run the experiment
    - dvc repro --pull --allow-missing # (1)!
"""

DVC_CONFIG = f"""\
[core]
    remote = data
['remote "data"']
    url = gs://{BUCKET}/dvcstore
"""

DVC_YAML = """\
stages:
  prepare:
    cmd: python src/prepare.py
  train:
    cmd: python src/train.py
  evaluate:
    cmd: python src/evaluate.py
"""


def git(*args: str, cwd: Path | None = None) -> str:
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", GIT_AUTHOR_NAME="Learner", GIT_AUTHOR_EMAIL=LEARNER,
               GIT_COMMITTER_NAME="Learner", GIT_COMMITTER_EMAIL=LEARNER)
    result = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60,
                            check=False)
    if result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def commit_files(work: Path, files: dict[str, str], message: str) -> str:
    for name, text in files.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text(text)
    git("add", "--all", cwd=work)
    git("commit", "--quiet", "-m", message, cwd=work)
    return git("rev-parse", "HEAD", cwd=work).strip()


def google_project(world: World, *, storage_role: str | None = "roles/storage.objectViewer",
                   material: key_material.KeyMaterial | None = None) -> bytes | None:
    """The learner's project, bucket and DVC service account; with `material`, a key file for it."""
    with world.mutate() as data:
        members = [f"serviceAccount:{ACCOUNT}"]
        bindings = [{"role": "roles/owner", "members": [f"user:{LEARNER}"]}]
        if storage_role:
            bindings.append({"role": storage_role, "members": members})
        data["projects"][GCP_PROJECT] = {
            "project_id": GCP_PROJECT, "number": "100000000777", "owner": LEARNER, "display_name": GCP_PROJECT,
            "state": "ACTIVE", "ready_at": 0, "create_time": "2025-01-01T00:00:00.000Z",
            "billing_account": None, "services": ["storage.googleapis.com", "iam.googleapis.com"],
            "iam_policy": {"version": 3, "etag": "BwAAAAAAAAE=", "bindings": bindings},
            "service_accounts": {},
        }
        data["buckets"][BUCKET] = {"project": GCP_PROJECT, "owner": LEARNER, "location": "EUROPE-WEST6",
                                   "uniform_access": True, "public_access_prevention": "enforced",
                                   "create_time": "2025-01-01T00:00:00.000Z"}
        if material is None:
            return None
        data["projects"][GCP_PROJECT]["service_accounts"][ACCOUNT] = {
            "unique_id": "100000000000000000001", "display_name": "DVC Service Account", "description": "",
            "create_time": "2025-01-01T00:00:00.000Z", "ready_at": 0, "disabled": False,
            "keys": {material.key_id: {"create_time": "2025-01-01T00:00:00.000Z",
                                       "public_key_fingerprint": material.public_key_fingerprint}},
        }
    return key_material.credentials_json(material, GCP_PROJECT, ACCOUNT, "100000000000000000001")


def variable_in_world(world: World, key: str) -> dict[str, Any] | None:
    return world.read()["forges"]["gitlab"]["projects"][REPO]["variables"].get(key)
