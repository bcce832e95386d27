"""Arranging a fake GitLab with real git, and the Google side its pipelines check keys against."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from chapters.templates import template_text
from wizard.sandbox.control_plane import key_material
from wizard.sandbox.world import LEARNER, World

REPO = "learner/mlops-guide"
GCP_PROJECT = "mlops-ch8"
BUCKET = "mlops-ch8-bucket"
ACCOUNT = f"dvc-service-account@{GCP_PROJECT}.iam.gserviceaccount.com"

# The chapter 8 seed's .gitlab-ci.yml, as the guide shows it.
SEED_GITLAB_CI = template_text("gitlab/gitlab-ci.yml")  # the guide's file, as the wizard writes it

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
    env = dict(
        os.environ,
        GIT_TERMINAL_PROMPT="0",
        GIT_AUTHOR_NAME="Learner",
        GIT_AUTHOR_EMAIL=LEARNER,
        GIT_COMMITTER_NAME="Learner",
        GIT_COMMITTER_EMAIL=LEARNER,
    )
    result = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False)
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


def google_project(
    world: World,
    *,
    storage_role: str | None = "roles/storage.objectViewer",
    material: key_material.KeyMaterial | None = None,
) -> bytes | None:
    """The learner's project, bucket and DVC service account; with `material`, a key file for it."""
    with world.mutate() as data:
        members = [f"serviceAccount:{ACCOUNT}"]
        bindings = [{"role": "roles/owner", "members": [f"user:{LEARNER}"]}]
        if storage_role:
            bindings.append({"role": storage_role, "members": members})
        data["projects"][GCP_PROJECT] = {
            "project_id": GCP_PROJECT,
            "number": "100000000777",
            "owner": LEARNER,
            "display_name": GCP_PROJECT,
            "state": "ACTIVE",
            "ready_at": 0,
            "create_time": "2025-01-01T00:00:00.000Z",
            "billing_account": None,
            "services": ["storage.googleapis.com", "iam.googleapis.com"],
            "iam_policy": {"version": 3, "etag": "BwAAAAAAAAE=", "bindings": bindings},
            "service_accounts": {},
        }
        data["buckets"][BUCKET] = {
            "project": GCP_PROJECT,
            "owner": LEARNER,
            "location": "EUROPE-WEST6",
            "uniform_access": True,
            "public_access_prevention": "enforced",
            "create_time": "2025-01-01T00:00:00.000Z",
        }
        if material is None:
            return None
        data["projects"][GCP_PROJECT]["service_accounts"][ACCOUNT] = {
            "unique_id": "100000000000000000001",
            "display_name": "DVC Service Account",
            "description": "",
            "create_time": "2025-01-01T00:00:00.000Z",
            "ready_at": 0,
            "disabled": False,
            "keys": {
                material.key_id: {
                    "create_time": "2025-01-01T00:00:00.000Z",
                    "public_key_fingerprint": material.public_key_fingerprint,
                }
            },
        }
    return key_material.credentials_json(material, GCP_PROJECT, ACCOUNT, "100000000000000000001")


def variable_in_world(world: World, key: str) -> dict[str, Any] | None:
    return world.read()["forges"]["gitlab"]["projects"][REPO]["variables"].get(key)
