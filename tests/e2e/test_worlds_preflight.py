"""Whatever would stop a run half-way is found before its first write: the world is left exactly as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import BUCKET, PROJECT, git, wizard, write_answers
from wizard.sandbox.server import inspect

GITHUB = pytest.mark.parametrize("forge", ["github"], indirect=True)


def run(sandbox: Path, home: Path, answers: Path, *chapters: str, extra: tuple[str, ...] = ()):  # noqa: ANN201
    args = [arg for chapter in chapters for arg in ("--chapter", chapter)]
    return wizard(
        "run",
        "--repo",
        str(sandbox / "learner-repo"),
        "--sandbox",
        str(sandbox),
        *args,
        "--answers",
        str(answers),
        "--yes",
        *extra,
        env={"HOME": str(home)},
    )


class Unchanged:
    """The world a learner would look at: every write call counted, the repository's HEAD and files."""

    def __init__(self, sandbox: Path) -> None:
        self.sandbox = sandbox
        self.before = self.now()

    def now(self) -> tuple:
        repo = self.sandbox / "learner-repo"
        return (
            inspect(self.sandbox)["calls"]["writes"],
            git(repo, "rev-parse", "HEAD"),
            git(repo, "status", "--porcelain"),
            sorted(p.name for p in (self.sandbox / "gcloud").glob("*.json"))
            if (self.sandbox / "gcloud").exists()
            else [],
        )

    def check(self) -> None:
        assert self.now() == self.before


@pytest.fixture
def answers(tmp_path: Path) -> Path:
    return write_answers(tmp_path / "answers.toml", project_id=PROJECT, bucket_name=BUCKET)


@GITHUB
def test_chapter_14_before_chapter_8_writes_nothing(after_ch7: Path, forge: str, home: Path, answers: Path):
    world = Unchanged(after_ch7)
    alone = run(after_ch7, home, answers, "14")
    assert alone.returncode == 1
    assert "Chapter 14 needs chapter 8's pipeline file: .github/workflows/mlops.yml does not exist" in alone.stderr
    assert "mlops-wizard run --chapter 8" in alone.stderr
    world.check()

    reversed_order = run(after_ch7, home, answers, "14", "8")
    assert reversed_order.returncode == 1
    assert "Ask for chapter 8 before chapter 14" in reversed_order.stderr
    world.check()


def test_chapter_8_before_chapter_7_names_the_missing_project_not_the_login(sandbox: Path, home: Path, answers: Path):
    world = Unchanged(sandbox)
    result = run(sandbox, home, answers, "8")
    assert result.returncode == 1
    assert f"Chapter 8 needs chapter 7's project and bucket: the project {PROJECT} does not exist" in result.stderr
    assert "credentials" not in result.stderr.lower()
    world.check()


@GITHUB
def test_on_master_the_wizard_never_waits_for_a_run_that_cannot_start(
    after_ch7: Path, forge: str, home: Path, answers: Path
):
    git(after_ch7 / "learner-repo", "branch", "-m", "main", "master")
    world = Unchanged(after_ch7)
    result = run(after_ch7, home, answers, "8")
    assert result.returncode == 1
    assert "You are on the branch master, but chapter 8's pipeline runs on pushes to main" in result.stderr
    assert "git branch -m master main" in result.stderr
    world.check()


def detach(repo: Path) -> None:
    git(repo, "checkout", "-q", "--detach")


def lock(repo: Path) -> None:
    (repo / ".git" / "index.lock").write_text("")


def ssh_origin(repo: Path) -> None:
    git(repo, "remote", "set-url", "origin", "ssh://git@127.0.0.1:9/learner/mlops-guide.git")


@pytest.mark.parametrize(
    "spoil, message",
    [
        (detach, "not on a branch (detached HEAD)"),
        (lock, "index.lock exists"),
        (ssh_origin, "git cannot push to origin (ssh://git@127.0.0.1:9/learner/mlops-guide.git)"),
    ],
)
def test_repository_problems_are_caught_before_the_cloud_work(
    spoil, message: str, sandbox: Path, home: Path, answers: Path
):
    repo = sandbox / "learner-repo"
    spoil(repo)
    world = Unchanged(sandbox)
    result = run(sandbox, home, answers, "7")
    assert result.returncode == 1, result.stdout + result.stderr
    assert message in result.stderr and "nothing was changed" in result.stderr
    assert inspect(sandbox)["projects"] == {} or PROJECT not in inspect(sandbox)["projects"]
    world.check()


def test_uncommitted_edits_in_requirements_are_never_swept_into_the_guides_commit(
    sandbox: Path, home: Path, answers: Path
):
    repo = sandbox / "learner-repo"
    with (repo / "requirements.txt").open("a") as file:
        file.write("# my own note: keep these versions for the course\n")
    world = Unchanged(sandbox)
    result = run(sandbox, home, answers, "7")
    assert result.returncode == 1
    assert "You have uncommitted changes in requirements.txt, which this chapter commits" in result.stderr
    world.check()

    git(repo, "commit", "-qm", "My note", "requirements.txt")  # the learner commits their change first
    done = run(sandbox, home, answers, "7")
    assert done.returncode == 0, done.stdout + done.stderr
    committed = git(repo, "show", "HEAD:requirements.txt")
    assert "# my own note" in committed and "dvc[gs]" in committed
    assert git(repo, "log", "-2", "--format=%s").splitlines()[1] == "My note"


@GITHUB
def test_a_changed_project_id_is_named_and_not_followed(after_ch7: Path, forge: str, home: Path, tmp_path: Path):
    other = write_answers(tmp_path / "other.toml", project_id="mlops-learner-9999", bucket_name=BUCKET)
    world = Unchanged(after_ch7)
    result = run(after_ch7, home, other, "7")
    assert result.returncode == 1
    assert (
        f"Your answers name project mlops-learner-9999, but this repository was set up with project {PROJECT}"
        in result.stderr
        and "--allow-changes" in result.stderr
    )
    assert "mlops-learner-9999" not in inspect(after_ch7)["projects"]
    world.check()
