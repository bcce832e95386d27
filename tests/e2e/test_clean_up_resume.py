"""Clean-up killed (SIGKILL) in the middle of each removal, then run again: it converges, removing nothing twice."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.e2e.test_clean_up import cleaned, what_is_left

GONE: dict[str, object] = {
    "state": "DELETE_REQUESTED",
    "billing": None,
    "bucket": False,
    "accounts": [],
    "bindings": [],
    "key_files": [],
    "secrets": [],
}
STEPS = [
    "cleanup.ch14-secret",
    "cleanup.ch08-secret",
    "cleanup.ch14-keys",
    "cleanup.ch08-keys",
    "cleanup.ch14-account",
    "cleanup.ch08-account",
    "cleanup.bucket",
    "cleanup.billing",
    "cleanup.project",
]


def kill_then_resume(sandbox: Path, point: str) -> None:
    killed = cleaned(sandbox, env={"MLOPS_WIZARD_KILL_AT": point})
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    resumed = cleaned(sandbox)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    left = what_is_left(sandbox)
    assert {k: left[k] for k in GONE} == GONE
    again = cleaned(sandbox)
    assert again.returncode == 0 and "nothing was changed" in again.stdout
    assert what_is_left(sandbox)["writes"] == left["writes"]


@pytest.mark.parametrize("forge", ["github"], indirect=True)
@pytest.mark.parametrize("step", STEPS)
def test_killed_inside_each_removal_then_resumed(after_ch14: Path, forge: str, step: str):
    kill_then_resume(after_ch14, f"{step}:after-call")


@pytest.mark.parametrize("forge", ["gitlab"], indirect=True)
@pytest.mark.parametrize(
    "point", ["cleanup.ch08-secret:after-call", "cleanup.bucket:before-bucket", "cleanup.ch14-account:before-call"]
)
def test_killed_on_gitlab_then_resumed(after_ch14: Path, forge: str, point: str):
    kill_then_resume(after_ch14, point)
