"""A learner who finished chapters 7, 8 and 14 runs the same command again, or resumes a run killed right after
chapter 14 edited the pipeline: nothing is written twice, chapter 8 never sees chapter 14's job as drift."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.support import BUCKET, PROJECT, git, run_chapters, wizard, write_answers

DEPLOY_MESSAGE = "A pipeline will deploy the model on the Kubernetes cluster"
CI_MESSAGE = "A pipeline will run my experiment on each push"


def run_all(sandbox: Path, home: Path, answers: Path, env: dict[str, str] | None = None):  # noqa: ANN201
    return run_chapters(sandbox, answers, (7, 8, 14), env={"HOME": str(home), **(env or {})})


def world_writes(sandbox: Path) -> int:
    from wizard.sandbox.server import inspect

    return inspect(sandbox)["calls"]["writes"]


def test_the_same_command_again_after_chapters_7_8_and_14_writes_nothing(
    sandbox_for_forge: Path, forge: str, home: Path, tmp_path: Path
):
    answers = write_answers(tmp_path / "answers.toml", project_id=PROJECT, bucket_name=BUCKET)
    first = run_all(sandbox_for_forge, home, answers)
    assert first.returncode == 0, first.stdout + first.stderr
    repo = sandbox_for_forge / "learner-repo"
    head, writes = git(repo, "rev-parse", "HEAD"), world_writes(sandbox_for_forge)

    again = run_all(sandbox_for_forge, home, answers)
    assert again.returncode == 0, again.stdout + again.stderr
    assert world_writes(sandbox_for_forge) == writes
    assert git(repo, "rev-parse", "HEAD") == head == git(repo, "rev-parse", "origin/main")
    assert git(repo, "status", "--porcelain") == ""
    assert "chapter 14's deploy job" in again.stdout  # chapter 8 says whose the job is, rather than calling it drift
    assert "✗" not in again.stdout


def test_killed_right_after_chapter_14_edited_the_pipeline_then_the_same_command_resumes(
    sandbox_for_forge: Path, forge: str, home: Path, tmp_path: Path
):
    answers = write_answers(tmp_path / "answers.toml", project_id=PROJECT, bucket_name=BUCKET)
    killed = run_all(sandbox_for_forge, home, answers, env={"MLOPS_WIZARD_KILL_AT": "ch14.deploy-job:after-write"})
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    resumed = run_all(sandbox_for_forge, home, answers)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    repo = sandbox_for_forge / "learner-repo"
    log = git(repo, "log", "--format=%s", "origin/main").splitlines()
    assert log.count(CI_MESSAGE) == 1 and log.count(DEPLOY_MESSAGE) == 1
    assert log[0] == DEPLOY_MESSAGE  # chapter 14's edit went into chapter 14's commit, not chapter 8's
    assert git(repo, "status", "--porcelain") == ""


@pytest.mark.parametrize("forge", ["github"], indirect=True)
def test_replacing_chapter_8s_pipeline_keeps_chapter_14s_deploy_job(
    sandbox_for_forge: Path, forge: str, home: Path, tmp_path: Path
):
    answers = write_answers(tmp_path / "answers.toml", project_id=PROJECT, bucket_name=BUCKET)
    assert run_all(sandbox_for_forge, home, answers).returncode == 0
    repo = sandbox_for_forge / "learner-repo"
    path = repo / ".github" / "workflows" / "mlops.yml"
    guides_with_job = path.read_text()
    path.write_text(guides_with_job.replace("python-version: '3.10'", "python-version: '3.12'"))
    assert path.read_text() != guides_with_job
    git(repo, "commit", "-qam", "Try Python 3.12")
    from wizard.sandbox.server import Sandbox

    with Sandbox.start(sandbox_for_forge):
        git(repo, "push", "-q", "origin", "main")

    replaced = wizard(
        "run",
        "--repo",
        str(repo),
        "--sandbox",
        str(sandbox_for_forge),
        "--chapter",
        "8",
        "--chapter",
        "14",
        "--yes",
        "--overwrite-workflow",
        env={"HOME": str(home)},
    )
    assert replaced.returncode == 0, replaced.stdout + replaced.stderr
    assert path.read_text() == guides_with_job  # the guide's pipeline again, with chapter 14's job still in it
    assert "chapter 14's deploy job was kept" in replaced.stdout
    assert git(repo, "show", "HEAD:.github/workflows/mlops.yml") == guides_with_job.rstrip("\n")
