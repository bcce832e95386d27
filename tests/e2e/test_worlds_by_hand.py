"""Chapters done (partly) by hand: the wizard observes what exists by its meaning and adopts it."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.support import BUCKET, PROJECT, git, run_chapter, run_chapter7, write_answers
from wizard.sandbox.server import inspect
from wizard.sandbox.world import World

GITHUB = pytest.mark.parametrize("forge", ["github"], indirect=True)
DVC_MESSAGE = "My ML experiment data is shared with DVC"
CI_MESSAGE = "A pipeline will run my experiment on each push"


@pytest.fixture
def answers(tmp_path: Path) -> Path:
    return write_answers(tmp_path / "answers.toml", project_id=PROJECT, bucket_name=BUCKET)


def run7(sandbox: Path, home: Path, answers: Path, *extra: str, env: dict[str, str] | None = None):  # noqa: ANN201
    return run_chapter7(sandbox, answers, *extra, env={"HOME": str(home), **(env or {})})


def push_by_hand(sandbox: Path) -> None:
    from wizard.sandbox.server import Sandbox

    with Sandbox.start(sandbox):
        git(sandbox / "learner-repo", "push", "-q", "origin", "main")


def forget_the_wizard(sandbox: Path) -> None:
    """No checkpoint: what was done shows only in the world, as when done by hand."""
    shutil.rmtree(sandbox / "learner-repo" / ".git" / "mlops-wizard", ignore_errors=True)


def test_chapter_7_committed_by_hand_with_another_message_is_done(sandbox: Path, home: Path, answers: Path):
    killed = run7(sandbox, home, answers, env={"MLOPS_WIZARD_KILL_AT": "ch07.commit:after-commit"})
    assert killed.returncode == -signal.SIGKILL
    repo = sandbox / "learner-repo"
    git(repo, "commit", "-q", "--amend", "-m", "Data goes to the bucket")
    push_by_hand(sandbox)
    forget_the_wizard(sandbox)
    head, writes = git(repo, "rev-parse", "HEAD"), inspect(sandbox)["calls"]["writes"]

    result = run7(sandbox, home, answers)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "“Data goes to the bucket”" in result.stdout  # the learner's commit is recognised as chapter 7's
    assert git(repo, "rev-parse", "HEAD") == head == git(repo, "rev-parse", "origin/main")
    assert DVC_MESSAGE not in git(repo, "log", "--format=%s", "origin/main")
    assert inspect(sandbox)["calls"]["writes"] == writes


def test_chapter_7_by_hand_with_a_remote_named_storage_and_a_bucket_left_with_its_defaults(
    sandbox: Path, home: Path, answers: Path
):
    killed = run7(sandbox, home, answers, env={"MLOPS_WIZARD_KILL_AT": "ch07.create-bucket:after-call"})
    assert killed.returncode == -signal.SIGKILL
    forget_the_wizard(sandbox)
    with World(sandbox).mutate() as world:  # made with `gcloud storage buckets create` and no flags
        world["buckets"][BUCKET]["uniform_access"] = False
        world["buckets"][BUCKET]["public_access_prevention"] = "inherited"
    repo = sandbox / "learner-repo"
    requirements = (repo / "requirements.txt").read_text()
    (repo / "requirements.txt").write_text(requirements.replace("dvc==", "dvc[gs,s3]==", 1))
    with (repo / "requirements-freeze.txt").open("a") as freeze:
        freeze.write("dvc-gs==3.0.1\ndvc-s3==3.2.0\n")
    subprocess.run(
        [str(repo / ".venv" / "bin" / "dvc"), "remote", "add", "-d", "storage", f"gs://{BUCKET}/dvcstore"],
        cwd=repo,
        check=True,
        capture_output=True,
    )
    writes = inspect(sandbox)["calls"]["writes"]

    stopped = run7(sandbox, home, answers)
    assert stopped.returncode == 1
    assert f"Make your existing bucket gs://{BUCKET} private" in stopped.stderr
    assert "uniform bucket-level access is off" in stopped.stderr and "--allow-changes" in stopped.stderr
    assert inspect(sandbox)["buckets"][BUCKET]["uniform_access"] is False
    assert inspect(sandbox)["calls"]["writes"] == writes

    agreed = run7(sandbox, home, answers, "--allow-changes")
    assert agreed.returncode == 0, agreed.stdout + agreed.stderr
    bucket = inspect(sandbox)["buckets"][BUCKET]
    assert bucket["uniform_access"] is True and bucket["public_access_prevention"] == "enforced"
    assert any(name.startswith("dvcstore/files/md5/") for name in bucket["objects"])
    config = git(repo, "show", "HEAD:.dvc/config")
    assert 'remote "storage"' in config and 'remote "data"' not in config and "remote = storage" in config
    assert "through your remote 'storage'" in agreed.stdout
    assert "dvc[gs,s3]==" in git(repo, "show", "HEAD:requirements.txt")
    assert git(repo, "status", "--porcelain") == ""


@GITHUB
def test_chapter_8_by_hand_with_the_key_file_present_is_adopted_without_a_write(
    after_ch7: Path, forge: str, home: Path
):
    killed = run_chapter(after_ch7, 8, home, env={"MLOPS_WIZARD_KILL_AT": "ch08.commit:after-commit"})
    assert killed.returncode == -signal.SIGKILL
    repo = after_ch7 / "learner-repo"
    time.sleep(1.1)  # the commit is made after the secret was set, as by hand
    git(repo, "commit", "-q", "--amend", "-m", "CI runs the experiment")
    push_by_hand(after_ch7)
    forget_the_wizard(after_ch7)
    time.sleep(1.0)  # the run of the pushed commit finishes
    world = inspect(after_ch7)
    email = f"dvc-service-account@{PROJECT}.iam.gserviceaccount.com"
    keys, writes = world["projects"][PROJECT]["service_accounts"][email]["keys"], world["calls"]["writes"]

    result = run_chapter(after_ch7, 8, home)
    assert result.returncode == 0, result.stdout + result.stderr
    after = inspect(after_ch7)
    assert after["projects"][PROJECT]["service_accounts"][email]["keys"] == keys and len(keys) == 1
    assert after["calls"]["writes"] == writes
    assert "succeeded with it" in result.stdout
    assert CI_MESSAGE not in git(repo, "log", "--format=%s", "origin/main")
