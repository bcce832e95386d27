"""A learner's wizard dies in the middle of a step (SIGKILL: a crash, a dead laptop) and is run again.

Each story kills the real process at a point inside one mutating step of chapter 7, runs
the wizard again, and checks that the world ends exactly as after an uninterrupted run:
one project, one bucket, one commit, nothing lost or half-written in the repository.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.support import COMMIT_MESSAGE, fingerprint, learner_world, remote_messages, run_chapter7
from wizard.sandbox.world import World

CRASH_POINTS = [
    "ch07.create-project:after-call",  # the project's creation operation is still running
    "ch07.link-billing:after-call",
    "ch07.create-project:after-enable",  # the project's APIs are being enabled (storage and iam among the
    # defaults or enabled with them: ch07.enable-apis has nothing left)
    "ch07.create-bucket:after-call",
    "ch07.dvc-gs:after-requirements",  # requirements.txt edited, nothing installed yet
    "ch07.dvc-gs:after-install",  # installed, freeze not written yet
    "ch07.dvc-remote:after-call",
    "ch07.dvc-push:during-push",  # dvc is uploading
    "ch07.commit:after-commit",  # committed, not pushed
]


# Slow the cloud down where the interesting part is that Google has not finished yet when
# the learner comes back: the resumed run must wait for it and adopt it, not call it taken.
SLOW = {"ch07.create-project:after-call": 4.0, "ch07.create-project:after-enable": 4.0}


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_a_learner_resumes_after_the_wizard_was_killed(point: str, sandbox: Path, answers: Path, reference_world: dict):
    if point in SLOW:
        with World(sandbox).mutate() as world:
            world["faults"]["operation_seconds"] = SLOW[point]
    killed = run_chapter7(sandbox, answers, env={"MLOPS_WIZARD_KILL_AT": point})
    assert killed.returncode == -signal.SIGKILL, f"the wizard did not die at {point}: {killed.stdout}{killed.stderr}"

    resumed = run_chapter7(sandbox, answers)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    if point == "ch07.create-project:after-call":
        # Whether the operation is still running when the wizard comes back depends on how fast the
        # machine restarts it; either way the learner's own project is never called taken.
        assert "taken" not in resumed.stdout.lower()

    assert fingerprint(sandbox) == reference_world
    world = learner_world(sandbox)
    assert len(world["projects"]) == 1 and len(world["buckets"]) == 1
    assert remote_messages(sandbox).count(COMMIT_MESSAGE) == 1
