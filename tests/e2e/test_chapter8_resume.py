"""Chapter 8 killed (SIGKILL) inside each mutating step, then resumed: same world, one key, no orphan."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from tests.support import ci_world, git, key_file, run_chapter

POINTS = [
    "ch08.create-service-account:after-call",
    "ch08.grant-role:after-call",
    "ch08.create-key:before-call",
    "ch08.create-key:after-call",  # the key exists in Google, nowhere else: an orphan to delete
    "ch08.store-secret:after-call",
    "ch08.workflow:after-write",
    "ch08.commit:after-commit",  # committed, not pushed
]


def assert_clean_world(sandbox: Path, home: Path | None) -> None:  # home None: --no-key-file
    world = ci_world(sandbox)
    (key_id,) = world["account"]["keys"]  # one key: the orphan is gone, nothing duplicated
    assert world["secret"]["private_key_id"] == key_id
    if home is not None:
        assert json.loads(key_file(sandbox).read_text())["private_key_id"] == key_id
    assert len(world["viewers"]) == 1
    repo = sandbox / "learner-repo"
    messages = git(repo, "log", "--format=%s", "origin/main").splitlines()
    assert messages.count("A pipeline will run my experiment on each push") == 1
    assert git(repo, "status", "--porcelain") == ""
    head = git(repo, "rev-parse", "HEAD")
    assert [r["conclusion"] for r in world["runs"] if r["sha"] == head] == ["success"]


@pytest.mark.parametrize("forge", ["github"], indirect=True)
@pytest.mark.parametrize("point", POINTS)
def test_github_resume_after_a_kill(point: str, after_ch7: Path, forge: str, home: Path):
    killed = run_chapter(after_ch7, 8, home, env={"MLOPS_WIZARD_KILL_AT": point})
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    resumed = run_chapter(after_ch7, 8, home)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert_clean_world(after_ch7, home)


@pytest.mark.parametrize("forge", ["gitlab"], indirect=True)
@pytest.mark.parametrize(
    "point", ["ch08.create-key:after-call", "ch08.store-secret:after-call", "ch08.commit:after-commit"]
)
def test_gitlab_resume_after_a_kill(point: str, after_ch7: Path, forge: str, home: Path):
    killed = run_chapter(after_ch7, 8, home, env={"MLOPS_WIZARD_KILL_AT": point})
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    assert run_chapter(after_ch7, 8, home).returncode == 0
    assert_clean_world(after_ch7, home)


@pytest.mark.parametrize("forge", ["github"], indirect=True)
def test_without_a_key_file_a_key_lost_in_a_crash_is_replaced_not_duplicated(after_ch7: Path, forge: str, home: Path):
    killed = run_chapter(
        after_ch7, 8, home, "--no-key-file", env={"MLOPS_WIZARD_KILL_AT": "ch08.create-key:after-call"}
    )
    assert killed.returncode == -signal.SIGKILL
    assert len(ci_world(after_ch7)["account"]["keys"]) == 1  # the orphan, whose private key died with the process
    orphan = ci_world(after_ch7)["account"]["keys"][0]
    assert run_chapter(after_ch7, 8, home, "--no-key-file").returncode == 0
    assert_clean_world(after_ch7, None)
    assert ci_world(after_ch7)["account"]["keys"] != [orphan]
