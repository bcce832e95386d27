"""A learner gives something wrong: a clear message, exit code 1, and nothing changed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support import BUCKET, PROJECT, git, learner_world, run_chapter7, wizard, write_answers
from wizard.sandbox.world import World


def repo_snapshot(repo: Path) -> tuple[str, str, str]:
    return (
        git(repo, "rev-parse", "HEAD"),
        git(repo, "status", "--porcelain"),
        (repo / "requirements.txt").read_text() + (repo / ".dvc" / "config").read_text(),
    )


def assert_nothing_changed(sandbox: Path, before: tuple[str, str, str], allow_project: bool = False) -> None:
    world = learner_world(sandbox)
    if not allow_project:
        assert world["projects"] == {}
    assert world["buckets"] == {}
    assert repo_snapshot(sandbox / "learner-repo") == before


@pytest.mark.parametrize(
    "answers, message",
    [
        ({"project_id": "My_Project", "bucket_name": BUCKET}, "project ID"),
        ({"project_id": "mlops-project", "bucket_name": BUCKET}, "'mlops-project' is already taken"),
        ({"project_id": PROJECT, "bucket_name": "-bad-"}, "bucket name"),
        ({"project_id": PROJECT, "bucket_name": "mlops-bucket"}, "'mlops-bucket' is already taken"),
        (
            {"project_id": PROJECT, "bucket_name": BUCKET, "bucket_location": "mars-north1"},
            "not a Cloud Storage location",
        ),
        ({"project_id": PROJECT, "bucket_name": BUCKET, "billing_account": "999999-999999-999999"}, "not one of yours"),
        ({"project_id": PROJECT}, "The answer 'gcp.bucket_name' is missing"),
    ],
    ids=[
        "invalid project",
        "taken project",
        "invalid bucket",
        "taken bucket",
        "unknown location",
        "foreign billing account",
        "missing answer",
    ],
)
def test_bad_answers_are_explained_and_change_nothing(answers: dict, message: str, sandbox: Path, tmp_path: Path):
    before = repo_snapshot(sandbox / "learner-repo")
    result = run_chapter7(sandbox, write_answers(tmp_path / "a.toml", **answers))
    assert result.returncode == 1
    assert message in result.stderr
    assert "Fix:" in result.stderr and "Traceback" not in result.stderr
    assert_nothing_changed(sandbox, before)


def test_taken_names_come_with_free_suggestions(sandbox: Path, tmp_path: Path):
    result = run_chapter7(sandbox, write_answers(tmp_path / "a.toml", project_id="mlops-project", bucket_name=BUCKET))
    assert "for example one of: mlops-project-" in result.stderr


def test_invalid_answers_make_no_api_call_at_all(sandbox: Path, tmp_path: Path):
    run_chapter7(sandbox, write_answers(tmp_path / "a.toml", project_id="X", bucket_name="y"))
    calls = learner_world(sandbox)["calls"]
    assert calls["reads"] == 0 and calls["writes"] == 0


def test_no_open_billing_account(sandbox: Path, answers: Path):
    with World(sandbox).mutate() as world:
        for account in world["billing_accounts"].values():
            account["open"] = False
    before = repo_snapshot(sandbox / "learner-repo")
    result = run_chapter7(sandbox, answers)
    assert result.returncode == 1
    assert "You have no open billing account" in result.stderr
    assert "console.cloud.google.com/billing" in result.stderr
    assert_nothing_changed(sandbox, before)


def test_billing_quota_exceeded_stops_before_the_bucket_and_keeps_the_repo(sandbox: Path, answers: Path):
    with World(sandbox).mutate() as world:
        world["faults"]["billing_quota_exceeded"] = True
    before = repo_snapshot(sandbox / "learner-repo")
    result = run_chapter7(sandbox, answers)
    assert result.returncode == 1
    assert "cannot take another project" in result.stderr and "quota" in result.stderr
    # Google has no way to ask about the quota before linking: the project exists (and is
    # reused on the next run), nothing else was made and the repository is untouched.
    assert_nothing_changed(sandbox, before, allow_project=True)
    assert learner_world(sandbox)["projects"][PROJECT]["billing_account"] is None

    with World(sandbox).mutate() as world:
        world["faults"]["billing_quota_exceeded"] = False
    assert run_chapter7(sandbox, answers).returncode == 0
    assert len(learner_world(sandbox)["projects"]) == 1


def test_not_a_git_repository(tmp_path: Path, sandbox: Path, answers: Path):
    folder = tmp_path / "plain-folder"
    folder.mkdir()
    result = wizard("run", "--repo", str(folder), "--sandbox", str(sandbox), "--answers", str(answers), "--yes")
    assert result.returncode == 1
    assert "is not a git repository" in result.stderr and "Fix:" in result.stderr
    assert learner_world(sandbox)["calls"]["reads"] == 0


def test_a_repository_without_dvc(tmp_path: Path, sandbox: Path, answers: Path):
    repo = tmp_path / "no-dvc"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    result = wizard("run", "--repo", str(repo), "--sandbox", str(sandbox), "--answers", str(answers), "--yes")
    assert result.returncode == 1
    assert "DVC is not initialised" in result.stderr and "dvc init" in result.stderr


def test_a_repository_without_origin(sandbox: Path, answers: Path):
    repo = sandbox / "learner-repo"
    git(repo, "remote", "remove", "origin")
    result = run_chapter7(sandbox, answers)
    assert result.returncode == 1
    assert "no `origin` remote" in result.stderr and "git remote add origin" in result.stderr
    assert learner_world(sandbox)["projects"] == {}


def test_a_corrupted_checkpoint_is_kept_aside_and_the_run_goes_on(sandbox: Path, answers: Path):
    state = sandbox / "learner-repo" / ".git" / "mlops-wizard" / "state.json"
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_text("{ not json")
    result = run_chapter7(sandbox, answers)
    assert result.returncode == 0, result.stderr
    assert "kept aside" in result.stderr
    assert list(state.parent.glob("state.json.unreadable-*"))
    assert oct(state.stat().st_mode & 0o777) == "0o600"
