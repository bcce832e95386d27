"""Whose answer counts: what the learner typed earlier, then an answers file, then generated defaults."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support import BUCKET, PROJECT, learner_world, run_chapter7, wizard, write_answers


def state_answers(sandbox: Path) -> dict[str, str]:
    return json.loads((sandbox / "learner-repo" / ".git" / "mlops-wizard" / "state.json").read_text())["answers"]


def test_relaunching_the_demo_keeps_the_learners_own_project_and_bucket(sandbox: Path, answers: Path):
    """A learner did chapter 7 in the demo's repository with names of their own, then runs `demo` again."""
    assert run_chapter7(sandbox, answers).returncode == 0
    result = wizard("demo", "--headless", "--dir", str(sandbox))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "mlops-demo-" not in result.stdout  # the demo's generated names were only defaults
    world = learner_world(sandbox)
    assert list(world["projects"]) == [PROJECT] and list(world["buckets"]) == [BUCKET]
    assert state_answers(sandbox)["gcp.project_id"] == PROJECT
    assert "gs://" + BUCKET in (sandbox / "learner-repo" / ".dvc" / "config").read_text()


def test_a_fresh_demo_takes_its_generated_names_and_the_bucket_follows_the_project(sandbox: Path):
    result = wizard("demo", "--headless", "--dir", str(sandbox))
    assert result.returncode == 0, result.stdout + result.stderr
    world = learner_world(sandbox)
    (project,) = world["projects"]
    assert project.startswith("mlops-demo-") and list(world["buckets"]) == [f"{project}-data"]


def test_an_answers_file_that_contradicts_earlier_answers_stops_under_yes_naming_both(
    sandbox: Path, answers: Path, tmp_path: Path
):
    assert run_chapter7(sandbox, answers).returncode == 0
    other = write_answers(tmp_path / "other.toml", project_id="someone-new-9999", bucket_name=BUCKET)
    calls = learner_world(sandbox)["calls"]["writes"]
    result = run_chapter7(sandbox, other)
    assert result.returncode == 1
    assert PROJECT in result.stderr and "someone-new-9999" in result.stderr and "nothing was changed" in result.stderr
    world = learner_world(sandbox)
    assert list(world["projects"]) == [PROJECT] and world["calls"]["writes"] == calls
    assert state_answers(sandbox)["gcp.project_id"] == PROJECT


def test_a_taken_name_under_yes_stops_and_is_not_kept_so_a_corrected_file_just_works(sandbox: Path, tmp_path: Path):
    taken = write_answers(tmp_path / "taken.toml", project_id=PROJECT, bucket_name="mlops-bucket")
    result = run_chapter7(sandbox, taken)
    assert result.returncode == 1 and "already taken" in result.stderr
    assert (
        "mlops-bucket" not in json.dumps(state_answers(sandbox))
        if (sandbox / "learner-repo" / ".git" / "mlops-wizard" / "state.json").exists()
        else True
    )
    fixed = write_answers(tmp_path / "fixed.toml", project_id=PROJECT, bucket_name=BUCKET)
    result = run_chapter7(sandbox, fixed)
    assert result.returncode == 0, result.stderr
    assert list(learner_world(sandbox)["buckets"]) == [BUCKET]
