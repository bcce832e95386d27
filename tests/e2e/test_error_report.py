"""An unexpected error is explained, and leaves a log file to attach to a bug report."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tests.support import BUCKET, learner_world, run_chapter7, wizard

POINT = "ch07.create-bucket:before-call"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)  # the log folder follows HOME
    path = tmp_path / "home"
    path.mkdir()
    return path


def _log_path(stderr: str) -> Path:
    lines = [line for line in stderr.splitlines() if line.strip().startswith("Log: ")]
    assert len(lines) == 1, stderr
    return Path(lines[0].strip().removeprefix("Log: ").split(" (")[0])


def test_a_bug_in_the_middle_of_chapter_7_is_explained_with_a_log_file_and_nothing_is_lost(
    sandbox: Path, answers: Path, home: Path
):
    failed = run_chapter7(sandbox, answers, env={"HOME": str(home), "MLOPS_WIZARD_FAIL_AT": POINT})

    assert failed.returncode == 1
    assert "Error: Failed while 'Create the storage bucket'" in failed.stderr
    assert "Why: " in failed.stderr and "Fix: " in failed.stderr
    assert "Traceback" not in failed.stdout + failed.stderr  # the details are in the log, not on the screen
    log = _log_path(failed.stderr)
    assert log.parent == home / ".local" / "state" / "mlops-wizard" / "log"
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    text = log.read_text()
    assert "Traceback (most recent call last)" in text
    assert f"InjectedFailure: injected failure at {POINT}" in text
    assert "command: " in text and "--chapter 7" in text
    assert "StepFinished step_id='ch07.enable-apis'" in text  # what happened before, step by step

    # Run again: the chapter resumes and finishes.
    again = run_chapter7(sandbox, answers, env={"HOME": str(home)})
    assert again.returncode == 0, again.stdout + again.stderr
    assert BUCKET in learner_world(sandbox)["buckets"]


def test_debug_prints_the_details_too(sandbox: Path, answers: Path, home: Path):
    result = wizard(
        "--debug",
        "run",
        "--repo",
        str(sandbox / "learner-repo"),
        "--sandbox",
        str(sandbox),
        "--chapter",
        "7",
        "--answers",
        str(answers),
        "--yes",
        env={"HOME": str(home), "MLOPS_WIZARD_FAIL_AT": POINT},
    )

    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert f"InjectedFailure: injected failure at {POINT}" in result.stderr
    assert _log_path(result.stderr).is_file()


def test_an_explained_failure_needs_no_log(sandbox: Path, home: Path, tmp_path: Path):
    answers = tmp_path / "bad.toml"
    answers.write_text('[gcp]\nproject_id = "Not A Valid Id"\nbucket_name = "fine-bucket-name"\n')
    result = run_chapter7(sandbox, answers, env={"HOME": str(home)})

    assert result.returncode == 1
    assert "Error:" in result.stderr and "Log: " not in result.stderr
    assert not (home / ".local" / "state" / "mlops-wizard" / "log").exists()
