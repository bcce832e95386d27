"""Arranging a sandbox world for storage tests, and talking to it with the real clients."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.sandbox.google_helpers import authorized_session, token_credentials, tool_credentials_file
from wizard.sandbox.tls import ensure_tls
from wizard.sandbox.world import LEARNER, SOMEONE_ELSE, World

ACCOUNT = "012345-6789AB-CDEF01"
CLOSED_ACCOUNT = "0D0D0D-0E0E0E-0F0F0F"
PROJECT = "learner-project"  # the learner's, billing linked, Cloud Storage enabled
PROJECT_NUMBER = "100000000042"
TAKEN_BUCKET = "mlops-bucket"  # someone else's
TAKEN_PROJECT = "mlops-project"  # someone else's


def learner_project(
    project_id: str,
    number: str,
    *,
    billing: str | None = ACCOUNT,
    services: tuple[str, ...] = ("storage.googleapis.com",),
    ready_at: float = 0,
) -> dict:
    return {
        "project_id": project_id,
        "number": number,
        "owner": LEARNER,
        "state": "ACTIVE",
        "ready_at": ready_at,
        "billing_account": billing,
        "services": list(services),
    }


def seed_storage_world(world: World) -> None:
    with world.mutate() as data:
        data["billing_accounts"] = {
            ACCOUNT: {"display_name": "My Billing Account", "open": True, "owner": LEARNER, "project_quota": 5},
            CLOSED_ACCOUNT: {"display_name": "Old trial", "open": False, "owner": LEARNER, "project_quota": 5},
        }
        data["projects"] = {
            PROJECT: learner_project(PROJECT, PROJECT_NUMBER),
            "no-billing-project": learner_project("no-billing-project", "100000000043", billing=None),
            "closed-billing-project": learner_project("closed-billing-project", "100000000044", billing=CLOSED_ACCOUNT),
            "no-api-project": learner_project("no-api-project", "100000000045", services=()),
            TAKEN_PROJECT: {**learner_project(TAKEN_PROJECT, "100000000001"), "owner": SOMEONE_ELSE},
        }
        data["buckets"] = {
            TAKEN_BUCKET: {
                "project": TAKEN_PROJECT,
                "owner": SOMEONE_ELSE,
                "location": "US",
                "uniform_access": False,
                "public_access_prevention": "inherited",
                "create_time": "2023-03-01T09:05:00.000Z",
            }
        }


def _endpoint(server: Any, root: Path | None) -> tuple[str, World]:
    url = server if isinstance(server, str) else server.url
    if root is None:
        root = server.world_root
    return url, World(root)


def storage_client(server: Any, project: str = PROJECT, root: Path | None = None):
    """google-cloud-storage as the learner: TLS with the sandbox's CA and a learner token."""
    from google.cloud import storage

    url, world = _endpoint(server, root)
    creds = token_credentials(world)
    return storage.Client(
        project=project, client_options={"api_endpoint": url}, credentials=creds, _http=authorized_session(world, creds)
    )


def dvc_env(server: Any, root: Path | None = None) -> dict[str, str]:
    url, world = _endpoint(server, root)
    ca = str(ensure_tls(world.root).ca)
    env = dict(os.environ)
    env.update(
        {
            "STORAGE_EMULATOR_HOST": url,
            "GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT": "false",
            "DVC_NO_ANALYTICS": "1",
            "GIT_TERMINAL_PROMPT": "0",
            "GOOGLE_APPLICATION_CREDENTIALS": str(tool_credentials_file(world)),
            "REQUESTS_CA_BUNDLE": ca,
            "SSL_CERT_FILE": ca,
            "NO_GCE_CHECK": "true",
        }
    )
    return env


def dvc(
    args: list[str], cwd: Path, env: dict[str, str], python: str = sys.executable, check: bool = True
) -> subprocess.CompletedProcess:
    result = subprocess.run([python, "-m", "dvc", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"dvc {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def seed_objects(world: World, data_dir: Path, bucket: str, names: list[str]) -> None:
    """The learner's `bucket` already holding `names` (one byte each) before the server starts, as an
    earlier push would have left it: quicker than uploading a thousand objects in a test."""
    from gcp_storage_emulator.handlers import buckets as gse_buckets
    from gcp_storage_emulator.handlers import objects as gse_objects

    from wizard.sandbox.storage import open_emulator_storage

    with world.mutate() as data:
        data["buckets"][bucket] = {
            "project": PROJECT,
            "owner": LEARNER,
            "location": "EUROPE-WEST6",
            "uniform_access": True,
            "public_access_prevention": "enforced",
            "create_time": "2024-01-01T00:00:00.000Z",
        }
    store = open_emulator_storage(data_dir)
    store.create_bucket(bucket, gse_buckets._make_bucket_resource(bucket))
    for name in names:
        resource = gse_objects._make_object_resource("", bucket, name, "application/octet-stream", "1")
        store.create_file(bucket, name, b"x", gse_objects._checksums(b"x", resource))
    store.close()
