"""Helpers for the stories: the real CLI in a subprocess, and what a learner would check."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests import warm_start
from wizard.sandbox.server import inspect
from wizard.sandbox.world import World

PROJECT = "mlops-learner-4242"
BUCKET = "mlops-learner-4242-data"
COMMIT_MESSAGE = "My ML experiment data is shared with DVC"


def write_answers(path: Path, **values: str) -> Path:
    body = "[gcp]\n" + "".join(f'{k} = "{v}"\n' for k, v in values.items())
    path.write_text(body)
    return path


def wizard(
    *args: str, env: dict[str, str] | None = None, timeout: float = 240, python: str = sys.executable
) -> subprocess.CompletedProcess[str]:
    """Run the real `mlops-wizard` command in a new process (by default with the interpreter it is installed in).

    The process starts warm (`tests/warm_start.py`): forked from one that has imported the clients."""
    full_env = {k: v for k, v in os.environ.items() if k != "MLOPS_WIZARD_KILL_AT"}
    full_env.update(env or {})
    if warm_start.usable(python):
        return warm_start.run(list(args), full_env, timeout)
    return subprocess.run(
        [python, "-m", "wizard", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def run_chapters(
    sandbox: Path,
    answers: Path | None,
    chapters: tuple[int, ...],
    *extra: str,
    env: dict[str, str] | None = None,
    timeout: float = 240,
) -> subprocess.CompletedProcess[str]:
    """`mlops-wizard run --yes` on the sandbox's learner repository, for these chapters (and an answers file)."""
    return wizard(
        "run",
        "--repo",
        str(sandbox / "learner-repo"),
        "--sandbox",
        str(sandbox),
        *(arg for number in chapters for arg in ("--chapter", str(number))),
        *(("--answers", str(answers)) if answers is not None else ()),
        "--yes",
        *extra,
        env=env,
        timeout=timeout,
    )


