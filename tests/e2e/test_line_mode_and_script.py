"""Line mode (run --plain, questionary) and the exported script, as a learner uses them."""

from __future__ import annotations

import subprocess
from pathlib import Path

from click.testing import CliRunner
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from tests.support import BUCKET, PROJECT, learner_world, remote_messages, run_chapter7, wizard
from wizard.cli import main

ENTER = "\r"


def test_a_learner_answers_in_line_mode_and_the_chapter_is_done(sandbox: Path):
    with create_pipe_input() as keys, create_app_session(input=keys, output=DummyOutput()):
        # project ID, billing account (the single open one is preselected), bucket name, location (europe-west6 first)
        keys.send_text(PROJECT + ENTER + ENTER + BUCKET + ENTER + ENTER)
        result = CliRunner().invoke(main, ["run", "--plain", "--repo", str(sandbox / "learner-repo"),
                                           "--sandbox", str(sandbox), "--chapter", "7"])
    assert result.exit_code == 0, result.output
    assert "Chapter 7 is done" in result.output
    world = learner_world(sandbox)
    assert list(world["projects"]) == [PROJECT]
    assert world["buckets"][BUCKET]["location"].lower() == "europe-west6"
    assert remote_messages(sandbox)[0] == "My ML experiment data is shared with DVC"


def test_the_script_shows_the_commands_with_the_guides_variables(sandbox: Path, answers: Path):
    assert run_chapter7(sandbox, answers).returncode == 0
    result = wizard("script", "--repo", str(sandbox / "learner-repo"), "--chapter", "7")
    assert result.returncode == 0, result.stderr
    script = result.stdout
    assert f"export GCP_PROJECT_ID={PROJECT}" in script
    assert "export GCP_BILLING_ACCOUNT_ID=012345-6789AB-CDEF01" in script
    assert "gcloud projects create $GCP_PROJECT_ID" in script
    assert "--uniform-bucket-level-access" in script and "--public-access-prevention" in script
    assert "dvc remote add -d data gs://$GCP_BUCKET_NAME/dvcstore" in script
    assert 'git commit -m "My ML experiment data is shared with DVC"' in script
    syntax = subprocess.run(["bash", "-n"], input=script, text=True, capture_output=True)
    assert syntax.returncode == 0, syntax.stderr


def test_the_script_without_answers_says_what_to_fill_in(tmp_path: Path):
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    result = wizard("script", "--repo", str(repo), "--chapter", "7")
    assert result.returncode == 0, result.stderr
    assert "export GCP_PROJECT_ID=  # Google Cloud project ID: fill in" in result.stdout
    assert "export GCP_BUCKET_LOCATION=" in result.stdout
