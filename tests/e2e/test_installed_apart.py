"""The wizard lives apart from the learner's project environment, or it changes nothing.

Chapter 7 writes the project environment's `pip freeze` to requirements-freeze.txt, which the
guide's CI installs: a wizard installed there would put itself and its packages in that file.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support import git, learner_world, run_chapter7, wizard

FROZEN_FILES = ("requirements.txt", "requirements-freeze.txt", ".dvc/config")


def _untouched(sandbox: Path, before: dict[str, str]) -> None:
    repo = sandbox / "learner-repo"
    world = learner_world(sandbox)
    assert world["projects"] == {} and world["buckets"] == {}
    assert world["calls"]["writes"] == 0
    assert git(repo, "status", "--porcelain") == ""
    assert {name: (repo / name).read_text() for name in FROZEN_FILES} == before


def test_a_learner_who_runs_the_wizard_from_the_project_venv_is_told_to_install_it_apart(sandbox: Path, answers: Path):
    # The demo repository's .venv sees the wizard's packages, as if `pip install` had put them there:
    # running the wizard with that interpreter is running it inside the project's environment.
    repo = sandbox / "learner-repo"
    before = {name: (repo / name).read_text() for name in FROZEN_FILES}
    result = wizard(
        "run",
        "--repo",
        str(repo),
        "--sandbox",
        str(sandbox),
        "--chapter",
        "7",
        "--answers",
        str(answers),
        "--yes",
        python=str(repo / ".venv" / "bin" / "python"),
    )

    assert result.returncode == 1, result.stdout + result.stderr
    assert "running inside your project's environment" in result.stderr
    assert "pipx install" in result.stderr and "uv tool install" in result.stderr
    assert "requirements-freeze.txt" in result.stderr
    assert "Traceback" not in result.stderr
    _untouched(sandbox, before)


def test_a_copy_left_in_the_project_venv_is_found_even_when_the_wizard_runs_from_its_own(sandbox: Path, answers: Path):
    repo = sandbox / "learner-repo"
    before = {name: (repo / name).read_text() for name in FROZEN_FILES}
    # What `.venv/bin/pip install mlops-wizard` leaves behind: its metadata in the venv's site-packages.
    site = next((repo / ".venv" / "lib").glob("python3*/site-packages"))
    dist = site / "mlops_wizard-0.1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: mlops-wizard\nVersion: 0.1.0\n")
    (dist / "RECORD").write_text("")
    freeze = subprocess.run(
        [str(repo / ".venv" / "bin" / "python"), "-m", "pip", "freeze", "--local", "--all"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "mlops-wizard==0.1.0" in freeze  # the harm is real: chapter 7's freeze would list it

    result = run_chapter7(sandbox, answers)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "mlops-wizard is installed in your project's environment" in result.stderr
    assert "uninstall mlops-wizard" in result.stderr and "pipx install" in result.stderr
    _untouched(sandbox, before)

    # Once it is gone, the same command does the chapter, and the freeze holds none of the wizard.
    for path in sorted(dist.rglob("*"), reverse=True):
        path.unlink()
    dist.rmdir()
    done = run_chapter7(sandbox, answers)
    assert done.returncode == 0, done.stdout + done.stderr
    frozen = (repo / "requirements-freeze.txt").read_text().lower()
    assert "dvc-gs==" in frozen
    assert "mlops-wizard" not in frozen and "mlops_wizard" not in frozen and "file://" not in frozen
    for package in ("textual", "questionary", "pygithub", "python-gitlab", "gcp-storage-emulator"):
        assert f"{package}==" not in frozen, f"{package}, a package of the wizard, reached the freeze"
