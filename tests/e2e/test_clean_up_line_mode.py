"""Clean-up in line mode (--plain), its status and its script, as a learner uses them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from tests.e2e.test_clean_up import what_is_left
from tests.support import BUCKET, PROJECT, upload_object, wizard
from wizard.cli import main

ENTER = "\r"
pytestmark = pytest.mark.parametrize("forge", ["github"], indirect=True)


def plain_clean_up(sandbox: Path, keys_typed: str):
    with create_pipe_input() as keys, create_app_session(input=keys, output=DummyOutput()):
        keys.send_text(keys_typed)
        return CliRunner().invoke(
            main, ["clean-up", "--plain", "--repo", str(sandbox / "learner-repo"), "--sandbox", str(sandbox)]
        )


def test_the_learner_types_the_project_id_in_line_mode(after_ch14: Path, forge: str):
    result = plain_clean_up(after_ch14, PROJECT + ENTER)
    assert result.exit_code == 0, result.output
    assert "Clean-up is done" in result.output
    left = what_is_left(after_ch14)
    assert (left["state"], left["bucket"], left["accounts"]) == ("DELETE_REQUESTED", False, [])


def test_a_typo_in_the_project_id_removes_nothing(after_ch14: Path, forge: str):
    before = what_is_left(after_ch14)
    result = plain_clean_up(after_ch14, PROJECT + "x" + ENTER)
    assert result.exit_code == 1
    assert f"'{PROJECT}x' is not the project being cleaned up" in result.output
    assert what_is_left(after_ch14) == before


def test_a_file_of_the_learners_is_asked_about_by_name_and_kept_on_no(after_ch14: Path, forge: str):
    upload_object(after_ch14, BUCKET, "notes/my-thesis.txt", b"three years of work")
    before = what_is_left(after_ch14)
    result = plain_clean_up(after_ch14, PROJECT + ENTER + "n")
    assert result.exit_code == 1
    # The question (on the terminal) comes after the difference, printed by name.
    assert f"gs://{BUCKET} holds 1 object(s) outside dvcstore/: notes/my-thesis.txt" in result.output
    assert "Nothing was removed" in result.output
    assert what_is_left(after_ch14) == before


def test_status_and_script_show_the_clean_up_without_changing_anything(after_ch14: Path, forge: str):
    before = what_is_left(after_ch14)
    repo = str(after_ch14 / "learner-repo")
    status = wizard("status", "--clean-up", "--repo", repo, "--sandbox", str(after_ch14))
    assert status.returncode == 0, status.stderr
    assert "Will be removed, in this order:" in status.stdout and "gs://" + BUCKET in status.stdout
    script = wizard("script", "--clean-up", "--repo", repo)
    assert script.returncode == 0, script.stderr
    for command in (
        "gh secret delete MLEM_GCP_SERVICE_ACCOUNT_KEY",
        "gcloud storage rm --recursive gs://",
        "gcloud billing projects unlink $GCP_PROJECT_ID",
        "gcloud projects delete $GCP_PROJECT_ID",
        "# gcloud container clusters delete mlops-kubernetes",
    ):
        assert command in script.stdout
    assert (
        script.stdout.index("gh secret delete")
        < script.stdout.index("keys delete")
        < script.stdout.index("service-accounts delete")
        < script.stdout.index("storage rm")
        < script.stdout.index("projects delete $")
    )
    syntax = subprocess.run(["bash", "-n"], input=script.stdout, text=True, capture_output=True)
    assert syntax.returncode == 0, syntax.stderr
    assert what_is_left(after_ch14)["writes"] == before["writes"]
