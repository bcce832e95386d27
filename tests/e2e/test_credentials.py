"""A learner whose Google login does not work: told why and which command fixes it, before any change.

The sandbox's knob `faults.credentials` makes the learner's application default credentials
expired (Google asks to sign in again), revoked, or missing; `faults.offline` drops every
connection to the sandbox's sign-in server and storage, as a machine without network.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support import git, learner_world, run_chapter, run_chapter7
from wizard.sandbox.world import World

LOGIN = "gcloud auth application-default login"


def set_credentials(sandbox: Path, state: str) -> None:
    with World(sandbox).mutate() as world:
        world["faults"]["credentials"] = state


def assert_no_change(sandbox: Path, head: str) -> None:
    world = learner_world(sandbox)
    assert world["projects"] == {} and world["buckets"] == {}
    assert world["calls"]["writes"] == 0
    assert git(sandbox / "learner-repo", "rev-parse", "HEAD") == head


@pytest.mark.parametrize(
    "state, said",
    [
        ("expired", "Your Google login has expired"),
        ("revoked", "Your Google login is no longer valid"),
        ("missing", "No Google Cloud credentials were found"),
    ],
)
def test_a_login_that_does_not_work_stops_chapter_7_before_any_change(
    sandbox: Path, answers: Path, state: str, said: str
) -> None:
    head = git(sandbox / "learner-repo", "rev-parse", "HEAD")
    set_credentials(sandbox, state)
    result = run_chapter7(sandbox, answers)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert said in output and LOGIN in output
    assert "Traceback" not in output
    assert "check your connection" not in output.lower() and "bug in the wizard" not in output
    assert_no_change(sandbox, head)

    set_credentials(sandbox, "valid")  # the learner signs in again: the same command now works
    again = run_chapter7(sandbox, answers)
    assert again.returncode == 0, again.stdout + again.stderr


def test_a_revoked_login_stops_chapter_8_before_any_change(after_ch7: Path, home: Path) -> None:
    before = learner_world(after_ch7)["calls"]["writes"]
    set_credentials(after_ch7, "revoked")
    result = run_chapter(after_ch7, 8, home)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Your Google login is no longer valid" in output and LOGIN in output
    assert "Traceback" not in output and "temporarily unavailable" not in output
    assert learner_world(after_ch7)["calls"]["writes"] == before


def test_offline_is_said_within_seconds_before_any_change(sandbox: Path, answers: Path) -> None:
    head = git(sandbox / "learner-repo", "rev-parse", "HEAD")
    with World(sandbox).mutate() as world:
        world["faults"]["offline"] = True
    started = time.monotonic()
    result = run_chapter7(sandbox, answers)
    elapsed = time.monotonic() - started
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "you seem to be offline" in output and "Traceback" not in output
    assert elapsed < 15, elapsed
    assert_no_change(sandbox, head)