def status_of(
    sandbox: Path, home: Path, *extra: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`mlops-wizard status` on the sandbox's learner repository (with `--chapter N`, `--json` … as extra)."""
    return wizard(
        "status",
        "--repo",
        str(sandbox / "learner-repo"),
        "--sandbox",
        str(sandbox),
        *extra,
        env={"HOME": str(home), **(env or {})},
    )


def run_chapter7(
    sandbox: Path, answers: Path, *extra: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_chapters(sandbox, answers, (7,), *extra, env=env)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout.strip()


def trust_sandbox_ca(root: Path) -> str:
    """Trust the sandbox's CA (`root/ca.pem`) in this test process and the git it runs, as a learner's
    environment trusts GitHub's: requests (PyGithub, python-gitlab) through REQUESTS_CA_BUNDLE, git
    through GIT_SSL_CAINFO, urllib through SSL_CERT_FILE. Restored after each test (tests/conftest.py)."""
    from wizard.sandbox.tls import ensure_tls

    ca = str(ensure_tls(root).ca)
    os.environ.update({"REQUESTS_CA_BUNDLE": ca, "GIT_SSL_CAINFO": ca, "SSL_CERT_FILE": ca})
    return ca


def learner_world(sandbox: Path) -> dict[str, Any]:
    """What a learner would check in the console: their projects and buckets, nothing else."""
    world = inspect(sandbox)
    me = world["learner"]
    return {
        "projects": {pid: p for pid, p in world["projects"].items() if p["owner"] == me},
        "buckets": {name: b for name, b in world["buckets"].items() if b["owner"] == me},
        "calls": world["calls"],
    }


def remote_messages(sandbox: Path) -> list[str]:
    bare = sandbox / "forge" / "learner" / "mlops-guide.git"
    return git(bare, "log", "--format=%s", "main").splitlines()


def fingerprint(sandbox: Path) -> dict[str, Any]:
    """Everything that must be the same after an interrupted-then-resumed run and a clean one."""
    repo = sandbox / "learner-repo"
    world = learner_world(sandbox)
    return {
        "projects": {pid: (p["billing_account"], p["services"], p["state"]) for pid, p in world["projects"].items()},
        "buckets": {
            name: (b["project"], b["location"], b["uniform_access"], b["public_access_prevention"], b["objects"])
            for name, b in world["buckets"].items()
        },
        "remote_log": remote_messages(sandbox),
        "files": {
            name: (repo / name).read_text() for name in (".dvc/config", "requirements.txt", "requirements-freeze.txt")
        },
        "worktree": git(repo, "status", "--porcelain"),
        "local_is_remote": git(repo, "rev-parse", "HEAD") == git(repo, "rev-parse", "origin/main"),
        "stray_temp_files": sorted(str(p.relative_to(repo)) for p in repo.rglob(".*.tmp") if ".venv" not in p.parts),
    }


def run_chapter(
    sandbox: Path, chapter: int, home: Path, *extra: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a chapter headless with HOME pointing at the test's own home folder."""
    return run_chapters(sandbox, None, (chapter,), *extra, env={"HOME": str(home), **(env or {})})


def key_file(sandbox: Path) -> Path:
    """Where the sandbox keeps the key file the guide puts in ~/.config/gcloud (never the real one)."""
    return sandbox / "gcloud" / "dvc-google-service-account-key.json"


def ci_world(sandbox: Path) -> dict[str, Any]:
    """The service account, its keys and bindings, and the forge's secret and runs, as inspect shows them."""
    world = inspect(sandbox)
    project = world["projects"][PROJECT]
    email = f"dvc-service-account@{PROJECT}.iam.gserviceaccount.com"
    kind = World(sandbox).read()["sandbox"]["forge"]
    if kind == "github":
        repo = world["forges"]["github"]["repos"]["learner/mlops-guide"]
        secret, runs = repo["secrets"].get("DVC_GCP_SERVICE_ACCOUNT_KEY"), repo["runs"]
    else:
        repo = world["forges"]["gitlab"]["projects"]["learner/mlops-guide"]
        secret, runs = repo["variables"].get("DVC_GCP_SERVICE_ACCOUNT_KEY"), repo["pipelines"]
    return {
        "forge": kind,
        "account": project["service_accounts"].get(email),
        "viewers": project["iam_bindings"].get("roles/storage.objectViewer", []),
        "secret": secret,
        "runs": runs,
        "calls": world["calls"],
    }


def upload_object(sandbox: Path, bucket: str, name: str, data: bytes) -> None:
    """Put a file of the learner's own in a bucket, through the official storage client."""
    from wizard.sandbox.server import Sandbox

    running = Sandbox.attach(sandbox)
    target = running.target()
    try:
        target.storage(PROJECT).bucket(bucket).blob(name).upload_from_string(data)
    finally:
        target.close()
        running.stop()


def create_key_elsewhere(sandbox: Path, email: str) -> str:
    """A key made outside the wizard (by hand, or by another tool), through the official IAM client."""
    from wizard.sandbox.server import Sandbox

    running = Sandbox.attach(sandbox)
    target = running.target()
    try:
        key = target.iam().create_service_account_key(name=f"projects/{PROJECT}/serviceAccounts/{email}")
        return str(key.name.rsplit("/", 1)[1])
    finally:
        target.close()
        running.stop()


def spawn_line_mode(sandbox: Path, chapter: str, *extra: str, env: dict[str, str] | None = None) -> Any:
    """`run --plain` in a real 80×24 pseudo-terminal (pexpect), as a learner types into it."""
    import pexpect

    environment = {k: v for k, v in os.environ.items() if k != "MLOPS_WIZARD_KILL_AT"}
    environment.update({**(env or {}), "TERM": "xterm-256color", "NO_COLOR": "1", "COLUMNS": "80", "LINES": "24"})
    return pexpect.spawn(
        sys.executable,
        ["-m", "wizard", "run", "--plain", "--repo", str(sandbox / "learner-repo"), "--sandbox", str(sandbox)]
        + ["--chapter", chapter, *extra],
        env=environment,
        dimensions=(24, 80),
        encoding="utf-8",
        timeout=120,
        codec_errors="replace",
    )
