"""Chapter 8 refuses bad situations clearly, before changing anything where it can, and loses nothing."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support import ci_world, git, run_chapter
from wizard.sandbox.github_api import mint_github_token
from wizard.sandbox.gitlab_api import mint_gitlab_token
from wizard.sandbox.world import World

GITHUB = pytest.mark.parametrize("forge", ["github"], indirect=True)


def nothing_created(sandbox: Path) -> None:
    world = ci_world(sandbox)
    assert world["account"] is None and world["secret"] is None and world["runs"] == []
    assert git(sandbox / "learner-repo", "status", "--porcelain") == ""


@GITHUB
def test_a_token_without_the_workflow_scope(after_ch7: Path, forge: str, home: Path):
    token = mint_github_token(World(after_ch7), scopes=["repo"])
    result = run_chapter(after_ch7, 8, home, env={"MLOPS_WIZARD_SANDBOX_TOKEN": token})
    assert result.returncode == 1
    assert "lacks the `workflow` scope" in result.stderr and "settings/tokens" in result.stderr
    assert token not in result.stdout + result.stderr
    nothing_created(after_ch7)


@GITHUB
def test_a_token_for_another_repository(after_ch7: Path, forge: str, home: Path):
    token = mint_github_token(World(after_ch7), scopes=None, repos={"learner/other-project": "write"})
    result = run_chapter(after_ch7, 8, home, env={"MLOPS_WIZARD_SANDBOX_TOKEN": token})
    assert result.returncode == 1
    # The demo repository is public, so the token may read it — but not push to it.
    assert "cannot push to learner/mlops-guide" in result.stderr
    nothing_created(after_ch7)


@GITHUB
def test_a_repository_that_does_not_exist(after_ch7: Path, forge: str, home: Path):
    repo = after_ch7 / "learner-repo"
    origin = git(repo, "remote", "get-url", "origin")
    git(repo, "remote", "set-url", "origin", origin.replace("mlops-guide", "no-such-repo"))
    result = run_chapter(after_ch7, 8, home)
    assert result.returncode == 1
    assert "learner/no-such-repo does not exist" in result.stderr
    nothing_created(after_ch7)


@GITHUB
def test_key_creation_forbidden_by_the_organisation(after_ch7: Path, forge: str, home: Path):
    with World(after_ch7).mutate() as world:
        world["faults"]["disable_key_creation"] = True
    result = run_chapter(after_ch7, 8, home)
    assert result.returncode == 1
    assert "forbids creating keys" in result.stderr
    assert "iam.disableServiceAccountKeyCreation" in result.stderr
    world = ci_world(after_ch7)
    assert world["account"]["keys"] == [] and world["secret"] is None
    with World(after_ch7).mutate() as world:  # the administrator lifted the policy
        world["faults"]["disable_key_creation"] = False
    assert run_chapter(after_ch7, 8, home).returncode == 0


@GITHUB
def test_the_iam_api_is_not_enabled(after_ch7: Path, forge: str, home: Path):
    with World(after_ch7).mutate() as world:
        world["projects"]["mlops-learner-4242"]["services"].remove("iam.googleapis.com")
    result = run_chapter(after_ch7, 8, home)
    assert result.returncode == 1
    assert "IAM API is not enabled" in result.stderr
    assert "gcloud services enable iam.googleapis.com" in result.stderr
    nothing_created(after_ch7)


@GITHUB
def test_an_existing_different_workflow_is_never_overwritten_silently(after_ch7: Path, forge: str, home: Path):
    repo = after_ch7 / "learner-repo"
    mine = "name: Mine\non: push\njobs:\n  hello:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "mlops.yml").write_text(mine)
    result = run_chapter(after_ch7, 8, home)
    assert result.returncode == 1
    assert "already exists and differs" in result.stderr and "--overwrite-workflow" in result.stderr
    assert "-name: Mine" in result.stderr  # the diff is shown
    assert (repo / ".github" / "workflows" / "mlops.yml").read_text() == mine

    replaced = run_chapter(after_ch7, 8, home, "--overwrite-workflow")
    assert replaced.returncode == 0, replaced.stdout + replaced.stderr
    assert "name: MLOps" in (repo / ".github" / "workflows" / "mlops.yml").read_text()


@GITHUB
def test_a_push_rejected_because_the_remote_is_ahead(after_ch7: Path, forge: str, home: Path, tmp_path: Path):
    repo = after_ch7 / "learner-repo"
    from wizard.sandbox.server import Sandbox

    with Sandbox.start(after_ch7):  # a teammate pushes meanwhile
        other = tmp_path / "teammate"
        subprocess.run(["git", "clone", "-q", git(repo, "remote", "get-url", "origin"), str(other)], check=True)
        (other / "NOTES.md").write_text("notes\n")
        git(other, "add", "NOTES.md")
        git(other, "-c", "user.name=Mate", "-c", "user.email=mate@example.com", "commit", "-qm", "Notes")
        git(other, "push", "-q", "origin", "main")
    result = run_chapter(after_ch7, 8, home)
    assert result.returncode == 1
    assert "has commits you do not have" in result.stderr and "git pull --rebase" in result.stderr
    assert git(repo, "log", "-1", "--format=%s") == "A pipeline will run my experiment on each push"  # kept

    with Sandbox.start(after_ch7):
        git(repo, "pull", "-q", "--rebase", "origin", "main")
    resumed = run_chapter(after_ch7, 8, home)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr


@pytest.mark.parametrize("forge", ["gitlab"], indirect=True)
def test_a_gitlab_token_without_the_api_scope(after_ch7: Path, forge: str, home: Path):
    token = mint_gitlab_token(World(after_ch7), scopes=["read_repository"])
    result = run_chapter(after_ch7, 8, home, env={"MLOPS_WIZARD_SANDBOX_TOKEN": token})
    assert result.returncode == 1
    assert "`api`" in result.stderr and "personal_access_tokens" in result.stderr
    assert token not in result.stdout + result.stderr
    nothing_created(after_ch7)
