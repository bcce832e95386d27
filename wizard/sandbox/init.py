"""Create a sandbox: the fake world, its ports, the forge repository and the demo repository.

Layout of a sandbox folder (`ROOT`):

    ROOT/world.json      the whole fake world (see world.py)
    ROOT/forge/          bare git repositories served by the forge (learner/mlops-guide.git)
    ROOT/storage/        gcp-storage-emulator's files (buckets and objects)
    ROOT/learner-repo/   the learner's repository, as the guide leaves it before chapter 7
    ROOT/ca.pem          the CA the sandbox's TLS certificates chain to (ROOT/tls/ holds the keys)
    ROOT/gcloud/         the learner's application default credentials (and, later, key files)

`init_sandbox()` is safe to run again: on a finished sandbox it changes nothing and returns
the same summary; on a sandbox whose creation was interrupted it finishes the work.
"""

from __future__ import annotations

import shutil
import socket
import sys
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from wizard.engine.errors import WizardError
from wizard.sandbox.auth import ensure_secret, write_learner_login
from wizard.sandbox.tls import ensure_tls, tls_files
from wizard.sandbox.world import SOMEONE_ELSE, WORLD_FILE, World

REPOS_DIR = "forge"  # the same names as wizard.sandbox.server
STORAGE_DIR = "storage"
DEMO_REPO_DIR = "learner-repo"
FORGES = ("github", "gitlab")
REPO_OWNER = "learner"
REPO_NAME = "mlops-guide"
BILLING_ACCOUNT_ID = "012345-6789AB-CDEF01"
BILLING_ACCOUNT_NAME = "My Billing Account"
BILLING_PROJECT_QUOTA = 5
# The guide's example names: taken by someone else, in real life too.
TAKEN_PROJECTS = ("mlops-project", "my-project", "mlops-demo")
TAKEN_BUCKETS = ("mlops-bucket", "my-bucket", "mlops-demo-bucket")
PORT_NAMES = ("grpc", "storage", "forge")


class SandboxInitError(WizardError):
    pass


def sandbox_paths(root: Path) -> dict[str, Path]:
    root = Path(root)
    return {
        "root": root,
        "world": root / WORLD_FILE,
        "repos_dir": root / REPOS_DIR,
        "storage_dir": root / STORAGE_DIR,
        "demo_repo": root / DEMO_REPO_DIR,
    }


def is_sandbox(root: Path) -> bool:
    return (Path(root) / WORLD_FILE).is_file()


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """`count` distinct free ports on `host` (all held open together while choosing)."""
    with ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind((host, 0))
            ports.append(sock.getsockname()[1])
    return ports


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def seed_world(world: World) -> None:
    """The learner, their billing account, and the names someone else already took.

    Also the "as if chapter 13 were done" preset: the GKE cluster and Artifact Registry
    repository of chapters 11–13, which the Projects fake puts into the first project the
    learner creates (see `wizard.sandbox.control_plane.chapter13`).
    """
    from wizard.sandbox.control_plane.chapter13 import chapter13_preset

    with world.mutate() as data:
        data.setdefault("sandbox", {}).setdefault("chapter13", chapter13_preset())
        learner = data["learner"]
        data["billing_accounts"].setdefault(
            BILLING_ACCOUNT_ID,
            {
                "display_name": BILLING_ACCOUNT_NAME,
                "open": True,
                "owner": learner,
                "project_quota": BILLING_PROJECT_QUOTA,
            },
        )
        for project_id in TAKEN_PROJECTS:
            if project_id in data["projects"]:
                continue
            number = int(data.get("next_number", 100000000001))
            data["next_number"] = number + 1
            data["projects"][project_id] = {
                "project_id": project_id,
                "number": str(number),
                "display_name": project_id,
                "owner": SOMEONE_ELSE,
                "state": "ACTIVE",
                "ready_at": 0,
                "create_time": "2023-03-01T09:00:00.000Z",
                "billing_account": None,
                "services": ["storage.googleapis.com"],
                "iam_policy": {
                    "version": 3,
                    "etag": "B3NvbWVvbmU=",
                    "bindings": [{"role": "roles/owner", "members": [f"user:{SOMEONE_ELSE}"]}],
                },
                "service_accounts": {},
            }
        # Both fake forges know the learner and the repository; `sandbox.forge` says which
        # one `origin` is, so the same world serves GitHub and GitLab rehearsals.
        from wizard.sandbox.github_api import seed_github
        from wizard.sandbox.gitlab_api import seed_gitlab

        seed_github(data, REPO_OWNER, REPO_NAME)
        seed_gitlab(data, f"{REPO_OWNER}/{REPO_NAME}")
        for bucket in TAKEN_BUCKETS:
            data["buckets"].setdefault(
                bucket,
                {
                    "project": TAKEN_PROJECTS[0],
                    "owner": SOMEONE_ELSE,
                    "location": "US",
                    "uniform_access": False,
                    "public_access_prevention": "inherited",
                    "create_time": "2023-03-01T09:05:00.000Z",
                },
            )


def _summary(root: Path, world: World) -> dict[str, Any]:
    data = world.read()
    paths = sandbox_paths(root)
    info = data.get("sandbox", {})
    return {
        "root": str(root),
        "world": str(paths["world"]),
        "repos_dir": str(paths["repos_dir"]),
        "storage_dir": str(paths["storage_dir"]),
        "demo_repo": str(paths["demo_repo"]),
        "forge": info.get("forge"),
        "repository": info.get("repository"),
        "origin": info.get("demo_repo", {}).get("origin"),
        "commit": info.get("demo_repo", {}).get("commit"),
        "ports": dict(data.get("ports", {})),
    }


