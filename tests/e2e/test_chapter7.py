"""Chapter 7, end to end: the real CLI, the official clients, real git and dvc, on the sandbox."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support import (
    BUCKET,
    COMMIT_MESSAGE,
    PROJECT,
    git,
    learner_world,
    remote_messages,
    run_chapter7,
    wizard,
)
from wizard.sandbox.server import Sandbox


def test_a_learner_runs_chapter_7_and_gets_what_the_guide_promises(sandbox: Path, answers: Path, tmp_path: Path):
    repo = sandbox / "learner-repo"
    result = run_chapter7(sandbox, answers)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Chapter 7 is done" in result.stdout

    world = learner_world(sandbox)
    project = world["projects"][PROJECT]
    assert project["billing_account"] == "012345-6789AB-CDEF01"
    assert {"storage.googleapis.com", "iam.googleapis.com"} <= set(project["services"])

    bucket = world["buckets"][BUCKET]
    assert bucket["project"] == PROJECT
    assert bucket["location"].lower() == "europe-west6"
    assert bucket["uniform_access"] is True
    assert bucket["public_access_prevention"] == "enforced"
    cache = sorted(
        p.relative_to(repo / ".dvc" / "cache").as_posix()
        for p in (repo / ".dvc" / "cache" / "files" / "md5").rglob("*")
        if p.is_file()
    )
    assert cache, "the demo repository has a DVC cache"
    assert {f"dvcstore/{name}" for name in cache} <= set(bucket["objects"])

    assert remote_messages(sandbox)[0] == COMMIT_MESSAGE
    committed = git(repo, "show", "--name-only", "--format=", "HEAD").splitlines()
    assert set(committed) <= {".dvc/config", "requirements.txt", "requirements-freeze.txt"}
    assert ".dvc/config" in committed and "requirements.txt" in committed
    config = git(repo, "show", "HEAD:.dvc/config")
    assert "remote = data" in config and f"url = gs://{BUCKET}/dvcstore" in config
    assert any(line.startswith("dvc[gs]==") for line in git(repo, "show", "HEAD:requirements.txt").splitlines())
    assert any(line.startswith("dvc-gs==") for line in git(repo, "show", "HEAD:requirements-freeze.txt").splitlines())
    assert git(repo, "status", "--porcelain") == ""

    # A teammate clones the repository and gets the data back with dvc pull.
    with Sandbox.start(sandbox) as running:
        clone = tmp_path / "teammate"
        origin = git(repo, "remote", "get-url", "origin")
        subprocess.run(["git", "clone", "-q", origin, str(clone)], check=True)
        target = running.target()  # the teammate's login, the sandbox's CA and storage endpoint
        try:
            env = target.tool_env()
        finally:
            target.close()
        pulled = subprocess.run(
            [sys.executable, "-m", "dvc", "pull"], cwd=clone, env=env, capture_output=True, text=True, timeout=180
        )
        assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    original = sorted(p.relative_to(repo).as_posix() for p in (repo / "data" / "raw").rglob("*") if p.is_file())
    restored = sorted(p.relative_to(clone).as_posix() for p in (clone / "data" / "raw").rglob("*") if p.is_file())
    assert original and restored == original
    for name in original:
        assert (clone / name).read_bytes() == (repo / name).read_bytes()


def test_a_second_run_changes_nothing_and_makes_no_write_call(sandbox: Path, answers: Path):
    assert run_chapter7(sandbox, answers).returncode == 0
    head = git(sandbox / "learner-repo", "rev-parse", "HEAD")
    writes = learner_world(sandbox)["calls"]["writes"]

    again = run_chapter7(sandbox, answers)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("✓ already done") == 10
    assert learner_world(sandbox)["calls"]["writes"] == writes
    assert git(sandbox / "learner-repo", "rev-parse", "HEAD") == head
    assert remote_messages(sandbox).count(COMMIT_MESSAGE) == 1


def test_status_observes_the_world_live(sandbox: Path, answers: Path):
    repo = str(sandbox / "learner-repo")
    before = wizard("status", "--repo", repo, "--sandbox", str(sandbox), "--chapter", "7", "--json")
    assert before.returncode == 0, before.stderr
    steps = json.loads(before.stdout)["steps"]
    assert steps[0]["status"] == "done"  # the sandbox needs no login: observed, not assumed
    assert {s["status"] for s in steps[1:]} == {"todo"}

    assert run_chapter7(sandbox, answers).returncode == 0
    after = json.loads(wizard("status", "--repo", repo, "--sandbox", str(sandbox), "--chapter", "7", "--json").stdout)
    assert [s["status"] for s in after["steps"]] == ["done"] * 10

    # Someone removes the remote by hand: status sees it, the checkpoint does not fool it.
    subprocess.run([sys.executable, "-m", "dvc", "remote", "remove", "data"], cwd=repo, check=True, capture_output=True)
    drifted = json.loads(wizard("status", "--repo", repo, "--sandbox", str(sandbox), "--chapter", "7", "--json").stdout)
    by_id = {s["id"]: s["status"] for s in drifted["steps"]}
    assert by_id["ch07.dvc-remote"] == "todo" and by_id["ch07.create-bucket"] == "done"


def test_sandbox_inspect_prints_the_world_a_learner_can_check(sandbox: Path, answers: Path):
    assert run_chapter7(sandbox, answers).returncode == 0
    result = wizard("sandbox", "inspect", str(sandbox), "--json")
    world = json.loads(result.stdout)
    assert world["projects"][PROJECT]["billing_account"]
    assert "storage.googleapis.com" in world["projects"][PROJECT]["services"]
    assert set(world["buckets"][BUCKET]) >= {
        "project",
        "location",
        "uniform_access",
        "public_access_prevention",
        "objects",
    }
    assert world["calls"]["reads"] > 0 and world["calls"]["writes"] > 0


def test_the_sandbox_can_be_served_apart_and_the_wizard_uses_it(sandbox: Path, answers: Path):
    server = subprocess.Popen(
        [sys.executable, "-m", "wizard", "sandbox", "serve", str(sandbox)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert "is serving" in server.stdout.readline()
        result = run_chapter7(sandbox, answers)
        assert result.returncode == 0, result.stderr
        data = json.loads((sandbox / "endpoints.json").read_text())
        assert data["pid"] == server.pid  # the wizard used the running sandbox, not its own
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert not (sandbox / "endpoints.json").exists()
    assert shutil.which("git")