def init_sandbox(root: Path, forge: str = "github", python: str = sys.executable) -> dict[str, Any]:
    """Create (or finish creating) the sandbox in `root`; return its paths and ports."""
    from wizard.sandbox.demo_repo import build_demo_repo
    from wizard.sandbox.forge import create_repo, delete_repo, start_forge

    if forge not in FORGES:
        raise SandboxInitError(f"unknown forge {forge!r}: choose one of {', '.join(FORGES)}")
    root = Path(root).resolve()
    if root.exists() and not root.is_dir():
        raise SandboxInitError(f"{root} is not a folder")
    if root.exists() and any(root.iterdir()) and not is_sandbox(root):
        raise SandboxInitError(
            f"{root} is not empty and is not a sandbox (no {WORLD_FILE}); choose an empty or new folder"
        )
    paths = sandbox_paths(root)
    root.mkdir(parents=True, exist_ok=True)
    world = World(root)

    existing = world.read().get("sandbox", {})
    if existing.get("forge") and existing["forge"] != forge:
        raise SandboxInitError(f"{root} is already a sandbox for {existing['forge']}; use another folder for {forge}")
    seed_world(world)
    with world.mutate() as data:
        ports = data.setdefault("ports", {})
        if not all(ports.get(name) for name in PORT_NAMES):
            ports.update(zip(PORT_NAMES, free_ports(len(PORT_NAMES)), strict=True))
        data["sandbox"] = {**data.get("sandbox", {}), "forge": forge, "repository": f"{REPO_OWNER}/{REPO_NAME}"}
        data["sandbox"].setdefault("created_at", _now())
    paths["storage_dir"].mkdir(exist_ok=True)
    # TLS with the sandbox's own CA, and the learner's login where gcloud would leave it.
    ensure_tls(root)
    ensure_secret(root)
    write_learner_login(world, f"https://127.0.0.1:{world.read()['ports']['storage']}/token")

    if world.read()["sandbox"].get("demo_repo"):
        return _summary(root, world)  # finished before: nothing to do

    # Start over on whatever an interrupted run left behind.
    shutil.rmtree(paths["demo_repo"], ignore_errors=True)
    delete_repo(paths["repos_dir"], REPO_OWNER, REPO_NAME)
    create_repo(paths["repos_dir"], REPO_OWNER, REPO_NAME)
    port = world.read()["ports"]["forge"]
    try:
        handle = start_forge(world, paths["repos_dir"], port=port)
    except OSError as err:
        raise SandboxInitError(f"cannot serve the forge on 127.0.0.1:{port}: {err}") from err
    try:
        summary = build_demo_repo(
            paths["demo_repo"], f"{handle.url}/{REPO_OWNER}/{REPO_NAME}.git", python=python, ca_file=tls_files(root).ca
        )
    finally:
        handle.stop()
    with world.mutate() as data:
        # The learner's world starts with no API calls: building it is not the wizard's work.
        data["calls"] = {"reads": 0, "writes": 0, "by_service": {}}
        data["sandbox"]["demo_repo"] = {
            "path": DEMO_REPO_DIR,
            "origin": summary["origin"],
            "commit": summary["commit"],
            "data_files": summary["data_files"],
        }
    return _summary(root, world)


def upgrade_demo_origin(root: Path) -> None:
    """A sandbox made when its forge served plain HTTP: its demo repository's `origin` moves to https.

    The forge now speaks only HTTPS (as GitHub and GitLab do); git would otherwise fail to push there.
    Only the URL the sandbox itself set is changed, and only its scheme.
    """
    import subprocess

    world = World(Path(root))
    demo = world.read().get("sandbox", {}).get("demo_repo") or {}
    old = str(demo.get("origin") or "")
    if not old.startswith("http://127.0.0.1:"):
        return
    new = "https://" + old.removeprefix("http://")
    with world.mutate() as data:
        data["sandbox"]["demo_repo"]["origin"] = new
    repo = sandbox_paths(Path(root))["demo_repo"]
    if (repo / ".git").exists():
        url = subprocess.run(["git", "remote", "get-url", "origin"], cwd=repo, capture_output=True, text=True)
        if url.returncode == 0 and url.stdout.strip() == old:
            subprocess.run(["git", "remote", "set-url", "origin", new], cwd=repo, check=True, capture_output=True)


def repoint_ports(root: Path) -> dict[str, int]:
    """Give a copied sandbox folder free ports of its own, and point its demo repository at them.

    A copy keeps the ports recorded at init; two copies served at once (parallel tests, two
    rehearsals from one prepared folder) would then fight over them. Returns the new ports.
    """
    import subprocess

    root = Path(root).resolve()
    world = World(root)
    ports = dict(zip(PORT_NAMES, free_ports(len(PORT_NAMES)), strict=True))
    with world.mutate() as data:
        old = f"127.0.0.1:{data.get('ports', {}).get('forge')}/"
        new = f"127.0.0.1:{ports['forge']}/"
        data["ports"] = dict(ports)
        demo = data.get("sandbox", {}).get("demo_repo") or {}
        if demo.get("origin"):
            demo["origin"] = demo["origin"].replace(old, new)
    repo = sandbox_paths(root)["demo_repo"]
    if (repo / ".git").exists():
        url = subprocess.run(["git", "remote", "get-url", "origin"], cwd=repo, capture_output=True, text=True)
        if url.returncode == 0 and old in url.stdout:
            subprocess.run(
                ["git", "remote", "set-url", "origin", url.stdout.strip().replace(old, new)],
                cwd=repo,
                check=True,
                capture_output=True,
            )
    (root / "endpoints.json").unlink(missing_ok=True)  # a copy of a running sandbox's file
    write_learner_login(world, f"https://127.0.0.1:{ports['storage']}/token")
    return ports
